"""A disk that fills up, injected at the OS boundary of :mod:`revcli.state.log`.

``fill_disk(monkeypatch, room)`` gives that module an ``os`` whose ``write`` stores only
``room`` more bytes (really, into the real file) and then fails with ENOSPC, as a full
file system does: the write that crosses the limit lands in part, the next one raises.
Everything else is the real ``os``. ``truncate_fails`` makes ``ftruncate`` fail too.
"""

from __future__ import annotations

import errno
import os
from typing import Any

import pytest

import revcli.state.log


class FullDisk:
    def __init__(self, room: int, *, truncate_fails: bool = False) -> None:
        self.room = room
        self.truncate_fails = truncate_fails

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def write(self, fd: int, data: bytes | memoryview) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = os.write(fd, bytes(memoryview(data)[: self.room]))
        self.room -= written
        return written

    def ftruncate(self, fd: int, length: int) -> None:
        if self.truncate_fails:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        os.ftruncate(fd, length)


def fill_disk(monkeypatch: pytest.MonkeyPatch, room: int, **options: bool) -> FullDisk:
    """Let the state log write ``room`` more bytes; :func:`free_disk` ends it."""
    disk = FullDisk(room, **options)
    monkeypatch.setattr(revcli.state.log, "os", disk)
    return disk


def free_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revcli.state.log, "os", os)
