"""Exchange rates as the data checks and the engine read them: the rate in effect on a
row's date, and the rows that have none yet."""

from __future__ import annotations

import polars as pl

from revcli.errors import Issue
from revcli.rowchecks import frame_issues


def booking_rates(
    frame: pl.DataFrame,
    date: str,
    currency: str,
    fx: pl.DataFrame,
    base: str,
    *,
    exact: bool = False,
) -> pl.Series:
    """The rate in effect on ``date`` for each row: the latest fx row on or before it.

    1 for the base currency; null where no rate is known yet. Float64, or with ``exact``
    the decimals of ``fx_rates`` as they are.
    """
    dtype = fx.schema["rate"] if exact else pl.Float64
    rates = fx.select(
        pl.col("currency").alias("_fx_currency"),
        pl.col("date").alias("_fx_date"),
        pl.col("rate").cast(dtype).alias("_rate"),
    ).sort("_fx_date")
    keyed = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        pl.col(currency).alias("_fx_currency"),
        pl.col(date).alias("_fx_date"),
    )
    joined = (
        keyed.filter(pl.col("_fx_date").is_not_null() & (pl.col("_fx_currency") != base))
        .sort("_fx_date")
        .join_asof(
            rates, on="_fx_date", by="_fx_currency", strategy="backward", check_sortedness=False
        )
    )
    # Each rate back to its row by the row's number: cheaper than joining on it.
    found = pl.Series("_rate", [None], dtype).new_from_index(0, frame.height)
    found = found.scatter(joined.get_column("_row"), joined.get_column("_rate"))
    at_base = keyed.get_column("_fx_currency") == base
    one = pl.lit(1).cast(dtype)
    return pl.select(pl.when(at_base).then(one).otherwise(found)).to_series().alias("rate")


FEW_CURRENCIES = 8
"""Up to this many currencies with rates, a row's first rate date is found by comparing
its currency with each of them instead of a lookup."""


def no_rate(frame: pl.DataFrame, date: str, currency: str, fx: pl.DataFrame, base: str) -> pl.Expr:
    """Where :func:`booking_rates` finds no rate for a row that has a date and a currency.

    With every fx row complete (the usual case) that is a currency other than the base
    one whose first rate comes after the date, or that has none: one lookup of a handful
    of first dates instead of an as-of join. Otherwise the as-of join itself decides.
    """
    if fx.get_column("date").null_count() or fx.get_column("rate").null_count():
        return pl.lit(booking_rates(frame, date, currency, fx, base).is_null())
    first = fx.group_by("currency").agg(pl.col("date").min())
    if first.height > FEW_CURRENCIES:
        since = pl.col(currency).replace_strict(
            first.get_column("currency"), first.get_column("date"), default=None
        )
    else:  # a comparison per currency costs less than a lookup per row
        since = pl.lit(None, dtype=pl.Date)
        for code, day in first.iter_rows():
            since = pl.when(pl.col(currency) == code).then(pl.lit(day, pl.Date)).otherwise(since)
    return (pl.col(currency) != base) & (since.is_null() | (pl.col(date) < since))


def fx_coverage(
    contracts: pl.DataFrame, lines: pl.DataFrame, fx: pl.DataFrame, base: str
) -> list[Issue]:
    frame = contracts.filter(
        pl.col("start_date").is_not_null()
        & pl.col("currency").is_not_null()
        & no_rate(contracts, "start_date", "currency", fx, base)
    )
    if not frame.height:
        return []
    recurring = lines.filter(pl.col("price_period") != "once").get_column("contract_id").unique()
    return frame_issues(
        frame,
        pl.col("contract_id").is_in(recurring.implode()),
        "currency",
        pl.format("no {} rate on or before {} in fx_rates.csv", "currency", "start_date"),
    )
