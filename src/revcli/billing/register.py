"""The invoice register: ``invoices/register.jsonl``, append-only, hash-chained, under a lock.

One issued invoice or credit note per line, as JSON with sorted keys, so that the file
diffs well in git. Each record carries the SHA-256 of the previous record and of itself
(``prev_hash``, ``hash``) and of its document, so that an edit, a deletion, a reordering
or a changed document is detected. Issuing holds an exclusive ``fcntl.flock`` on
``invoices/.lock`` and re-reads the register under it, so two runs at once never share or
skip a number. Each invoice's document is written first (atomically), then its record is
appended and flushed to disk: a crash between the two leaves a document that no record
names, which the next run overwrites with the same number.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from revcli.billing.invoice import (
    CREDIT_NOTE,
    INVOICE,
    Invoice,
    InvoiceLine,
    NumberFormat,
    Party,
    PriceStep,
    TaxLine,
    billing_run,
    credit_note,
    numbered,
    seller_issues,
    tax_lines,
)
from revcli.data.validate import DataSet
from revcli.errors import DataError, Issue, UsageError
from revcli.output.files import write_atomic
from revcli.schema import minor_units

REGISTER_DIR = "invoices"
REGISTER_FILE = "register.jsonl"
LOCK_FILE = ".lock"
RECORD_FORMAT = 1
TEST_HOOK = "REVCLI_TEST_HOOK"
"""Test hook (documented in docs/invoicing.md): ``kill-after-document:N`` or
``kill-after-record:N`` make an issuing process SIGKILL itself after its N-th document or
record; ``sleep-per-invoice:SECONDS`` slows each invoice so that concurrent runs overlap."""


# --- records ---------------------------------------------------------------------------


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _line_record(line: InvoiceLine) -> dict[str, Any]:
    return {
        "line_id": line.line_id,
        "product": line.product,
        "description": line.description,
        "kind": line.kind,
        "price_period": line.price_period,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "discount_pct": str(line.discount_pct),
        "service_start": line.service_start.isoformat(),
        "service_end": line.service_end.isoformat(),
        "active_days": line.active_days,
        "period_days": line.period_days,
        "tax_rate": str(line.tax_rate),
        "amount": str(line.amount),
        "steps": [
            {
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "days": s.days,
                "unit_price": str(s.unit_price),
            }
            for s in line.steps
        ],
    }


def to_record(invoice: Invoice, document: str, digest: str) -> dict[str, Any]:
    """The register record of an issued invoice (without its hashes)."""
    return {
        "format": RECORD_FORMAT,
        "kind": invoice.kind,
        "number": invoice.number,
        "series": invoice.series,
        "seq": invoice.seq,
        "contract_id": invoice.contract_id,
        "customer_id": invoice.customer_id,
        "buyer": {
            "name": invoice.buyer.name,
            "address": invoice.buyer.address,
            "country": invoice.buyer.country,
            "vat_id": invoice.buyer.vat_id,
            "email": invoice.buyer.email,
            "locale": invoice.buyer.locale,
        },
        "po_number": invoice.po_number,
        "period_start": invoice.period_start.isoformat(),
        "period_end": invoice.period_end.isoformat(),
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "currency": invoice.currency,
        "reverse_charge": invoice.reverse_charge,
        "lines": [_line_record(line) for line in invoice.lines],
        "taxes": [
            {"rate": str(t.rate), "net": str(t.net), "tax": str(t.tax), "tax_nok": _text(t.tax_nok)}
            for t in invoice.taxes
        ],
        "net": str(invoice.net),
        "tax": str(invoice.tax),
        "total": str(invoice.total),
        "nok_rate": _text(invoice.nok_rate),
        "nok_rate_date": None
        if invoice.nok_rate_date is None
        else invoice.nok_rate_date.isoformat(),
        "tax_nok": _text(invoice.tax_nok),
        "payment_reference": invoice.payment_reference,
        "credits": invoice.credits,
        "reason": invoice.reason,
        "document": document,
        "document_sha256": digest,
    }


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise TypeError(f"expected a decimal as text, found {value!r}")
    return Decimal(value)


def _maybe_decimal(value: Any) -> Decimal | None:
    return None if value is None else _decimal(value)


def _date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise TypeError(f"expected a date as text, found {value!r}")
    return dt.date.fromisoformat(value)


def _line_from(rec: dict[str, Any]) -> InvoiceLine:
    return InvoiceLine(
        line_id=str(rec["line_id"]),
        product=str(rec["product"]),
        description=str(rec["description"]),
        kind=str(rec["kind"]),
        price_period=str(rec["price_period"]),
        quantity=_decimal(rec["quantity"]),
        unit_price=_decimal(rec["unit_price"]),
        discount_pct=_decimal(rec["discount_pct"]),
        service_start=_date(rec["service_start"]),
        service_end=_date(rec["service_end"]),
        active_days=int(rec["active_days"]),
        period_days=int(rec["period_days"]),
        tax_rate=_decimal(rec["tax_rate"]),
        amount=_decimal(rec["amount"]),
        steps=tuple(
            PriceStep(_date(s["start"]), _date(s["end"]), int(s["days"]), _decimal(s["unit_price"]))
            for s in rec["steps"]
        ),
    )


def from_record(rec: dict[str, Any]) -> Invoice:
    """The invoice a register record describes; raises KeyError/TypeError/ValueError."""
    buyer = rec["buyer"]
    return Invoice(
        kind=str(rec["kind"]),
        contract_id=str(rec["contract_id"]),
        customer_id=str(rec["customer_id"]),
        buyer=Party(
            name=str(buyer["name"]),
            address=str(buyer["address"]),
            country=str(buyer["country"]),
            vat_id=str(buyer["vat_id"]),
            email=str(buyer["email"]),
            locale=str(buyer["locale"]),
        ),
        po_number=str(rec["po_number"]),
        period_start=_date(rec["period_start"]),
        period_end=_date(rec["period_end"]),
        issue_date=_date(rec["issue_date"]),
        due_date=_date(rec["due_date"]),
        currency=str(rec["currency"]),
        reverse_charge=bool(rec["reverse_charge"]),
        lines=tuple(_line_from(line) for line in rec["lines"]),
        taxes=tuple(
            TaxLine(
                _decimal(t["rate"]),
                _decimal(t["net"]),
                _decimal(t["tax"]),
                _maybe_decimal(t["tax_nok"]),
            )
            for t in rec["taxes"]
        ),
        net=_decimal(rec["net"]),
        tax=_decimal(rec["tax"]),
        total=_decimal(rec["total"]),
        nok_rate=_maybe_decimal(rec["nok_rate"]),
        nok_rate_date=None if rec["nok_rate_date"] is None else _date(rec["nok_rate_date"]),
        tax_nok=_maybe_decimal(rec["tax_nok"]),
        number=str(rec["number"]),
        series=str(rec["series"]),
        seq=int(rec["seq"]),
        payment_reference=str(rec["payment_reference"]),
        credits=None if rec["credits"] is None else str(rec["credits"]),
        reason=str(rec["reason"]),
    )


def canonical(record: dict[str, Any]) -> str:
    """The one way a record is written: compact JSON, sorted keys, UTF-8 text."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_hash(record: dict[str, Any]) -> str:
    """SHA-256 of the canonical record without its own ``hash``."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


# --- reading and checking ----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One record of the register, with the line it is on."""

    line: int
    record: dict[str, Any]
    invoice: Invoice

    @property
    def document(self) -> str:
        return str(self.record.get("document", ""))


