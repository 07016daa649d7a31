"""Register records: an issued invoice or credit note as one line of JSON, and back.

JSON with sorted keys and no spaces (:func:`canonical`), so that the register diffs well
in git; each record carries the SHA-256 of the previous record and of itself
(:func:`record_hash`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from revcli.billing.model import Invoice, InvoiceLine, Party, PriceStep, TaxLine
from revcli.einvoice.model import Facts

RECORD_FORMAT = 2
"""Format 2 (second edition) adds ``einvoice`` (the e-invoice facts, or null) and
``documents`` (every file of the document: name and SHA-256) in place of ``document`` and
``document_sha256`` of format 1."""


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


def to_record(invoice: Invoice, documents: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The register record of an issued invoice (without its hashes); ``documents`` are the
    (file name, SHA-256) of each of its files."""
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
        "documents": [{"name": name, "sha256": digest} for name, digest in documents],
        "einvoice": None if invoice.facts is None else invoice.facts.to_json(),
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
        payment_reference=_payment_reference(rec),
        credits=None if rec["credits"] is None else str(rec["credits"]),
        reason=str(rec["reason"]),
        facts=Facts.from_json(rec["einvoice"]) if rec.get("einvoice") is not None else None,
    )


def _payment_reference(rec: dict[str, Any]) -> str:
    """The payment reference of a record: a KID only on an invoice in NOK. Before revcli
    recorded the number for an invoice in another currency, it recorded a KID there that
    no document of it shows (they show the number): such a record reads as the number."""
    stored = str(rec["payment_reference"])
    return stored if not stored or rec["currency"] == "NOK" else str(rec["number"])


def canonical(record: dict[str, Any]) -> str:
    """The one way a record is written: compact JSON, sorted keys, UTF-8 text."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_hash(record: dict[str, Any]) -> str:
    """SHA-256 of the canonical record without its own ``hash``."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()
