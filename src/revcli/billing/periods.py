"""Billing periods of contracts and the days each line is active in them (SPEC §3, §7).

Everything here is vectorised Polars over all contracts and lines at once; the exact money
of each invoice line is computed afterwards from these day counts (:mod:`.amounts`).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.calendar import add_months, month_diff, whole_months
from revcli.schema import PERIOD_MONTHS

DAY = pl.duration(days=1)

PERIOD_COLUMNS = (
    "contract_id",
    "customer_id",
    "currency",
    "billing_period",
    "po_number",
    "buyer_reference",
    "period_index",
    "period_start",
    "period_end",
    "months_whole",
    "months_days",
    "term_whole",
    "term_days",
    "contract_end",
    "cancelled_on",
    "renews",
    "renewal_start",
    "renewal_term_months",
    "renewal_uplift_pct",
)


def _ceil_div(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return -((-a) // b)


def contract_terms(contracts: pl.DataFrame) -> pl.DataFrame:
    """Per contract: what billing needs, with the first term's length as exact integers.

    In: typed contracts. Out: ``contract_id, customer_id, currency, billing_period,
    po_number, contract_start, contract_end, cancelled_on, renews`` (auto-renews and has an
    end date), ``renewal_start`` (first renewal day, null unless ``renews``),
    ``renewal_term_months, renewal_uplift_pct``, and ``term_whole``/``term_days``: the
    first term is ``term_whole + term_days / 30.4375`` months (SPEC §2), kept as two
    integers so that invoices can use the exact fraction instead of the float
    ``term_months``; null for an evergreen contract.
    """
    stop = pl.col("end_date") + DAY
    whole = whole_months(pl.col("start_date"), stop)
    renews = pl.col("auto_renew") & pl.col("end_date").is_not_null()
    return contracts.select(
        "contract_id",
        "customer_id",
        "currency",
        "billing_period",
        "po_number",
        "buyer_reference",
        pl.col("start_date").alias("contract_start"),
        pl.col("end_date").alias("contract_end"),
        "cancelled_on",
        renews.alias("renews"),
        pl.when(renews).then(stop).alias("renewal_start"),
        "renewal_term_months",
        "renewal_uplift_pct",
        whole.alias("term_whole"),
        (stop - add_months(pl.col("start_date"), whole)).dt.total_days().alias("term_days"),
    )


def billing_periods(contracts: pl.DataFrame, first: dt.date, last: dt.date) -> pl.DataFrame:
    """Every billing period that starts in the months ``first``..``last`` (first days).

    Periods are anchored on the contract's ``start_date`` and step ``billing_period``
    months, each computed from the anchor (31 Jan, 28 Feb, 31 Mar, …). ``term`` billing
    has the first term (``start_date``..``end_date``) and, for a contract that renews, one
    period per renewal term. A period ends the day before the next would start.

    Out, one row per (contract, period), sorted by ``period_start, contract_id``: the
    columns of :data:`PERIOD_COLUMNS`; ``months_whole + months_days / 30.4375`` is the
    length of the period in months (SPEC §7: ``billing_period`` months; the §2 term length
    for a first term; ``renewal_term_months`` for a renewal term).
    """
    head = contract_terms(contracts)
    lo = pl.lit(first)
    hi = pl.lit(last)
    start = pl.col("contract_start")
    step = pl.col("billing_period").replace_strict(
        PERIOD_MONTHS, default=None, return_dtype=pl.Int64
    )
    stepped = (
        head.filter(pl.col("billing_period") != "term")
        .with_columns(step.alias("months_whole"))
        .with_columns(
            pl.int_ranges(
                _ceil_div(month_diff(lo, start).clip(lower_bound=0), pl.col("months_whole")),
                month_diff(hi, start) // pl.col("months_whole") + 1,
            ).alias("period_index")
        )
        .explode("period_index")
        .with_columns(
            add_months(start, pl.col("period_index") * pl.col("months_whole")).alias(
                "period_start"
            ),
            (add_months(start, (pl.col("period_index") + 1) * pl.col("months_whole")) - DAY).alias(
                "period_end"
            ),
            pl.lit(0, dtype=pl.Int64).alias("months_days"),
        )
    )
    is_term = pl.col("billing_period") == "term"
    first_terms = head.filter(
        is_term & month_diff(start, lo).is_between(0, month_diff(hi, lo))
    ).with_columns(
        pl.lit(0, dtype=pl.Int64).alias("period_index"),
        start.alias("period_start"),
        pl.col("contract_end").alias("period_end"),
        pl.col("term_whole").alias("months_whole"),
        pl.col("term_days").alias("months_days"),
    )
    r1 = pl.col("renewal_start")
    term = pl.col("renewal_term_months")
    renewal_terms = (
        head.filter(is_term & pl.col("renews"))
        .with_columns(
            pl.int_ranges(
                _ceil_div(month_diff(lo, r1).clip(lower_bound=0), term),
                month_diff(hi, r1) // term + 1,
            ).alias("_j")
        )
        .explode("_j")
        .with_columns(
            (pl.col("_j") + 1).alias("period_index"),
            add_months(r1, pl.col("_j") * term).alias("period_start"),
            (add_months(r1, (pl.col("_j") + 1) * term) - DAY).alias("period_end"),
            term.alias("months_whole"),
            pl.lit(0, dtype=pl.Int64).alias("months_days"),
        )
    )
    parts = [frame.select(PERIOD_COLUMNS) for frame in (stepped, first_terms, renewal_terms)]
    return pl.concat(parts).sort("period_start", "contract_id", "period_index")


def _renewals_through(day: pl.Expr) -> pl.Expr:
    """How many renewal days of the contract fall on or before ``day`` (0 if it never renews)."""
    r1 = pl.col("renewal_start")
    return (
        pl.when(r1.is_not_null() & (day >= r1))
        .then(whole_months(r1, day) // pl.col("renewal_term_months") + 1)
        .otherwise(0)
    )


LINE_COLUMNS = (
    "contract_id",
    "period_start",
    "line_order",
    "line_id",
    "product",
    "description",
    "price_period",
    "quantity",
    "unit_price",
    "discount_pct",
    "tax_rate",
    "service_start",
    "service_end",
    "seg_start",
    "seg_days",
    "seg_uplifts",
)


def period_lines(periods: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """The lines billed in each period, with the days they are active (SPEC §3, §7).

    In: :func:`billing_periods` and typed contract lines. A recurring line is billed in a
    period when it is active on at least one of its days: from its ``start_date`` to the
    earliest of its own ``end_date``, the contract's ``cancelled_on`` and — unless the
    contract renews — the contract's ``end_date``. Free lines are kept (0.00). A ``once``
    line is billed in the period that contains its ``start_date``.

    Out, one row per (contract, period, line): the columns of :data:`LINE_COLUMNS`.
    ``service_start``/``service_end`` are the first and last day active in the period.
    The service days are split where a renewal day falls inside them: ``seg_start``
    (first day of each piece), ``seg_days`` (its days) and ``seg_uplifts`` (renewal
    uplifts in force on it: renewals after the line's start and on or before that day).
    A ``once`` line has one piece of one day and no uplift.
    """
    indexed = lines.with_row_index("line_order").with_columns(pl.col("line_order").cast(pl.Int64))
    joined = periods.join(indexed, on="contract_id", how="inner")
    is_once = pl.col("price_period") == "once"

    effective_end = pl.min_horizontal(
        pl.col("end_date"),
        pl.col("cancelled_on"),
        pl.when(~pl.col("renews")).then(pl.col("contract_end")),
    )
    a = pl.col("service_start")
    b = pl.col("service_end")
    recurring = (
        joined.filter(~is_once)
        .with_columns(
            pl.max_horizontal(pl.col("start_date"), pl.col("period_start")).alias("service_start"),
            pl.min_horizontal(effective_end, pl.col("period_end")).alias("service_end"),
        )
        .filter(a <= b)
        .with_row_index("_row")
        .with_columns(
            _renewals_through(pl.col("start_date")).alias("_n_line"),
            _renewals_through(a).alias("_n_a"),
            _renewals_through(b).alias("_n_b"),
        )
    )
    k = pl.col("_k")
    r1 = pl.col("renewal_start")
    term = pl.col("renewal_term_months")
    # Most lines see no renewal inside their service days: one piece, its lists written
    # directly; only the others are split piece by piece.
    split = pl.col("_n_a") < pl.col("_n_b")
    pieces = (
        recurring.filter(split)
        .select(
            "_row",
            "service_start",
            "service_end",
            "_n_line",
            "_n_a",
            "_n_b",
            "renewal_start",
            "renewal_term_months",
            pl.int_ranges(pl.col("_n_a"), pl.col("_n_b") + 1).alias("_k"),
        )
        .explode("_k")
        .with_columns(
            pl.when(k == pl.col("_n_a"))
            .then(a)
            .otherwise(add_months(r1, (k - 1) * term))
            .alias("_seg_start"),
            pl.when(k == pl.col("_n_b"))
            .then(b)
            .otherwise(add_months(r1, k * term) - DAY)
            .alias("_seg_end"),
        )
        .group_by("_row")
        .agg(
            pl.col("_seg_start").sort_by("_k").alias("seg_start"),
            ((pl.col("_seg_end") - pl.col("_seg_start")).dt.total_days() + 1)
            .sort_by("_k")
            .alias("seg_days"),
            (k - pl.col("_n_line")).sort_by("_k").alias("seg_uplifts"),
        )
    )
    single = recurring.filter(~split).select(
        "_row",
        pl.concat_list(a).alias("seg_start"),
        pl.concat_list((b - a).dt.total_days() + 1).alias("seg_days"),
        pl.concat_list(pl.col("_n_a").cast(pl.Int64) - pl.col("_n_line")).alias("seg_uplifts"),
    )
    pieces = pl.concat([single, pieces.select(single.columns)], how="vertical_relaxed")
    recurring = recurring.join(pieces, on="_row", how="left")

    once = joined.filter(
        is_once & pl.col("start_date").is_between(pl.col("period_start"), pl.col("period_end"))
    ).with_columns(
        pl.col("start_date").alias("service_start"),
        pl.col("start_date").alias("service_end"),
        pl.concat_list(pl.col("start_date")).alias("seg_start"),
        pl.concat_list(pl.lit(1, dtype=pl.Int64)).alias("seg_days"),
        pl.concat_list(pl.lit(0, dtype=pl.Int64)).alias("seg_uplifts"),
    )
    parts = [frame.select(LINE_COLUMNS) for frame in (recurring, once)]
    return pl.concat(parts).sort("period_start", "contract_id", "line_order")
