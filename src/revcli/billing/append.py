"""Issuing into the invoice register: the register opened under its lock, verified, and
appended to, document first, then record, then HEAD (see :mod:`.register`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from contextlib import ExitStack, suppress
from pathlib import Path

from revcli.billing.contents import Contents, Entry, state_log
from revcli.billing.model import CREDIT_NOTE, INVOICE, Invoice
from revcli.billing.numbering import document_name
from revcli.billing.records import canonical, record_hash, to_record
from revcli.billing.register import issued_keys, read_register
from revcli.billing.verify import check_contents
from revcli.errors import DataError, Issue
from revcli.output.files import write_atomic
from revcli.state.log import Head, Step


class Register:
    """The register of a data dir, opened under an exclusive lock and verified.

    Use as a context manager; while it is open no other revcli process can issue.
    ``on_step`` is called after each document and each record written (tests use it to
    kill a run at an exact point); each document is added to ``recorded`` as soon as its
    record is on disk (so that a run stopped later can say what it issued).
    """

    def __init__(
        self, root: Path, on_step: Step | None = None, recorded: list[Invoice] | None = None
    ) -> None:
        self.root = root
        self.log = state_log(root)
        self.folder = self.log.path.parent
        self.path = self.log.path
        self.contents = Contents(str(self.path))
        self.written = 0
        self.on_step = on_step
        self.recorded = [] if recorded is None else recorded
        self._stack = ExitStack()
        self._owners: dict[str, tuple[str, Entry]] | None = None
        self._stems: dict[str, list[str]] | None = None

    def __enter__(self) -> Register:
        self.folder.mkdir(parents=True, exist_ok=True)
        since = self._stack.enter_context(self.log.exclusive())
        try:
            self.log.remove_stale_temporaries(since)  # left by a run that was killed
            self.contents = read_register(self.root)
            issues = check_contents(self.contents, self.root, orphans=False)
            if issues:
                raise DataError(issues)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()

    @property
    def entries(self) -> list[Entry]:
        return self.contents.entries

    def issued_keys(self) -> set[tuple[str, dt.date]]:
        return issued_keys(self.entries)

    def credit_notes(self) -> dict[str, list[Invoice]]:
        """The credit notes of each invoice (by number), in register order."""
        notes: dict[str, list[Invoice]] = {}
        for e in self.entries:
            if e.invoice.kind == CREDIT_NOTE and e.invoice.credits:
                notes.setdefault(e.invoice.credits, []).append(e.invoice)
        return notes

    def credited_lines(self) -> dict[str, set[str]]:
        """The line ids of each invoice (by number) that credit notes have credited."""
        return {
            number: {line.line_id for note in notes for line in note.lines}
            for number, notes in self.credit_notes().items()
        }

    def fully_credited(self) -> set[str]:
        """The numbers of the invoices whose every line a credit note has credited."""
        credited = self.credited_lines()
        fully = set()
        for e in self.entries:
            number = e.invoice.number or ""
            lines = {line.line_id for line in e.invoice.lines}
            if e.invoice.kind == INVOICE and lines and lines <= credited.get(number, set()):
                fully.add(number)
        return fully

    def next_seq(self, series: str) -> int:
        return 1 + max(
            (e.invoice.seq or 0 for e in self.entries if e.invoice.series == series), default=0
        )

    def find(self, number: str) -> Entry | None:
        return next((e for e in self.entries if e.invoice.number == number), None)

    def owners(self) -> dict[str, tuple[str, Entry]]:
        """Each file a record names, case-folded, with its name and record: built once, then
        kept up to date by :meth:`append` (an invoice's cost does not grow with the register)."""
        if self._owners is None:
            self._owners = {f.casefold(): (f, e) for e in self.entries for f, _ in e.documents}
        return self._owners

    def _leftovers(self, stem: str) -> list[str]:
        """The names ``STEM.EXT`` in the folder, each given once. The folder is listed once:
        under the lock only this run writes there, and what it writes is recorded."""
        if self._stems is None:
            self._stems = {}
            for path in self.folder.iterdir():
                if "." in path.name:
                    self._stems.setdefault(path.name.rsplit(".", 1)[0], []).append(path.name)
        return self._stems.pop(stem, [])

    def _refuse_taken(self, number: str, name: str) -> None:
        """Refuse the document ``name`` of ``number`` when a record already names that file
        (also in another letter case, for file systems that ignore it)."""
        owners = self.owners()
        if name.casefold() in owners:
            file, owner = owners[name.casefold()]
            message = (
                f"is the issued document of {owner.invoice.number} (register line {owner.line}); "
                f"{number} would be written to the same file, and an issued document is never "
                "overwritten: change invoice.number_format so that new numbers differ"
            )
            raise DataError([Issue(str(self.folder / file), None, "", message)])

    def refuse_taken(self, numbers: Sequence[str], extensions: Sequence[str]) -> None:
        """Before a run renders or writes anything: refuse it when one of its ``numbers`` is
        issued already, or a file it would write (one of ``extensions``) is one a record
        names (:meth:`_refuse_taken`). A series counts from 1 again when the number
        format changes, and another format may write the same numbers (``INV{seq}`` and
        ``INV{seq:d}``): refused here, the run issues nothing, never half of it."""
        issued = {e.invoice.number: e for e in self.entries}
        for number in numbers:
            entry = issued.get(number)
            if entry is not None:
                message = (
                    f"{number} is issued already; a new document would get the same number "
                    "(a series counts from 1 again when the format changes): change "
                    "invoice.number_format so that new numbers differ"
                )
                raise DataError([Issue(str(self.path), entry.line, "number", message)])
            for extension in extensions:
                self._refuse_taken(number, document_name(number, extension))

    def _claim(self, number: str, name: str) -> None:
        """Make room for the document ``name`` of ``number``: refuse when a record already
        names that file (:meth:`_refuse_taken`), and remove what an interrupted run left
        for this number (its documents in any format: numbers are never reused, so no
        record can own them)."""
        self._refuse_taken(number, name)
        owners = self.owners()
        for leftover in self._leftovers(name.rsplit(".", 1)[0]):
            path = self.folder / leftover
            if path.is_file() and leftover.casefold() not in owners:
                path.unlink()

    def _remove(self, named: Sequence[tuple[str, str]]) -> None:
        for name, _ in named:
            with suppress(OSError):
                (self.folder / name).unlink()

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return -1

    def _step(self, name: str) -> None:
        if self.on_step is not None:
            self.on_step(name, self.written)

    def append(self, invoice: Invoice, files: Sequence[tuple[str, bytes]]) -> Entry:
        """Write ``invoice``'s files (extension, bytes: its faces and its e-invoice), then
        append its record and flush it to disk, then HEAD. When the record cannot be
        written (a full disk, Ctrl-C), the files are removed again."""
        assert invoice.number is not None
        names = [document_name(invoice.number, extension) for extension, _ in files]
        for name in names:  # all before any file of this invoice is written
            self._claim(invoice.number, name)
        named = []
        try:
            for name, (_, content) in zip(names, files, strict=True):
                write_atomic(self.folder / name, content)
                named.append((name, hashlib.sha256(content).hexdigest()))
        except BaseException:  # no record will name them: a failed write leaves none behind
            self._remove(named)
            raise
        self.written += 1
        self._step("document")
        record = to_record(invoice, named)
        record["prev_hash"] = self.contents.last_hash
        record["hash"] = record_hash(record)
        line = (canonical(record) + "\n").encode("utf-8")
        before = self.path.stat().st_size if self.path.exists() else 0
        try:
            self.log.append(line.decode("utf-8"))
        except BaseException:
            # Cut back (or left to be deleted by hand): no record names the files. Failing
            # only after the whole line was on disk (the folder's fsync), it does.
            if self._size() != before + len(line):
                self._remove(named)
                raise
            self.recorded.append(invoice)
            raise
        self.recorded.append(invoice)
        self.contents.last_hash = record["hash"]
        entry = Entry(len(self.entries) + 1, record, invoice)
        self.entries.append(entry)
        self.owners().update({file.casefold(): (file, entry) for file, _ in named})
        self.log.write_head(Head(len(self.entries), record["hash"]))
        self._step("record")
        return entry
