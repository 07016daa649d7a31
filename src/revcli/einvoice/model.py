"""What an e-invoice is made from: a frozen record of an issued document.

Everything here is what the invoice register keeps about a document (record format 2):
the seller and buyer as they were on the issue day, the payment details, the references,
the lines with their service periods and the money. Nothing is looked up anywhere else,
so the same record always gives the same XML.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

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
    payment reference (``PaymentID``): the Norwegian KID on a Norwegian seller's invoice
    in NOK, else the invoice number; none on a credit note."""

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


@dataclass(frozen=True)
class Facts:
    """What an invoice register record of format 2 keeps for the e-invoice, beyond the
    invoice itself: the seller and its bank as on the issue day, the buyer's Peppol address
    and organisation number, the buyer's reference, the length of the billing period and of
    the contract's first term in months (what a ``term`` price pays for), and for a credit
    note the date of the invoice it corrects."""

    seller: Party
    bank: Payment
    buyer_endpoint: str = ""
    buyer_org_number: str = ""
    buyer_reference: str = ""
    period_months: Fraction = Fraction(1)
    term_months: Fraction | None = None
    credits_date: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        """The facts as JSON values (months as ``[whole, days]``; text everywhere else)."""
        return {
            "seller": dataclasses.asdict(self.seller),
            "bank": {"account": self.bank.account, "iban": self.bank.iban, "bic": self.bank.bic},
            "buyer_endpoint": self.buyer_endpoint,
            "buyer_org_number": self.buyer_org_number,
            "buyer_reference": self.buyer_reference,
            "period_months": _months_json(self.period_months),
            "term_months": None if self.term_months is None else _months_json(self.term_months),
            "credits_date": None if self.credits_date is None else self.credits_date.isoformat(),
        }

    @staticmethod
    def from_json(value: Any) -> Facts:
        """The facts of :meth:`to_json`; raises KeyError/TypeError/ValueError when malformed."""
        if not isinstance(value, dict):
            raise TypeError(f"expected the e-invoice facts as an object, found {value!r}")
        seller = value["seller"]
        bank = value["bank"]
        return Facts(
            seller=Party(**{f.name: str(seller[f.name]) for f in dataclasses.fields(Party)}),
            bank=Payment(str(bank["account"]), str(bank["iban"]), str(bank["bic"])),
            buyer_endpoint=str(value["buyer_endpoint"]),
            buyer_org_number=str(value["buyer_org_number"]),
            buyer_reference=str(value["buyer_reference"]),
            period_months=_months_from(value["period_months"]),
            term_months=None
            if value["term_months"] is None
            else _months_from(value["term_months"]),
            credits_date=None
            if value["credits_date"] is None
            else dt.date.fromisoformat(str(value["credits_date"])),
        )


def _months_json(value: Fraction) -> list[int]:
    """``m + d/30.4375`` months as ``[m, d]`` (exact: the inverse of :func:`months`)."""
    parts = value * 487
    if parts.denominator != 1:
        raise ValueError(f"{value} months is not whole months and days")
    whole, rest = divmod(int(parts), 487)
    if rest % 16:
        raise ValueError(f"{value} months is not whole months and days")
    return [whole, rest // 16]


def _months_from(value: Any) -> Fraction:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        raise TypeError(f"expected months as [whole, days], found {value!r}")
    return months(value[0], value[1])
