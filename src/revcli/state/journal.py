"""An import killed between the renames of its files (``kill -9``, a power cut) is
completed by the next run that reads its data dir, under the data dir's lock: see
:mod:`revcli.output.together` for the journal it leaves."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from revcli.output.journal import has_journal, recover
from revcli.state.lock import locked


def say(message: str) -> None:
    """Tell the person at the terminal what was done to their data dir before reading it."""
    print(message, file=sys.stderr, flush=True)


def finish_interrupted_import(
    root: Path, *, held: bool = False, tell: Callable[[str], None] = say
) -> None:
    """Complete an import into ``root`` that was interrupted between its renames (or put
    its files back, or clear a journal cut short) and ``tell`` it in one line; nothing when
    ``root`` holds no journal (one ``lstat``: a read-only data dir is only read).

    Takes the data dir's lock (an import that is renaming its files holds it, and is left
    to finish) unless the caller ``held`` it already. Raises
    :class:`~revcli.errors.RevcliError` when the import cannot be completed, e.g. in a
    data dir this user cannot write.
    """
    if not has_journal(root):
        return
    if held:
        done = recover(root)
    else:
        with locked(root):
            done = recover(root)
    if done is not None:
        tell(str(done))
