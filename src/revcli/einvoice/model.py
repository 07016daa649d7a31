"""What an e-invoice is made from: a frozen record of an issued document.

Everything here is what the invoice register keeps about a document (record format 2):
the seller and buyer as they were on the issue day, the payment details, the references,
the lines with their service periods and the money. Nothing is looked up anywhere else,
so the same record always gives the same XML.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
ONCE = "once"


@dataclass(frozen=True)
class Party:
    """A seller or buyer as it was on the issue day.

    ``address`` has one part per line (a one-line address may separate its parts with
    commas); ``org_number`` is a Norwegian organisation number (9 digits) or empty;
    ``endpoint`` is the Peppol address as ``SCHEME:ID`` (``0192:923456789``,
    ``EM:ap@example.com``) or empty; ``register`` is the business register the party is
    entered in (``Foretaksregisteret`` for a Norwegian company) or empty.
    """

    name: str
    country: str
    address: str = ""
    vat_id: str = ""
    org_number: str = ""
    endpoint: str = ""
    email: str = ""
    register: str = ""


@dataclass(frozen=True)
class Payment:
    """Where to pay: a domestic ``account``, or ``iban`` + ``bic``; ``kid`` is the
    Norwegian payment reference (only on invoices in NOK)."""

    account: str = ""
    iban: str = ""
    bic: str = ""
    kid: str = ""


@dataclass(frozen=True)
class PriceStep:
    """A piece of a line's service period at one unit price (a renewal uplift inside the
    period splits it)."""

    start: dt.date
    end: dt.date
    days: int
    unit_price: Decimal


@dataclass(frozen=True)
class Line:
    """One line of a document, as the register keeps it.

    ``amount`` is the line's net in the document's currency, exact in its minor units
    (negative on a credit note). ``unit_price`` pays for ``price_months`` months
    (``price_period`` ``once``: a one-time item, both months 1); the document's billing
    period is ``period_months`` long. A recurring line's amount before discount is
    ``quantity × Σ(step price × step days) / period_days × period_months / price_months``;
    without ``steps`` one step at ``unit_price`` covers the ``active_days``.
    """

    line_id: str
    product: str
    description: str
    price_period: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    service_start: dt.date
    service_end: dt.date
    active_days: int
    period_days: int
    period_months: Fraction
    price_months: Fraction
    tax_rate: Decimal
    amount: Decimal
    steps: tuple[PriceStep, ...] = ()

    @property
    def one_time(self) -> bool:
        return self.price_period == ONCE


@dataclass(frozen=True)
class TaxLine:
    """Net and tax of all lines at one rate (negative on a credit note)."""

    rate: Decimal
    net: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Document:
    """An issued invoice or credit note, everything its e-invoice needs.

    ``buyer_reference`` is the buyer's own reference (else the contract id); ``credits``
    and ``credits_date`` name the invoice a credit note corrects; ``tax_nok`` is the tax
    in NOK when the seller is Norwegian and the currency is not NOK.
    """

    kind: str
    number: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    seller: Party
    buyer: Party
    payment: Payment
    contract_id: str
    buyer_reference: str
    po_number: str
    period_start: dt.date
    period_end: dt.date
    reverse_charge: bool
    lines: tuple[Line, ...]
    taxes: tuple[TaxLine, ...]
    net: Decimal
    tax: Decimal
    total: Decimal
    tax_nok: Decimal | None = None
    credits: str = ""
    credits_date: dt.date | None = None
    reason: str = ""

    @property
    def is_credit_note(self) -> bool:
        return self.kind == CREDIT_NOTE


def months(whole: int, days: int = 0) -> Fraction:
    """A length of ``whole`` months and ``days`` days in months: days count 1/30.4375."""
    return Fraction(487 * whole + 16 * days, 487)
