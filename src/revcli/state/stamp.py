"""A stamp of verified state, so that a state that has not changed is not verified again.

Checking the invoice register on every run parses every record and hashes every issued
document (about 0.5 ms a record). When that check finds the state clean, the caller
records a *fingerprint* of exactly what it read: the SHA-256 of the files read whole
(the register and its HEAD) and, for every document the register names, its name, size,
modification and change times (in ns) and inode. A later run takes the same fingerprint
(reading the two files and one ``stat`` per document) and, when it matches the stamp in
full, knows the state is the one verified. Anything else — no stamp, a stamp that cannot
be read, of another revcli version or stamp format, any difference — calls for the full
check.

The change time (``st_ctime``) is set by the system on every write, rename or ``utime``,
so a document edited with its mtime put back still differs. A file changed during the
check, or in the same tick of a coarse file-system clock as the stamp is taken, could
keep its times; so, as git does for its index, a stamp is only written when every file
it covers was last modified and changed ``RACY_SECONDS`` before the check began (the
next run checks in full and stamps then). On Windows ``st_ctime`` is the creation time,
which an edit leaves alone: no stamp is kept there.

Stamps live in the user's cache folder (``$XDG_CACHE_HOME/revcli``, else
``~/.cache/revcli``), one small file per data dir named by a hash of its resolved path;
never in the data dir, which is a git repository and may be read-only. A stamp that
cannot be read or written is no stamp: a run never fails because of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from revcli import __version__
from revcli.data.files import UnreadableFile, read_bytes
from revcli.errors import RevcliError
from revcli.output.files import write_atomic

FORMAT = 1
"""The stamp file's format; a stamp of another format is ignored."""

RACY_SECONDS = 2.0
"""How long before a check began a file must have been last modified and changed for a
stamp to cover it (file systems with 2-second clocks exist)."""

STALE_DAYS = 90
"""A stamp not written for this long is removed when another stamp is written, so that the
cache does not keep a file for every data dir ever checked; its data dir, if it is still
used, is checked in full once more and stamped again."""

MAX_STAMP_BYTES = 16 * 1024 * 1024
"""The largest stamp read (a register of ~800,000 documents); a larger file is no stamp."""


@dataclass(frozen=True)
class Fingerprint:
    """What a clean check read: the SHA-256 of each file read whole (``None`` for one that
    does not exist), the names of the documents, and one SHA-256 of their ``stat``."""

    hashes: tuple[str | None, ...]
    names: tuple[str, ...]
    stats: str


def cache_folder() -> Path | None:
    """``$XDG_CACHE_HOME/revcli`` (an absolute path, as the XDG spec wants), else
    ``~/.cache/revcli``; ``None`` when there is no home folder to put it in."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if base and Path(base).is_absolute():
        return Path(base) / "revcli"
    try:
        home = Path.home()
    except (RuntimeError, KeyError, OSError):  # no HOME, and no password entry
        return None
    if not home.is_absolute() or home == Path(home.anchor):  # HOME="" reads as "/"
        return None
    return home / ".cache" / "revcli"


def file_hashes(files: Sequence[Path]) -> tuple[str | None, ...] | None:
    """The SHA-256 of each of ``files`` (``None`` for one that does not exist); ``None``
    when one exists but cannot be read (a broken link, a FIFO: the full check says why)."""
    out: list[str | None] = []
    for path in files:
        if not os.path.lexists(path):
            out.append(None)
            continue
        try:
            out.append(hashlib.sha256(read_bytes(path)).hexdigest())
        except UnreadableFile:
            return None
    return tuple(out)


def _stats(folder: Path, names: Iterable[str]) -> list[os.stat_result] | None:
    # One os.stat per document on a text path: half the time of Path.stat, which builds
    # a Path for each (20,000 documents: 0.13 s against 0.25 s and more).
    prefix = f"{os.fspath(folder)}{os.sep}"
    try:
        return [os.stat(prefix + name) for name in names]  # noqa: PTH116
    except (OSError, ValueError):  # gone, or a name the system refuses
        return None


def _digest(names: Sequence[str], stats: Sequence[os.stat_result]) -> str:
    text = "".join(
        f"{name}\0{s.st_size}\0{s.st_mtime_ns}\0{s.st_ctime_ns}\0{s.st_ino}\n"
        for name, s in zip(names, stats, strict=True)
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def stats_digest(folder: Path, names: Sequence[str]) -> str | None:
    """One SHA-256 of ``(name, size, st_mtime_ns, st_ctime_ns, st_ino)`` of each document
    ``names`` in ``folder``, in order; ``None`` when one of them cannot be found."""
    stats = _stats(folder, names)
    return None if stats is None else _digest(names, stats)


def _settled(stats: Iterable[os.stat_result], began: float) -> bool:
    """Whether every file was last modified and changed well before ``began``: then
    nothing changed it while it was checked, whatever the file system's clock tick."""
    limit = int((began - RACY_SECONDS) * 1e9)
    return all(s.st_mtime_ns < limit and s.st_ctime_ns < limit for s in stats)


