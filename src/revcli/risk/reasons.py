"""What every churn-risk signal returns, and the text of its reasons, built with
expressions so that no Python loop runs over customers."""

from __future__ import annotations

import polars as pl

from revcli.metrics.common import CUSTOMER

EXACT = 9
"""Digits kept before comparing a computed ratio with its threshold, so that a decline
of exactly 20 % is not 19.999999999999996 %."""


def whole(value: pl.Expr) -> pl.Expr:
    """A number rounded half away from zero to a whole number, with thousands
    separators: 1234567.5 → '1,234,568'.

    Every digit of the float up to 10^38 (through a 38-digit Decimal, not Int64, so a
    usage sum or an amount of 10^20 does not overflow); beyond that, the float's own
    text (``1e+40``).
    """
    # Rounding to 6 places first absorbs float noise (0.4999999999 → 0.5); from 2^52 on a
    # float is whole already, and rounding it to 6 places would change its last digits.
    rounded = value.round(6).round(0, mode="half_away_from_zero")
    n = pl.when(value.abs() < 2**52).then(rounded).otherwise(value)
    digits = n.abs().cast(pl.Decimal(38, 0), strict=False).cast(pl.String)
    # Rust regexes have no look-ahead: group from the right by reversing the digits.
    grouped = (
        digits.str.reverse().str.replace_all(r"(\d{3})", "${1},").str.strip_chars_end(",")
    ).str.reverse()
    body = pl.coalesce(grouped, n.abs().cast(pl.String))
    return pl.when(n < 0).then(pl.lit("-") + body).otherwise(body)


def tenths(value: pl.Expr) -> pl.Expr:
    """A non-negative number with one decimal: 0.55 → '0.6'."""
    n = (value * 10).round(6).round(0, mode="half_away_from_zero").cast(pl.Int64)
    return pl.concat_str((n // 10).cast(pl.String), pl.lit("."), (n % 10).cast(pl.String))


def plural(n: pl.Expr, one: str, many: str) -> pl.Expr:
    return pl.concat_str(
        n.cast(pl.String), pl.lit(" "), pl.when(n == 1).then(pl.lit(one)).otherwise(pl.lit(many))
    )


def in_days(n: pl.Expr) -> pl.Expr:
    return pl.when(n == 0).then(pl.lit("today")).otherwise(pl.lit("in ") + plural(n, "day", "days"))


def months_text(n: int) -> str:
    return (
        "the last month vs the month before" if n == 1 else f"the last {n} months vs the {n} before"
    )


def result(
    active: pl.DataFrame, found: pl.DataFrame, fired: pl.Expr, reason: pl.Expr
) -> pl.DataFrame:
    """One row per active customer: ``customer_id, fired, reason, available``.

    ``found`` holds one row per customer with data for the signal; ``fired`` and
    ``reason`` are evaluated on it (reason kept only where the signal fired).
    """
    scored = found.select(
        CUSTOMER,
        fired.fill_null(False).alias("fired"),
        reason.alias("reason"),
        pl.lit(True).alias("available"),
    ).with_columns(pl.when(pl.col("fired")).then(pl.col("reason")).alias("reason"))
    return (
        active.select(CUSTOMER)
        .join(scored, on=CUSTOMER, how="left")
        .with_columns(pl.col("fired").fill_null(False), pl.col("available").fill_null(False))
    )


def nothing(active: pl.DataFrame, available: bool = False) -> pl.DataFrame:
    return active.select(
        CUSTOMER,
        pl.lit(False).alias("fired"),
        pl.lit(None, dtype=pl.String).alias("reason"),
        pl.lit(available).alias("available"),
    )
