"""Invariants of invoices, checked on generated inputs (hypothesis)."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revcli.billing.model import InvoiceLine, tax_lines
from revcli.billing.money import round_half_up
from revcli.schema import minor_units
from tests.billing_support import billing_dir, run_months

CURRENCIES = ("NOK", "JPY", "KWD", "EUR")
RATES = (Decimal(0), Decimal(6), Decimal(12), Decimal(15), Decimal(25), Decimal("12.5"))


@st.composite
def invoice_lines(draw: st.DrawFn) -> tuple[str, list[InvoiceLine]]:
    currency = draw(st.sampled_from(CURRENCIES))
    places = minor_units(currency)
    lines = []
    for i in range(draw(st.integers(1, 8))):
        exact = Fraction(draw(st.integers(-(10**9), 10**9)), draw(st.sampled_from((1, 3, 7, 1000))))
        lines.append(
            InvoiceLine(
                str(i),
                "P",
                "P",
                "recurring",
                "month",
                Decimal(1),
                Decimal(0),
                Decimal(0),
                dt.date(2026, 1, 1),
                dt.date(2026, 1, 31),
                31,
                31,
                draw(st.sampled_from(RATES)),
                round_half_up(exact, places),
            )
        )
    return currency, lines


@given(invoice_lines(), st.none() | st.decimals("0.01", "50", places=4))
def test_lines_sum_to_net_and_net_plus_tax_is_total(
    drawn: tuple[str, list[InvoiceLine]], nok_rate: Decimal | None
) -> None:
    currency, lines = drawn
    taxes, net, tax, total, tax_nok = tax_lines(lines, currency, nok_rate)
    places = minor_units(currency)
    assert net == sum(line.amount for line in lines)
    assert total == net + tax
    assert tax == sum(t.tax for t in taxes)
    for t in taxes:
        at_rate = sum(line.amount for line in lines if line.tax_rate == t.rate)
        assert t.net == at_rate
        assert t.tax == round_half_up(Fraction(at_rate) * Fraction(t.rate) / 100, places)
    for amount in (net, tax, total):
        assert amount.as_tuple().exponent == -places  # exactly the currency's minor units
    if nok_rate is not None:
        assert tax_nok == sum((t.tax_nok or Decimal(0) for t in taxes), Decimal(0))


PERIOD_MONTHS = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)),
    billing=st.sampled_from(["month", "quarter", "half-year", "year", "term"]),
    priced=st.sampled_from(["month", "quarter", "half-year", "year", "term"]),
    monthly_cents=st.integers(0, 5_000_00),
    quantity=st.integers(1, 40),
)
def test_a_years_invoices_sum_to_the_contract_value(
    start: dt.date, billing: str, priced: str, monthly_cents: int, quantity: int
) -> None:
    """A 12-month contract (any start day, 29–31 included) bills exactly 12 × its monthly
    amount over its invoices, whatever the billing period, when that amount is whole cents."""
    end = _add_months(start, 12) - dt.timedelta(days=1)
    months = 12 if priced == "term" else PERIOD_MONTHS[priced]
    price = Decimal(monthly_cents * months) / 100
    contracts = (
        "contract_id,customer_id,start_date,end_date,billing_period\n"
        f"K1,C1,{start},{end},{billing}\n"
    )
    lines = (
        f"contract_id,product,quantity,unit_price,price_period\nK1,A,{quantity},{price},{priced}\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        root = billing_dir(Path(folder), contracts, lines)
        first = f"{start:%Y-%m}"
        last = f"{_add_months(start, 11):%Y-%m}"
        invoices = run_months(root, first, last)
    assert sum(i.net for i in invoices) == Decimal(quantity * monthly_cents * 12) / 100
    assert len(invoices) == 12 // (12 if billing == "term" else PERIOD_MONTHS[billing])
    assert invoices[-1].period_end == end


def _add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
