"""Pipeline MRR (SPEC §4): open opportunities by the month they are expected to close."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.calendar import month_start, shift_month
from revcli.data.fx import booking_rates
from revcli.data.validate import DataSet
from revcli.decimals import round_half_up
from revcli.metrics.mrr import MONTH, exact_money, money_sum, money_times, month_range
from revcli.output.report import ColumnKind, Report

PIPELINE_COLUMNS = ("month", "pipeline_mrr", "weighted_pipeline_mrr", "open_opportunities")
PAST_DUE = "past_due"
BY_CHOICES = ("type", "owner", "stage")

PIPELINE_KINDS = {
    "month": ColumnKind.MONTH,
    "pipeline_mrr": ColumnKind.MONEY,
    "weighted_pipeline_mrr": ColumnKind.MONEY,
    "open_opportunities": ColumnKind.COUNT,
    PAST_DUE: ColumnKind.BOOL,
}


def open_pipeline(opportunities: pl.DataFrame, fx: pl.DataFrame, base: str) -> pl.DataFrame:
    """Open opportunities valued in the base currency.

    In: typed ``opportunities`` (status and currency defaulted), ``fx`` rates, the base
    currency. Out, one row per open opportunity: ``opportunity_id, customer_id, type,
    owner, stage, expected_close, month`` (first day of the expected_close month),
    ``pipeline_mrr`` (``mrr`` × the rate in effect on ``expected_close``; the latest
    known rate for a future day), ``weighted_pipeline_mrr`` (× ``probability`` / 100),
    ``no_probability`` and ``no_mrr`` (the value was empty: it counts as 0).
    """
    frame = opportunities.filter(pl.col("status") == "open")
    rate = booking_rates(frame, "expected_close", "currency", fx, base)
    mrr = pl.col("mrr").cast(pl.Float64).fill_null(0.0) * pl.col("_rate")
    probability = pl.col("probability").fill_null(0)
    return frame.with_columns(rate.alias("_rate")).select(
        "opportunity_id",
        "customer_id",
        "type",
        "owner",
        "stage",
        "expected_close",
        month_start(pl.col("expected_close")).alias(MONTH),
        mrr.alias("pipeline_mrr"),
        money_times(mrr, probability, 100).alias("weighted_pipeline_mrr"),
        pl.col("probability").is_null().alias("no_probability"),
        pl.col("mrr").is_null().alias("no_mrr"),
    )


def pipeline_range(
    pipeline: pl.DataFrame, as_of: dt.date, first: dt.date | None, last: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The months a pipeline report covers when ``--from``/``--to`` are not both given.

    Default: from the earliest to the latest expected-close month of an open
    opportunity, so the report's total is the whole open pipeline (slipped deals whose
    expected_close has passed included); with no open opportunity, the 12 months from
    the as-of month. A single bound given keeps the other default, widened to at least
    that month.
    """
    months = pipeline.get_column(MONTH)
    if months.len():
        lo, hi = months.min(), months.max()
        assert isinstance(lo, dt.date)
        assert isinstance(hi, dt.date)
    else:
        lo = dt.date(as_of.year, as_of.month, 1)
        hi = shift_month(lo, 11)
    start = first if first is not None else min(lo, last) if last is not None else lo
    end = last if last is not None else max(hi, start)
    return start, end


def pipeline_table(
    pipeline: pl.DataFrame, first: dt.date, last: dt.date, by: str | None = None
) -> pl.DataFrame:
    """The ``revcli pipeline`` table: ``[by,] month, pipeline_mrr, weighted_pipeline_mrr,
    open_opportunities`` for every month from ``first`` to ``last`` (zeros included).

    In: the :func:`open_pipeline` frame. With ``by`` (``type``, ``owner``, ``stage``)
    every value over all open opportunities is a group in every month; an empty value
    is its own group (``""``).
    """
    group = by or "_all"
    tagged = pipeline.with_columns(
        (pl.col(by).cast(pl.String).fill_null("") if by else pl.lit("")).alias(group)
    )
    groups = tagged.select(group).unique() if by else pl.DataFrame({group: [""]})
    grid = groups.join(month_range(first, last).to_frame(), how="cross")
    sums = (
        exact_money(
            tagged.filter(pl.col(MONTH).is_between(first, last)),
            "pipeline_mrr",
            "weighted_pipeline_mrr",
        )
        .group_by(group, MONTH)
        .agg(
            # Summed as exact decimals, then the nearest floats.
            pl.col("pipeline_mrr").sum().cast(pl.Float64),
            pl.col("weighted_pipeline_mrr").sum().cast(pl.Float64),
            pl.len().cast(pl.Int64).alias("open_opportunities"),
        )
    )
    table = grid.join(sums, on=[group, MONTH], how="left").with_columns(
        pl.col("pipeline_mrr").fill_null(0.0),
        pl.col("weighted_pipeline_mrr").fill_null(0.0),
        pl.col("open_opportunities").fill_null(0),
    )
    keys = [by] if by else []
    return table.select(*keys, *PIPELINE_COLUMNS).sort([*keys, MONTH])


