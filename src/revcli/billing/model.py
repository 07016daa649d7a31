"""The invoice model: invoices, credit notes, their lines and taxes, with exact amounts.

Line amounts are exact and rounded once, half-up (away from zero), to the currency's minor
unit; tax is computed per rate on the sum of the rounded line amounts at that rate (SPEC
§7). A billing run (:mod:`.run`) computes them vectorised; credit notes and the register
check use :func:`tax_lines`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from revcli.billing.money import money, places_of, plain, round_half_up
from revcli.einvoice.model import Facts

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
RECURRING = "recurring"
ONE_TIME = "one_time"

INVOICE_COLUMNS = (
    "contract_id",
    "customer_id",
    "currency",
    "po_number",
    "buyer_reference",
    "period_start",
    "period_end",
    "months_whole",
    "months_days",
    "term_whole",
    "term_days",
)
"""The columns that say which invoice a billing-run row belongs to and what it covers."""


@dataclass(frozen=True)
class Party:
    """The buyer as printed on the invoice (a snapshot taken when it is issued)."""

    name: str
    address: str = ""
    country: str = ""
    vat_id: str = ""
    email: str = ""
    locale: str = "nb_NO"


@dataclass(frozen=True)
class PriceStep:
    """A piece of a line's service period at one price: a renewal uplift splits a period."""

    start: dt.date
    end: dt.date
    days: int
    unit_price: Decimal


@dataclass(frozen=True)
class InvoiceLine:
    """One line of an invoice; ``amount`` is exact in the currency's minor units.

    ``unit_price`` is the price in force on ``service_start`` (renewal uplifts applied),
    per ``price_period``; ``steps`` lists the pieces of the service period when a renewal
    changes the price inside it (empty otherwise).
    """

    line_id: str
    product: str
    description: str
    kind: str
    price_period: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    service_start: dt.date
    service_end: dt.date
    active_days: int
    period_days: int
    tax_rate: Decimal
    amount: Decimal
    steps: tuple[PriceStep, ...] = ()


@dataclass(frozen=True)
class TaxLine:
    """Net and tax of all lines at one rate; ``tax_nok`` when the tax is also shown in NOK."""

    rate: Decimal
    net: Decimal
    tax: Decimal
    tax_nok: Decimal | None = None


@dataclass(frozen=True)
class Invoice:
    """An invoice or credit note. ``number`` is ``None`` for a draft."""

    kind: str
    contract_id: str
    customer_id: str
    buyer: Party
    po_number: str
    period_start: dt.date
    period_end: dt.date
    issue_date: dt.date
    due_date: dt.date
    currency: str
    reverse_charge: bool
    lines: tuple[InvoiceLine, ...]
    taxes: tuple[TaxLine, ...]
    net: Decimal
    tax: Decimal
    total: Decimal
    nok_rate: Decimal | None = None
    nok_rate_date: dt.date | None = None
    tax_nok: Decimal | None = None
    number: str | None = None
    series: str | None = None
    seq: int | None = None
    payment_reference: str = ""
    credits: str | None = None
    reason: str = ""
    facts: Facts | None = None
    """What the e-invoice needs beyond the invoice (register record format 2); ``None`` for
    a record of format 1, which gets no e-invoice."""

    @property
    def key(self) -> tuple[str, dt.date]:
        """What is never issued twice: the (contract, period)."""
        return (self.contract_id, self.period_start)

    @property
    def is_draft(self) -> bool:
        return self.number is None


def tax_lines(
    lines: Iterable[InvoiceLine], currency: str, nok_rate: Decimal | None = None
) -> tuple[tuple[TaxLine, ...], Decimal, Decimal, Decimal, Decimal | None]:
    """Tax per rate on the sum of the line amounts at that rate, rounded half-up.

    Returns (tax lines by rate ascending, net, tax, total, tax in NOK or None). With
    ``nok_rate`` (NOK per unit of ``currency``) each rate's tax is also converted to NOK
    and rounded half-up to øre; the NOK total is their sum.
    """
    zero = money(Decimal(0), currency)
    nets: dict[Decimal, Decimal] = defaultdict(lambda: zero)
    for line in lines:
        nets[plain(line.tax_rate)] += line.amount
    taxes = []
    for rate in sorted(nets):
        net = nets[rate]
        tax = rate_tax(net, rate, currency)
        taxes.append(TaxLine(rate, net, tax, None if nok_rate is None else nok_tax(tax, nok_rate)))
    return (tuple(taxes), *totals(taxes, currency, with_nok=nok_rate is not None))


def rate_tax(net: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The tax at ``rate`` % of a net amount, half-up to the currency's decimals."""
    return round_half_up(Fraction(net) * Fraction(rate) / 100, places_of(currency))


def nok_tax(tax: Decimal, nok_rate: Decimal) -> Decimal:
    """A tax amount in NOK at ``nok_rate`` (NOK per unit of its currency), half-up to øre."""
    return round_half_up(Fraction(tax) * Fraction(nok_rate), 2)


def totals(
    taxes: Iterable[TaxLine], currency: str, *, with_nok: bool
) -> tuple[Decimal, Decimal, Decimal, Decimal | None]:
    """Net, tax, total and tax in NOK (``None`` unless ``with_nok``) of the tax lines."""
    zero = money(Decimal(0), currency)
    taxes = tuple(taxes)
    net = sum((t.net for t in taxes), zero)
    tax = sum((t.tax for t in taxes), zero)
    tax_nok = sum((t.tax_nok or Decimal(0) for t in taxes), Decimal("0.00")) if with_nok else None
    return net, tax, net + tax, tax_nok


def credit_note(original: Invoice, line_ids: Sequence[str], reason: str, on: dt.date) -> Invoice:
    """A credit note for the lines ``line_ids`` of ``original`` (all when empty), dated ``on``.

    Every credited line keeps its quantity, price and service period with the amount
    negated; tax is computed per rate on the credited lines (half-up, away from zero), so
    crediting a whole invoice negates its tax exactly. The NOK tax uses the original's rate
    (of the original's date).
    Nothing is due: the due date is the issue date.
    """
    chosen = set(line_ids)
    lines = tuple(
        dataclasses.replace(line, amount=-line.amount + 0)
        for line in original.lines
        if not chosen or line.line_id in chosen
    )
    taxes, net, tax, total, tax_nok = tax_lines(lines, original.currency, original.nok_rate)
    return dataclasses.replace(
        original,
        kind=CREDIT_NOTE,
        issue_date=on,
        due_date=on,
        lines=lines,
        taxes=taxes,
        net=net,
        tax=tax,
        total=total,
        tax_nok=tax_nok,
        number=None,
        series=None,
        seq=None,
        payment_reference="",
        credits=original.number,
        reason=reason,
    )
