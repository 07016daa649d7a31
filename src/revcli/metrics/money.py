"""Exact money for the MRR engine: decimals of 9 places, sums and ratios of them."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from revcli.errors import RevcliError

MONEY = pl.Decimal(38, 9)
"""MRR as exact decimals: the engine rounds each state to :data:`ROUND_DIGITS` digits, so sums
of states (a month's MRR, a movement's total, a cohort) are exact in this type, where
float sums would leave an error that tips a half cent (102.835 printed as 102.83) or
leaves 1e-14 where MRR is 0."""

MONEY_LIMIT = 10**27
"""Largest MRR the exact arithmetic takes in all: :data:`MONEY` holds 29 digits before the
point, so any sum of such amounts, and 12 × it (ARR), fits."""


def exact_money(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``columns`` as exact decimals; a :class:`RevcliError` (not a crash) when their
    magnitudes add up to :data:`MONEY_LIMIT` or more, so that no sum of them can overflow
    (renewal uplifts compounded over centuries, or a float that overflowed)."""
    total = frame.select(pl.max_horizontal(pl.col(c).abs().sum() for c in columns)).item()
    if total is not None and not total < MONEY_LIMIT:
        raise RevcliError(
            f"an MRR of {total:.3g} in all is too large to compute exactly (limit 1e27); "
            "check prices, quantities, renewal uplifts and dates"
        )
    return frame.with_columns(pl.col(*columns).cast(MONEY))


def exactly(value: pl.Expr) -> pl.Expr:
    """Float money ``value`` as an exact :data:`MONEY` decimal (the nearest with 9 places);
    null where its magnitude reaches :data:`MONEY_LIMIT`, which no decimal here holds."""
    return pl.when(value.abs() < MONEY_LIMIT).then(value).cast(MONEY)


def money_times(value: pl.Expr, factor: pl.Expr | int, per: int = 1) -> pl.Expr:
    """``value × factor / per`` for float money ``value`` and a whole or decimal ``factor``,
    worked out in exact decimals and made the nearest float, so that it prints as the
    exact product (12 × 514.80625 is 6177.674999999999 in floats, a half cent printed the
    wrong way). Magnitudes from :data:`MONEY_LIMIT` on are multiplied as floats."""
    # Back to 9 places first: a float is the nearest to such a decimal below 2^53 units.
    exact = (exactly(value) * factor / per).cast(MONEY).cast(pl.Float64)
    return pl.when(value.abs() < MONEY_LIMIT).then(exact).otherwise(value * factor / per)


_QUOTIENT = pl.Decimal(38, 18)
"""Quotients of exact money: 18 decimal places, of which the nearest float is the float
nearest to the exact quotient (but for ties far below any digit a report prints)."""


def money_ratio(num: pl.Expr, den: pl.Expr, times: int = 1) -> pl.Expr:
    """``times × num ÷ den`` for money (exact decimals, or floats each the nearest to one)
    as the float nearest to the exact quotient; null where ``den`` is 0.

    2,000.10 ÷ 2,000 is 1.00005 exactly, a half that prints as 1.0001; the float division
    of the two gives 1.0000499999999999, which prints as 1.0000. Quotients of 10^18 or
    more, or numerators beyond 10^16, are divided as floats."""
    rough = num.cast(pl.Float64) * times / den.cast(pl.Float64)
    fits = (num.cast(pl.Float64).abs() < 1e16) & (rough.abs() < 1e18) & (den != 0)
    top = (pl.when(fits).then(num).cast(MONEY) * times).cast(_QUOTIENT)
    exact = (top / den.cast(MONEY)).cast(pl.String).cast(pl.Float64)
    return pl.when(den == 0).then(None).when(fits).then(exact).otherwise(rough)


def money_sum(values: pl.Series) -> Decimal | float | int:
    """The exact decimal sum of float money ``values`` (each the nearest float to its
    exact value) when their magnitudes add up to less than 12 × :data:`MONEY_LIMIT`
    (ARR fits); beyond, the float sum; whole numbers (counts) as they are."""
    if values.dtype.is_integer():
        return int(values.sum())
    if values.abs().sum() < 12 * MONEY_LIMIT:
        return Decimal(values.cast(MONEY).sum())
    return float(values.sum())
