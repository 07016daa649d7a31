"""Movements of MRR (SPEC §4): each change of a (customer, product) classified from its
states and its customer's."""

from __future__ import annotations

import polars as pl

from revcli.calendar import (
    add_months,
    month_end,
)
from revcli.concurrency import in_halves
from revcli.metrics import common
from revcli.metrics.common import CUSTOMER, DEFAULT_POLICY, MONTH, MOVEMENT, PRODUCT, ROUND_DIGITS
from revcli.metrics.schedule import positions
from revcli.metrics.states import states
from revcli.settings import MetricsPolicy


def movements(events: pl.DataFrame) -> pl.DataFrame:
    """Every (customer, product, month) where MRR changed, classified by SPEC §4.

    See :func:`classify` for the columns.
    """
    return classify(states(events, [CUSTOMER, PRODUCT]), states(events, [CUSTOMER]))


def classify(
    by_product: pl.DataFrame,
    by_customer: pl.DataFrame,
    policy: MetricsPolicy = DEFAULT_POLICY,
    free: pl.DataFrame | None = None,
    fx: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Movements from the :func:`states` of (customer, product) and of customer.

    Out: ``customer_id, product, month, prev, cur, customer_prev, customer_cur,
    customer_movement`` (``new``, ``reactivation``, ``churn`` or null), ``movement`` (both
    of type :data:`MOVEMENT`) and ``amount`` (signed; 0 with a null movement when nothing
    changed).

    ``policy`` (SPEC §12): a return after more than ``reactivation_window_days`` is
    ``new``; with ``free_to_paid: expansion`` a customer that had only free lines active
    at the end of last month (``free``: the :func:`states` of its count of active free
    lines) is no new customer when it starts paying; with ``grain: customer`` one row per
    customer classifies its total (``product`` null): a rise is ``expansion``, a fall
    that leaves MRR ``downgrade``. With ``fx`` (``customer_id, product, month, fx``: the
    currency effect of :func:`valued_events`) rows gain an ``fx`` column, and a movement
    is the change less that effect.
    """
    starts = (pl.col("prev") == 0) & (pl.col("cur") > 0)
    # Returning: the customer had MRR at the end of an earlier month.
    if _rising(by_customer):
        # Rows in customer and month order: count the active rows above within the customer.
        active = (pl.col("cur") > 0).cast(pl.Int64)
        seen = active.cum_sum() - active
        opening = pl.col(CUSTOMER) != pl.col(CUSTOMER).shift(1)
        before = pl.when(opening.fill_null(True)).then(seen).forward_fill()
        staged = by_customer.with_columns((seen - before > 0).alias("_returning"))
    else:
        first_active = (
            by_customer.filter(pl.col("cur") > 0)
            .group_by(CUSTOMER)
            .agg(pl.col(MONTH).min().alias("_first"))
        )
        staged = by_customer.join(first_active, on=CUSTOMER, how="left").with_columns(
            (pl.col("_first") < pl.col(MONTH)).alias("_returning")
        )
    returning = pl.col("_returning")
    if policy.reactivation_window_days is not None:
        # Last month-end with MRR: the day before the month whose row shows the churn.
        last_paid = (
            pl.when((pl.col("prev") > 0) & (pl.col("cur") == 0))
            .then(pl.col(MONTH) - pl.duration(days=1))
            .forward_fill()
            .over(CUSTOMER, order_by=MONTH)
        )
        gap = (month_end(pl.col(MONTH)) - pl.col("_last_paid")).dt.total_days()
        staged = staged.with_columns(last_paid.alias("_last_paid"))
        returning = returning & (gap <= policy.reactivation_window_days)
    if policy.free_to_paid == "expansion" and free is not None:
        # Free lines active at the end of last month: the customer was already one.
        was_free = (
            staged.select(CUSTOMER, MONTH, add_months(pl.col(MONTH), -1).alias("_before"))
            .sort("_before")
            .join_asof(
                free.select(
                    CUSTOMER, pl.col(MONTH).alias("_before"), pl.col("cur").alias("_free")
                ).sort("_before"),
                on="_before",
                by=CUSTOMER,
                strategy="backward",
                check_sortedness=False,
            )
            .select(CUSTOMER, MONTH, (pl.col("_free").fill_null(0) > 0).alias("_was_free"))
        )
        staged = staged.join(was_free, on=[CUSTOMER, MONTH], how="left")
        starts = starts & ~pl.col("_was_free")
    customer_level = staged.select(
        CUSTOMER,
        MONTH,
        pl.col("prev").alias("customer_prev"),
        pl.col("cur").alias("customer_cur"),
        pl.when(starts)
        .then(pl.when(returning).then(_kind("reactivation")).otherwise(_kind("new")))
        .when((pl.col("prev") > 0) & (pl.col("cur") == 0))
        .then(_kind("churn"))
        .alias("customer_movement"),
    )
    if policy.grain == "customer":
        rows = customer_level.with_columns(
            pl.col("customer_prev").alias("prev"),
            pl.col("customer_cur").alias("cur"),
            pl.lit(None, by_product.schema[PRODUCT]).alias(PRODUCT),
        )
        return _moved(rows, [CUSTOMER, MONTH], policy, fx)
    keys = [CUSTOMER, PRODUCT, MONTH]
    if fx is not None or by_product.height < common.SPLIT_ROWS:
        return _moved(_with_customer(by_product, customer_level), keys, policy, fx)

    # Each row is classified on its own: the two halves of the rows on two threads, as
    # the binary search and the chain of conditions run on one core each.
    def classified(part: pl.DataFrame) -> pl.DataFrame:
        return _moved(_with_customer(part, customer_level), keys, policy)

    first, second = in_halves(by_product, classified)
    # One column order for both, whichever way each half met its customers' rows.
    return pl.concat([first, second.select(first.columns)])


def _moved(
    rows: pl.DataFrame,
    keys: list[str],
    policy: MetricsPolicy,
    fx: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``rows`` (states beside their customer's, as :func:`classify` makes them) with their
    ``movement`` and ``amount`` (and with ``fx``, the currency effect per ``keys``)."""
    prev, cur = pl.col("prev"), pl.col("cur")
    delta = cur - prev
    if fx is not None:
        effect = fx.group_by(keys).agg(pl.col("fx").sum())
        rows = rows.join(effect, on=keys, how="left").with_columns(pl.col("fx").fill_null(0.0))
        delta = (cur - prev - pl.col("fx")).round(ROUND_DIGITS)
    if policy.grain == "customer":
        kind = (
            pl.when(pl.col("customer_movement").is_not_null())
            .then(pl.col("customer_movement"))
            .when(delta > 0)
            .then(_kind("expansion"))
            .when(delta < 0)
            .then(_kind("downgrade"))
        )
    else:
        kind = (
            pl.when(pl.col("customer_movement").is_in(["new", "reactivation"]) & (cur > 0))
            .then(pl.col("customer_movement"))
            .when((pl.col("customer_movement") == "churn") & (prev > 0))
            .then(_kind("churn"))
            .when(pl.col("customer_movement").is_not_null())
            .then(pl.lit(None, MOVEMENT))
            .when((prev == 0) & (cur > 0))
            .then(_kind("expansion"))
            .when((prev > 0) & (cur == 0))
            .then(_kind("cancellation"))
            .when(delta > 0)
            .then(_kind("upgrade"))
            .when(delta < 0)
            .then(_kind("downgrade"))
        )
    return rows.with_columns(kind.alias("movement")).with_columns(
        pl.when(pl.col("movement").is_null()).then(0.0).otherwise(delta).alias("amount")
    )


def _kind(name: str) -> pl.Expr:
    """The movement ``name`` as a :data:`MOVEMENT` value."""
    return pl.lit(name, MOVEMENT)


_NARROW = (pl.UInt8, pl.UInt16, pl.UInt32)

_CUSTOMER_MONTH = pl.col(CUSTOMER).cast(pl.UInt64) * 2**32 + (
    pl.col(MONTH).cast(pl.Int64) + 2**31
).cast(pl.UInt64)
"""Customer code and month as one UInt64 that orders as (customer, month): a code below
2^32 times 2^32, plus the day number made non-negative (for :data:`_NARROW` codes)."""


def _rising(frame: pl.DataFrame) -> bool:
    """Whether ``frame``'s rows are in strictly rising (customer code, month) order."""
    if frame.schema[CUSTOMER] not in _NARROW:
        return False
    key = frame.select(_CUSTOMER_MONTH).to_series()
    return key.null_count() == 0 and bool((key.diff().drop_nulls() > 0).all())


def _with_customer(rows: pl.DataFrame, customer_level: pl.DataFrame) -> pl.DataFrame:
    """``rows`` left-joined with ``customer_level`` on customer and month, in ``rows``' order.

    ``customer_level`` has one row per customer and month, sorted by them, as from
    :func:`states`. On the engine's codes each row finds its customer's row by binary search
    in the packed (customer, month) keys, several times cheaper than a hash join; the join
    runs instead where that precondition is not shown to hold (text keys, a row without
    partner, keys out of order or repeated).
    """
    on = [CUSTOMER, MONTH]
    if (
        rows.height
        and customer_level.height
        and rows.schema[CUSTOMER] in _NARROW
        and customer_level.schema[CUSTOMER] in _NARROW
    ):
        key = _CUSTOMER_MONTH
        at = positions(customer_level.select(key).to_series(), rows.select(key).to_series())
        if at is not None:
            partner = customer_level.drop(on).select(pl.all().gather(at))
            return pl.concat([rows, partner], how="horizontal")
    return rows.join(customer_level, on=on, how="left")
