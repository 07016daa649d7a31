"""Draft invoice objects from the frames of a billing run (:class:`~.run.BillingRun`).

Every amount is already computed, exactly, in the frames; here lines, tax lines, buyers
and e-invoice facts become objects, column by column and each distinct value once, for
only the invoices a command renders or issues.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from functools import cache

import polars as pl

from revcli.billing.ehf import RunFacts
from revcli.billing.lines import decimals, frame_rows, invoice_lines, money_of, nok_tax
from revcli.billing.model import INVOICE, INVOICE_COLUMNS, Invoice, InvoiceLine, Party, TaxLine
from revcli.data.validate import DataSet
from revcli.einvoice.model import months

KEYS = ["contract_id", "period_start"]
Key = tuple[str, dt.date]


def _address(text: str | None) -> str:
    return (text or "").replace("\\n", "\n").strip()


def _buyers(data: DataSet, invoices: pl.DataFrame) -> dict[str, tuple[Party, str]]:
    """Per customer invoiced: the buyer as printed and its ``peppol_id``."""
    billed = data.customers.unique("customer_id", keep="first").join(
        invoices.select("customer_id").unique(), on="customer_id", how="semi"
    )
    columns = ["customer_id", "name", "address", "country", "vat_id", "billing_email"]
    columns += ["locale", "peppol_id"] if "peppol_id" in billed.columns else ["locale"]
    buyers = {}
    for row in frame_rows(billed, columns):
        customer_id, name, address, country, vat_id, email, locale, *peppol = row
        party = Party(
            name=name,
            address=_address(address),
            country=country or "",
            vat_id=vat_id or "",
            email=email or "",
            locale=locale or data.settings.locale,
        )
        buyers[customer_id] = (party, (peppol[0] if peppol else None) or "")
    return buyers


@cache
def _months(whole: int, days: int) -> Fraction:
    return months(whole, days)


def without(frame: pl.DataFrame, skip: Collection[Key]) -> pl.DataFrame:
    """The rows of ``frame`` whose (``contract_id``, ``period_start``) is not in ``skip``,
    in order."""
    keys = pl.DataFrame(
        {"contract_id": [k[0] for k in skip], "period_start": [k[1] for k in skip]},
        schema={"contract_id": pl.String, "period_start": pl.Date},
    )
    return frame.join(keys, on=KEYS, how="anti", maintain_order="left")


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector (restored after): the objects made here hold no
    reference cycles, and the collector would otherwise rescan every live object again
    and again while hundreds of thousands of them are made (a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_invoices(
    data: DataSet,
    invoices: pl.DataFrame,
    lines: pl.DataFrame,
    taxes: pl.DataFrame,
    skip: Collection[Key] = (),
) -> list[Invoice]:
    """The invoices of a billing run's frames (see :class:`~.run.BillingRun`) as objects,
    in order, except those whose (contract, period start) is in ``skip``."""
    with _no_cycle_collection():
        return _build(data, invoices, lines, taxes, skip)


def _build(
    data: DataSet,
    invoices: pl.DataFrame,
    lines: pl.DataFrame,
    taxes: pl.DataFrame,
    skip: Collection[Key],
) -> list[Invoice]:
    if skip:
        invoices, lines, taxes = (without(f, skip) for f in (invoices, lines, taxes))
    by_period: dict[Key, list[InvoiceLine]] = defaultdict(list)
    for key, line in zip(frame_rows(lines, KEYS), invoice_lines(lines), strict=True):
        by_period[key].append(line)
    taxes = taxes.join(
        invoices.select(*KEYS, "nok_rate"), on=KEYS, how="left", maintain_order="left"
    )
    taxes_by_period: dict[Key, list[TaxLine]] = defaultdict(list)
    for key, rate, net, tax, nok_rate in zip(
        frame_rows(taxes, KEYS),
        decimals(taxes.get_column("tax_rate")),
        money_of(taxes, "net"),
        money_of(taxes, "tax"),
        decimals(taxes.get_column("nok_rate")),
        strict=True,
    ):
        nok = None if nok_rate is None else nok_tax(tax, nok_rate)
        taxes_by_period[key].append(TaxLine(rate, net, tax, nok))  # type: ignore[arg-type]
    buyers = _buyers(data, invoices)
    facts_of = RunFacts(data.settings)
    columns = (*INVOICE_COLUMNS, "issue_date", "due_date", "reverse_charge")
    made = []
    for (
        contract_id,
        customer_id,
        currency,
        po_number,
        buyer_reference,
        start,
        end,
        months_whole,
        months_days,
        term_whole,
        term_days,
        dated,
        due,
        reverse,
    ), nok_rate, net, tax in zip(
        frame_rows(invoices, columns),
        decimals(invoices.get_column("nok_rate")),
        money_of(invoices, "net"),
        money_of(invoices, "tax"),
        strict=True,
    ):
        buyer, peppol_id = buyers[customer_id]
        tax_lines = taxes_by_period[(contract_id, start)]
        tax_nok = (
            None
            if nok_rate is None
            else sum((t.tax_nok or Decimal(0) for t in tax_lines), Decimal("0.00"))
        )
        facts = facts_of(
            buyer,
            peppol_id=peppol_id,
            buyer_reference=buyer_reference or "",
            period_months=_months(months_whole, months_days),
            term_months=None if term_whole is None else _months(term_whole, term_days or 0),
        )
        made.append(
            Invoice(
                kind=INVOICE,
                contract_id=contract_id,
                customer_id=customer_id,
                buyer=buyer,
                po_number=po_number or "",
                period_start=start,
                period_end=end,
                issue_date=dated,
                due_date=due,
                currency=currency,
                reverse_charge=reverse,
                lines=tuple(by_period[(contract_id, start)]),
                taxes=tuple(tax_lines),
                net=net,
                tax=tax,
                total=net + tax,
                nok_rate=nok_rate,
                nok_rate_date=None if nok_rate is None else dated,
                tax_nok=tax_nok,
                facts=facts,
            )
        )
    return made
