"""The test oracle of invoice money: SPEC §7 line amounts with Python ``Fraction``s, row by row.

This was revcli's implementation before the amounts were vectorised
(:mod:`revcli.billing.amounts`); it stays here, slow and obviously exact, for the property
tests to compare against. ``row`` is a :func:`~revcli.billing.periods.period_lines` row,
``head`` its :func:`~revcli.billing.periods.billing_periods` row.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from revcli.billing.money import plain, round_half_up, to_decimal
from revcli.schema import PERIOD_MONTHS, minor_units

DAYS_PER_MONTH = Fraction(487, 16)
"""30.4375 days, the unit of a term's leftover days (SPEC §2), as an exact fraction."""


def term_length(whole: int, days: int) -> Fraction:
    """Months of a span of ``whole`` months plus ``days`` days (SPEC §2): days / 30.4375."""
    return whole + days / DAYS_PER_MONTH


def exact_amount(row: Mapping[str, Any], head: Mapping[str, Any]) -> Fraction:
    """The exact (unrounded) amount of an invoice line in its contract's currency."""
    quantity: Decimal = row["quantity"]
    unit_price: Decimal = row["unit_price"]
    discount: Decimal = row["discount_pct"]
    base = Fraction(quantity) * Fraction(unit_price) * (1 - Fraction(discount) / 100)
    if row["price_period"] == "once":
        return base
    uplift = 1 + Fraction(head["renewal_uplift_pct"] or 0) / 100
    if row["price_period"] == "term":
        price_months = term_length(head["term_whole"], head["term_days"])
    else:
        price_months = Fraction(PERIOD_MONTHS[row["price_period"]])
    months = term_length(head["months_whole"], head["months_days"])
    period_days = (head["period_end"] - head["period_start"]).days + 1
    weighted = sum(
        (days * uplift**n for days, n in zip(row["seg_days"], row["seg_uplifts"], strict=True)),
        Fraction(0),
    )
    return base / price_months * months * weighted / period_days


def amount(row: Mapping[str, Any], head: Mapping[str, Any]) -> Decimal:
    """The line amount rounded once, half-up, to the currency's minor unit."""
    return round_half_up(exact_amount(row, head), minor_units(head["currency"]))


def prices(row: Mapping[str, Any], head: Mapping[str, Any]) -> list[Decimal]:
    """The unit price in force on each piece of the line's service days (uplifts applied,
    rounded half-up to 10 places, no trailing zeros)."""
    unit_price: Decimal = row["unit_price"]
    uplift = 1 + Fraction(head["renewal_uplift_pct"] or 0) / 100
    return [
        to_decimal(Fraction(unit_price) * uplift**n) if n else plain(unit_price)
        for n in row["seg_uplifts"]
    ]
