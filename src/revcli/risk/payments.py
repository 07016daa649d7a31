"""The churn-risk signals of how a customer pays: invoices overdue, payments late."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.metrics.common import CUSTOMER
from revcli.risk.reasons import nothing, plural, result, whole
from revcli.risk.settings import LatePaymentRule, OverdueRule


def _amounts(frame: pl.DataFrame) -> pl.DataFrame:
    """Per customer, the summed ``amount`` per currency as text: '12,500 NOK + 300 EUR'."""
    return (
        frame.filter(pl.col("amount").is_not_null())
        .group_by(CUSTOMER, "currency")
        .agg(pl.col("amount").cast(pl.Float64).sum())
        .group_by(CUSTOMER)
        .agg(
            pl.concat_str(whole(pl.col("amount")), pl.lit(" "), pl.col("currency"))
            .sort_by("currency")
            .str.join(" + ")
            .alias("amounts")
        )
    )


def _has_payments(payments: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    return payments.filter(pl.col("due_date") <= as_of).select(CUSTOMER).unique()


def overdue_signal(
    active: pl.DataFrame, payments: pl.DataFrame | None, rule: OverdueRule, as_of: dt.date
) -> pl.DataFrame:
    """Missed payments: invoices due before the as-of day and not paid on or before it
    (``paid_on`` empty or later). Fires when the oldest is at least
    ``min_days_overdue`` days past its due date. Available when the customer has an
    invoice due on or before the as-of day.
    """
    if payments is None:
        return nothing(active)
    unpaid = payments.filter(
        (pl.col("due_date") < as_of) & (pl.col("paid_on").is_null() | (pl.col("paid_on") > as_of))
    ).with_columns((pl.lit(as_of) - pl.col("due_date")).dt.total_days().alias("days"))
    per = (
        unpaid.group_by(CUSTOMER)
        .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("days").max().alias("oldest"))
        .join(_amounts(unpaid), on=CUSTOMER, how="left")
    )
    found = _has_payments(payments, as_of).join(per, on=CUSTOMER, how="left")
    reason = pl.concat_str(
        pl.when(pl.col("n") == 1)
        .then(pl.lit("1 invoice overdue by "))
        .otherwise(pl.col("n").cast(pl.String) + pl.lit(" invoices overdue, oldest ")),
        plural(pl.col("oldest"), "day", "days"),
        pl.when(pl.col("amounts").is_not_null())
        .then(pl.lit(" (") + pl.col("amounts") + pl.lit(")"))
        .otherwise(pl.lit("")),
    )
    return result(active, found, pl.col("oldest") >= rule.min_days_overdue, reason)


def late_payment_signal(
    active: pl.DataFrame, payments: pl.DataFrame | None, rule: LatePaymentRule, as_of: dt.date
) -> pl.DataFrame:
    """Late payments: of the invoices due in the ``lookback_days`` days ending on the
    as-of day and paid by then, those paid ``min_days_late`` or more days after their
    due date. Fires when there are at least ``min_count``. Available as for overdue.
    """
    if payments is None:
        return nothing(active)
    since = as_of - dt.timedelta(days=rule.lookback_days - 1)
    paid = payments.filter(
        pl.col("due_date").is_between(since, as_of)
        & pl.col("paid_on").is_not_null()
        & (pl.col("paid_on") <= as_of)
    ).with_columns((pl.col("paid_on") - pl.col("due_date")).dt.total_days().alias("late"))
    is_late = pl.col("late") >= rule.min_days_late
    per = paid.group_by(CUSTOMER).agg(
        pl.len().cast(pl.Int64).alias("n"),
        is_late.sum().cast(pl.Int64).alias("n_late"),
        pl.col("late").filter(is_late).max().alias("worst"),
    )
    found = _has_payments(payments, as_of).join(per, on=CUSTOMER, how="left")
    reason = pl.concat_str(
        pl.col("n_late").cast(pl.String),
        pl.lit(" of "),
        plural(pl.col("n"), "invoice", "invoices"),
        pl.lit(f" due in the last {rule.lookback_days} days paid late, up to "),
        plural(pl.col("worst"), "day", "days"),
        pl.lit(" after the due date"),
    )
    return result(active, found, pl.col("n_late") >= rule.min_count, reason)
