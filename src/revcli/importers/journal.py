"""The journal of an import's renames, so that ``kill -9`` between two renames is undone.

Before its first rename an import records in ``.revcli/import-journal.json`` the old bytes
of every file it will replace (``null`` for a file it creates), fsynced, and deletes the
journal when it is done (also when it stopped and put its files back itself). A journal
found by the next import (under the data dir's lock, so no import is running) was left
by one that was killed, or by a power cut: every file it names gets its old bytes back.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from revcli.output.files import write_atomic

JOURNAL = Path(".revcli") / "import-journal.json"


@contextmanager
def journaled(root: Path, files: list[Path]) -> Iterator[None]:
    """Keep the journal of ``files`` (paths in ``root``) while the block renames them."""
    old = {
        str(path.relative_to(root)): (
            base64.b64encode(path.read_bytes()).decode("ascii") if path.is_file() else None
        )
        for path in files
    }
    journal = root / JOURNAL
    made = not journal.parent.exists()
    try:
        write_atomic(journal, json.dumps(old, indent=1) + "\n")
        yield
    finally:
        journal.unlink(missing_ok=True)
        if made:  # a folder of its own only while it runs
            with contextlib.suppress(OSError):
                journal.parent.rmdir()


def roll_back(root: Path) -> list[Path]:
    """Undo the import a left journal names; the files put back (none without a journal)."""
    journal = root / JOURNAL
    if not journal.is_file():
        return []
    old: dict[str, str | None] = json.loads(journal.read_text(encoding="utf-8"))
    restored = []
    for rel, data in old.items():
        path = root / rel
        if data is None:
            path.unlink(missing_ok=True)
        else:
            write_atomic(path, base64.b64decode(data))
        restored.append(path)
    journal.unlink()
    with contextlib.suppress(OSError):  # made by the killed import, unless a log is there
        journal.parent.rmdir()
    _sync(journal.parent if journal.parent.exists() else root)
    return restored


def _sync(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
