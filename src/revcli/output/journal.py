"""The intent journal of :func:`revcli.output.together.write_together`: its format, and
its writing; :func:`revcli.output.recovery.recover` completes what a process killed
between two renames left.

The journal (:data:`JOURNAL`, in the folder of the files: an import's data dir) is
written in two steps, each fsynced. Its first line, written before anything else, holds
a random token that every temporary file of the write carries in its name
(``.NAME.TOKEN.xxxx.tmp``). When every temporary file is written and fsynced, a line per
file (the file, its temporary file, the SHA-256 of the new bytes) and an end line (their
count and the SHA-256 of the journal before it) complete it. Only then is any file
renamed, and once every rename is durable the journal is removed.

So a complete journal means that every new file is whole on disk:
:func:`~revcli.output.recovery.recover` rolls forward (renames what is left, checking each
file's hash first). A journal without its end line was cut short before any file was
renamed: its temporary files (found by the token) and the journal are removed. A journal
whose header says ``undo`` names the old files of a write that was being put back:
:func:`~revcli.output.recovery.recover` finishes putting them back.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from revcli.output.files import fsync_folder

JOURNAL = ".revcli-import-journal"
"""The journal of an import, in its data dir: there only while its files are renamed."""

VERSION = 1
"""The journal format this revcli writes and reads."""


@dataclass(frozen=True)
class Entry:
    """One file of a journal, as paths relative to the journal's folder: ``target`` gets
    the bytes of ``temp`` (renamed onto it), or is removed when ``temp`` is ``None``;
    ``sha256`` is of the bytes renamed onto it (of the bytes to remove)."""

    target: str
    temp: str | None
    sha256: str


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def relative(journal: Path, path: Path) -> str:
    """``path`` (a file to write, or the journal) relative to the journal's folder, with
    ``/``."""
    return path.relative_to(journal.parent).as_posix()


def relative_beside(journal: Path, path: Path, temp: Path) -> str:
    """The temporary file ``temp`` beside ``path`` relative to the journal's folder
    (``tempfile`` names it by its absolute path, whatever ``path`` is)."""
    return (PurePosixPath(relative(journal, path)).parent / temp.name).as_posix()


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record) + "\n").encode("ascii")


def header(token: str, *, undo: bool) -> bytes:
    return _line({"journal": "revcli", "version": VERSION, "token": token, "undo": undo})


def body(header: bytes, entries: list[Entry]) -> bytes:
    """The whole journal: ``header``, a line per entry, and the end line."""
    body = header + b"".join(
        _line({"target": e.target, "temp": e.temp, "sha256": e.sha256}) for e in entries
    )
    return body + _line({"end": len(entries), "sha256": sha256_of(body)})


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def begin(journal: Path, header: bytes) -> None:
    """Create the journal (never over another one) with its first line, fsynced, and make
    its name durable."""
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            _write_all(fd, header)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        journal.unlink(missing_ok=True)  # this call's own: one found there is left alone
        raise
    fsync_folder(journal.parent)


def complete(journal: Path, header: bytes, entries: list[Entry]) -> None:
    """Append the entries and the end line to the journal begun with ``header``, fsynced."""
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND)
    try:
        _write_all(fd, body(header, entries)[len(header) :])
        os.fsync(fd)
    finally:
        os.close(fd)


def move_entry(root: Path, e: Entry) -> None:
    """Bring an entry's file into place: rename its temporary file onto it (when it is
    still there), or remove it."""
    target = root / e.target
    if e.temp is None:
        target.unlink(missing_ok=True)
    elif os.path.lexists(root / e.temp):
        (root / e.temp).replace(target)


def apply_entries(root: Path, entries: list[Entry]) -> None:
    """:func:`move_entry` every entry's file, then make the renames durable."""
    for e in entries:
        move_entry(root, e)
    for folder in dict.fromkeys((root / e.target).parent for e in entries):
        fsync_folder(folder)


def sweep(root: Path, token: str) -> None:
    """Remove every temporary file of the write of ``token`` under ``root`` (``.git``
    aside)."""
    mark = f".{token}."
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            if name.startswith(".") and name.endswith(".tmp") and mark in name:
                (Path(folder) / name).unlink(missing_ok=True)