@dataclass
class Contents:
    """The records of a register and every problem found reading them."""

    source: str
    entries: list[Entry] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    last_hash: str = ""

    def problem(self, line: int | None, column: str, message: str) -> None:
        self.issues.append(Issue(self.source, line, column, message))


def register_path(root: Path) -> Path:
    return root / REGISTER_DIR / REGISTER_FILE


def read_register(root: Path) -> Contents:
    """Parse the register and verify its hash chain; an absent register is empty."""
    path = register_path(root)
    out = Contents(str(path))
    if not path.exists():
        return out
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        out.problem(None, "", f"cannot be read: {exc}")
        return out
    rows = text.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    elif rows:
        out.problem(
            len(rows),
            "",
            "the last record is incomplete (a write was interrupted); delete this line and "
            "run `revcli invoice issue` again",
        )
        rows.pop()
    prev = ""
    for number, raw in enumerate(rows, start=1):
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            out.problem(
                number, "", f"is not valid JSON ({exc.msg}); was the register edited by hand?"
            )
            prev = "?"
            continue
        if not isinstance(record, dict):
            out.problem(number, "", "is not a JSON object; was the register edited by hand?")
            prev = "?"
            continue
        if record.get("hash") != record_hash(record) or canonical(record) != raw:
            out.problem(number, "hash", "the record does not match its hash: it was edited by hand")
        if prev != "?" and record.get("prev_hash") != prev:
            out.problem(
                number,
                "prev_hash",
                "does not match the previous record: a record was removed, inserted or moved",
            )
        prev = str(record.get("hash", "?"))
        try:
            invoice = from_record(record)
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            out.problem(number, "", f"a field is missing or invalid ({exc!s})")
            continue
        out.entries.append(Entry(number, record, invoice))
    out.last_hash = prev
    return out


