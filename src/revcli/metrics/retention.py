"""Net and gross revenue retention and logo retention over a trailing window (SPEC §5).

The starting cohort of month M with a window of W months is every customer active at the
end of month M−W. Per member, only two numbers matter: its MRR at the end of M−W and at
the end of M; what happened in between (a dip and a recovery, a churn and a comeback)
does not. Both come from the MRR engine's change states by as-of joins, so the cost grows
with the number of changes and cohort members, not with months × customers.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl

from revcli.calendar import add_months
from revcli.data.validate import DataSet
from revcli.metrics.mrr import (
    CUSTOMER,
    MONEY,
    MONTH,
    PRODUCT,
    Book,
    exact_money,
    money_ratio,
    month_range,
)
from revcli.metrics.report import policy_label, unfinished
from revcli.output.report import ColumnKind, Report

NRR_COLUMNS = (
    "month",
    "window",
    "start_month",
    "cohort_customers",
    "retained_customers",
    "start_mrr",
    "end_mrr",
    "retained_mrr",
    "nrr",
    "grr",
    "logo_retention",
    "cohort_expansion",
    "cohort_contraction",
    "cohort_churn",
)

NRR_KINDS: dict[str, ColumnKind] = {
    "month": ColumnKind.MONTH,
    "window": ColumnKind.COUNT,
    "start_month": ColumnKind.MONTH,
    "cohort_customers": ColumnKind.COUNT,
    "retained_customers": ColumnKind.COUNT,
    "start_mrr": ColumnKind.MONEY,
    "end_mrr": ColumnKind.MONEY,
    "retained_mrr": ColumnKind.MONEY,
    "nrr": ColumnKind.RATIO,
    "grr": ColumnKind.RATIO,
    "logo_retention": ColumnKind.RATIO,
    "cohort_expansion": ColumnKind.SIGNED_MONEY,
    "cohort_contraction": ColumnKind.SIGNED_MONEY,
    "cohort_churn": ColumnKind.SIGNED_MONEY,
}

_FAR = dt.date(9999, 12, 1)
"""Stands for "no later change" at the end of a customer's last MRR state."""

_START = "_start"
_END = "_end"