def _is_name(value: object) -> bool:
    """A document name as the register's check accepts it (a stamp is written only then)."""
    return (
        isinstance(value, str)
        and bool(value)
        and not value.startswith(".")
        and "/" not in value
        and "\0" not in value
    )


def _places(key: str, folder: Path) -> tuple[tuple[int, int, int], ...] | None:
    """Which data dir and which folder of documents a path leads to now: the device,
    inode and change time of each (a folder's change time moves when a file is renamed
    into or out of it); ``None`` when one cannot be found, or the data dir's path now
    resolves elsewhere."""
    try:
        if str(Path(key).resolve(strict=True)) != key:
            return None
        found = (os.stat(key), folder.stat())  # noqa: PTH116
    except (OSError, RuntimeError):
        return None
    return tuple((s.st_dev, s.st_ino, s.st_ctime_ns) for s in found)


def _own_file(path: Path) -> bool:
    """Whether ``path`` is a regular file of this user that no one else may write: a stamp
    in a shared cache folder (``XDG_CACHE_HOME=/tmp/cache``) that another user could
    replace is no stamp."""
    try:
        info = path.lstat()
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISREG(info.st_mode) and mine and not info.st_mode & 0o022


_STAMP_NAME = re.compile(r"[0-9a-f]{32}\.json")
"""The name :meth:`Stamp.of` gives a stamp: 32 lower-case hex digits of a SHA-256."""

_STAMP_START = b'{"format":'
"""How every stamp :meth:`Stamp.save` writes begins."""


