"""An import killed between the renames of its files (``kill -9``, a power cut) is
completed by the next run that reads its data dir, under the data dir's lock: see
:mod:`revcli.output.journal` for the journal it leaves."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from revcli.output.recovery import has_journal, recover
from revcli.state.lock import locked, read_lock
from revcli.visible import message_text

IMPORT_FILES = re.compile(
    r"revcli\.yaml|contracts\.yaml|customers\.(?:csv|yaml|yml)|opportunities\.csv"
    r"|fx_rates\.csv|contracts/[a-z0-9][a-z0-9_-]{0,63}\.yaml"
)
"""Every file ``revcli import`` writes, relative to the data dir (``importers/plan.py``:
settings and the first contracts and customers files of a new data dir, the customers
file, ``contracts/SOURCE.yaml``, opportunities, fx rates). A journal that names any other
file was not an import's, and recovering it is refused: a journal that came with a git
clone could otherwise name ``.git/HEAD``."""


def import_writes(path: str) -> bool:
    """Whether ``path`` (relative to the data dir, with ``/``) is a file an import writes."""
    return IMPORT_FILES.fullmatch(path) is not None


def say(message: str) -> None:
    """Tell the person at the terminal what was done to their data dir before reading it."""
    print(message_text(message), file=sys.stderr, flush=True)


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
        done = recover(root, import_writes)
    else:
        with locked(root):
            done = recover(root, import_writes)
    if done is not None:
        tell(str(done))


@contextlib.contextmanager
def settled(root: Path) -> Iterator[None]:
    """Hold the data dir ``root`` still while the block reads it: an import that was
    interrupted is completed first (:func:`finish_interrupted_import`), and the data dir's
    lock is held shared (:func:`~revcli.state.lock.read_lock`), so the block sees the files
    of one import or of the next, never some of each. An import killed between those two
    steps leaves its journal, and is completed before the block runs."""
    while True:
        finish_interrupted_import(root)
        with read_lock(root):
            if not has_journal(root):
                yield
                return
