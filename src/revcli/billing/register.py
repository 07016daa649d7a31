"""The invoice register: ``invoices/register.jsonl``, append-only, hash-chained, under a lock.

One issued invoice or credit note per line (:mod:`.records`). Each record carries the
SHA-256 of the previous record and of itself, and of its document, so that an edit, a
deletion, a reordering or a changed document is detected; ``invoices/HEAD`` repeats the
count of records and the last hash, so that deleting the last records is detected too (a
register written before HEAD existed is valid without it; the next issue writes it).
Issuing holds an exclusive lock on ``invoices/.lock`` (:mod:`revcli.state.lock`) and
re-reads the register under it, so two runs at once never share or skip a number. Each
invoice's document is written first (atomically), then its record is appended and
flushed to disk, then HEAD: a crash between the two leaves a document that no record
names, which the next run overwrites with the same number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Sequence
from contextlib import ExitStack
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

from revcli.billing.model import CREDIT_NOTE, INVOICE, Invoice
from revcli.billing.numbering import file_part
from revcli.billing.records import (
    Contents,
    Entry,
    canonical,
    from_record,
    record_hash,
    state_log,
    to_record,
)
from revcli.billing.verify import Progress, check_contents
from revcli.data.files import UnreadableFile, read_bytes
from revcli.errors import DataError, Issue
from revcli.output.files import write_atomic
from revcli.state.log import Head, Link, Step, incomplete_last_line, verify_chain


def register_path(root: Path) -> Path:
    return state_log(root).path


def _parse(number: int, raw: str, out: Contents) -> dict[str, Any] | None:
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        out.problem(number, "", f"is not valid JSON ({exc.msg}); was the register edited by hand?")
        return None
    if not isinstance(record, dict):
        out.problem(number, "", "is not a JSON object; was the register edited by hand?")
        return None
    return record


def _link(number: int, raw: str, record: dict[str, Any]) -> Link:
    intact = canonical(record) == raw
    return Link(
        number,
        own=str(record.get("hash", "?")),
        computed=record_hash(record) if intact and "hash" in record else "",
        prev=str(record.get("prev_hash")),
    )


def read_register(root: Path) -> Contents:
    """Parse the register and verify its hash chain and HEAD; an absent register is empty."""
    log = state_log(root)
    path = log.path
    out = Contents(str(path))
    if not os.path.lexists(path):  # a broken symlink is reported, not ignored
        return out
    try:
        text = read_bytes(path).decode("utf-8")
    except (UnreadableFile, UnicodeDecodeError) as exc:  # a FIFO is refused, not waited on
        out.problem(
            None, "", str(exc) if isinstance(exc, UnreadableFile) else f"cannot be read: {exc}"
        )
        return out
    rows = text.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    elif rows:
        out.problem(len(rows), "", incomplete_last_line("invoice issue"))
        rows.pop()
    records = [_parse(number, raw, out) for number, raw in enumerate(rows, start=1)]
    links: list[Link | None] = []
    for number, (raw, record) in enumerate(zip(rows, records, strict=True), start=1):
        links.append(None if record is None else _link(number, raw, record))
        if record is not None and "hash" not in record:
            links.append(None)
    broken = {(b.line, b.altered) for b in verify_chain(links)}
    for number, record in enumerate(records, start=1):
        if record is None:
            continue
        if (number, True) in broken:
            out.problem(number, "hash", "the record does not match its hash: it was edited by hand")
        if (number, False) in broken:
            out.problem(
                number,
                "prev_hash",
                "does not match the previous record: a record was removed, inserted or moved",
            )
        try:
            invoice = from_record(record)
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            out.problem(number, "", f"a field is missing or invalid ({exc!s})")
            continue
        out.entries.append(Entry(number, record, invoice))
    out.hashes = [None if r is None else str(r.get("hash", "?")) for r in records]
    if out.hashes:
        out.last_hash = out.hashes[-1] or "?"
    return out


def checked_register(
    root: Path, *, orphans: bool = True, progress: Progress | None = None
) -> Contents:
    """The register of ``root`` read once, under the shared lock, with every problem: its
    entries, and in ``issues`` those of reading it (the hash chain) and of
    :func:`check_contents` (the options as there). Empty when there is none."""
    with state_log(root).shared():
        contents = read_register(root)
        check_contents(contents, root, orphans=orphans, progress=progress)
    return contents


def check_register(
    root: Path, *, orphans: bool = True, progress: Progress | None = None
) -> list[Issue]:
    """All problems of the register of ``root`` (none when there is none); the options as
    in :func:`check_contents`."""
    return checked_register(root, orphans=orphans, progress=progress).issues


def load_register(root: Path) -> list[Entry]:
    """The register's entries; raise :class:`DataError` on any problem (SPEC §1). A
    document no record names (an interrupted run's) does not stop it: ``invoice check``
    and ``validate`` report those."""
    contents = checked_register(root, orphans=False)
    if contents.issues:
        raise DataError(contents.issues)
    return contents.entries


def issued_keys(entries: Sequence[Entry]) -> set[tuple[str, dt.date]]:
    """The (contract, period start) of every invoice of ``entries``: issued once only."""
    return {e.invoice.key for e in entries if e.invoice.kind == INVOICE}


# --- writing -----------------------------------------------------------------------------


def document_name(number: str, extension: str) -> str:
    """The file an issued document is written to: its number as a file name
    (:func:`~revcli.billing.numbering.file_part`), then the format. Documents issued before
    names were percent-encoded keep the name their record holds."""
    return f"{file_part(number)}.{extension}"


class Register:
    """The register of a data dir, opened under an exclusive lock and verified.

    Use as a context manager; while it is open no other revcli process can issue.
    ``on_step`` is called after each document and each record written (tests use it to
    kill a run at an exact point).
    """

    def __init__(self, root: Path, on_step: Step | None = None) -> None:
        self.root = root
        self.log = state_log(root)
        self.folder = self.log.path.parent
        self.path = self.log.path
        self.contents = Contents(str(self.path))
        self.written = 0
        self.on_step = on_step
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

    def _claim(self, number: str, name: str) -> None:
        """Make room for the document ``name`` of ``number``: refuse when a record already
        names that file (also in another letter case, for file systems that ignore it),
        and remove what an interrupted run left for this number (its documents in any
        format: numbers are never reused, so no record can own them)."""
        owners = self.owners()
        if name.casefold() in owners:
            file, owner = owners[name.casefold()]
            message = (
                f"is the issued document of {owner.invoice.number} (register line {owner.line}); "
                f"{number} would be written to the same file, and an issued document is never "
                "overwritten: change invoice.number_format so that new numbers differ"
            )
            raise DataError([Issue(str(self.folder / file), None, "", message)])
        for leftover in self._leftovers(name.rsplit(".", 1)[0]):
            path = self.folder / leftover
            if path.is_file() and leftover.casefold() not in owners:
                path.unlink()

    def _step(self, name: str) -> None:
        if self.on_step is not None:
            self.on_step(name, self.written)

    def append(self, invoice: Invoice, files: Sequence[tuple[str, bytes]]) -> Entry:
        """Write ``invoice``'s files (extension, bytes: its faces and its e-invoice), then
        append its record and flush it to disk, then HEAD."""
        assert invoice.number is not None
        names = [document_name(invoice.number, extension) for extension, _ in files]
        for name in names:  # all before any file of this invoice is written
            self._claim(invoice.number, name)
        named = []
        for name, (_, content) in zip(names, files, strict=True):
            write_atomic(self.folder / name, content)
            named.append((name, hashlib.sha256(content).hexdigest()))
        self.written += 1
        self._step("document")
        record = to_record(invoice, named)
        record["prev_hash"] = self.contents.last_hash
        record["hash"] = record_hash(record)
        self.log.append(canonical(record) + "\n")
        self.contents.last_hash = record["hash"]
        entry = Entry(len(self.entries) + 1, record, invoice)
        self.entries.append(entry)
        self.owners().update({file.casefold(): (file, entry) for file, _ in named})
        self.log.write_head(Head(len(self.entries), record["hash"]))
        self._step("record")
        return entry
