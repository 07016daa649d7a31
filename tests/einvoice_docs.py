"""Documents for the e-invoice tests, built in the register's own terms."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

from revcli.decimals import round_half_up
from revcli.einvoice.model import CREDIT_NOTE, INVOICE, Document, Line, Party, Payment, TaxLine
from revcli.einvoice.model import months as months_of

D = Decimal

SELLER = Party(
    name="Fjordsoft AS",
    country="NO",
    address="Bryggen 14\n5003 Bergen\nNorway",
    vat_id="NO924681357MVA",
    org_number="924681357",
    endpoint="0192:924681357",
    email="faktura@fjordsoft.no",
    register="Foretaksregisteret",
)
BUYER_NO = Party(
    name="Fyrlykt Data AS",
    country="NO",
    address="Kokstadveien 99A\n5089 Bergen",
    vat_id="NO989363557MVA",
    org_number="989363557",
    endpoint="0192:989363557",
    email="faktura@fyrlyktdata.no",
)
BUYER_SE = Party(
    name="Höga Kusten Bygg AB",
    country="SE",
    address="Storgatan 112\n411 05 Göteborg\nSweden",
    vat_id="SE237476042701",
    endpoint="EM:ekonomi@hogakustenbygg.se",
    email="ekonomi@hogakustenbygg.se",
)
BUYER_US = Party(
    name="Stonebridge Foods LLC",
    country="US",
    address="750 Nicollet Mall, Portland, OR 97204, USA",
    endpoint="EM:billing@stonebridgefoods.com",
    email="billing@stonebridgefoods.com",
)
DOMESTIC = Payment(account="1506.23.45672", kid="2026000018")
FOREIGN = Payment(iban="NO93 8601 1117 947", bic="DNBANOKK")

JAN = dt.date(2026, 1, 1)


def line(**changes: Any) -> Line:
    """One month of 1 × 1,000 at 25 %, January 2026; ``changes`` as in the register."""
    base = Line(
        line_id="1",
        product="PRO",
        description="Pro plan",
        price_period="month",
        quantity=D(1),
        unit_price=D(1000),
        discount_pct=D(0),
        service_start=JAN,
        service_end=dt.date(2026, 1, 31),
        active_days=31,
        period_days=31,
        period_months=months_of(1),
        price_months=months_of(1),
        tax_rate=D(25),
        amount=D("1000.00"),
    )
    return dataclasses.replace(base, **changes)


def amount_of(item: Line, places: int = 2) -> Decimal:
    """SPEC §7: quantity × price × (1 − discount) × share × months, rounded half-up once."""
    value = (
        Fraction(item.quantity)
        * Fraction(item.unit_price)
        * (1 - Fraction(item.discount_pct) / 100)
    )
    if item.price_period != "once":
        value *= (
            Fraction(item.active_days, item.period_days) * item.period_months / item.price_months
        )
    return round_half_up(value, places)


def document(
    lines: tuple[Line, ...] | list[Line],
    *,
    buyer: Party = BUYER_NO,
    currency: str = "NOK",
    nok_rate: Decimal | None = None,
    reverse_charge: bool = False,
    payment: Payment = DOMESTIC,
    period: tuple[dt.date, dt.date] = (JAN, dt.date(2026, 1, 31)),
    **changes: Any,
) -> Document:
    """An invoice of ``lines`` with its taxes per rate (SPEC §7), in ``currency``."""
    places = 0 if currency == "JPY" else 2
    nets: dict[Decimal, Decimal] = defaultdict(lambda: D(0).scaleb(-places))
    for item in lines:
        nets[item.tax_rate] += item.amount
    taxes = tuple(
        TaxLine(
            rate, nets[rate], round_half_up(Fraction(nets[rate]) * Fraction(rate) / 100, places)
        )
        for rate in sorted(nets)
    )
    net = sum((t.net for t in taxes), D(0).scaleb(-places))
    tax = sum((t.tax for t in taxes), D(0).scaleb(-places))
    tax_nok = None
    if nok_rate is not None:
        tax_nok = sum(
            (round_half_up(Fraction(t.tax) * Fraction(nok_rate), 2) for t in taxes), D("0.00")
        )
    doc = Document(
        kind=INVOICE,
        number="2026-00001",
        issue_date=JAN,
        due_date=dt.date(2026, 1, 15),
        currency=currency,
        seller=SELLER,
        buyer=buyer,
        payment=payment,
        contract_id="K-1",
        buyer_reference="",
        po_number="",
        period_start=period[0],
        period_end=period[1],
        reverse_charge=reverse_charge,
        lines=tuple(lines),
        taxes=taxes,
        net=net,
        tax=tax,
        total=net + tax,
        tax_nok=tax_nok,
    )
    return dataclasses.replace(doc, **changes)


def credit_of(
    doc: Document, number: str = "2026-00002", reason: str = "Wrong quantity"
) -> Document:
    """A credit note of all of ``doc``'s lines: every amount negated, as the register keeps it."""
    negate = lambda v: -v + 0  # noqa: E731 - -0.00 would print with a sign
    return dataclasses.replace(
        doc,
        kind=CREDIT_NOTE,
        number=number,
        issue_date=doc.issue_date + dt.timedelta(days=3),
        due_date=doc.issue_date + dt.timedelta(days=3),
        lines=tuple(dataclasses.replace(item, amount=negate(item.amount)) for item in doc.lines),
        taxes=tuple(TaxLine(t.rate, negate(t.net), negate(t.tax)) for t in doc.taxes),
        net=negate(doc.net),
        tax=negate(doc.tax),
        total=negate(doc.total),
        tax_nok=None if doc.tax_nok is None else negate(doc.tax_nok),
        payment=Payment(),
        credits=doc.number,
        credits_date=doc.issue_date,
        reason=reason,
    )
