"""Change events of MRR at month-ends (SPEC §2–3): a line's start, its renewal uplifts and
its end, instead of every month it is active."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli import calendar
from revcli.calendar import (
    add_months,
    first_days,
    month_end,
    month_number,
    whole_months,
)
from revcli.concurrency import in_halves
from revcli.metrics import common
from revcli.metrics.common import CUSTOMER, MONTH, PRODUCT
from revcli.metrics.states import states


def mrr_events(schedule: pl.DataFrame, until: dt.date, carry: tuple[str, ...] = ()) -> pl.DataFrame:
    """Change events of MRR at month-ends, up to the month ``until``.

    Out: ``customer_id, product, month, dv`` (change of MRR in the base currency) and
    ``dn`` (change in the number of paying lines, so that a sum that returns to zero is
    exactly zero), plus the schedule's columns named in ``carry``. Free lines make no
    events. Rows come per kind (starts, renewal uplifts, ends), each in schedule order.

    Months are counted as :func:`~revcli.calendar.month_number` integers and turned into
    dates once at the end. From :data:`common.SPLIT_ROWS` lines on, the two halves of the
    schedule are worked out side by side (each line's events are its own) and their rows
    put in the same order.
    """
    kinds: list[pl.DataFrame]
    if schedule.height < common.SPLIT_ROWS:
        kinds = list(_event_kinds(schedule, until, carry))
    else:
        first, second = in_halves(schedule, lambda part: _event_kinds(part, until, carry))
        kinds = [part for pair in zip(first, second, strict=True) for part in pair]
    events = pl.concat(kinds)
    return events.with_columns(first_days(events.get_column(MONTH)))


def _event_kinds(
    schedule: pl.DataFrame, until: dt.date, carry: tuple[str, ...]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The starts, renewal uplifts and ends of :func:`mrr_events`, months as numbers."""
    limit = until.year * 12 + until.month - 1
    horizon = pl.lit(calendar.month_end_day(until))
    paying = schedule.select(
        CUSTOMER,
        PRODUCT,
        *carry,
        "line_mrr",
        "uplift",
        "start_date",
        "end_date",
        "renewal_start",
        "renewal_term_months",
    ).filter(pl.col("line_mrr") > 0)
    # A line's last month is the last whose final day it covers: the month before the
    # one holding the day after its end.
    after = paying.select((pl.col("end_date").cast(pl.Int32) + 1).cast(pl.Date)).to_series()
    spans = paying.with_columns(
        month_numbers(paying.get_column("start_date")).alias("_first"),
        (month_numbers(after) - 1).alias("_last"),
    ).filter(
        (pl.col("_last").is_null() | (pl.col("_last") >= pl.col("_first")))
        & (pl.col("_first") <= limit)
    )
    # Renewal uplifts: renewal k starts on renewal_start + k × term months (clamped), and
    # raises MRR when it starts after the line's start, on or before its end (and the
    # horizon) and in a month the line covers. Those k run from _k0 on, _n of them; only
    # lines that renew with an uplift are worked out.
    renewal, term = pl.col("renewal_start"), pl.col("renewal_term_months")
    stop = pl.min_horizontal(pl.col("end_date"), horizon)
    uplifted = spans.select(
        (renewal.is_not_null() & (pl.col("uplift") != 1) & (renewal <= stop)).fill_null(False)
    ).to_series()
    k0 = (
        pl.when(renewal > pl.col("start_date"))
        .then(0)
        .otherwise(whole_months(renewal, pl.col("start_date")) // term + 1)
    )
    k1 = pl.min_horizontal(
        whole_months(renewal, stop) // term, (pl.col("_last") - pl.col("_m0")) // term
    )
    keys = [CUSTOMER, PRODUCT, *carry]
    renewing = (
        spans.filter(uplifted)
        .select(
            *keys,
            "line_mrr",
            "uplift",
            "start_date",
            "end_date",
            "_last",
            renewal,
            term.cast(pl.Int64),
            month_number(renewal).alias("_m0"),
        )
        .with_columns(k0.alias("_k0"))
        .with_columns((k1 - pl.col("_k0") + 1).clip(lower_bound=0).fill_null(0).alias("_n"))
    )
    steps = (
        renewing.filter(pl.col("_n") > 0)
        .select(
            *keys,
            "line_mrr",
            "uplift",
            "_k0",
            "_m0",
            term,
            pl.int_ranges(pl.col("_k0"), pl.col("_k0") + pl.col("_n")).alias("_k"),
        )
        .explode("_k")
        .select(
            *keys,
            (pl.col("_m0") + pl.col("_k") * term).alias(MONTH),
            (
                pl.col("line_mrr")
                * pl.col("uplift").pow(pl.col("_k") - pl.col("_k0"))
                * (pl.col("uplift") - 1)
            ).alias("dv"),
            pl.lit(0, dtype=pl.Int64).alias("dn"),
        )
    )
    # Steps taken per line (0 for lines without uplifted renewals), for the end's amount.
    taken = pl.zeros(spans.height, pl.Int64, eager=True).scatter(
        uplifted.arg_true(), renewing.get_column("_n")
    )
    spans = spans.with_columns(taken.alias("_n"))
    starts = spans.select(
        *keys,
        pl.col("_first").alias(MONTH),
        pl.col("line_mrr").alias("dv"),
        pl.lit(1, dtype=pl.Int64).alias("dn"),
    )
    ends = spans.filter(pl.col("_last") < limit).select(
        *keys,
        (pl.col("_last") + 1).alias(MONTH),
        (-pl.col("line_mrr") * pl.col("uplift").pow(pl.col("_n"))).alias("dv"),
        pl.lit(-1, dtype=pl.Int64).alias("dn"),
    )
    return starts, steps, ends


def month_numbers(dates: pl.Series) -> pl.Series:
    """:func:`~revcli.calendar.month_number` of each of ``dates`` (nulls stay null),
    looked up in a table of the days from the first date to the last: cheaper than
    taking every date apart into year and month."""
    days = dates.cast(pl.Int32)
    lo, hi = days.min(), days.max()
    if not isinstance(lo, int) or not isinstance(hi, int) or hi - lo >= 2**20:
        return dates.to_frame("d").select(month_number(pl.col("d"))).to_series().alias(dates.name)
    table = (
        pl.int_range(lo, hi + 1, dtype=pl.Int32, eager=True)
        .cast(pl.Date)
        .to_frame("d")
        .select(month_number(pl.col("d")))
        .to_series()
    )
    return table.gather(days - lo).alias(dates.name)


def month_end_rates(
    fx: pl.DataFrame, currencies: pl.Series, first: dt.date, last: dt.date, base: str
) -> pl.DataFrame:
    """The rate in effect on the last day of every month from ``first`` to ``last``, for
    each of ``currencies``: ``currency, month, rate`` (1 for the base currency).

    In: typed ``fx_rates`` (``date, currency, rate``).
    """
    months = pl.date_range(first, last, interval="1mo", eager=True).alias(MONTH).to_frame()
    grid = (
        currencies.unique()
        .to_frame("currency")
        .join(months, how="cross")
        .with_columns(month_end(pl.col(MONTH)).alias("_day"))
    )
    table = fx.select(
        "currency", pl.col("date").alias("_day"), pl.col("rate").cast(pl.Float64)
    ).sort("_day")
    return (
        grid.sort("_day")
        .join_asof(table, on="_day", by="currency", strategy="backward", check_sortedness=False)
        .select(
            "currency",
            MONTH,
            pl.when(pl.col("currency") == base).then(1.0).otherwise(pl.col("rate")).alias("rate"),
        )
    )


def valued_events(schedule: pl.DataFrame, until: dt.date, rates: pl.DataFrame) -> pl.DataFrame:
    """Events of MRR with lines valued at each month-end's rate (SPEC §12, ``fx: month_end``).

    In: the schedule, and :func:`month_end_rates` covering every month from the month
    before the first event to ``until``. Out: ``customer_id, product, month, dv, dn`` as
    :func:`mrr_events`, plus ``fx``: for a (customer, product, currency) with MRR at both
    month-ends, its last MRR in its currency × (this month-end's rate − last month-end's).
    A key's MRR in its currency changes only with its events, its value also with the
    rate: a zero event in every month its currency's rate moved keeps the sums exact.
    """
    key = [CUSTOMER, PRODUCT, "currency"]
    in_currency = schedule.with_columns(pl.col("line_mrr_ccy").alias("line_mrr"))
    events = mrr_events(in_currency, until, carry=("currency",))
    first = events.group_by(key).agg(pl.col(MONTH).min().alias("_first"))
    moved = rates.with_columns(
        pl.col("rate").shift(1).over("currency", order_by=MONTH).alias("_was")
    ).filter(pl.col("_was").is_not_null() & (pl.col("rate") != pl.col("_was")))
    steps = (
        first.join(moved.select("currency", MONTH), on="currency")
        .filter(pl.col(MONTH) > pl.col("_first"))
        .select(*key, MONTH, pl.lit(0.0).alias("dv"), pl.lit(0, pl.Int64).alias("dn"))
    )
    held = states(pl.concat([events, steps], how="diagonal_relaxed"), key)
    now = rates.select("currency", MONTH, pl.col("rate").alias("_r1"))
    before = rates.select(
        "currency", add_months(pl.col(MONTH), 1).alias(MONTH), pl.col("rate").alias("_r0")
    )
    prev, cur = pl.col("prev"), pl.col("cur")
    prev_value = pl.when(prev > 0).then(prev * pl.col("_r0")).otherwise(0.0)
    return (
        held.join(now, on=["currency", MONTH], how="left")
        .join(before, on=["currency", MONTH], how="left")
        .select(
            CUSTOMER,
            PRODUCT,
            MONTH,
            (cur * pl.col("_r1") - prev_value).alias("dv"),
            ((cur > 0).cast(pl.Int64) - (prev > 0).cast(pl.Int64)).alias("dn"),
            pl.when((prev > 0) & (cur > 0))
            .then(prev * (pl.col("_r1") - pl.col("_r0")))
            .otherwise(0.0)
            .alias("fx"),
        )
    )


def free_line_events(schedule: pl.DataFrame, until: dt.date) -> pl.DataFrame:
    """Events of the number of free lines (``line_mrr`` = 0) active at month-ends: their
    :func:`states` per customer count them in ``cur``."""
    free = schedule.filter(pl.col("line_mrr") == 0).with_columns(
        pl.lit(1.0).alias("line_mrr"), pl.lit(1.0).alias("uplift")
    )
    return mrr_events(free, until)
