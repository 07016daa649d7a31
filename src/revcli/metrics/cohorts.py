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
from revcli.metrics.mrr import CUSTOMER, MONTH, mrr_events, states
from revcli.metrics.report import schedule_of
from revcli.metrics.retention import MONEY, exact_money
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


def cohort_table(schedule: pl.DataFrame, first: dt.date, last: dt.date) -> pl.DataFrame:
    """Cohort cells for the cohorts first active from ``first`` to ``last`` (first days).

    A customer's cohort is the first month it is active (MRR > 0 at the month's end),
    judged over its whole history. Each cohort gets one row per month from its own
    month (age 0) to ``last``. Out: ``cohort, month, age, cohort_customers,
    active_customers, start_mrr`` (members' MRR summed in the cohort month), ``mrr``
    (members' MRR that month; a member who churned and came back counts again),
    ``mrr_share = mrr / start_mrr`` and ``customer_share = active_customers /
    cohort_customers``; both shares are 1 at age 0. Sorted by cohort, month.
    """
    by_customer = exact_money(states(mrr_events(schedule, last), [CUSTOMER]), "prev", "cur")
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
            .then(pl.col("mrr").cast(pl.Float64) / pl.col("start_mrr").cast(pl.Float64))
            .alias("mrr_share"),
            (pl.col("active_customers") / pl.col("cohort_customers")).alias("customer_share"),
        )
        .select(COHORT_COLUMNS)
        .sort(COHORT, MONTH)
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
) -> Report:
    """The cohort table of cohorts first active from ``first`` to ``last`` (SPEC §5, §9).

    With ``pivot`` the report is the heat map (rows: cohort; columns: months since first
    active; cells: the ``metric`` share) meant for the terminal; otherwise one row per
    (cohort, month) with every column, for the machine formats.
    """
    cells = cohort_table(schedule_of(data), first, last)
    span = first.strftime("%Y-%m") if first == last else f"{first:%Y-%m} – {last:%Y-%m}"
    base = data.settings.base_currency
    what = "MRR" if metric is CohortMetric.REVENUE else "customers"
    title = f"Cohorts {span}: {what} retained by months since first active ({base})"
    meta = {
        "currency": base,
        "from": f"{first:%Y-%m}",
        "to": f"{last:%Y-%m}",
        "metric": metric.value,
    }
    if not pivot:
        return Report(
            title=title,
            frame=cells,
            kinds=COHORT_KINDS,
            notes=(
                "mrr_share = cohort MRR / its MRR in the cohort month (can pass 1); "
                "customer_share = members active / cohort size.",
            ),
            meta=meta,
            name="cohorts",
        )
    wide, ages = heatmap(cells, metric)
    rule = (
        "cohort MRR in month N ÷ its MRR in month 0; above 100 % the cohort expanded"
        if metric is CohortMetric.REVENUE
        else "members active in month N ÷ cohort size"
    )
    return Report(
        title=title,
        frame=wide,
        kinds={
            "cohort": ColumnKind.MONTH,
            "cohort_customers": ColumnKind.COUNT,
            "start_mrr": ColumnKind.MONEY,
            **dict.fromkeys(ages, ColumnKind.SHARE),
        },
        notes=(
            f"Columns: months since first active. Cells: {rule}.",
            "Every cell with its numbers: --format csv|json|markdown; "
            "--metric revenue|logos picks the share shown.",
        ),
        meta=meta,
        name="cohorts",
        labels={
            "cohort_customers": "customers",
            "start_mrr": "start MRR",
            **{name: name.removeprefix("age_") for name in ages},
        },
    )