def mrr_intervals(states: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Each key's MRR as intervals of months, from its :meth:`Book.states`: ``keys, month,
    next_month, mrr``.

    ``mrr`` (exact decimal) holds from the end of ``month`` up to, not including, the end
    of ``next_month`` (a far-future month for the last state).
    """
    return (
        exact_money(states, "cur")
        .with_columns(
            pl.col("cur").alias("mrr"),
            pl.col(MONTH).shift(-1).over(keys, order_by=MONTH).fill_null(_FAR).alias("next_month"),
        )
        .select(*keys, MONTH, "next_month", "mrr")
    )


_MONTH_BITS = 17
"""Bits of a month number (year × 12 + month − 1 < 2^17 up to year 9999) in a packed key."""


def _month_number(month: pl.Expr) -> pl.Expr:
    return month.dt.year().cast(pl.Int64) * 12 + month.dt.month().cast(pl.Int64) - 1


def _packed(keys: list[str], bounds: list[int], month: pl.Expr) -> pl.Expr:
    """One ``Int64`` that sorts as (``keys``, month): each key below its bound."""
    packed = pl.lit(0, dtype=pl.Int64)
    for key, bound in zip(keys, bounds, strict=True):
        packed = packed * bound + pl.col(key).cast(pl.Int64)
    return packed * (1 << _MONTH_BITS) + _month_number(month)


def cohort_members(intervals: pl.DataFrame, months: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Every starting-cohort member of every month, with its MRR at both ends.

    In: :func:`mrr_intervals` and ``months`` (``month, start_month``). Out: ``keys, month,
    start_month, _start`` (MRR at the end of ``start_month``, > 0) and ``_end`` (MRR at the
    end of ``month``, ≥ 0).

    A positive interval ``[month, next_month)`` makes its key a member for each start
    month it covers: the interval is spread over those month numbers (no range join). The
    MRR at the end of ``month`` is the key's latest state on or before it; with integer
    keys (the engine's codes) keys and month are packed into one sorted integer for that
    look-up.
    """
    starts = months.select(_month_number(pl.col("start_month")).alias("_s"), MONTH, "start_month")
    lo, hi = starts.select(pl.col("_s").min().alias("lo"), pl.col("_s").max().alias("hi")).row(0)
    active = intervals.filter(pl.col("mrr") > 0)
    members = (
        active.select(
            *keys,
            pl.int_ranges(
                pl.max_horizontal(_month_number(pl.col(MONTH)), pl.lit(lo or 0)),
                pl.min_horizontal(_month_number(pl.col("next_month")), pl.lit((hi or 0) + 1)),
            ).alias("_s"),
            pl.col("mrr").alias(_START),
        )
        .explode("_s")
        .join(starts, on="_s", how="inner")
        .select(*keys, MONTH, "start_month", _START)
    )
    integer = all(intervals.schema[k].is_integer() for k in keys)
    ranges = (
        intervals.select(
            *(pl.col(k).cast(pl.Int64).min().alias(f"{k}_min") for k in keys),
            *(pl.col(k).cast(pl.Int64).max().alias(k) for k in keys),
        ).row(0, named=True)
        if integer and intervals.height
        else {}
    )
    bounds = [int(ranges[k]) + 1 if ranges else 0 for k in keys]
    fits = (
        bool(ranges)
        and all(ranges[f"{k}_min"] >= 0 for k in keys)
        and math.prod(bounds) < 1 << (62 - _MONTH_BITS)
    )
    if not fits:  # text keys, or codes too large to pack: the look-up per key
        at_end = intervals.select(*keys, MONTH, pl.col("mrr").alias(_END)).sort(MONTH)
        joined = members.sort(MONTH).join_asof(
            at_end, on=MONTH, by=keys, strategy="backward", check_sortedness=False
        )
    else:
        at_end = intervals.select(
            _packed(keys, bounds, pl.col(MONTH)).alias("_k"), pl.col("mrr").alias(_END)
        ).sort("_k")
        joined = (
            members.with_columns(_packed(keys, bounds, pl.col(MONTH)).alias("_k"))
            .sort("_k")
            .join_asof(at_end, on="_k", strategy="backward", check_sortedness=False)
            .drop("_k")
        )
    return joined.with_columns(pl.col(_END).fill_null(pl.lit(0).cast(MONEY)))


def _groups(book: Book, by: str | None, group: str) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The group values (every one appears in every month; products as their codes) and
    each (coded) customer's group."""
    if by is None:
        return pl.DataFrame({group: [""]}), None
    if by == PRODUCT:
        return book.codes.products.select(pl.col("_code").alias(group)), None
    # The group's value is read before the key is coded: --by customer_id shows ids.
    attr = book.customers.select(
        CUSTOMER, pl.col(by).cast(pl.String).fill_null("").alias(group)
    ).unique(CUSTOMER, keep="first")
    return attr.select(group).unique(), book.codes.encode(attr)


def retention_table(
    book: Book,
    first: dt.date,
    last: dt.date,
    *,
    window: int = 12,
    by: str | None = None,
) -> pl.DataFrame:
    """The ``revcli nrr`` table: one row per month (per group with ``by``), SPEC §5 and §9.

    In: the :class:`~revcli.metrics.mrr.Book` of the data (its MRR states and customers), the
    first and last month M (first days) and the window W in months. ``by`` is ``None``,
    ``"product"`` or a customer column. For a customer column the cohort of a group is
    its customers active at the end of M−W, measured on their whole MRR; for
    ``product`` it is the customers with MRR in that product at the end of M−W, measured
    on their MRR in that product only.

    Out: ``[by,] month, window, start_month, cohort_customers, retained_customers,
    start_mrr, end_mrr, retained_mrr`` (exact decimals), ``nrr, grr, logo_retention``
    (fractions, null when the cohort is empty) and the signed ``cohort_expansion``
    (members whose MRR rose), ``cohort_contraction`` (members still active with less
    MRR) and ``cohort_churn`` (members no longer active), so that ``start_mrr +
    cohort_expansion + cohort_contraction + cohort_churn = end_mrr`` and ``start_mrr +
    cohort_contraction + cohort_churn = retained_mrr``. Every group appears in every
    month, zeros included; sorted by ``[by,] month``.
    """
    group = "_group"  # never a real column name, so --by customer_id works too
    keys = [CUSTOMER, PRODUCT] if by == PRODUCT else [CUSTOMER]
    months = (
        month_range(first, last)
        .to_frame()
        .with_columns(add_months(pl.col(MONTH), -window).alias("start_month"))
    )
    intervals = mrr_intervals(book.states(keys, last), keys)
    members = cohort_members(intervals, months, keys)
    groups, attr = _groups(book, by, group)
    if by == PRODUCT:
        members = members.rename({PRODUCT: group})
    elif attr is not None:
        members = members.join(attr, on=CUSTOMER, how="left").with_columns(
            pl.col(group).fill_null("")
        )
    else:
        members = members.with_columns(pl.lit("").alias(group))

    start, end = pl.col(_START), pl.col(_END)
    zero = pl.lit(0).cast(MONEY)
    sums = members.group_by(group, MONTH).agg(
        pl.len().cast(pl.Int64).alias("cohort_customers"),
        (end > 0).sum().cast(pl.Int64).alias("retained_customers"),
        start.sum().alias("start_mrr"),
        end.sum().alias("end_mrr"),
        pl.min_horizontal(start, end).sum().alias("retained_mrr"),
        (end - start).filter(end > start).sum().alias("cohort_expansion"),
        (end - start).filter((end > 0) & (end < start)).sum().alias("cohort_contraction"),
        (-start).filter(end == 0).sum().alias("cohort_churn"),
    )
    money = ("start_mrr", "end_mrr", "retained_mrr", *NRR_COLUMNS[-3:])
    table = (
        groups.join(months, how="cross")
        .join(sums, on=[group, MONTH], how="left")
        .with_columns(
            pl.lit(window, dtype=pl.Int64).alias("window"),
            pl.col("cohort_customers", "retained_customers").fill_null(0),
            *(pl.col(c).fill_null(zero).cast(MONEY) for c in money),
        )
    )
    base = pl.col("start_mrr")
    table = table.with_columns(
        pl.when(base > 0).then(money_ratio(pl.col("end_mrr"), base)).alias("nrr"),
        pl.when(base > 0).then(money_ratio(pl.col("retained_mrr"), base)).alias("grr"),
        pl.when(pl.col("cohort_customers") > 0)
        .then(pl.col("retained_customers") / pl.col("cohort_customers"))
        .alias("logo_retention"),
    )
    if by == PRODUCT:  # back from codes to product names
        table = book.codes.decode(table.rename({group: PRODUCT})).rename({PRODUCT: group})
    lead = [pl.col(group).alias(by)] if by else []
    return table.sort(group, MONTH).select(*lead, *NRR_COLUMNS)


_TABLE = (
    "month",
    "window",
    "start_month",
    "cohort_customers",
    "retained_customers",
    "start_mrr",
    "cohort_expansion",
    "cohort_contraction",
    "cohort_churn",
    "end_mrr",
    "retained_mrr",
    "nrr",
    "grr",
    "logo_retention",
)
_LABELS = {
    "window": "W",
    "start_month": "from",
    "cohort_customers": "cohort",
    "retained_customers": "kept",
    "start_mrr": "start MRR",
    "cohort_expansion": "expans.",
    "cohort_contraction": "contr.",
    "cohort_churn": "churn",
    "end_mrr": "end MRR",
    "retained_mrr": "kept MRR",
    "nrr": "NRR",
    "grr": "GRR",
    "logo_retention": "logos",
}


def nrr_report(
    data: DataSet,
    first: dt.date,
    last: dt.date,
    window: int = 12,
    by: str | None = None,
    *,
    as_of: dt.date | None = None,
) -> Report:
    """NRR, GRR and logo retention per month from ``first`` to ``last`` (SPEC §5, §9);
    months not over on ``as_of`` are marked (:func:`~revcli.metrics.report.unfinished`)."""
    table = retention_table(Book.of(data), first, last, window=window, by=by)
    span = first.strftime("%Y-%m") if first == last else f"{first:%Y-%m} – {last:%Y-%m}"
    base = data.settings.base_currency
    title = f"Retention {span}, {window}-month window ({base})" + (f" by {by}" if by else "")
    status, footnote = unfinished(first, last, as_of)
    meta: dict[str, Any] = {
        "currency": base,
        "from": f"{first:%Y-%m}",
        "to": f"{last:%Y-%m}",
        "window": window,
        "by": by,
        **status,
    }
    return Report(
        policy=policy_label(data.settings),
        title=title,
        frame=table,
        kinds=NRR_KINDS,
        notes=(
            f"Cohort: customers active at the end of the start month (month − {window}). "
            "NRR = end MRR / start MRR; GRR caps each customer at its start MRR; "
            "logos = share of the cohort still active.",
            f"start MRR + expansion + contraction + churn = end MRR; money in {base}.",
            *(
                (
                    "Blank NRR, GRR and logos: no customer was active at the end of the start "
                    "month, so there is nothing to retain.",
                )
                if table.get_column("cohort_customers").min() == 0
                else ()
            ),
            *((footnote,) if footnote else ()),
        ),
        meta=meta,
        name="nrr",
        table_columns=[*([by] if by else []), *_TABLE],
        labels=_LABELS,
        priority=[*([by] if by else []), "month", "nrr", "grr", "logo_retention", "start_mrr"],
    )
