"""How a line's amount arises: shown quantity × shown price = shown amount, or the line says how."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.decimals import round_half_up
from revcli.einvoice.model import months as months_of
from revcli.einvoice.peppol import check_line_amounts, parse
from revcli.einvoice.terms import how, line_terms
from revcli.einvoice.ubl import ubl
from tests.einvoice_docs import amount_of, document, line

D = Decimal


def test_monthly_price_billed_quarterly_shows_the_price_per_quarter() -> None:
    # 4 × 125.50 a month, billed per quarter: 376.50 a quarter; 4 × 376.50 = 1,506.00
    item = line(
        quantity=D(4), unit_price=D("125.50"), period_months=months_of(3), amount=D("1506.00")
    )
    terms = line_terms(item)
    assert (terms.quantity, terms.unit_price, terms.per, terms.gross) == (
        D(4),
        D("376.5"),
        "quarter",
        D("1506.00"),
    )
    assert terms.multiplies and terms.months is None


def test_yearly_price_billed_monthly_folds_when_exact() -> None:
    # 1,200 a year ÷ 12 = 100 a month exactly
    terms = line_terms(
        line(
            unit_price=D(1200), price_period="year", price_months=months_of(12), amount=D("100.00")
        )
    )
    assert (terms.unit_price, terms.per, terms.multiplies) == (D(100), "month", True)


def test_yearly_price_billed_monthly_shows_the_months_when_not_exact() -> None:
    # 1,000 a year ÷ 12 = 83.333…: shown as 1,000 per year × 1/12; 83.33 rounded
    terms = line_terms(
        line(unit_price=D(1000), price_period="year", price_months=months_of(12), amount=D("83.33"))
    )
    assert (terms.unit_price, terms.per, terms.months) == (D(1000), "year", Fraction(1, 12))
    assert not terms.multiplies and terms.rounded


def test_prorated_line_shows_its_share_of_days() -> None:
    # 1 × 1,000 for 17 of 31 days = 548.387… → 548.39
    terms = line_terms(line(active_days=17, amount=D("548.39")))
    assert terms.share == (17, 31) and not terms.multiplies
    assert round_half_up(terms.exact, 2) == D("548.39")


def test_a_one_time_fee_that_does_not_multiply_out_reads_one_time() -> None:
    # 1 × 999.995 = 999.995, rounded half up to 1,000.00: the note says how, and a fee
    # paid once is "one-time", not "per once".
    terms = line_terms(
        line(
            unit_price=D("999.995"),
            price_period="once",
            price_months=months_of(0),
            amount=D("1000.00"),
        )
    )
    assert how(terms, "NOK") == "1 × 999.995 NOK one-time, rounded to 1000.00"
    # A recurring price still says per what: 1 × 1,000 per year × 1/12 (no exact decimal
    # of 4 places, so a fraction) = 83.333… → 83.33.
    yearly = line_terms(
        line(unit_price=D(1000), price_period="year", price_months=months_of(12), amount=D("83.33"))
    )
    assert how(yearly, "NOK") == "1 × 1000 NOK per year × 1/12 year, rounded to 83.33"


def test_discount_is_gross_minus_net() -> None:
    # 3 × 33.33 = 99.99; less 12.5 %: 87.49125 → 87.49; discount 99.99 − 87.49 = 12.50
    terms = line_terms(
        line(quantity=D(3), unit_price=D("33.33"), discount_pct=D("12.5"), amount=D("87.49"))
    )
    assert (terms.gross, terms.discount, terms.net, terms.multiplies) == (
        D("99.99"),
        D("12.50"),
        D("87.49"),
        True,
    )


def test_credit_note_lines_show_positive_numbers() -> None:
    terms = line_terms(line(amount=D("-1000.00"), quantity=D(1)))
    assert (terms.gross, terms.net, terms.multiplies) == (D("1000.00"), D("1000.00"), True)


decimals = st.decimals(
    min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False
)
PERIODS = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


@settings(max_examples=300, deadline=None)
@given(
    quantity=st.decimals(min_value=0, max_value=500, places=2),
    price=decimals,
    discount=st.sampled_from([D(0), D(0), D(5), D("12.5"), D("33.3333"), D(100)]),
    billed=st.sampled_from(list(PERIODS)),
    priced=st.sampled_from([*PERIODS, "once", "term"]),
    active=st.integers(min_value=1, max_value=31),
    term_days=st.integers(min_value=0, max_value=29),
)
def test_shown_numbers_multiply_out_or_say_how(
    *,
    quantity: Decimal,
    price: Decimal,
    discount: Decimal,
    billed: str,
    priced: str,
    active: int,
    term_days: int,
) -> None:
    """For every line: net = gross − discount; gross is the shown numbers' product rounded
    once; when nothing else is shown, quantity × unit price = gross exactly; and the UBL
    line's net is quantity × price ÷ base quantity − allowances exactly (R120)."""
    price_months = (
        months_of(24, term_days) if priced == "term" else months_of(PERIODS.get(priced, 1))
    )
    item = line(
        quantity=quantity,
        unit_price=price,
        discount_pct=discount,
        price_period=priced,
        price_months=price_months,
        period_months=months_of(PERIODS[billed]),
        active_days=min(active, 31),
        period_days=31,
    )
    item = dataclasses.replace(item, amount=amount_of(item))
    terms = line_terms(item)
    assert terms.net == item.amount
    assert terms.gross - terms.discount == terms.net
    assert round_half_up(terms.exact, 2) == terms.gross
    if terms.multiplies:
        assert terms.months is None and terms.share is None and not terms.steps
        assert Fraction(terms.quantity) * Fraction(terms.unit_price) == Fraction(terms.gross)
    else:
        assert terms.months is not None or terms.share is not None or terms.rounded
    assert list(check_line_amounts(parse(ubl(document([item]))))) == []
