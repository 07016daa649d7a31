"""An append-only, hash-chained log file: durable appends, chain checks, a second copy of its end.

Every line carries a hash computed from the previous line's hash and its own content, so
an edited, removed, inserted or reordered line breaks the chain. Deleting lines at the
end keeps the chain intact; a log kept with a *head* (``HEAD`` beside it) records its
line count and last hash in a second file, so that a shortened log is detected too.
What a line holds and how its hash is computed is the caller's (the invoice register
and the reminder log each keep their format).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from revcli.data.files import UnreadableFile, read_bytes
from revcli.output.files import fsync_folder, write_atomic
from revcli.state.lock import locked

Step = Callable[[str, int], None]
"""Called after each durable step of a write with its name and count (``"document", 3``):
tests pass one in to kill or slow a run at an exact point; revcli itself passes none."""


@dataclass(frozen=True)
class Link:
    """One line of a chain as read: the hash it carries, the hash its content gives, and
    the previous hash it names (``None`` when the line names none: its hash covers it)."""

    line: int
    own: str
    computed: str
    prev: str | None = None


@dataclass(frozen=True)
class Broken:
    """A break in the chain at ``line``: ``altered`` when its own hash is wrong (it was
    edited), else the previous hash it names is not the line before's (a line was
    removed, added or moved). A line can have both."""

    line: int
    altered: bool


def verify_chain(links: Iterable[Link | None]) -> Iterator[Broken]:
    """The lines where the chain breaks. A ``None`` stands for an unreadable line: the
    line after it is not checked against it."""
    previous: str | None = ""
    for link in links:
        if link is None:
            previous = None
            continue
        if link.own != link.computed:
            yield Broken(link.line, altered=True)
        if link.prev is not None and previous is not None and link.prev != previous:
            yield Broken(link.line, altered=False)
        previous = link.own


def incomplete_last_line(command: str) -> str:
    """The message for a log whose last line has no newline: a write cut off by a power cut
    or ``kill -9`` (a write that fails is cut back, see :meth:`StateLog.append`). Deleting
    that line is the repair: the write it was part of did not finish, and the run that
    ``command`` starts does again what the line was to record."""
    return (
        "the last line is incomplete (a write was interrupted); delete this line, then run "
        f"`revcli {command}` again"
    )


_MARKER = re.compile(r"^(?:(?:<{7}|\|{7}|>{7})(?: [^\n]*)?|={7})\r?$", re.MULTILINE)
"""A git merge conflict marker as a whole line: ``<<<<<<< ours``, ``||||||| base``,
``=======`` and ``>>>>>>> theirs`` (a label after a space, except for ``=======``)."""


def merge_conflict_line(text: str) -> int | None:
    """The number of the first line of ``text`` that is a git merge conflict marker, else
    ``None`` (one scan of the text, however long the log). No line revcli writes into its
    state begins so: a record is a JSON object, a log line a timestamp, HEAD a count."""
    found = _MARKER.search(text)
    return None if found is None else text.count("\n", 0, found.start()) + 1


@dataclass(frozen=True)
class Head:
    """The count of lines and the last hash of a log, as its ``HEAD`` file records them."""

    count: int
    last: str

    def text(self) -> str:
        return f"{self.count} {self.last}\n"

    @staticmethod
    def parse(text: str) -> Head | None:
        count, _, last = text.strip().partition(" ")
        if not count.isascii() or not count.isdigit() or not last:
            return None
        return Head(int(count), last)


@dataclass(frozen=True)
class UnreadableHead:
    """A head file that is not read: a FIFO, a device, a symlink loop; ``reason`` says what
    it is (``is a named pipe (FIFO), expected a file``), as for any other file."""

    reason: str


class StateLog:
    """One append-only log file, its lock and (optionally) its head file.

    ``lock`` is what runs lock (a folder, or a file created on first use); ``head``
    names the file that repeats the log's end, or ``None`` for a log kept without one.
    """

    def __init__(self, path: Path, lock: Path, head: Path | None = None) -> None:
        self.path = path
        self.lock = lock
        self.head_path = head

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[float]:
        """Hold the log's lock for writing; yields when it was taken."""
        with locked(self.lock) as since:
            yield since

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the lock for reading, when it exists (a reader creates nothing), so that a
        run writing right now is not seen half-way through a write."""
        if not self.lock.exists():
            yield
            return
        with locked(self.lock, shared=True):
            yield

    def append(self, text: str) -> None:
        """Append ``text`` (whole lines) and flush it to disk, then the folder when the
        file was created (so the new name survives a power cut too).

        All or nothing: when a write fails part-way (a full disk) or is interrupted (Ctrl-C,
        SIGTERM), the file is cut back to its old length, so it never ends in half a line.
        The system's refusal is raised as an :class:`OSError` naming the file; when even
        cutting back fails, its reason says so and how to repair the log.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror or str(exc), str(self.path)) from None
        try:
            size = os.fstat(fd).st_size
            try:
                data = memoryview(text.encode("utf-8"))
                while data:
                    data = data[os.write(fd, data) :]
                os.fsync(fd)
            except BaseException as exc:
                reason = self._cut_back(fd, size)
                if not isinstance(exc, OSError):
                    if reason:  # interrupted, and the log keeps part of a line
                        raise OSError(0, reason, str(self.path)) from exc
                    raise
                why = exc.strerror or str(exc)
                raise OSError(
                    exc.errno, f"{why}; {reason}" if reason else why, str(self.path)
                ) from None
        finally:
            os.close(fd)
        if new:
            fsync_folder(self.path.parent)

    @staticmethod
    def _cut_back(fd: int, size: int) -> str:
        """Truncate the file ``fd`` to ``size`` bytes, durably; ``""`` when that worked,
        else what the user must do."""
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        except OSError as exc:
            return (
                f"cutting it back to its last whole line failed too ({exc.strerror or exc}): "
                "delete its incomplete last line, then run the command again"
            )
        return ""

    # --- the head ---------------------------------------------------------------------------

    def read_head(self) -> Head | UnreadableHead | str | None:
        """The recorded head; ``None`` when there is none (a log written before heads
        existed), the file's text when it is not a head, :class:`UnreadableHead` when it
        is no file that can be read."""
        if self.head_path is None or not os.path.lexists(self.head_path):
            return None
        try:
            text = read_bytes(self.head_path).decode("utf-8", errors="replace")
        except UnreadableFile as exc:  # a FIFO or a device is refused, not waited on
            return UnreadableHead(str(exc))
        return Head.parse(text) or text

    def write_head(self, head: Head) -> None:
        """Record the log's end, atomically (a crash keeps the previous head, which the
        longer log still extends)."""
        if self.head_path is not None:
            write_atomic(self.head_path, head.text())

    # --- leftovers ---------------------------------------------------------------------------

    def remove_stale_temporaries(self, since: float) -> None:
        """Delete the temporary files of atomic writes in the log's folder older than
        ``since`` (the moment the lock was taken): runs write only under the lock, so
        such a file was left by a run that was killed."""
        remove_stale_temporaries(self.path.parent, since)


def remove_stale_temporaries(folder: Path, since: float, name: str = "*") -> None:
    """Delete the temporary files of atomic writes of ``name`` (``.NAME.xxxx.tmp``; any
    file by default) in ``folder`` older than ``since``, the moment the lock under which
    such files are written was taken: a run that was killed left them."""
    if not folder.is_dir():
        return
    for path in folder.glob(f".{glob.escape(name)}.*.tmp" if name != "*" else ".*.tmp"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < since:
                path.unlink()
