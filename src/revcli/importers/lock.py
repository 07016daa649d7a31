"""An import holds the data dir's lock, the one ``revcli remind`` holds (:mod:`revcli.state.lock`).

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

from revcli.output.files import make_folders
from revcli.state.journal import finish_interrupted_import
from revcli.state.lock import locked
from revcli.state.log import remove_stale_temporaries


@contextlib.contextmanager
def import_lock(root: Path, *, dry_run: bool = False) -> Iterator[float]:
    """Hold the lock of the data dir ``root`` for an import; yields when it was taken."""
    if dry_run:
        if not root.is_dir():  # nothing to lock, and a dry run creates nothing
            yield 0.0
            return
        finish_interrupted_import(root)  # under the lock held for writing, then let go
        with locked(root, shared=True) as since:
            yield since
        return
    while True:
        made = make_folders(root)
        try:
            made_as = root.stat()
        except FileNotFoundError:  # an import that created it removed it just now
            continue
        with locked(root) as since:
            try:
                now = root.stat()
            except FileNotFoundError:
                now = None
            if now is None or (now.st_dev, now.st_ino) != (made_as.st_dev, made_as.st_ino):
                continue  # an import that created it removed it while this one waited
            try:
                finish_interrupted_import(root, held=True)
                yield since
            finally:
                for folder in reversed(made):  # still empty: the import wrote nothing
                    with contextlib.suppress(OSError):
                        folder.rmdir()
            return


def remove_stale(files: list[Path], since: float) -> None:
    """Remove what a killed import left beside ``files``: their ``.NAME.xxxx.tmp`` files
    older than the lock (imports write only under it)."""
    for path in files:
        remove_stale_temporaries(path.parent, since, path.name)
