"""Atomic file writes: a crash never leaves a half-written report or register."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from revcli.errors import RevcliError


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it over.

    The file gets the permissions any new file of the user gets (``0666`` less the
    umask), not the ``0600`` of a temporary file. Raises :class:`RevcliError` naming the
    path when the system refuses (no permission, a file where a folder belongs, a full
    disk); nothing is left behind.
    """
    try:
        _write(path, data)
    except OSError as exc:
        raise RevcliError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        Path(tmp).chmod(0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
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
