"""Several files written all or nothing, across a crash too (:func:`write_together`):
fsynced temporaries, then renames; with a journal (:mod:`revcli.output.journal`) a
process killed between two renames leaves what the next command completes.

An exception, Ctrl-C or SIGTERM between the renames puts the old files back; once the
journal is complete that goes through a journal too (the old bytes in temporary files,
then a journal that names them replaces the first), so a crash while files are put back
is completed the same way.
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from revcli.errors import RevcliError
from revcli.output.files import (
    cannot_write,
    fsync_folder,
    make_folders,
    temp_beside,
)
from revcli.output.journal import (
    Entry,
    apply_entries,
    begin,
    body,
    complete,
    header,
    relative,
    relative_beside,
    sha256_of,
    sweep,
)

Step = Callable[[str, int], None]
"""Called after each durable step with its name and count (``"rename", 1``): tests pass
one in to kill a run at an exact point; revcli itself passes none."""


def write_together(
    files: Mapping[Path, str | bytes],
    *,
    journal: Path | None = None,
    on_step: Step | None = None,
) -> None:
    """Write several files all or nothing: every one is written to a temporary file beside
    it (fsynced) first, and only when all are written are they renamed into place.

    When anything fails, the files already replaced get their old bytes back, files that
    did not exist are removed again, and so are the temporary files and the folders made
    for them; then :class:`RevcliError` names the file and says that nothing was changed.

    With ``journal`` (a path in a folder that holds every file; its format is
    :mod:`revcli.output.journal`'s), a process killed between two renames leaves a journal
    from which :func:`~revcli.output.recovery.recover` completes the write. ``on_step`` is
    called after the journal's first line (``"journal", 1``), each temporary file, the
    whole journal (``"journal", 2``), each rename, and when files are put back after the
    journal was complete, the journal that names their old bytes (``"undo", 1``).
    """
    write = _Together(files, journal, on_step)
    try:
        write.run()
    except BaseException as exc:  # an interrupt too: never leave half an import behind
        with signals_held():  # a second Ctrl-C (or CI's SIGTERM after SIGINT) waits
            failed = write.undo()
        if not isinstance(exc, OSError):
            raise
        current = write.current
        reason = cannot_write(current, exc) if current else f"cannot write: {exc}"
        raise RevcliError(f"{reason}; {failed or 'nothing was changed'}") from None
    write.finish()


class _Together:
    """One :func:`write_together`: what it has done so far, for :meth:`undo`."""

    def __init__(
        self, files: Mapping[Path, str | bytes], journal: Path | None, on_step: Step | None
    ) -> None:
        self.files = files
        self.journal = journal
        self.on_step = on_step
        self.token = secrets.token_hex(8)  # in the name of every temporary file
        self.made: list[Path] = []  # folders this write created, outermost first
        self.temps: dict[Path, Path] = {}
        self.replaced: list[tuple[Path, bytes | None]] = []
        self.current: Path | None = None  # what is being written, for the message
        self.begun = False  # the journal was begun by this write

    def step(self, name: str, count: int) -> None:
        if self.on_step is not None:
            self.on_step(name, count)

    def run(self) -> None:
        for path in self.files:
            self.current = path
            make_folders(path.parent, self.made)
        if self.journal is not None:
            self.current = self.journal
            make_folders(self.journal.parent, self.made)
            begin(self.journal, header(self.token, undo=False))
            self.begun = True
            self.step("journal", 1)
        for count, (path, data) in enumerate(self.files.items(), start=1):
            self.current = path
            self.temps[path] = temp_beside(path, data, self.token)
            self.step("temporary", count)
        if self.journal is not None:
            self.current = self.journal
            for folder in dict.fromkeys(path.parent for path in self.files):
                fsync_folder(folder)  # the temporary files' names are durable too
            complete(self.journal, header(self.token, undo=False), self.entries())
            self.step("journal", 2)
        for count, (path, tmp) in enumerate(self.temps.items(), start=1):
            self.current = path
            # Noted before the rename: an interrupt (SIGTERM) that arrives as the rename
            # returns must still put the old bytes back (doing so before it is harmless).
            self.replaced.append((path, path.read_bytes() if path.is_file() else None))
            try:
                tmp.replace(path)
            except OSError:
                self.replaced.pop()  # refused: nothing was renamed, nothing to put back
                raise
            self.step("rename", count)

    def entries(self) -> list[Entry]:
        assert self.journal is not None
        return [
            Entry(
                relative(self.journal, path),
                relative_beside(self.journal, path, self.temps[path]),
                sha256_of(_bytes(data)),
            )
            for path, data in self.files.items()
        ]

    def undo(self) -> str:
        """Put back what was changed; what could not be put back, or ``""``."""
        if self.journal is not None and self.begun and self.replaced:
            return _undo_journaled(self, self.journal)
        return _undo(self.replaced, self.temps, self.made, self.journal if self.begun else None)

    def finish(self) -> None:
        """Make the renames durable, then remove the journal."""
        for folder in dict.fromkeys(path.parent for path in self.files):
            fsync_folder(folder)
        if self.journal is not None:
            with contextlib.suppress(OSError):  # else the next run finds nothing to do
                self.journal.unlink()
                fsync_folder(self.journal.parent)


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _undo(
    replaced: list[tuple[Path, bytes | None]],
    temps: dict[Path, Path],
    made: list[Path],
    journal: Path | None,
) -> str:
    """Put back what :func:`write_together` changed, before its journal was complete (or
    without one); what it could not put back, or ``""``."""
    failed = []
    if journal is not None:  # removed first: a crash from here on leaves temporary files only
        with contextlib.suppress(OSError):
            journal.unlink(missing_ok=True)
            fsync_folder(journal.parent)
    for path, old in reversed(replaced):
        try:
            if old is None:
                path.unlink(missing_ok=True)
            else:
                temp_beside(path, old).replace(path)
        except OSError as exc:
            failed.append(f"{path} ({exc.strerror or exc})")
    _remove_made(temps, made)
    return f"could not put back {', '.join(failed)}: check them by hand" if failed else ""


def _remove_made(temps: dict[Path, Path], made: list[Path]) -> None:
    for tmp in temps.values():
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _undo_journaled(write: _Together, journal: Path) -> str:
    """Put back the files replaced after the journal was complete, through a journal: the
    old bytes go to temporary files, a journal that names them replaces the first one
    (atomically; then ``on_step("undo", 1)``), then they are renamed into place. A crash
    on the way is completed by :func:`~revcli.output.recovery.recover`. What it could not
    do, or ``""``."""
    root, token = journal.parent, write.token
    entries: list[Entry] = []
    written: list[Path] = []
    try:
        for path, old in reversed(write.replaced):
            if old is None:  # made by this write: removed
                data = _bytes(write.files[path])
                entries.append(Entry(relative(journal, path), None, sha256_of(data)))
            else:
                written.append(temp_beside(path, old, token))
                beside = relative_beside(journal, path, written[-1])
                entries.append(Entry(relative(journal, path), beside, sha256_of(old)))
        for folder in dict.fromkeys(path.parent for path, _ in write.replaced):
            fsync_folder(folder)
        written.append(temp_beside(journal, body(header(token, undo=True), entries), token))
        written[-1].replace(journal)
        fsync_folder(root)
    except OSError as exc:  # the first journal stands: the next run completes the write
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        return (
            f"could not put the old files back ({exc.strerror or exc}); the next revcli "
            f"command that reads {root} completes the import"
        )
    write.step("undo", 1)
    try:
        apply_entries(root, entries)
        sweep(root, token)
        journal.unlink()
        fsync_folder(root)
    except OSError as exc:
        return (
            f"could not put the old files back ({exc.strerror or exc}); the next revcli "
            f"command that reads {root} finishes putting them back"
        )
    for folder in reversed(write.made):
        with contextlib.suppress(OSError):
            folder.rmdir()
    return ""


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while the block runs, so that putting files back is
    never cut short: one that comes meanwhile is noted, and raised once the block is done
    (Python runs signal handlers in the main thread, whichever thread the system picked,
    so the handlers themselves are swapped, not the thread's signal mask)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def later(signum: int, frame: object) -> None:
        pending.append(signum)

    kinds = (signal.SIGINT, signal.SIGTERM)
    saved = {kind: signal.signal(kind, later) for kind in kinds}
    try:
        yield
    finally:
        for kind, handler in saved.items():
            signal.signal(kind, handler)
        if pending:
            signal.raise_signal(pending[0])  # to the handler in place again


# Recovery: what the next run does with a journal it finds.
