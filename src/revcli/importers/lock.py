"""An import holds the data dir's lock exclusively (:mod:`revcli.state.lock`); the commands
that read the data dir hold it shared while they read (:func:`revcli.state.journal.settled`).

Two imports into one data dir at once would each read ``customers.csv`` before the other
wrote it, and the last to write would drop the other's records. Under the lock the second
waits (saying so on stderr), then reads what the first wrote. A data dir the import creates
is made first, so that it can be locked, and removed again when the import writes nothing.
A dry run, which writes nothing, holds the lock shared: it never sees an import half-way.
Either first completes an import that was killed between its renames (its journal).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from revcli.state.journal import finish_interrupted_import, settled
from revcli.state.lock import made_and_locked
from revcli.state.log import remove_stale_temporaries


@contextlib.contextmanager
def import_lock(root: Path, *, dry_run: bool = False) -> Iterator[float]:
    """Hold the lock of the data dir ``root`` for an import; yields when it was taken. A dry
    run writes nothing: it reads the data dir as every command does
    (:func:`~revcli.state.journal.settled`), and yields 0."""
    if dry_run:
        with settled(root):
            yield 0.0
        return
    with made_and_locked(root) as since:
        finish_interrupted_import(root, held=True)
        yield since


def remove_stale(files: list[Path], since: float) -> None:
    """Remove what a killed import left beside ``files``: their ``.NAME.xxxx.tmp`` files
    older than the lock (imports write only under it)."""
    for path in files:
        remove_stale_temporaries(path.parent, since, path.name)
