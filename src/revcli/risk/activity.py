"""The churn-risk signals of what a customer does: declining usage, a ticket spike."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.calendar import shift_month
from revcli.metrics.common import CUSTOMER, MONTH
from revcli.risk.reasons import EXACT, months_text, nothing, plural, result, tenths, whole
from revcli.risk.settings import TicketRule, UsageRule


def usage_signal(
    active: pl.DataFrame, usage: pl.DataFrame | None, rule: UsageRule, as_of: dt.date
) -> pl.DataFrame:
    """Declining usage: per metric, the sum over the last ``months`` complete months
    before the as-of month (*recent*) against the ``months`` before them (*prior*);
    ``decline = 100 × (prior − recent) / prior``. Fires when the worst metric's decline
    is at least ``min_decline_pct``. A month without a row counts as 0; a metric with
    no prior usage cannot decline. Available when the customer has prior usage.
    """
    if usage is None:
        return nothing(active)
    month = dt.date(as_of.year, as_of.month, 1)
    recent_from = shift_month(month, -rule.months)
    prior_from = shift_month(month, -2 * rule.months)
    value = pl.col("value").cast(pl.Float64)
    recent = pl.col(MONTH) >= recent_from
    per_metric = (
        usage.filter((pl.col(MONTH) >= prior_from) & (pl.col(MONTH) < month))
        .join(active.select(CUSTOMER), on=CUSTOMER, how="semi")
        .group_by(CUSTOMER, "metric")
        .agg(value.filter(recent).sum().alias("recent"), value.filter(~recent).sum().alias("prior"))
        .filter(pl.col("prior") > 0)
        .with_columns(
            (100 * (pl.col("prior") - pl.col("recent")) / pl.col("prior"))
            .round(EXACT)
            .alias("decline")
        )
    )
    order = [pl.col("decline"), pl.col("metric")]
    worst = per_metric.group_by(CUSTOMER).agg(
        pl.col(c).sort_by(order, descending=[True, False]).first()
        for c in ("metric", "recent", "prior", "decline")
    )
    reason = pl.concat_str(
        pl.lit("usage down "),
        whole(pl.col("decline")),
        pl.lit(f" % over {months_text(rule.months)} ("),
        pl.col("metric"),
        pl.lit(": "),
        whole(pl.col("prior")),
        pl.lit(" → "),
        whole(pl.col("recent")),
        pl.lit(")"),
    )
    return result(active, worst, pl.col("decline") >= rule.min_decline_pct, reason)


def ticket_signal(
    active: pl.DataFrame, tickets: pl.DataFrame | None, rule: TicketRule, as_of: dt.date
) -> pl.DataFrame:
    """A ticket spike against the customer's own baseline: *recent* = tickets opened in
    the ``window_days`` days ending on the as-of day; *usual* = tickets opened in the
    ``baseline_days`` days before that, × ``window_days / baseline_days``. Fires when
    recent ≥ ``min_tickets`` and recent ≥ ``min_ratio`` × usual. Available for every
    customer when tickets.csv exists (no tickets is a fact, not missing data).
    """
    if tickets is None:
        return nothing(active)
    recent_from = as_of - dt.timedelta(days=rule.window_days - 1)
    base_from = recent_from - dt.timedelta(days=rule.baseline_days)
    is_recent = pl.col("opened_on") >= recent_from
    counts = (
        tickets.filter(pl.col("opened_on").is_between(base_from, as_of))
        .group_by(CUSTOMER)
        .agg(
            is_recent.sum().cast(pl.Int64).alias("recent"),
            (~is_recent).sum().cast(pl.Int64).alias("base"),
            *(
                (is_recent & (pl.col("severity") == level)).sum().cast(pl.Int64).alias(level)
                for level in ("urgent", "high")
            ),
        )
    )
    found = (
        active.select(CUSTOMER)
        .join(counts, on=CUSTOMER, how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ("recent", "base", "urgent", "high"))
    )
    usual = pl.col("base") * rule.window_days / rule.baseline_days
    fired = (pl.col("recent") >= rule.min_tickets) & (
        pl.col("recent") >= (rule.min_ratio * usual).round(EXACT)
    )
    severe = pl.concat_str(
        pl.when(pl.col("urgent") > 0).then(pl.col("urgent").cast(pl.String) + " urgent"),
        pl.when(pl.col("high") > 0).then(pl.col("high").cast(pl.String) + " high"),
        separator=", ",
        ignore_nulls=True,
    )
    reason = pl.concat_str(
        plural(pl.col("recent"), "ticket", "tickets"),
        pl.lit(f" in the last {rule.window_days} days"),
        pl.when(severe != "").then(pl.lit(" (") + severe + pl.lit(")")).otherwise(pl.lit("")),
        pl.when(pl.col("base") == 0)
        .then(pl.lit(f" vs none in the {rule.baseline_days} days before"))
        .otherwise(
            pl.lit(" vs usually ") + tenths(usual) + pl.lit(f" per {rule.window_days} days")
        ),
    )
    return result(active, found, fired, reason)
