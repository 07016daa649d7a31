"""Reading the journal an interrupted write left, and completing that write (:func:`recover`)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from revcli.errors import RevcliError
from revcli.output.files import cannot_write, file_kind, fsync_folder
from revcli.output.journal import JOURNAL, VERSION, Entry, move_entry, sha256_of, sweep

MAX_JOURNAL_BYTES = 1024 * 1024
"""A journal names a few files: a larger one is not revcli's."""

_TOKEN = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class Recovered:
    """What :func:`recover` did in ``root``: ``completed`` an interrupted write, ``put
    back`` the old files of one that was being undone, or ``cleared`` a journal cut short
    (no file had been replaced)."""

    root: Path
    outcome: str
    files: tuple[str, ...]

    def __str__(self) -> str:
        names = ", ".join(self.files)
        if self.outcome == "completed":
            return (
                f"{self.root}: an import was interrupted before all its files were in place; "
                f"completed it ({names})"
            )
        if self.outcome == "put back":
            return (
                f"{self.root}: an import was interrupted while its files were put back; "
                f"put back the old files ({names})"
            )
        return (
            f"{self.root}: an import was interrupted before it changed any file; removed its "
            "journal and temporary files"
        )


def has_journal(root: Path) -> bool:
    """Whether ``root`` holds a journal (an interrupted write); one ``lstat``."""
    return os.path.lexists(root / JOURNAL)


@dataclass(frozen=True)
class _Journal:
    token: str | None  # None: not even the first line is whole
    undo: bool
    entries: tuple[Entry, ...]
    complete: bool


def _parse(data: bytes, may_write: Callable[[str], bool]) -> _Journal:
    """The journal's whole lines. It is complete when it has the end line whose count and
    hash cover the lines before it (only a journal written to its end has one)."""
    records: list[dict[str, Any]] = []
    start, complete = 0, False
    while (stop := data.find(b"\n", start)) >= 0:
        try:
            record = json.loads(data[start:stop])
        except (ValueError, RecursionError):  # not JSON, or nested deeper than any of ours
            break
        if not isinstance(record, dict):
            break
        if "end" in record:
            counted = record.get("end") == len(records) - 1
            complete = counted and record.get("sha256") == sha256_of(data[:start])
            break
        records.append(record)
        start = stop + 1
    header = records[0] if records else {}
    token = header.get("token") if header.get("journal") == "revcli" else None
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return _Journal(None, False, (), False)
    if complete and header.get("version") != VERSION:
        raise RevcliError(
            f"it was written by another version of revcli (format {header.get('version')!r}; "
            f"this one reads {VERSION}): complete the import with that version"
        )
    entries = tuple(e for e in (_entry(r, token, may_write) for r in records[1:]) if e is not None)
    if complete and len(entries) != len(records) - 1:
        raise RevcliError(
            "it names a file that an import does not write (one outside the data dir, or "
            "under a folder such as .git) or no temporary file of this import's, so revcli "
            "did not write it: delete it"
        )
    return _Journal(token, header.get("undo") is True, entries, complete)


def _entry(record: dict[str, Any], token: str, may_write: Callable[[str], bool]) -> Entry | None:
    """An entry for a file the writer may write (``may_write`` of its path relative to the
    journal's folder) whose temporary file is one of this write's (``token`` in its name)
    beside it; else ``None``."""
    target, temp, digest = record.get("target"), record.get("temp"), record.get("sha256")
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    path = _relative(target)
    if path is None or not may_write(path.as_posix()):
        return None
    if temp is None:
        return Entry(path.as_posix(), None, digest)
    tmp = _relative(temp)
    if tmp is None or tmp.parent != path.parent:
        return None
    if not (tmp.name.startswith(f".{path.name}.{token}.") and tmp.name.endswith(".tmp")):
        return None
    return Entry(path.as_posix(), tmp.as_posix(), digest)


def _relative(value: object) -> PurePosixPath | None:
    """A relative path that stays inside its folder, as text a file name can hold."""
    if not isinstance(value, str) or not value or "\\" in value or "\0" in value:
        return None
    try:
        value.encode("utf-8")  # a lone surrogate (``\\ud800`` in JSON) names no file
    except UnicodeEncodeError:
        return None
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    return path


