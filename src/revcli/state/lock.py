"""Locks that serialise revcli runs on one data dir.

Where the system has ``fcntl`` (Linux, macOS) a lock is an advisory ``flock`` on a file
or folder, released by the kernel when the process dies. Elsewhere (Windows) the lock is
a file created with ``O_CREAT | O_EXCL`` beside the target and removed on release; a run
that finds it waits, and after ``timeout`` seconds stops with a message naming the file
(a killed run leaves it behind, and only a person can tell that no run is active).
Either way a run that has to wait says so on stderr first, so that it never hangs silently.

A ``flock`` belongs to the open file description, which a forked child shares: a child
that outlived its parent would hold the lock for ever. :func:`close_inherited` is what a
forked worker calls first (:mod:`revcli.billing.parallel`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from revcli.errors import RevcliError
from revcli.visible import message_text


def _system_flock() -> Callable[[int, int], None] | None:
    try:
        import fcntl
    except ImportError:  # Windows
        return None
    return fcntl.flock


FLOCK = _system_flock()
"""``fcntl.flock``, or ``None`` where the system has no ``fcntl`` (then lock files)."""

WAIT_SECONDS = 60.0
"""How long a run waits for an exclusive lock file before giving up."""


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
"""Opening never waits: a lock file swapped for a FIFO would block the open forever."""

_HELD: dict[int, tuple[int, int]] = {}
"""The descriptors of the ``flock`` locks this process holds (or is waiting for), each with
the device and inode of what it locks."""


def close_inherited() -> None:
    """Close, in a child just forked, its copies of the descriptors of the parent's locks.

    The child then never holds them: the lock lives as long as any copy of its
    descriptor, so a child that outlived its killed parent would keep it for ever. Closing
    the child's copies leaves the parent's lock held (only unlocking would release it).
    """
    for fd in sorted(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


def say_waiting(target: Path) -> None:
    """Tell the person at the terminal why the run stops: another run holds ``target``."""
    line = message_text(f"waiting for another revcli run to release {target} …")
    print(line, file=sys.stderr, flush=True)


def _refuse_special(target: Path) -> None:
    """A lock file that exists but is no regular file (a FIFO, a device) is an error."""
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:  # a symlink loop
        raise RevcliError(f"{target}: cannot be opened: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise RevcliError(f"{target}: is not a regular file; delete it (revcli makes a new one)")


def fallback_path(target: Path) -> Path:
    """The lock file used without ``flock``: inside a folder target, beside a file target."""
    if target.is_dir():
        return target / ".revcli-lock"
    return target.with_name(target.name + ".excl")


@contextlib.contextmanager
def locked(
    target: Path,
    *,
    shared: bool = False,
    flock: Callable[[int, int], None] | None = FLOCK,
    timeout: float = WAIT_SECONDS,
    waiting: Callable[[Path], None] = say_waiting,
    folder: bool = False,
) -> Iterator[float]:
    """Hold a lock on ``target`` (a file created if missing, or with ``folder`` a folder
    that must exist) for the block.

    Exclusive by default; ``shared`` lets readers overlap each other but not a writer
    (without ``flock`` every lock is exclusive). When another run holds it, ``waiting``
    is called once before waiting, with the file it waits for (``target``, or the lock
    file). Yields the time the lock was taken (``time.time()``): anything a writer left
    behind before that moment is stale.

    A ``folder`` target is never created: ``FileNotFoundError`` when it is missing (also
    when it was removed while this run waited: the lock would be on a folder no other
    run can find) and :class:`RevcliError` when it is no folder.
    """
    if folder:
        if target.exists() and not target.is_dir():
            raise RevcliError(f"{target}: is not a folder")
    elif not target.is_dir():
        _refuse_special(target)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | _NONBLOCK, 0o644))
    if flock is None:
        with _lock_file(fallback_path(target), timeout, waiting) as since:
            yield since
        return
    import fcntl

    flags = os.O_RDONLY | _NONBLOCK | (getattr(os, "O_DIRECTORY", 0) if folder else 0)
    try:
        fd = os.open(target, flags)
    except NotADirectoryError:  # replaced by a file since the check above
        raise RevcliError(f"{target}: is not a folder") from None
    info = os.fstat(fd)
    _HELD[fd] = (info.st_dev, info.st_ino)  # before it is locked: a fork must not keep it
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting(target)
            flock(fd, mode)
        try:
            if folder and not _still_there(target, info):
                raise FileNotFoundError(target)
            yield time.time()
        finally:
            flock(fd, fcntl.LOCK_UN)
    finally:
        _HELD.pop(fd, None)
        os.close(fd)


def _still_there(target: Path, locked_as: os.stat_result) -> bool:
    """Whether ``target`` is still the folder that was opened and locked."""
    try:
        now = target.stat()
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (locked_as.st_dev, locked_as.st_ino)


MAKE_TRIES = 50
"""How often :func:`made_and_locked` makes a folder that another run keeps removing."""


@contextlib.contextmanager
def made_and_locked(target: Path) -> Iterator[float]:
    """Create the folder ``target`` (and its missing parents) and hold its lock exclusively;
    yields when the lock was taken. The folders this run made are removed again, still
    under the lock, when the block put nothing in them; a run that waited while the run
    before it removed the folder makes it again and locks the new one. Refuses a symbolic
    link to nothing (it would be made again and again, for ever)."""
    from revcli.output.files import make_folders

    if target.is_symlink() and not target.exists():
        raise RevcliError(f"{target}: is a symbolic link to a folder that does not exist")
    for _ in range(MAKE_TRIES):
        made = make_folders(target)
        with contextlib.ExitStack() as stack:
            try:
                since = stack.enter_context(locked(target, folder=True))
            except FileNotFoundError:  # removed by the run before, while this one waited
                continue
            try:
                yield since
            finally:
                for folder in reversed(made):  # still empty: the block wrote nothing
                    with contextlib.suppress(OSError):
                        folder.rmdir()
            return
    raise RevcliError(f"{target}: another program removes this folder as soon as it is made")


def holds(target: Path) -> bool:
    """Whether this process holds (or waits for) a ``flock`` on ``target`` already: a second
    lock on it from another descriptor would wait for the first, that is for ever."""
    try:
        info = target.stat()
    except OSError:
        return False
    return (info.st_dev, info.st_ino) in _HELD.values()


@contextlib.contextmanager
def read_lock(folder: Path) -> Iterator[None]:
    """Hold the lock of the data dir ``folder`` shared while the block reads its files, so
    that an import (which holds it exclusively) never renames them half-way through the
    read; a run that has to wait says so. Nothing is locked, and the block simply runs,
    where the lock cannot be had without writing (no ``flock``: a lock file), where the
    folder does not exist, where this process holds the lock already (an import reading
    the data dir it writes), or where the file system refuses locks."""
    with contextlib.ExitStack() as stack:
        if FLOCK is not None and folder.is_dir() and not holds(folder):
            with contextlib.suppress(OSError, RevcliError):
                stack.enter_context(locked(folder, shared=True, folder=True))
        yield


@contextlib.contextmanager
def _lock_file(path: Path, timeout: float, waiting: Callable[[Path], None]) -> Iterator[float]:
    deadline = time.monotonic() + timeout
    delay = 0.01
    told = False
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            if not told:
                waiting(path)
                told = True
            if time.monotonic() >= deadline:
                raise RevcliError(
                    f"{path}: another revcli run holds this lock; if none is running (a run "
                    "was killed), delete the file"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
        os.close(fd)
        yield time.time()
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