def _check_amounts(out: Contents, entry: Entry) -> None:
    inv = entry.invoice
    try:
        places = minor_units(inv.currency)
    except (KeyError, ValueError):
        out.problem(entry.line, "currency", f"'{inv.currency}' is not an ISO 4217 currency")
        return
    for line in inv.lines:
        if line.amount.as_tuple().exponent != -places:
            out.problem(
                entry.line,
                "lines",
                f"line {line.line_id}: amount {line.amount} does not have the {places} decimals of "
                f"{inv.currency}",
            )
    taxes, net, tax, total, tax_nok = tax_lines(inv.lines, inv.currency, inv.nok_rate)
    stored = (inv.taxes, inv.net, inv.tax, inv.total, inv.tax_nok)
    for name, want, got in zip(
        ("taxes", "net", "tax", "total", "tax_nok"),
        (taxes, net, tax, total, tax_nok),
        stored,
        strict=True,
    ):
        if want != got:
            out.problem(entry.line, name, f"does not agree with the lines: expected {_show(want)}")


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(f"{t.rate} %: net {t.net} tax {t.tax}" for t in value)
    return str(value)


def _check_credit(
    out: Contents, entry: Entry, by_number: dict[str, Entry], credited: dict[str, Counter[str]]
) -> None:
    inv = entry.invoice
    original = by_number.get(inv.credits or "")
    if original is None or original.line >= entry.line or original.invoice.kind != INVOICE:
        out.problem(entry.line, "credits", f"'{inv.credits}' is not an invoice issued before it")
        return
    lines = {line.line_id: line for line in original.invoice.lines}
    for line in inv.lines:
        first = lines.get(line.line_id)
        if first is None or line.amount != -first.amount:
            out.problem(
                entry.line,
                "lines",
                f"line {line.line_id} does not negate a line of invoice {inv.credits}",
            )
        credited[original.invoice.number or ""][line.line_id] += 1
        if credited[original.invoice.number or ""][line.line_id] > 1:
            out.problem(
                entry.line, "lines", f"line {line.line_id} of {inv.credits} is credited twice"
            )


def _check_numbering(out: Contents, entry: Entry, last_seq: dict[str, int]) -> None:
    inv = entry.invoice
    number = inv.number or ""
    if inv.series is None or inv.seq is None:
        return
    expected = last_seq[inv.series] + 1
    if inv.seq != expected:
        what = "a gap" if inv.seq > expected else "a repeat"
        out.problem(
            entry.line,
            "seq",
            f"{number}: sequence {inv.seq} after {expected - 1} in series '{inv.series}' is {what}",
        )
    last_seq[inv.series] = max(last_seq[inv.series], inv.seq)
    try:
        formatted = NumberFormat.number(inv.series, inv.seq)
    except (ValueError, KeyError, IndexError):
        formatted = ""
    if formatted != number:
        out.problem(entry.line, "number", f"{number} is not sequence {inv.seq} of '{inv.series}'")


def _check_orphans(out: Contents, folder: Path) -> None:
    named = {e.document for e in out.entries}
    for path in sorted(folder.iterdir()):
        hidden = path.name.startswith(".") or path.name == REGISTER_FILE
        if path.is_file() and not hidden and path.name not in named:
            out.issues.append(
                Issue(
                    str(path),
                    None,
                    "",
                    "no record in the register names this document (left by an interrupted "
                    "`revcli invoice issue`? run it again, or remove the file)",
                )
            )


