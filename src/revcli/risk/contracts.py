"""The churn-risk signals of a customer's contracts: a renewal decision with no
conversation, recent downgrades."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.calendar import shift_month
from revcli.metrics.common import CUSTOMER, MONTH
from revcli.risk.reasons import EXACT, in_days, nothing, plural, result, whole
from revcli.risk.settings import DowngradeRule, RenewalRule


def renewal_signal(
    active: pl.DataFrame,
    renewals: pl.DataFrame | None,
    opportunities: pl.DataFrame,
    rule: RenewalRule,
) -> pl.DataFrame:
    """An approaching decision with no renewal conversation: a contract that
    ``expires`` or was ``cancelled`` with its term end within ``within_days`` days, or
    that ``auto-renews`` with its notice deadline within ``within_days`` days (a
    ``locked-in`` contract renews: it does not fire), while the customer has no open
    opportunity of type ``renewal``. A ``renewal_decision`` recorded on the contract
    (issue 3) counts too: ``renew`` settles it (no signal), ``cancel`` fires even with
    an open renewal deal, ``renegotiate`` is named in the reason. The most urgent
    contract is named.
    """
    if renewals is None:
        return nothing(active)
    talking = (
        opportunities.filter((pl.col("status") == "open") & (pl.col("type") == "renewal"))
        .select(CUSTOMER)
        .unique()
        .with_columns(pl.lit(True).alias("_talking"))
    )
    if "renewal_decision" not in renewals.columns:
        renewals = renewals.with_columns(pl.lit(None, dtype=pl.String).alias("renewal_decision"))
    decision = pl.col("renewal_decision")
    status = pl.col("status")
    days = (
        pl.when(status == "auto-renews")
        .then(pl.col("days_to_notice"))
        .when(status.is_in(["expires", "cancelled"]))
        .then(pl.col("days_left"))
    )
    # the window and the decision first: the joins then see the few contracts left
    due = (
        renewals.with_columns(days.cast(pl.Int64).alias("days"))
        .filter(
            pl.col("days").is_between(0, rule.within_days)
            & (decision.is_null() | (decision != "renew"))
        )
        .join(active.select(CUSTOMER), on=CUSTOMER, how="semi")
        .join(talking, on=CUSTOMER, how="left")
        .with_columns(pl.col("_talking").fill_null(False))
        .filter(~pl.col("_talking") | (decision == "cancel"))
    )
    order = [pl.col("days"), pl.col("contract_id")]
    columns = ("contract_id", "status", "days", "_talking", "renewal_decision")
    per = due.group_by(CUSTOMER).agg(
        *(pl.col(c).sort_by(order).first() for c in columns),
        (pl.len() - 1).cast(pl.Int64).alias("more"),
    )
    what = (
        pl.when(status == "auto-renews")
        .then(
            pl.concat_str(
                pl.lit("notice deadline "),
                in_days(pl.col("days")),
                pl.lit(" (contract "),
                pl.col("contract_id"),
                pl.lit(")"),
            )
        )
        .when(status == "expires")
        .then(
            pl.concat_str(
                pl.lit("contract "),
                pl.col("contract_id"),
                pl.lit(" ends "),
                in_days(pl.col("days")),
                pl.lit(" without auto-renewal"),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("contract "),
                pl.col("contract_id"),
                pl.lit(" ends "),
                in_days(pl.col("days")),
                pl.lit(" (cancelled)"),
            )
        )
    )
    reason = pl.concat_str(
        what,
        pl.when(pl.col("_talking"))
        .then(pl.lit(""))
        .otherwise(pl.lit(" and no open renewal opportunity")),
        pl.when(decision.is_not_null())
        .then(pl.lit(" (recorded decision: ") + decision + pl.lit(")"))
        .otherwise(pl.lit("")),
        pl.when(pl.col("more") > 0)
        .then(
            pl.lit(" (+") + plural(pl.col("more"), "more contract", "more contracts") + pl.lit(")")
        )
        .otherwise(pl.lit("")),
    )
    found = active.select(CUSTOMER).join(per, on=CUSTOMER, how="left")
    return result(active, found, pl.col("days").is_not_null(), reason)


def downgrade_signal(
    active: pl.DataFrame,
    moves: pl.DataFrame,
    rule: DowngradeRule,
    as_of: dt.date,
    currency: str,
) -> pl.DataFrame:
    """Recent contraction: the downgrades and cancellations (SPEC §4 movements) of the
    last ``months`` movement months, the as-of month included, remove *lost* MRR.
    Fires when ``100 × lost / (MRR + lost) ≥ min_pct``, MRR being the customer's MRR
    in the as-of month. Always available (from the contracts).
    """
    month = dt.date(as_of.year, as_of.month, 1)
    since = shift_month(month, -(rule.months - 1))
    cut = moves.filter(
        pl.col(MONTH).is_between(since, month)
        & pl.col("movement").is_in(["downgrade", "cancellation"])
    ).join(active.select(CUSTOMER), on=CUSTOMER, how="semi")
    word = (
        pl.when(pl.col("movement") == "cancellation")
        .then(pl.lit(" cancelled"))
        .otherwise(pl.lit(" reduced"))
    )
    per = (
        cut.group_by(CUSTOMER)
        .agg(
            (-pl.col("amount").sum()).alias("lost"),
            (pl.col("product") + word).unique().sort().str.join(", ").alias("products"),
        )
        .join(active, on=CUSTOMER, how="left")
        .with_columns(
            (100 * pl.col("lost") / (pl.col("mrr") + pl.col("lost"))).round(EXACT).alias("share")
        )
    )
    found = active.select(CUSTOMER).join(per, on=CUSTOMER, how="left")
    span = "the as-of month" if rule.months == 1 else f"the last {rule.months} months"
    reason = pl.concat_str(
        pl.lit("downgraded "),
        whole(pl.col("lost")),
        pl.lit(f" {currency} MRR in {span} ("),
        whole(pl.col("share")),
        pl.lit(" % of MRR): "),
        pl.col("products"),
    )
    fired = (pl.col("lost") > 0) & (pl.col("share") >= rule.min_pct)
    return result(active, found, fired, reason)
