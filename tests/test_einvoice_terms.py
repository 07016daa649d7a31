"""How a line's amount arises: shown quantity × shown price = shown amount, or the line says how."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.decimals import round_half_up
from revcli.einvoice.model import PriceStep
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
    # A recurring price still says per what: 1 × 1,000 per year × 1 of its 12 months
    # = 83.333… → 83.33.
    yearly = line_terms(
        line(unit_price=D(1000), price_period="year", price_months=months_of(12), amount=D("83.33"))
    )
    assert how(yearly, "NOK") == "1 × 1000 NOK per year × 1 of 12 months, rounded to 83.33"


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


# --- the line note: what a buyer's accountant reads --------------------------------------


def test_a_term_price_billed_monthly_reads_one_month_of_the_term_in_months_and_days() -> None:
    # A term of 6 months and 15 days is 6 + 15/30.4375 months (docs/rules.md); a month of
    # it costs 3 × 1,934.13 ÷ (6 + 15/30.4375) = 5,802.39 × 487/3,162 = 893.663… → 893.66.
    # It was "× 487/3162 term": neither days nor a share a reader could check.
    item = line(
        quantity=D(3),
        unit_price=D("1934.13"),
        price_period="term",
        price_months=months_of(6, 15),
        amount=D("893.66"),
    )
    assert how(line_terms(item), "NOK") == (
        "3 × 1934.13 NOK per term × 1 of (6 + 15/30.4375) months, rounded to 893.66"
    )


def test_a_monthly_price_over_a_term_of_months_and_days_reads_the_months() -> None:
    # 100 a month for a first term of 6 months and 15 days, all 197 days active:
    # 100 × (6 + 15/30.4375) = 600 + 49.281… = 649.281… → 649.28 (was "× 3162/487 month")
    item = line(
        unit_price=D(100),
        period_months=months_of(6, 15),
        service_end=dt.date(2026, 7, 16),
        active_days=197,
        period_days=197,
        amount=D("649.28"),
    )
    assert how(line_terms(item), "NOK") == (
        "1 × 100 NOK per month × (6 + 15/30.4375) months, rounded to 649.28"
    )


def test_a_prorated_first_month_reads_its_days_of_the_month() -> None:
    # 2 × 290 for 16 of the 30 days of June: 9,280 / 30 = 309.333… → 309.33
    item = line(
        quantity=D(2), unit_price=D(290), active_days=16, period_days=30, amount=D("309.33")
    )
    assert how(line_terms(item), "NOK") == (
        "2 × 290 NOK per month × 16 of 30 days, rounded to 309.33"
    )


def test_a_year_price_billed_monthly_and_prorated_reads_months_then_days() -> None:
    # 2 × 1,000 a year, 1 of its 12 months, 22 of that month's 31 days:
    # 2,000 × 22 / 372 = 118.279… → 118.28
    item = line(
        quantity=D(2),
        unit_price=D(1000),
        price_period="year",
        price_months=months_of(12),
        active_days=22,
        amount=D("118.28"),
    )
    assert how(line_terms(item), "NOK") == (
        "2 × 1000 NOK per year × 1 of 12 months × 22 of 31 days, rounded to 118.28"
    )


def test_a_monthly_and_a_quarterly_price_that_multiply_out_have_no_note() -> None:
    # 4 × 125.50 a month billed quarterly is 4 × 376.50 = 1,506.00: nothing to explain
    quarterly = line(quantity=D(4), unit_price=D("125.50"), period_months=months_of(3))
    assert how(line_terms(dataclasses.replace(quarterly, amount=D("1506.00"))), "NOK") == ""
    assert how(line_terms(line()), "NOK") == ""


def test_an_uplift_inside_the_period_reads_each_piece_of_days() -> None:
    # 20 seats at 619 a month for 24 days, then 649.95 for 66 days of a 90-day quarter:
    # 20 × (14,856 + 42,896.70) / 90 × 3 = 20 × 1,925.09 = 38,501.80 exactly
    steps = (
        PriceStep(dt.date(2026, 12, 8), dt.date(2026, 12, 31), 24, D(619)),
        PriceStep(dt.date(2027, 1, 1), dt.date(2027, 3, 7), 66, D("649.95")),
    )
    item = line(
        quantity=D(20),
        unit_price=D(619),
        service_start=dt.date(2026, 12, 8),
        service_end=dt.date(2027, 3, 7),
        active_days=90,
        period_days=90,
        period_months=months_of(3),
        steps=steps,
        amount=D("38501.80"),
    )
    assert how(line_terms(item), "NOK") == (
        "20 × (24 days (2026-12-08 to 2026-12-31) at 619 + 66 days (2027-01-01 to 2027-03-07)"
        " at 649.95) NOK per month ÷ 90 days × 3 months = 38501.80"
    )
    # a piece of one day is "1 day (date)": 2 × (1 × 590 + 30 × 619.50) / 31 = 1,237.87…
    one_day = (
        PriceStep(dt.date(2026, 1, 1), dt.date(2026, 1, 1), 1, D(590)),
        PriceStep(dt.date(2026, 1, 2), dt.date(2026, 1, 31), 30, D("619.50")),
    )
    item = line(quantity=D(2), unit_price=D(590), steps=one_day, amount=D("1237.87"))
    assert how(line_terms(item), "NOK") == (
        "2 × (1 day (2026-01-01) at 590 + 30 days (2026-01-02 to 2026-01-31) at 619.50)"
        " NOK per month ÷ 31 days, rounded to 1237.87"
    )


def _note_value(note: str) -> tuple[Fraction, str]:
    """The exact value of a line note's numbers multiplied out, and the amount it states:
    ``of`` and ``÷`` divide, ``×`` and ``at`` multiply; units, dates and the currency are
    words a reader skips."""
    found = re.fullmatch(r"(.*)(?:, rounded to | = )(\d+(?:\.\d+)?)", note)
    assert found, note
    text = re.sub(r"\(\d{4}-\d\d-\d\d(?: to \d{4}-\d\d-\d\d)?\)", "", found[1])
    text = re.sub(
        r"\b(NOK|per (month|quarter|half-year|year|term)|one-time|days?|months?)\b", "", text
    )
    text = text.replace(" of ", " / ").replace(" at ", " * ").replace("×", "*").replace("÷", "/")
    tree = ast.parse(text, mode="eval")

    def value(node: ast.expr) -> Fraction:
        if isinstance(node, ast.Constant):
            literal = ast.get_source_segment(text, node)
            assert literal is not None
            return Fraction(literal)
        assert isinstance(node, ast.BinOp), ast.dump(node)
        left, right = value(node.left), value(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Mult):
            return left * right
        assert isinstance(node.op, ast.Div), ast.dump(node)
        return left / right

    return value(tree.body), found[2]


@settings(max_examples=300, deadline=None)
@given(
    quantity=st.decimals(min_value=1, max_value=500, places=2),
    price=st.decimals(min_value="0.01", max_value=100_000, places=4),
    priced=st.sampled_from([*PERIODS, "once", "term"]),
    billed=st.sampled_from([*PERIODS, "term"]),
    term=st.tuples(st.integers(0, 36), st.integers(0, 30)).filter(lambda t: t != (0, 0)),
    days=st.tuples(st.integers(1, 1100), st.integers(1, 1100)),
)
def test_a_line_note_multiplies_out_to_its_amount_and_shows_term_days_as_months(
    *,
    quantity: Decimal,
    price: Decimal,
    priced: str,
    billed: str,
    term: tuple[int, int],
    days: tuple[int, int],
) -> None:
    """Every number of the note multiplied out, as written, is the exact amount before
    rounding, and the amount it ends with is the line's; a term's days appear only as
    days of 30.4375 a month, never as a bare fraction of a term."""
    active, period_days = min(days), max(days)
    term_months = months_of(*term)
    item = line(
        quantity=quantity,
        unit_price=price,
        price_period=priced,
        price_months=term_months if priced == "term" else months_of(PERIODS.get(priced, 1)),
        period_months=term_months if billed == "term" else months_of(PERIODS[billed]),
        active_days=active,
        period_days=period_days,
    )
    item = dataclasses.replace(item, amount=amount_of(item))
    terms = line_terms(item)
    note = how(terms, "NOK")
    if terms.multiplies:
        assert note == ""
        return
    exact, stated = _note_value(note)
    assert exact == terms.exact
    assert D(stated) == terms.gross == item.amount
    assert all(under == "30.4375" for under in re.findall(r"\d/([\d.]+)", note)), note
    assert not re.search(r"\d term\b", note), note  # no "× 487/3162 term"
