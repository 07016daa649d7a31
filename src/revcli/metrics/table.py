"""The ``revcli mrr`` table's pieces: running totals, movement sums, derived columns."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.metrics.common import CUSTOMER, MONTH, MOVEMENTS
from revcli.metrics.money import MONEY, exact_money, money_ratio


def month_range(first: dt.date, last: dt.date) -> pl.Series:
    """First days of every month from ``first`` to ``last`` inclusive."""
    return pl.date_range(first, last, interval="1mo", eager=True).alias(MONTH)


def as_of_grid(grid: pl.DataFrame, running: pl.DataFrame, by: str, cols: list[str]) -> pl.DataFrame:
    joined = grid.sort(MONTH).join_asof(
        running.sort(MONTH), on=MONTH, by=by, strategy="backward", check_sortedness=False
    )
    return joined.with_columns(pl.col(c).fill_null(0) for c in cols)


def with_derived(
    table: pl.DataFrame, group: str, first: dt.date, *, with_fx: bool, exact: bool = False
) -> pl.DataFrame:
    """The ``revcli mrr`` table from its sums (``mrr``, ``customers``, the movement kinds
    as exact decimals): ARR, uplift, contraction, net change, net new, growth and ARPA
    added, money made floats (kept as the exact :data:`MONEY` decimals with ``exact``),
    and the month before ``first`` (kept for growth) dropped."""
    flows = (*MOVEMENTS, *(["fx"] if with_fx else []))
    uplift = pl.sum_horizontal("new", "expansion", "upgrade", "reactivation")
    contraction = pl.sum_horizontal("downgrade", "cancellation", "churn")
    change = uplift + contraction + (pl.col("fx") if with_fx else 0)
    # Sums of money in exact decimals; then floats (each the nearest to its exact
    # value, so it prints as that value), from which the ratios are taken.
    money = ["mrr", "arr", *flows, "uplift", "contraction", "net_change", "net_new"]
    prev_mrr = pl.col("mrr").shift(1).over(group, order_by=MONTH)
    return (
        table.sort(group, MONTH)
        .with_columns(
            (12 * pl.col("mrr")).alias("arr"),
            uplift.alias("uplift"),
            contraction.alias("contraction"),
            change.alias("net_change"),
            pl.sum_horizontal("new", "expansion", "reactivation", "cancellation", "churn").alias(
                "net_new"
            ),
        )
        .with_columns(
            money_ratio(pl.col("net_change"), prev_mrr, 100).alias("growth_pct"),
            pl.when(pl.col("customers") > 0)
            .then(money_ratio(pl.col("mrr"), pl.col("customers")))
            .alias("arpa"),
        )
        .with_columns(pl.col(money).cast(MONEY if exact else pl.Float64))
        .filter(pl.col(MONTH) >= first)
    )


def running_totals(members: pl.DataFrame, keys: list[str], group: str) -> pl.DataFrame:
    """MRR and the number of paying customers after each month with a change, per
    ``group``, from the customer-level states ``members`` (their ``prev`` and ``cur``
    summed per ``keys`` as exact decimals, then totalled month by month)."""
    named = [] if group in keys else [pl.lit("").alias(group)]
    return (
        exact_money(members, "prev", "cur")
        .group_by(keys)
        .agg(
            (pl.col("cur") - pl.col("prev")).sum().alias("_dm"),
            ((pl.col("cur") > 0).cast(pl.Int64) - (pl.col("prev") > 0).cast(pl.Int64))
            .sum()
            .alias("_dc"),
        )
        .with_columns(named)
        .sort(group, MONTH)
        .select(
            group,
            MONTH,
            pl.col("_dm").cum_sum().over(group).alias("mrr"),
            pl.col("_dc").cum_sum().over(group).alias("customers"),
        )
    )


COUNTED = (
    ("new", "new_customers"),
    ("churn", "churned_customers"),
    ("reactivation", "reactivated_customers"),
)
"""Customer movements counted in the ``revcli mrr`` table, and their columns."""


def movement_sums(moves: pl.LazyFrame, keys: list[str], with_fx: bool) -> pl.DataFrame:
    """Per ``keys``: the exact sum of the amounts of each movement kind (with ``with_fx``
    also of ``fx``), and the number of customers that are new, churned and reactivated.

    The rows are first summed per key and kind, and their customers counted per key and
    customer movement, in two queries run side by side; the few rows those leave are
    then spread into one column per kind. Amounts are summed as exact decimals, so the
    sums are the same in any order.
    """
    kind, movement = pl.col("movement"), pl.col("customer_movement")
    sums = moves.group_by(*keys, kind).agg(
        pl.col("amount", *(["fx"] if with_fx else [])).cast(MONEY).sum()
    )
    # A churned customer had MRR before its month; a new or returning one has it after.
    counted = movement.is_not_null() & (
        pl.when(movement == "churn").then(pl.col("prev") > 0).otherwise(pl.col("cur") > 0)
    )
    customers = (
        moves.filter(counted).group_by(*keys, movement).agg(pl.col(CUSTOMER).n_unique().alias("_n"))
    )
    sums_frame, customers_frame = pl.collect_all([sums, customers], engine="in-memory")
    amounts = sums_frame.group_by(keys).agg(
        *(pl.col("amount").filter(kind == name).sum().alias(name) for name in MOVEMENTS),
        *([pl.col("fx").sum()] if with_fx else []),
    )
    numbers = customers_frame.group_by(keys).agg(
        pl.col("_n").filter(movement == name).sum().alias(column) for name, column in COUNTED
    )
    return amounts.join(numbers, on=keys, how="full", coalesce=True)