def _count_note(count: int, what: str) -> str | None:
    if not count:
        return None
    return f"{count} open opportunit{'y has' if count == 1 else 'ies have'} {what}"


def past_due(pipeline: pl.DataFrame, as_of: dt.date) -> tuple[int, float]:
    """How many open opportunities of ``pipeline`` (:func:`open_pipeline`) are past due,
    and their pipeline MRR: their expected-close month ended before the as-of month, yet
    they are still open — a deal that slipped and nobody moved."""
    late = pipeline.filter(pl.col(MONTH) < month_start(pl.lit(as_of)))
    return late.height, float(late.get_column("pipeline_mrr").sum())


def past_due_warning(report: Report) -> str | None:
    """The warning the CLI prints for a pipeline report with past-due opportunities."""
    count = report.meta.get("past_due_opportunities")
    if not count:
        return None
    meta = report.meta
    return (
        f"pipeline: {count} open deal{'' if count == 1 else 's'} past due "
        f"({meta['past_due_mrr']:,} {meta['currency']} MRR, close before "
        f"{meta['past_due_before']})"
    )


def pipeline_report(
    data: DataSet, as_of: dt.date, first: dt.date | None, last: dt.date | None, by: str | None
) -> Report:
    """Pipeline and weighted pipeline MRR per expected-close month (SPEC §4, §9)."""
    base = data.settings.base_currency
    pipe = open_pipeline(data.opportunities, data.fx_rates, base)
    start, end = pipeline_range(pipe, as_of, first, last)
    this_month = dt.date(as_of.year, as_of.month, 1)
    table = pipeline_table(pipe, start, end, by).with_columns(
        ((pl.col(MONTH) < this_month) & (pl.col("open_opportunities") > 0)).alias(PAST_DUE)
    )
    late, late_mrr = past_due(pipe, as_of)
    outside = pipe.filter(~pl.col(MONTH).is_between(start, end))
    notes = [
        f"Money in {base}: open opportunities in the month of their expected_close, "
        "converted at the rate in effect on that day; weighted = × probability / 100."
    ]
    if pipe.is_empty():  # every month is 0: say why
        notes.append("No open opportunity in the data (opportunities.csv, status open).")
    for note in (
        _count_note(
            int(pipe.get_column("no_probability").sum()), "no probability: weighted as 0 %"
        ),
        _count_note(int(pipe.get_column("no_mrr").sum()), "no mrr: counted as 0"),
    ):
        if note:
            notes.append(note + ".")
    if outside.height:
        notes.append(
            f"{outside.height} open opportunit{'y' if outside.height == 1 else 'ies'} "
            f"expected to close outside {start:%Y-%m} – {end:%Y-%m} "
            f"({round_half_up(outside.get_column('pipeline_mrr').sum(), 2):,} "
            f"{base} MRR) not shown."
        )
    if late:
        notes.append(
            f"{late} open opportunit{'y' if late == 1 else 'ies'} "
            f"({round_half_up(late_mrr, 2):,} {base} MRR) expected to close before "
            f"{this_month:%Y-%m} {'is' if late == 1 else 'are'} past due (past_due = true)."
        )
    span = start.strftime("%Y-%m") if start == end else f"{start:%Y-%m} – {end:%Y-%m}"
    return Report(
        title=f"Pipeline MRR {span} ({base})" + (f" by {by}" if by else ""),
        frame=table,
        kinds=PIPELINE_KINDS,
        totals={
            "pipeline_mrr": money_sum(table.get_column("pipeline_mrr")),
            "weighted_pipeline_mrr": money_sum(table.get_column("weighted_pipeline_mrr")),
            "open_opportunities": int(table.get_column("open_opportunities").sum()),
        },
        notes=tuple(notes),
        meta={
            "currency": base,
            "from": f"{start:%Y-%m}",
            "to": f"{end:%Y-%m}",
            "by": by,
            "past_due_opportunities": late,
            "past_due_mrr": round_half_up(late_mrr, 2),
            "past_due_before": f"{this_month:%Y-%m}",
        },
        name="pipeline",
        labels={
            "pipeline_mrr": "pipeline MRR",
            "weighted_pipeline_mrr": "weighted MRR",
            "open_opportunities": "open opps",
            PAST_DUE: "past due",
        },
    )
