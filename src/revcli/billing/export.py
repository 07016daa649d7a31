"""Reports over the invoice register: the list of issued documents and the accounting journal."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import polars as pl

from revcli.billing.contents import Entry
from revcli.billing.model import CREDIT_NOTE, Invoice
from revcli.billing.numbering import document_name
from revcli.output.report import ColumnKind, Report

LIST_COLUMNS: dict[str, pl.DataType] = {
    "number": pl.String(),
    "kind": pl.String(),
    "contract_id": pl.String(),
    "customer_id": pl.String(),
    "customer_name": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "issue_date": pl.Date(),
    "due_date": pl.Date(),
    "currency": pl.String(),
    "net": pl.String(),
    "tax": pl.String(),
    "total": pl.String(),
    "tax_nok": pl.String(),
    "credits": pl.String(),
    "credited_by": pl.String(),
    "payment_reference": pl.String(),
    "document": pl.String(),
}

ISSUED_COLUMNS = (
    "number",
    "kind",
    "contract_id",
    "customer_id",
    "period_start",
    "period_end",
    "issue_date",
    "due_date",
    "currency",
    "total",
    "document",
)

EXPORT_COLUMNS: dict[str, pl.DataType] = {
    "number": pl.String(),
    "kind": pl.String(),
    "issue_date": pl.Date(),
    "due_date": pl.Date(),
    "customer_id": pl.String(),
    "customer_name": pl.String(),
    "customer_vat_id": pl.String(),
    "currency": pl.String(),
    "tax_rate": pl.String(),
    "net": pl.String(),
    "tax": pl.String(),
    "gross": pl.String(),
    "tax_nok": pl.String(),
}

_KINDS: dict[str, ColumnKind] = {
    "period_start": ColumnKind.DATE,
    "period_end": ColumnKind.DATE,
    "issue_date": ColumnKind.DATE,
    "due_date": ColumnKind.DATE,
    "net": ColumnKind.EXACT,
    "tax": ColumnKind.EXACT,
    "total": ColumnKind.EXACT,
    "gross": ColumnKind.EXACT,
    "tax_nok": ColumnKind.EXACT,
    "tax_rate": ColumnKind.EXACT,
}


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _in(day: dt.date, month: dt.date | None) -> bool:
    return month is None or (day.year, day.month) == (month.year, month.month)


def select_entries(
    entries: Sequence[Entry],
    month: dt.date | None = None,
    customer: str | None = None,
    issued: dt.date | None = None,
) -> list[Entry]:
    """Entries of the billing run of ``month`` (their period starts in it: SPEC §7),
    issued in the month ``issued``, and/or of ``customer``; in register order."""
    out = []
    for entry in entries:
        inv = entry.invoice
        if not _in(inv.period_start, month) or not _in(inv.issue_date, issued):
            continue
        if customer is not None and inv.customer_id != customer:
            continue
        out.append(entry)
    return out


def _credited_by(entries: Sequence[Entry]) -> dict[str, list[str]]:
    notes: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        inv = entry.invoice
        if inv.kind == CREDIT_NOTE and inv.credits:
            notes[inv.credits].append(inv.number or "")
    return notes


def _title(
    what: str, month: dt.date | None, customer: str | None, issued: dt.date | None = None
) -> str:
    parts = [what]
    if month is not None:
        parts.append(f"period {month:%Y-%m}")
    if issued is not None:
        parts.append(f"issued {issued:%Y-%m}")
    if customer is not None:
        parts.append(f"customer {customer}")
    return " · ".join(parts)


def _totals_note(invoices: Sequence[Invoice]) -> str:
    sums: dict[str, Any] = {}
    for inv in invoices:
        sums[inv.currency] = sums.get(inv.currency, 0) + inv.total
    if not sums:
        return "No documents."
    shown = "; ".join(f"{code} {amount:,}" for code, amount in sorted(sums.items()))
    return f"Totals incl. tax: {shown}. Money in each document's currency, exact."


def list_report(
    all_entries: Sequence[Entry],
    month: dt.date | None = None,
    customer: str | None = None,
    issued: dt.date | None = None,
) -> Report:
    """``revcli invoice list``: one row per issued invoice or credit note, register order.

    ``credits`` is the invoice a credit note credits; ``credited_by`` the credit notes of
    an invoice (space-separated). Money is exact, in the document's currency.
    """
    credited_by = _credited_by(all_entries)
    chosen = select_entries(all_entries, month, customer, issued)
    rows = []
    for entry in chosen:
        inv = entry.invoice
        rows.append(
            {
                "number": inv.number,
                "kind": inv.kind,
                "contract_id": inv.contract_id,
                "customer_id": inv.customer_id,
                "customer_name": inv.buyer.name,
                "period_start": inv.period_start,
                "period_end": inv.period_end,
                "issue_date": inv.issue_date,
                "due_date": inv.due_date,
                "currency": inv.currency,
                "net": str(inv.net),
                "tax": str(inv.tax),
                "total": str(inv.total),
                "tax_nok": _text(inv.tax_nok),
                "credits": inv.credits,
                "credited_by": " ".join(credited_by.get(inv.number or "", [])) or None,
                "payment_reference": inv.payment_reference or None,
                "document": f"invoices/{entry.documents[0][0]}" if entry.documents else None,
            }
        )
    frame = pl.DataFrame(rows, schema=LIST_COLUMNS)
    return Report(
        title=_title("Invoices", month, customer, issued),
        frame=frame,
        kinds=_KINDS,
        notes=(_totals_note([e.invoice for e in chosen]),),
        meta={
            "period": None if month is None else f"{month:%Y-%m}",
            "customer": customer,
        },
        name="invoice-list",
        table_columns=[
            "number",
            "kind",
            "contract_id",
            "customer_id",
            "period_start",
            "period_end",
            "due_date",
            "currency",
            "net",
            "tax",
            "total",
            "credits",
            "credited_by",
        ],
        priority=("number", "customer_id", "due_date", "currency", "total", "kind"),
    )


def export_report(
    all_entries: Sequence[Entry],
    month: dt.date | None = None,
    customer: str | None = None,
    issued: dt.date | None = None,
) -> Report:
    """``revcli invoice export``: the sales journal, one row per document and tax rate.

    ``gross`` = ``net + tax`` of that rate; credit notes have negative amounts.
    """
    rows = []
    for entry in select_entries(all_entries, month, customer, issued):
        inv = entry.invoice
        for tax in inv.taxes:
            rows.append(
                {
                    "number": inv.number,
                    "kind": inv.kind,
                    "issue_date": inv.issue_date,
                    "due_date": inv.due_date,
                    "customer_id": inv.customer_id,
                    "customer_name": inv.buyer.name,
                    "customer_vat_id": inv.buyer.vat_id or None,
                    "currency": inv.currency,
                    "tax_rate": str(tax.rate),
                    "net": str(tax.net),
                    "tax": str(tax.tax),
                    "gross": str(tax.net + tax.tax),
                    "tax_nok": _text(tax.tax_nok),
                }
            )
    frame = pl.DataFrame(rows, schema=EXPORT_COLUMNS)
    return Report(
        title=_title("Sales journal", month, customer, issued),
        frame=frame,
        kinds=_KINDS,
        notes=("One row per document and tax rate; money exact, in the document's currency.",),
        meta={
            "period": None if month is None else f"{month:%Y-%m}",
            "customer": customer,
        },
        name="invoice-export",
        priority=(
            "number",
            "issue_date",
            "customer_id",
            "currency",
            "tax_rate",
            "net",
            "tax",
            "gross",
        ),
    )


def issued_report(issued: Sequence[Invoice], extension: str) -> Report:
    """What ``invoice issue`` / ``invoice credit`` just issued, one row per document."""
    rows = [
        {
            "number": inv.number,
            "kind": inv.kind,
            "contract_id": inv.contract_id,
            "customer_id": inv.customer_id,
            "period_start": inv.period_start,
            "period_end": inv.period_end,
            "issue_date": inv.issue_date,
            "due_date": inv.due_date,
            "currency": inv.currency,
            "total": str(inv.total),
            "document": f"invoices/{document_name(inv.number or '', extension)}",
        }
        for inv in issued
    ]
    schema = {k: LIST_COLUMNS[k] for k in ISSUED_COLUMNS}
    frame = pl.DataFrame(rows, schema=schema)
    return Report(
        title="Issued",
        frame=frame,
        kinds=_KINDS,
        name="invoice-issue",
        see_all="See all with revcli invoice list --format csv.",
    )