def check_contents(out: Contents, root: Path, *, orphans: bool = True) -> list[Issue]:
    """Every problem of a register: its own, gaps, duplicates, totals, documents.

    ``orphans``: also report documents in ``invoices/`` that no record names (an
    interrupted run leaves one; ``invoice issue`` overwrites it, so it passes ``False``).
    """
    by_number: dict[str, Entry] = {}
    keys: dict[tuple[str, dt.date], int] = {}
    last_seq: dict[str, int] = defaultdict(int)
    credited: dict[str, Counter[str]] = defaultdict(Counter)
    folder = root / REGISTER_DIR
    for entry in out.entries:
        inv = entry.invoice
        number = inv.number or ""
        if number in by_number:
            first = by_number[number].line
            out.problem(entry.line, "number", f"{number} appears twice; first on line {first}")
        else:
            by_number[number] = entry
        _check_numbering(out, entry, last_seq)
        if inv.kind == INVOICE:
            if inv.key in keys:
                out.problem(
                    entry.line,
                    "contract_id",
                    f"contract {inv.contract_id}, period {inv.period_start} was already "
                    f"invoiced on line {keys[inv.key]}",
                )
            keys.setdefault(inv.key, entry.line)
        elif inv.kind == CREDIT_NOTE:
            _check_credit(out, entry, by_number, credited)
        else:
            out.problem(entry.line, "kind", f"'{inv.kind}' is not invoice or credit_note")
        _check_amounts(out, entry)
        _check_document(out, entry, folder)
    if orphans and folder.is_dir():
        _check_orphans(out, folder)
    return out.issues


def _check_document(out: Contents, entry: Entry, folder: Path) -> None:
    name = entry.document
    path = folder / name
    if not name or "/" in name or name.startswith(".") or not path.is_file():
        out.problem(entry.line, "document", f"'{name}' is missing from {folder}")
        return
    if hashlib.sha256(path.read_bytes()).hexdigest() != entry.record.get("document_sha256"):
        out.problem(entry.line, "document", f"{path} was changed after it was issued")


@contextmanager
def _shared_lock(root: Path) -> Iterator[None]:
    """Hold a shared lock while reading, so that a run issuing right now is not seen
    half-way through a write."""
    path = root / REGISTER_DIR / LOCK_FILE
    if not path.exists():
        yield
        return
    with path.open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def check_register(root: Path, *, orphans: bool = True) -> list[Issue]:
    """All problems of the register of the data dir ``root`` (none when there is none);
    ``orphans`` as in :func:`check_contents`."""
    with _shared_lock(root):
        contents = read_register(root)
        return check_contents(contents, root, orphans=orphans)


def load_register(root: Path) -> list[Entry]:
    """The register's entries; raise :class:`DataError` on any problem (SPEC §1)."""
    with _shared_lock(root):
        contents = read_register(root)
        issues = check_contents(contents, root)
    if issues:
        raise DataError(issues)
    return contents.entries


# --- writing -----------------------------------------------------------------------------


def _test_hook(stage: str, count: int) -> None:
    spec = os.environ.get(TEST_HOOK, "")
    name, _, value = spec.partition(":")
    if name == f"kill-after-{stage}" and value == str(count):
        os.kill(os.getpid(), signal.SIGKILL)
    if name == "sleep-per-invoice" and stage == "record":
        time.sleep(float(value))


def document_name(number: str, extension: str) -> str:
    """The file an issued document is written to: its number, made safe for file names."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", number).lstrip(".") + "." + extension


class Register:
    """The register of a data dir, opened under an exclusive lock and verified.

    Use as a context manager; while it is open no other revcli process can issue.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / REGISTER_DIR
        self.path = register_path(root)
        self._lock: IO[bytes] | None = None
        self.contents = Contents(str(self.path))
        self.written = 0

    def __enter__(self) -> Register:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = (self.folder / LOCK_FILE).open("ab")
        fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX)
        self.contents = read_register(self.root)
        issues = check_contents(self.contents, self.root, orphans=False)
        if issues:
            self.close()
            raise DataError(issues)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    @property
    def entries(self) -> list[Entry]:
        return self.contents.entries

    def issued_keys(self) -> set[tuple[str, dt.date]]:
        return {e.invoice.key for e in self.entries if e.invoice.kind == INVOICE}

    def next_seq(self, series: str) -> int:
        return 1 + max(
            (e.invoice.seq or 0 for e in self.entries if e.invoice.series == series), default=0
        )

    def find(self, number: str) -> Entry | None:
        return next((e for e in self.entries if e.invoice.number == number), None)

    def append(self, invoice: Invoice, document: bytes, extension: str) -> Entry:
        """Write ``invoice``'s document, then append its record and flush it to disk."""
        assert invoice.number is not None
        name = document_name(invoice.number, extension)
        write_atomic(self.folder / name, document)
        self.written += 1
        _test_hook("document", self.written)
        record = to_record(invoice, name, hashlib.sha256(document).hexdigest())
        record["prev_hash"] = self.contents.last_hash
        record["hash"] = record_hash(record)
        line = canonical(record) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        self.contents.last_hash = record["hash"]
        entry = Entry(len(self.entries) + 1, record, invoice)
        self.entries.append(entry)
        _test_hook("record", self.written)
        return entry


