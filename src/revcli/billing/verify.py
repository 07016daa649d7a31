"""Checking a register as read: numbering, duplicates, credit notes, totals, documents (SPEC §7).

Every problem is collected, never just the first; the hash chain and HEAD are checked
while reading (:func:`revcli.billing.register.read_register`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from revcli.billing.contents import Contents, Entry, state_log
from revcli.billing.credits import settled_taxes
from revcli.billing.layout import HEAD_FILE, REGISTER_DIR, REGISTER_FILE
from revcli.billing.model import CREDIT_NOTE, INVOICE, Invoice, tax_lines, totals
from revcli.billing.numbering import NumberFormat
from revcli.errors import Issue, Severity
from revcli.schema import minor_units
from revcli.state.log import UnreadableHead, merge_conflict_line

Progress = Callable[[int, int], None]
"""Told ``(done, total)`` as a long check goes (the CLI's progress bar on a terminal)."""
T = TypeVar("T")

MERGED_HELP = "docs/invoicing.md, 'Two branches that both issued'"

MERGED = (
    "holds a git merge conflict (this line is a conflict marker): two branches each issued "
    "documents, and registers cannot be merged, as both numbered on from the same record; keep "
    f"one branch's invoices/ folder and issue the other's periods again ({MERGED_HELP})"
)
"""The problem of a register that git merged with conflict markers."""

MERGED_HEAD = (
    "holds a git merge conflict: two branches each issued documents; resolve it together with "
    f"the register ({MERGED_HELP})"
)


def tracked(items: Sequence[T], progress: Progress | None) -> Iterator[T]:
    """``items`` one by one, telling ``progress`` after each; ``(0, total)`` first, so
    that a bar is set up, and ended by no items too."""
    if progress is not None:
        progress(0, len(items))
    for done, item in enumerate(items, start=1):
        yield item
        if progress is not None:
            progress(done, len(items))


def _check_amounts(out: Contents, entry: Entry, notes: dict[str, list[Invoice]]) -> None:
    """Amounts have the currency's decimals; taxes and totals agree with the lines (a
    credit note's also with its invoice and the credit notes before it)."""
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
    earlier = notes.get(inv.credits or "", [])
    if inv.kind == CREDIT_NOTE and earlier and earlier[0].kind == INVOICE:
        original, earlier = earlier[0], earlier[1:]
        settled = settled_taxes(taxes, original, earlier)
        # A credit note issued before tax was settled against its invoice kept the
        # rounding of its own lines: it stays valid as issued (the register is never
        # rewritten).
        if stored != (taxes, net, tax, total, tax_nok):
            taxes = settled
            net, tax, total, tax_nok = totals(taxes, inv.currency, with_nok=tax_nok is not None)
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
    named = {name for e in out.entries for name, _ in e.documents}
    for path in sorted(folder.iterdir()):
        hidden = path.name.startswith(".") or path.name in (REGISTER_FILE, HEAD_FILE)
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


def check_contents(
    out: Contents, root: Path, *, orphans: bool = True, progress: Progress | None = None
) -> list[Issue]:
    """Every problem of a register: its own, gaps, duplicates, totals, documents.

    ``orphans``: also report documents in ``invoices/`` that no record names (an
    interrupted run leaves one; ``invoice issue`` overwrites it, so it passes ``False``).
    ``progress`` is told of each record checked.
    """
    by_number: dict[str, Entry] = {}
    keys: dict[tuple[str, dt.date], int] = {}
    last_seq: dict[str, int] = defaultdict(int)
    credited: dict[str, Counter[str]] = defaultdict(Counter)
    notes: dict[str, list[Invoice]] = {}  # each invoice, then its credit notes so far
    folder = root / REGISTER_DIR
    if out.merged:  # no record was read: only HEAD's own conflict is worth telling
        _check_head(out, root, merged=True)
        return out.issues
    for entry in tracked(out.entries, progress):
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
        _check_amounts(out, entry, notes)
        if inv.kind == INVOICE:
            notes.setdefault(number, [inv])
        elif inv.kind == CREDIT_NOTE and inv.credits in notes:
            notes[inv.credits].append(inv)
        _check_document(out, entry, folder)
    if orphans and folder.is_dir():
        _check_orphans(out, folder)
    _check_head(out, root)
    return out.issues


def _check_document(out: Contents, entry: Entry, folder: Path) -> None:
    """Every file of a document (faces and e-invoice) is there, unchanged."""
    documents = entry.documents
    if not documents:
        out.problem(entry.line, "documents", "names no document")
    for name, digest in documents:
        path = folder / name
        if not name or "/" in name or name.startswith(".") or not path.is_file():
            out.problem(entry.line, "document", f"'{name}' is missing from {folder}")
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            out.problem(entry.line, "document", f"{path} was changed after it was issued")


def _check_head(out: Contents, root: Path, *, merged: bool = False) -> None:
    """The register must reach the end HEAD records (it may be longer: a run killed after
    appending a record but before writing HEAD). With ``merged`` (the register holds a git
    merge conflict) only a conflict in HEAD itself is told."""
    log = state_log(root)
    hashes = out.hashes
    head = log.read_head()
    if head is None or log.head_path is None:
        return
    where = str(log.head_path)
    conflict = merge_conflict_line(head) if isinstance(head, str) else None
    if conflict is not None:
        out.issues.append(Issue(where, conflict, "", MERGED_HEAD))
    elif merged:
        return
    elif isinstance(head, UnreadableHead):
        out.issues.append(Issue(where, None, "", head.reason))
    elif isinstance(head, str):
        out.issues.append(
            Issue(where, 1, "", "is not 'COUNT HASH' (was it edited?); restore it from git")
        )
    elif head.count > len(hashes):
        out.issues.append(
            Issue(
                where,
                1,
                "",
                f"records {head.count} records, but {out.source} has {len(hashes)}: "
                "records were deleted; restore them from git",
            )
        )
    elif head.count and hashes[head.count - 1] != head.last:
        out.issues.append(
            Issue(
                where,
                1,
                "",
                f"record {head.count} of {out.source} is not the one HEAD names: the register "
                "was rewritten; restore it from git",
            )
        )


def peppol_issues(
    entries: Sequence[Entry], folder: Path, progress: Progress | None = None
) -> list[Issue]:
    """The Peppol rules (revcli's own, :mod:`revcli.einvoice.peppol`) that each issued
    e-invoice of the register's ``entries`` (its files in ``folder``) breaks, as warnings
    naming the file: the XML is a faithful record of what was issued, and a buyer without
    an electronic address (R010) is fine for an invoice sent by e-mail; such findings
    matter before sending through Peppol. Files that are missing or altered are
    :func:`check_contents`'s to report. ``progress`` is told of each entry checked."""
    from revcli.einvoice.peppol import peppol_findings  # parsed only when asked for

    issues: list[Issue] = []
    for entry in tracked(entries, progress):
        for name, digest in entry.documents:
            path = folder / name
            if not name.endswith(".xml") or not path.is_file():
                continue
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                continue
            issues += [
                Issue(str(path), None, f.rule, f.message, Severity.WARNING)
                for f in peppol_findings(data)
            ]
    return issues