def _real_folders(root: Path, journal: _Journal) -> Path | None:
    """The first folder between ``root`` and an entry's file that is a symbolic link (or
    no folder): renaming or removing through it would reach beyond the data dir. ``None``
    when every folder on the way is a real one (or missing: nothing is there to touch)."""
    for e in journal.entries:
        folder = root
        for part in PurePosixPath(e.target).parent.parts:
            folder = folder / part
            try:
                info = folder.lstat()
            except FileNotFoundError:
                break
            if not stat.S_ISDIR(info.st_mode):
                return folder
    return None


def _read_journal(path: Path) -> bytes:
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise RevcliError(f"it is {file_kind(info.st_mode)}, expected a file: delete it")
        if info.st_size > MAX_JOURNAL_BYTES:
            raise RevcliError("it is larger than any journal revcli writes: delete it")
        return path.read_bytes()
    except OSError as exc:
        raise RevcliError(f"it cannot be read: {exc.strerror or exc}") from None


def _digest(path: Path) -> str | None:
    """The SHA-256 of a regular file (not followed through a symlink), or ``None``; read in
    pieces, whatever its size."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        with path.open("rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def _unexplained(root: Path, journal: _Journal) -> Path | None:
    """The first file that is in neither state the journal allows (its new bytes in its
    temporary file or in place; for a file to remove: gone or as written); ``None`` when
    every file is."""
    for e in journal.entries:
        target = root / e.target
        if e.temp is not None and os.path.lexists(root / e.temp):
            if _digest(root / e.temp) != e.sha256:
                return root / e.temp
            continue
        now = _digest(target)
        if now == e.sha256 or (e.temp is None and not os.path.lexists(target)):
            continue
        return target
    return None


def recover(root: Path, may_write: Callable[[str], bool]) -> Recovered | None:
    """Complete the write whose journal is in ``root`` (see :mod:`revcli.output.journal`), or
    clear a journal cut short; ``None`` when there is none. The caller holds the lock under
    which such writes run (the data dir's).

    ``may_write`` tells, of a path relative to ``root`` (with ``/``), whether the writer
    writes such a file: a journal that names any other (one that came with a git clone
    and names ``.git/HEAD``, say) is refused, as is one whose files lie under a folder that
    is a symbolic link.

    Raises :class:`RevcliError` naming the data dir and the file when it cannot: a file
    changed since (nothing is done), or the system refuses (a data dir it cannot write).
    """
    path = root / JOURNAL
    if not os.path.lexists(path):
        return None
    where = f"{root}: an import was interrupted before all its files were in place"
    try:
        journal = _parse(_read_journal(path), may_write)
    except RevcliError as exc:
        raise RevcliError(f"{where}, and its journal {path} cannot be used: {exc}") from None
    linked = _real_folders(root, journal)
    if linked is not None:
        raise RevcliError(
            f"{where}, and its journal {path} cannot be used: it names a file under "
            f"{linked}, which is not a folder of the data dir (a symbolic link?): delete it"
        )
    target = path
    try:
        if not journal.complete:
            if journal.token is not None:
                sweep(root, journal.token)
            path.unlink()
            fsync_folder(root)
            return Recovered(root, "cleared", ())
        try:
            stray = _unexplained(root, journal)
        except OSError as exc:
            raise RevcliError(
                f"{where}; completing it failed: cannot read {exc.filename}: {exc.strerror or exc}"
            ) from None
        if stray is not None:
            raise RevcliError(
                f"{where}, and {stray} is not the file it wrote (was it changed since?): check "
                f"the data dir's files (restore them from git), then delete {path} and the "
                "temporary files (.NAME.….tmp) it names"
            )
        for e in journal.entries:
            target = root / e.target
            move_entry(root, e)
        for folder in dict.fromkeys((root / e.target).parent for e in journal.entries):
            fsync_folder(folder)
        target = path
        assert journal.token is not None
        sweep(root, journal.token)
        path.unlink()
        fsync_folder(root)
    except OSError as exc:
        raise RevcliError(
            f"{where}; completing it failed: {cannot_write(target, exc)}; run revcli as a "
            f"user who can write {root} to complete it"
        ) from None
    outcome = "put back" if journal.undo else "completed"
    return Recovered(root, outcome, tuple(e.target for e in journal.entries))
