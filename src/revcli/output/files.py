"""Atomic file writes: a crash never leaves a half-written report or register (several
files written all or nothing: :mod:`revcli.output.together`)."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

from revcli.errors import RevcliError


def write_atomic(path: Path, data: str | bytes, *, stream: bool = False) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename it over.

    A symlink at ``path`` is replaced, never followed: a link committed to a data repo
    (``reports/mrr.csv`` → ``/etc/passwd``) cannot make a CI job overwrite what it points
    to. The file gets the permissions any new file of the user gets (``0666`` less the
    umask), not the ``0600`` of a temporary file. With ``stream`` (a report's ``--out``),
    a pipe or terminal is written into as it is: a named pipe, ``/dev/null``, a terminal,
    and any path under ``/dev/`` or ``/proc/`` (``/dev/stdout``, a shell's ``>(…)``),
    which is never replaced (see :func:`_write_stream`). Any other target that is no
    regular file is refused.
    Raises :class:`RevcliError` naming the path when the system refuses (no permission,
    a file where a folder belongs, a full disk); nothing is left behind.
    """
    try:
        kind = _special(path)
        if stream and kind != "a directory" and _is_stream(path, kind):
            _write_stream(path, kind, _bytes(data))
            return
        if kind is not None:
            raise RevcliError(f"cannot write {path}: it is {kind}, expected a file")
        _write(path, data)
    except OSError as exc:
        raise RevcliError(cannot_write(path, exc)) from None


def cannot_write(path: Path, exc: OSError) -> str:
    """``cannot write PATH: reason``; a file that stands where a folder of ``path`` is
    needed is named (the system only says "File exists" or "Not a directory")."""
    blocked = _file_in_the_way(path.parent)
    if blocked is not None:
        return f"cannot write {path}: {blocked} is a file, not a folder"
    dangling = broken_link(path.parent)
    if dangling is not None:
        return f"cannot write {path}: {dangling}"
    return f"cannot write {path}: {exc.strerror or exc}"


def broken_link(folder: Path) -> str | None:
    """``LINK is a symbolic link to TARGET, which does not exist`` for the first of
    ``folder``'s ancestors (itself included) that is a link to nothing, else ``None``.
    Such a link is never followed to make its target (a file output's own link is
    replaced, not followed, for the same reason), and the system only says "File
    exists" when a folder is to be made there."""
    for part in (*reversed(folder.parents), folder):
        try:
            part.stat()
        except FileNotFoundError:
            if part.is_symlink():
                return f"{part} is a symbolic link to {part.readlink()}, which does not exist"
            return None  # absent: made as a new folder
        except OSError:  # a loop of links, a file in the way: reported by the caller
            return None
    return None


_STREAM_FOLDERS = ("/dev/", "/proc/")
_TERMINALS = ("/dev/null", "/dev/tty", "/dev/pts/", "/dev/console")


def _is_stream(path: Path, kind: str | None) -> bool:
    """Whether ``--out`` writes into ``path`` as it is: a named pipe, a terminal or
    ``/dev/null`` (also through a symlink), or a path named under ``/dev/`` or ``/proc/``."""
    if str(path.absolute()).startswith(_STREAM_FOLDERS):
        return kind != "a block device"
    if kind == "a named pipe (FIFO)":
        return True
    return kind == "a character device" and os.path.realpath(path).startswith(_TERMINALS)


def _write_stream(path: Path, kind: str | None, data: bytes) -> None:
    """Write ``data`` into ``path`` as it is, never replacing or truncating it.

    A path that names one of this process's own open descriptors (``/dev/stdout``,
    ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``, or a symlink to one) is written
    through that descriptor itself: it shares the offset the shell gave it, so
    ``>> log`` appends and ``{ echo A; revcli …; echo B; } > log`` keeps the order
    (opening the file again would truncate it and write from its start). Any other
    device or pipe is opened for writing without truncation; a regular file under
    ``/dev/`` or ``/proc/`` (``/dev/shm/x.csv``) gets exactly ``data``.
    """
    fd = own_descriptor(path)
    if fd is not None:
        for stream in (sys.stdout, sys.stderr):  # what Python still buffers goes first
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
        _write_all(fd, data)
        return
    flags = os.O_WRONLY | (os.O_CREAT | os.O_TRUNC if kind is None else 0)
    fd = os.open(path, flags, 0o666)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def own_descriptor(path: Path) -> int | None:
    """The descriptor of this process that ``path`` names, when it names one that is open.

    Symlinks are followed one at a time until the path is ``/proc/PID/fd/N`` (or
    ``/proc/PID/task/TID/fd/N``) of this process: ``/dev/stdout`` → ``/proc/self/fd/1``,
    ``/dev/fd/63`` → ``/proc/PID/fd/63``. Following the last link of such a path would
    give the file the descriptor has open, not the descriptor."""
    own = re.compile(rf"/proc/{os.getpid()}(?:/task/[0-9]+)?/fd")
    text = path.absolute()
    for _ in range(40):  # the kernel's own limit on links in a path
        folder, name = text.parent.resolve(), text.name
        if name.isascii() and name.isdigit() and own.fullmatch(str(folder)):
            fd = int(name)
            try:
                os.fstat(fd)
            except OSError:
                return None
            return fd
        try:
            target = (folder / name).readlink()
        except OSError:  # no symlink (or none there): a path of its own
            return None
        text = Path(os.path.normpath(folder / target))
    return None


def _special(path: Path) -> str | None:
    """What ``path`` is when it exists (symlinks followed) and is no regular file."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None  # absent (or a broken link): written as a new file, or its path named
    # Any other error (a symlink that points to itself) is the caller's to report.
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
    temp_beside(path, data).replace(path)


def temp_beside(path: Path, data: str | bytes, tag: str = "") -> Path:
    """``data`` in a new temporary file in ``path``'s folder (``.NAME.xxxx.tmp``, or with
    ``tag`` ``.NAME.TAG.xxxx.tmp``), fsynced: ready to be renamed over ``path``. Nothing is
    left behind when writing it fails."""
    prefix = f".{path.name}.{tag}." if tag else f".{path.name}."
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        Path(tmp).chmod(0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(_bytes(data))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise
    return Path(tmp)


def make_folders(folder: Path, made: list[Path] | None = None) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones this call created, outermost
    first, appended to ``made`` as they are made (so that a failure half-way still leaves
    the caller the list to undo). One another process made meanwhile is left to it."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    made = [] if made is None else made
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir()
            made.append(path)
    return made


def fsync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (best effort: not every system can)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
