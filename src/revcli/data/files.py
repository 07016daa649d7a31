"""Reading user files safely: regular files only, never more than a size limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from revcli.output.files import file_kind

MAX_FILE_BYTES = 1024 * 1024 * 1024
"""Largest data file, template, register or log revcli reads (1 GiB): enough for about
18 million contract lines (the benchmark's 10M lines are a 550 MB file), and a bound on
what a hostile file can make revcli hold."""


class UnreadableFile(Exception):
    """A file revcli refuses to read; ``str()`` says why, without the path."""


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``, which must be a regular file (after following symlinks) of
    at most ``limit`` bytes.

    Checks the file type before opening, so a FIFO, a device such as ``/dev/zero`` or a
    symlink that points to itself is refused instead of hanging or filling memory.
    Raises :class:`UnreadableFile` with a message for the user.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise UnreadableFile(f"cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"is {file_kind(info.st_mode)}, expected a file")
    if info.st_size > limit:
        raise UnreadableFile(_too_large(limit))
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO after the check, open does not wait.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UnreadableFile(f"cannot be read: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise UnreadableFile("is not a regular file")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UnreadableFile(f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise UnreadableFile(_too_large(limit))
    return data


def _too_large(limit: int) -> str:
    return f"is larger than {limit // (1024 * 1024)} MiB, the most revcli reads from one file"