def prune(cache: Path, keep: Path, now: float) -> None:
    """Remove the stamps in ``cache`` that were last written :data:`STALE_DAYS` or more
    before ``now``, except ``keep``. A stamp is a regular file of this user, named as
    :meth:`Stamp.of` names one and beginning as :meth:`Stamp.save` writes one; nothing else
    is touched. The folder is opened once, not followed when it is a symbolic link, and
    every file is looked at and removed through that open folder, so that no rename of a
    folder meanwhile can point the removal elsewhere. Anything that cannot be removed is
    left."""
    if sys.platform == "win32":  # no stamps are kept there
        return
    oldest = now - STALE_DAYS * 86400
    try:
        folder = os.open(cache, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        listed = os.listdir(folder)  # noqa: PTH208 - through the open folder, not a path
        names = [n for n in listed if n != keep.name and _STAMP_NAME.fullmatch(n)]
        for name in names:
            with contextlib.suppress(OSError):
                if _stale_stamp(folder, name, oldest):
                    os.unlink(name, dir_fd=folder)
    finally:
        os.close(folder)


def _stale_stamp(folder: int, name: str, oldest: float) -> bool:
    """Whether ``name`` in the open ``folder`` is a stamp of this user not written since
    ``oldest``."""
    handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            return False
        return info.st_mtime < oldest and os.read(handle, len(_STAMP_START)) == _STAMP_START
    finally:
        os.close(handle)


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64


class Stamp:
    """The stamp of one data dir: ``files`` read whole and the documents of ``folder``.

    :meth:`unchanged` first (it reads the files and remembers when it began), then, when
    it says no and the full check finds the state clean, :meth:`record` with the names of
    the documents the check verified.
    """

    def __init__(self, path: Path, key: str, files: tuple[Path, ...], folder: Path) -> None:
        self.path = path
        self.key = key
        self.files = files
        self.folder = folder
        self.began = 0.0
        self.hashes: tuple[str | None, ...] | None = None
        self.places: tuple[tuple[int, int, int], ...] | None = None

    @classmethod
    def of(cls, root: Path, files: Sequence[Path], folder: Path) -> Stamp | None:
        """The stamp of the data dir ``root``; ``None`` where none is kept (no cache folder,
        a path that does not resolve, Windows)."""
        if sys.platform == "win32":  # st_ctime is the creation time there
            return None
        cache = cache_folder()
        if cache is None:
            return None
        try:
            key = str(root.resolve(strict=True))
        except (OSError, RuntimeError):
            return None
        name = hashlib.sha256(os.fsencode(key)).hexdigest()[:32]
        return cls(cache / f"{name}.json", key, tuple(files), folder)

    def unchanged(self) -> bool:
        """Whether the files and documents are exactly as the stamp records them."""
        self.began = time.time()
        self.places = _places(self.key, self.folder)
        self.hashes = file_hashes(self.files)
        if self.hashes is None:
            return False
        known = self.load()
        if known is None or known.hashes != self.hashes:
            return False
        return stats_digest(self.folder, known.names) == known.stats

    def record(self, names: Iterable[str]) -> None:
        """Stamp the state just checked and found clean, with its documents ``names``; not
        when a file changed since :meth:`unchanged` read it began, or too shortly before."""
        if self.hashes is None or self.places is None:
            return
        # What the check read must be what is stamped: the data dir and the folder of the
        # documents are the same ones (not swapped for others by a rename or a symbolic
        # link meanwhile, which leaves the files' own times alone) and the files read
        # whole hold the same bytes.
        if _places(self.key, self.folder) != self.places or file_hashes(self.files) != self.hashes:
            return
        files = self._file_stats(self.hashes)
        if files is None or not _settled(files, self.began):  # just written: names not read
            return
        documents = tuple(names)
        stats = _stats(self.folder, documents)
        if stats is None or not _settled(stats, self.began):
            return
        self.save(Fingerprint(self.hashes, documents, _digest(documents, stats)))

    def _file_stats(self, hashes: tuple[str | None, ...]) -> list[os.stat_result] | None:
        """The ``stat`` of each file read whole; ``None`` when one appeared or went away
        since it was read, or cannot be found."""
        out = []
        for path, digest in zip(self.files, hashes, strict=True):
            try:
                info = path.stat()
            except OSError:
                if digest is not None or os.path.lexists(path):
                    return None
                continue
            if digest is None:
                return None
            out.append(info)
        return out

    def load(self) -> Fingerprint | None:
        """The fingerprint the stamp holds; ``None`` when there is none, or it cannot be
        read, or it is not a stamp of this format, revcli version and data dir."""
        if not _own_file(self.path):
            return None
        try:
            data: Any = json.loads(read_bytes(self.path, MAX_STAMP_BYTES))
        except (UnreadableFile, ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or not self._ours(data):
            return None
        hashes, names, stats = data.get("hashes"), data.get("names"), data.get("stats")
        if not isinstance(hashes, list) or len(hashes) != len(self.files):
            return None
        if not all(h is None or _is_hash(h) for h in hashes):
            return None
        if not isinstance(names, list) or not all(_is_name(n) for n in names):
            return None
        if not isinstance(stats, str) or not _is_hash(stats):
            return None
        return Fingerprint(tuple(hashes), tuple(names), stats)

    def _ours(self, data: dict[str, Any]) -> bool:
        """Whether ``data`` is a stamp of this format, revcli version and data dir."""
        version = data.get("format")
        return (
            type(version) is int
            and version == FORMAT
            and data.get("revcli") == __version__
            and data.get("data") == self.key
        )

    def save(self, fingerprint: Fingerprint) -> None:
        """Write the stamp atomically; silently not at all when the cache folder refuses."""
        text = json.dumps(
            {
                "format": FORMAT,
                "revcli": __version__,
                "data": self.key,
                "hashes": list(fingerprint.hashes),
                "names": list(fingerprint.names),
                "stats": fingerprint.stats,
            },
            separators=(",", ":"),
        )
        if len(text) > MAX_STAMP_BYTES:
            return
        with contextlib.suppress(OSError, RevcliError):
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomic(self.path, text + "\n")
            self.path.chmod(0o600)  # it names the data dir and its documents
        prune(self.path.parent, self.path, time.time())
