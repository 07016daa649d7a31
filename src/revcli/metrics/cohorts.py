"""The cohort table (SPEC §5): customers grouped by the month they were first active.

For each cohort and each later month it shows the cohort's MRR that month divided by
the MRR its members had in their first active month, and the share of members active.
Cohort MRR is a running sum of its members' MRR changes, as-of joined onto the
(cohort, month) grid: the cost grows with changes and cells, not customers × months.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import polars as pl

from revcli.calendar import month_diff
from revcli.data.validate import DataSet
from revcli.metrics.mrr import CUSTOMER, MONEY, MONTH, Book, exact_money, money_ratio
from revcli.metrics.report import policy_label, unfinished
from revcli.output.report import ColumnKind, Report

COHORT = "cohort"

COHORT_COLUMNS = (
    "cohort",
    "month",
    "age",
    "cohort_customers",
    "active_customers",
    "start_mrr",
    "mrr",
    "mrr_share",
    "customer_share",
)

COHORT_KINDS: dict[str, ColumnKind] = {
    "cohort": ColumnKind.MONTH,
    "month": ColumnKind.MONTH,
    "age": ColumnKind.COUNT,
    "cohort_customers": ColumnKind.COUNT,
    "active_customers": ColumnKind.COUNT,
    "start_mrr": ColumnKind.MONEY,
    "mrr": ColumnKind.MONEY,
    "mrr_share": ColumnKind.RATIO,
    "customer_share": ColumnKind.RATIO,
}


class CohortMetric(StrEnum):
    """Which share the heat map shows."""

    REVENUE = "revenue"
    LOGOS = "logos"


def cohort_table(book: Book, first: dt.date, last: dt.date) -> pl.DataFrame:
    """Cohort cells for the cohorts first active from ``first`` to ``last`` (first days),
    from the per-customer MRR states of ``book``.

    A customer's cohort is the first month it is active (MRR > 0 at the month's end),
    judged over its whole history. Each cohort gets one row per month from its own
    month (age 0) to ``last``. Out: ``cohort, month, age, cohort_customers,
    active_customers, start_mrr`` (members' MRR summed in the cohort month), ``mrr``
    (members' MRR that month; a member who churned and came back counts again),
    ``mrr_share = mrr / start_mrr`` and ``customer_share = active_customers /
    cohort_customers``; both shares are 1 at age 0. Sorted by cohort, month.
    """
    by_customer = exact_money(book.states([CUSTOMER], last), "prev", "cur")
    first_active = (
        by_customer.filter(pl.col("cur") > 0)
        .group_by(CUSTOMER)
        .agg(pl.col(MONTH).min().alias(COHORT))
        .filter(pl.col(COHORT).is_between(first, last))
    )
    sizes = first_active.group_by(COHORT).agg(pl.len().cast(pl.Int64).alias("cohort_customers"))
    running = (
        by_customer.join(first_active, on=CUSTOMER, how="inner")
        .group_by(COHORT, MONTH)
        .agg(
            (pl.col("cur") - pl.col("prev")).sum().alias("_dm"),
            ((pl.col("cur") > 0).cast(pl.Int64) - (pl.col("prev") > 0).cast(pl.Int64))
            .sum()
            .alias("_dc"),
        )
        .select(
            COHORT,
            MONTH,
            pl.col("_dm").cum_sum().over(COHORT, order_by=MONTH).alias("mrr"),
            pl.col("_dc").cum_sum().over(COHORT, order_by=MONTH).alias("active_customers"),
        )
        .sort(MONTH)
    )
    grid = (
        sizes.with_columns(pl.date_ranges(COHORT, pl.lit(last), interval="1mo").alias(MONTH))
        .explode(MONTH)
        .sort(MONTH)
    )
    cells = grid.join_asof(
        running, on=MONTH, by=COHORT, strategy="backward", check_sortedness=False
    ).with_columns(
        pl.col("mrr").fill_null(pl.lit(0).cast(MONEY)),
        pl.col("active_customers").fill_null(0),
        month_diff(pl.col(MONTH), pl.col(COHORT)).alias("age"),
    )
    start = pl.col("mrr").filter(pl.col("age") == 0).first().over(COHORT).alias("start_mrr")
    cells = cells.with_columns(start)
    return (
        cells.with_columns(
            pl.when(pl.col("start_mrr") > 0)
            .then(money_ratio(pl.col("mrr"), pl.col("start_mrr")))
            .alias("mrr_share"),
            (pl.col("active_customers") / pl.col("cohort_customers")).alias("customer_share"),
        )
        .select(COHORT_COLUMNS)
        .sort(COHORT, MONTH)
    )


def weighted_shares(cells: pl.DataFrame) -> pl.DataFrame:
    """The cohorts of ``cells`` pooled, age by age: what a heat map's columns average to.

    Each age pools the cohorts that have reached it, so a customer counts once whatever
    the size of its cohort: ``mrr_share`` = Σ mrr ÷ Σ start_mrr and ``customer_share`` =
    Σ active_customers ÷ Σ cohort_customers over those cohorts. Out: ``age, cohorts,
    cohort_customers, start_mrr, mrr, active_customers, mrr_share, customer_share``.
    """
    pooled = (
        cells.group_by("age")
        .agg(
            pl.len().cast(pl.Int64).alias("cohorts"),
            pl.col("cohort_customers").sum(),
            pl.col("start_mrr").sum(),
            pl.col("mrr").sum(),
            pl.col("active_customers").sum(),
        )
        .sort("age")
    )
    return pooled.with_columns(
        money_ratio(pl.col("mrr"), pl.col("start_mrr")).alias("mrr_share"),
        (pl.col("active_customers") / pl.col("cohort_customers")).alias("customer_share"),
    )


def heatmap(cells: pl.DataFrame, metric: CohortMetric) -> tuple[pl.DataFrame, list[str]]:
    """The cohort cells pivoted for reading: one row per cohort, one column per age.

    Out: ``cohort, cohort_customers, start_mrr, age_0 … age_N`` (the chosen share; null
    where the month lies after the last month) and the names of the age columns.
    """
    share = "mrr_share" if metric is CohortMetric.REVENUE else "customer_share"
    oldest = cells.select(pl.col("age").max()).item()
    names = [] if oldest is None else [f"age_{a}" for a in range(oldest + 1)]
    index = cells.filter(pl.col("age") == 0).select(COHORT, "cohort_customers", "start_mrr")
    if not names:
        return index, names
    wide = cells.with_columns(pl.format("age_{}", pl.col("age")).alias("_age")).pivot(
        "_age", on_columns=names, index=COHORT, values=share
    )
    return index.join(wide, on=COHORT, how="left").select(
        COHORT, "cohort_customers", "start_mrr", *names
    ).sort(COHORT), names


def cohort_report(
    data: DataSet,
    first: dt.date,
    last: dt.date,
    metric: CohortMetric = CohortMetric.REVENUE,
    *,
    pivot: bool = False,
    min_customers: int = 5,
    as_of: dt.date | None = None,
) -> Report:
    """The cohort table of cohorts first active from ``first`` to ``last`` (SPEC §5, §9).

    With ``pivot`` the report is the heat map (rows: cohort; columns: months since first
    active; cells: the ``metric`` share) meant for the terminal, with the pooled shares of
    :func:`weighted_shares` as its footer and cohorts of fewer than ``min_customers``
    members marked ``*``; otherwise one row per (cohort, month) with every column, for
    the machine formats.
    """
    cells = cohort_table(Book.of(data), first, last)
    span = first.strftime("%Y-%m") if first == last else f"{first:%Y-%m} – {last:%Y-%m}"
    base = data.settings.base_currency
    what = "MRR" if metric is CohortMetric.REVENUE else "customers"
    title = f"Cohorts {span}: {what} retained by months since first active ({base})"
    status, footnote = unfinished(first, last, as_of)
    meta = {
        "currency": base,
        "from": f"{first:%Y-%m}",
        "to": f"{last:%Y-%m}",
        "metric": metric.value,
        **status,
    }
    running = (footnote,) if footnote else ()
    if not cells.height:  # say why the table is empty, rather than leave it bare
        running = (f"No customer was first active in {span}.", *running)
    if not pivot:
        return Report(
            policy=policy_label(data.settings),
            title=title,
            frame=cells,
            kinds=COHORT_KINDS,
            notes=(
                "mrr_share = cohort MRR / its MRR in the cohort month (can pass 1); "
                "customer_share = members active / cohort size.",
                *running,
            ),
            meta=meta,
            name="cohorts",
        )
    wide, ages = heatmap(cells, metric)
    small = pl.col("cohort_customers") < min_customers
    wide = wide.with_columns(
        small.alias("small_cohort"),
        pl.format(
            "{}{}",
            pl.col(COHORT).dt.strftime("%Y-%m"),
            pl.when(small).then(pl.lit(" *")).otherwise(pl.lit("")),
        ).alias("cohort_label"),
    )
    share = "mrr_share" if metric is CohortMetric.REVENUE else "customer_share"
    pooled = weighted_shares(cells)
    totals: dict[str, object] = {
        "cohort_label": "weighted",
        "cohort_customers": int(cells.filter(pl.col("age") == 0)["cohort_customers"].sum()),
        "start_mrr": cells.filter(pl.col("age") == 0)["start_mrr"].sum(),
        **{f"age_{age}": value for age, value in pooled.select("age", share).iter_rows()},
    }
    small_count = int(wide.get_column("small_cohort").sum())
    rule = (
        "cohort MRR in month N ÷ its MRR in month 0; above 100 % the cohort expanded"
        if metric is CohortMetric.REVENUE
        else "members active in month N ÷ cohort size"
    )
    return Report(
        policy=policy_label(data.settings),
        title=title,
        frame=wide,
        kinds={
            "cohort": ColumnKind.MONTH,
            "cohort_customers": ColumnKind.COUNT,
            "start_mrr": ColumnKind.MONEY,
            **dict.fromkeys(ages, ColumnKind.SHARE),
        },
        totals=totals,
        notes=(
            f"Columns: months since first active. Cells: {rule}.",
            "weighted: every cohort that reached the age pooled (Σ cohort values ÷ Σ their "
            "month-0 values), so each customer counts once.",
            *(
                [
                    f"* {small_count} cohort{'s' if small_count != 1 else ''} of fewer than "
                    f"{min_customers} customers: one customer moves their shares a lot "
                    "(setting cohorts.min_customers)."
                ]
                if small_count
                else []
            ),
            "--metric revenue|logos picks the share shown.",
            *running,
        ),
        meta={**meta, "min_customers": min_customers},
        name="cohorts",
        table_columns=("cohort_label", "cohort_customers", "start_mrr", *ages),
        row_styles=["italic" if s else "" for s in wide.get_column("small_cohort")],
        labels={
            "cohort_label": "cohort",
            "cohort_customers": "customers",
            "start_mrr": "start MRR",
            **{name: name.removeprefix("age_") for name in ages},
        },
    )