# --- issuing ---------------------------------------------------------------------------


Renderer = Callable[[Invoice], bytes]


@dataclass(frozen=True)
class IssueResult:
    """What a billing run issued, and how many of its invoices had been issued before."""

    issued: list[Invoice]
    already: int


@contextmanager
def open_register(root: Path) -> Iterator[Register]:
    """The register of ``root``, locked and verified, for as long as the block runs."""
    register = Register(root)
    with register:
        yield register


def issue_invoices(
    data: DataSet, first: dt.date, last: dt.date, render: Renderer, extension: str
) -> IssueResult:
    """Issue the billing runs of months ``first``..``last``: number, render and record
    every invoice not issued before (SPEC §7).

    Numbers follow period start, then ``contract_id``; a series per distinct prefix
    (``{year}`` is the issue date's year). ``render`` makes the document of a numbered
    invoice. Raises :class:`DataError` when the seller's details are incomplete, the data
    cannot be invoiced, or the register has a problem.
    """
    problems = seller_issues(data.settings)
    if problems:
        raise DataError(problems)
    numbering = NumberFormat.of(data.settings)
    drafts = billing_run(data, first, last)
    if drafts:
        render(drafts[0])  # a template error stops the run before anything is issued
    issued: list[Invoice] = []
    with open_register(data.root) as register:
        done = register.issued_keys()
        todo = [d for d in drafts if d.key not in done]
        for draft in todo:
            series = numbering.series(draft.issue_date.year)
            invoice = numbered(draft, series, register.next_seq(series), data.settings.company)
            register.append(invoice, render(invoice), extension)
            issued.append(invoice)
    return IssueResult(issued, len(drafts) - len(issued))


def issue_credit_note(
    data: DataSet,
    number: str,
    *,
    line_ids: Sequence[str],
    reason: str,
    on: dt.date,
    render: Renderer,
    extension: str,
    date_given: bool = True,
) -> Invoice:
    """Credit the lines ``line_ids`` (all not yet credited when empty) of invoice ``number``.

    The credit note takes the next number of the series of its own issue date — the same
    series as invoices — and the original is never changed. It is never dated before the
    invoice it corrects: a default date ``on`` (``date_given`` false, e.g. today while the
    invoice is dated in advance) moves to the invoice's date; a given earlier date is a
    :class:`UsageError`, as are an unknown number, a credit note, an unknown or already
    credited line.
    """
    if not reason.strip():
        raise UsageError("--reason must say why the invoice is credited")
    problems = seller_issues(data.settings)
    if problems:
        raise DataError(problems)
    numbering = NumberFormat.of(data.settings)
    with open_register(data.root) as register:
        entry = register.find(number)
        if entry is None:
            raise UsageError(f"there is no issued invoice {number}")
        original = entry.invoice
        if original.kind != INVOICE:
            raise UsageError(f"{number} is a credit note; only invoices can be credited")
        done = {
            line.line_id
            for e in register.entries
            if e.invoice.kind == CREDIT_NOTE and e.invoice.credits == number
            for line in e.invoice.lines
        }
        known = [line.line_id for line in original.lines]
        unknown = [i for i in line_ids if i not in known]
        if unknown:
            raise UsageError(
                f"invoice {number} has no line {', '.join(unknown)}; "
                f"its lines are {', '.join(known)}"
            )
        twice = [i for i in line_ids if i in done]
        if twice:
            raise UsageError(f"line {', '.join(twice)} of {number} is already credited")
        chosen = list(line_ids) or [i for i in known if i not in done]
        if not chosen:
            raise UsageError(f"invoice {number} is already fully credited")
        if on < original.issue_date:
            if date_given:
                raise UsageError(
                    f"--date {on} is before invoice {number}'s date {original.issue_date}; "
                    "a credit note cannot precede the invoice it corrects"
                )
            on = original.issue_date
        draft = credit_note(original, chosen, reason.strip(), on)
        series = numbering.series(on.year)
        note = numbered(draft, series, register.next_seq(series), data.settings.company)
        register.append(note, render(note), extension)
    return note
