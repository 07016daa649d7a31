"""Atomic file writes: a crash never leaves a half-written report or register."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from revcli.errors import RevcliError


def write_atomic(path: Path, data: str | bytes, *, stream: bool = False) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it over.

    A symlink is written through: the file it points to is replaced, the link stays. The
    file gets the permissions any new file of the user gets (``0666`` less the umask),
    not the ``0600`` of a temporary file. With ``stream`` (a report's ``--out``), a
    target that exists and is no regular file (``/dev/null``, ``/dev/stdout``, a named
    pipe, a shell's ``>(…)``) is written into as it is; otherwise such a target is
    refused, as a folder always is. Raises :class:`RevcliError` naming the path when
    the system refuses (no permission, a file where a folder belongs, a full disk);
    nothing is left behind.
    """
    try:
        kind = _special(path)
        if kind is not None:
            if not stream or kind == "a directory":
                raise RevcliError(f"cannot write {path}: it is {kind}, expected a file")
            with path.open("wb") as handle:
                handle.write(_bytes(data))
            return
        if path.is_symlink():
            path = Path(os.path.realpath(path))
        blocked = _file_in_the_way(path.parent)
        if blocked is not None:
            raise RevcliError(f"cannot write {path}: {blocked} is a file, not a folder")
        _write(path, data)
    except OSError as exc:
        raise RevcliError(f"cannot write {path}: {exc.strerror or exc}") from None


def _special(path: Path) -> str | None:
    """What ``path`` is when it exists (symlinks followed) and is no regular file."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # absent (or a broken link): written as a new file
    return None if stat.S_ISREG(mode) else file_kind(mode)


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """How a message names a file of ``mode`` that is no regular file."""
    return next((text for test, text in _KINDS if test(mode)), "not a regular file")


def _file_in_the_way(folder: Path) -> Path | None:
    """The first ancestor of ``folder`` (itself included) that exists as a non-folder."""
    for part in (*reversed(folder.parents), folder):
        if part.exists() and not part.is_dir():
            return part
    return None


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        Path(tmp).chmod(0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(_bytes(data))
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
