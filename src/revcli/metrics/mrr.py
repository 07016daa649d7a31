"""MRR per month and its movements (SPEC §2–4), computed from change events.

A line adds its MRR at the first month-end it is active and removes it after its last;
each renewal uplift is one more event. Cumulative sums of events per (customer, product)
give the MRR at every month-end without expanding lines × months, so the cost grows
with the number of lines and changes, not with the length of history.

:class:`Book` holds all of it for one data set, computed once and asked by every report.
"""

from __future__ import annotations

import datetime as dt
import math
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, partial

import polars as pl

from revcli import calendar
from revcli.calendar import (
    add_months,
    first_days,
    month_end,
    month_number,
    whole_months,
)
from revcli.data.load import relocate
from revcli.data.validate import (
    LINE_MRR_LIMIT,
    DataSet,
    booking_rates,
    in_order_of,
    may_reach_line_limit,
)
from revcli.errors import DataError, Issue, RevcliError, sort_issues
from revcli.schema import LINE, PERIOD_MONTHS, SOURCE
from revcli.settings import MetricsPolicy

DEFAULT_POLICY = MetricsPolicy()

CUSTOMER = "customer_id"
PRODUCT = "product"
MONTH = "month"

MOVEMENTS = ("new", "expansion", "upgrade", "reactivation", "downgrade", "cancellation", "churn")
"""Movement kinds in report order; positive ones add MRR, negative ones remove it."""

MOVEMENT = pl.Enum(MOVEMENTS)
"""The type of the ``movement`` and ``customer_movement`` columns: compared, grouped and
moved as small integers, shown and compared with text as the kinds' names."""

MRR_COLUMNS = (
    "month",
    "mrr",
    "arr",
    "customers",
    *MOVEMENTS,
    "uplift",
    "contraction",
    "net_change",
    "net_new",
    "growth_pct",
    "new_customers",
    "churned_customers",
    "reactivated_customers",
    "arpa",
)

_ROUND = 9
"""Digits kept of a cumulative sum: removes float noise far below a cent, so that equal
MRR compares equal (no phantom upgrade of 1e-13) while money stays unrounded to print."""

SPLIT_ROWS = 200_000
"""From this many rows on, the engine's steps that run on one core inside Polars work on
two halves of their rows side by side: :func:`mrr_events` on the schedule's lines,
:func:`classify` on the (customer, product, month) rows. Each row's result is its own, and
the halves are put together in the order of the whole."""

MONEY = pl.Decimal(38, 9)
"""MRR as exact decimals: the engine rounds each state to :data:`_ROUND` digits, so sums
of states (a month's MRR, a movement's total, a cohort) are exact in this type, where
float sums would leave an error that tips a half cent (102.835 printed as 102.83) or
leaves 1e-14 where MRR is 0."""
MONEY_LIMIT = 10**27
"""Largest MRR the exact arithmetic takes in all: :data:`MONEY` holds 29 digits before the
point, so any sum of such amounts, and 12 × it (ARR), fits."""


def exact_money(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``columns`` as exact decimals; a :class:`RevcliError` (not a crash) when their
    magnitudes add up to :data:`MONEY_LIMIT` or more, so that no sum of them can overflow
    (renewal uplifts compounded over centuries, or a float that overflowed)."""
    total = frame.select(pl.max_horizontal(pl.col(c).abs().sum() for c in columns)).item()
    if total is not None and not total < MONEY_LIMIT:
        raise RevcliError(
            f"an MRR of {total:.3g} in all is too large to compute exactly (limit 1e27); "
            "check prices, quantities, renewal uplifts and dates"
        )
    return frame.with_columns(pl.col(*columns).cast(MONEY))


def exactly(value: pl.Expr) -> pl.Expr:
    """Float money ``value`` as an exact :data:`MONEY` decimal (the nearest with 9 places);
    null where its magnitude reaches :data:`MONEY_LIMIT`, which no decimal here holds."""
    return pl.when(value.abs() < MONEY_LIMIT).then(value).cast(MONEY)


def money_times(value: pl.Expr, factor: pl.Expr | int, per: int = 1) -> pl.Expr:
    """``value × factor / per`` for float money ``value`` and a whole or decimal ``factor``,
    worked out in exact decimals and made the nearest float, so that it prints as the
    exact product (12 × 514.80625 is 6177.674999999999 in floats, a half cent printed the
    wrong way). Magnitudes from :data:`MONEY_LIMIT` on are multiplied as floats."""
    # Back to 9 places first: a float is the nearest to such a decimal below 2^53 units.
    exact = (exactly(value) * factor / per).cast(MONEY).cast(pl.Float64)
    return pl.when(value.abs() < MONEY_LIMIT).then(exact).otherwise(value * factor / per)


_QUOTIENT = pl.Decimal(38, 18)
"""Quotients of exact money: 18 decimal places, of which the nearest float is the float
nearest to the exact quotient (but for ties far below any digit a report prints)."""


def money_ratio(num: pl.Expr, den: pl.Expr, times: int = 1) -> pl.Expr:
    """``times × num ÷ den`` for money (exact decimals, or floats each the nearest to one)
    as the float nearest to the exact quotient; null where ``den`` is 0.

    2,000.10 ÷ 2,000 is 1.00005 exactly, a half that prints as 1.0001; the float division
    of the two gives 1.0000499999999999, which prints as 1.0000. Quotients of 10^18 or
    more, or numerators beyond 10^16, are divided as floats."""
    rough = num.cast(pl.Float64) * times / den.cast(pl.Float64)
    fits = (num.cast(pl.Float64).abs() < 1e16) & (rough.abs() < 1e18) & (den != 0)
    top = (pl.when(fits).then(num).cast(MONEY) * times).cast(_QUOTIENT)
    exact = (top / den.cast(MONEY)).cast(pl.String).cast(pl.Float64)
    return pl.when(den == 0).then(None).when(fits).then(exact).otherwise(rough)


def money_sum(values: pl.Series) -> Decimal | float | int:
    """The exact decimal sum of float money ``values`` (each the nearest float to its
    exact value) when their magnitudes add up to less than 12 × :data:`MONEY_LIMIT`
    (ARR fits); beyond, the float sum; whole numbers (counts) as they are."""
    if values.dtype.is_integer():
        return int(values.sum())
    if values.abs().sum() < 12 * MONEY_LIMIT:
        return Decimal(values.cast(MONEY).sum())
    return float(values.sum())


def line_schedule(contracts: pl.DataFrame, lines: pl.DataFrame, rates: pl.Series) -> pl.DataFrame:
    """Recurring lines with their monthly amount and active span (SPEC §2–3).

    In: typed ``contracts`` and ``lines``, and ``rates`` — each contract's booking rate
    (base currency per unit of its currency on its ``start_date``), aligned with
    ``contracts``. Out, one row per recurring line (``once`` lines dropped, free lines
    kept): ``customer_id, contract_id, line_id, product, line_mrr`` (base currency),
    ``line_mrr_ccy`` (contract currency), ``start_date``, ``end_date`` (effective end,
    null while open-ended), ``renewal_start`` (first renewal day, null when the contract
    does not auto-renew), ``renewal_term_months``, ``uplift`` (factor per renewal).
    """
    # What depends on the contract alone is worked out once per contract.
    renews = pl.col("auto_renew") & pl.col("end_date").is_not_null()
    head = contracts.select(
        "contract_id",
        CUSTOMER,
        "currency",
        # The contract's end ends its lines unless it renews.
        pl.when(~renews).then(pl.col("end_date")).alias("_c_stop"),
        "cancelled_on",
        pl.when(renews).then(pl.col("end_date") + pl.duration(days=1)).alias("renewal_start"),
        "renewal_term_months",
        "term_months",
        (1 + pl.col("renewal_uplift_pct").cast(pl.Float64) / 100).alias("uplift"),
        rates.alias("rate"),
    )
    # Months per price period: a comparison per period costs less than a lookup per line.
    period = pl.coalesce(
        pl.when(pl.col("price_period") == "term").then(pl.col("term_months")),
        *(
            pl.when(pl.col("price_period") == name).then(float(months))
            for name, months in PERIOD_MONTHS.items()
        ),
    )
    amount = (
        pl.col("quantity").cast(pl.Float64)
        * pl.col("unit_price").cast(pl.Float64)
        * (1 - pl.col("discount_pct").cast(pl.Float64) / 100)
        / period
    )
    effective_end = pl.min_horizontal(pl.col("end_date"), pl.col("cancelled_on"), pl.col("_c_stop"))
    kept = lines.select(pl.col("price_period") != "once").to_series().fill_null(False)
    recurring = lines.select(
        "contract_id",
        "line_id",
        PRODUCT,
        "quantity",
        "unit_price",
        "discount_pct",
        "price_period",
        "start_date",
        "end_date",
    ).filter(kept)
    # Lines come grouped contract by contract in the contracts' order as a rule: then each
    # line's contract is the number of its group, found in one walk; contracts sorted by
    # id are found by binary search; both are cheaper than hashing every id. Otherwise the
    # join.
    ids = contracts.get_column("contract_id")
    in_turn = in_order_of(lines.get_column("contract_id"), ids)
    if in_turn is not None:
        at: pl.Series | None = in_turn.filter(kept)
    else:
        at = positions(ids, recurring.get_column("contract_id"))
    if at is None:
        joined = recurring.join(head, on="contract_id", how="inner")
    else:
        joined = pl.concat(
            [recurring, head.drop("contract_id").select(pl.all().gather(at))], how="horizontal"
        )
    # The amount once, then valued: the same product as writing it out twice.
    return joined.with_columns(amount.alias("_amount")).select(
        CUSTOMER,
        "contract_id",
        "line_id",
        PRODUCT,
        (pl.col("_amount") * pl.col("rate")).alias("line_mrr"),
        pl.col("_amount").alias("line_mrr_ccy"),
        "currency",
        "start_date",
        effective_end.alias("end_date"),
        "renewal_start",
        "renewal_term_months",
        "uplift",
    )


def coded_schedule(
    contracts: pl.DataFrame, lines: pl.DataFrame, rates: pl.Series, customer_ids: pl.Series
) -> tuple[IdCodes, pl.DataFrame] | None:
    """The :class:`IdCodes` and the coded :func:`line_schedule` (``customer_id`` and
    ``product`` as codes) of the contracts, their lines and the customers file's
    ``customer_ids``, with each contract's customer looked up once instead of each line's;
    ``None`` where a contract's customer is not among ``customer_ids`` (or a product is
    missing).

    Every customer of the schedule is then one of ``customer_ids``: the codes are the
    places of the ids among them sorted, as :meth:`IdCodes.of` gives them, and the coded
    schedule is what :meth:`IdCodes.encode` makes of the schedule. Where the ids are
    sorted in their file and the contracts name every one of them in turn (as exports
    usually list them), each contract's code is the number of its customer's run of
    contracts; otherwise it is found by binary search among the sorted ids.
    """
    if customer_ids.null_count():
        return None
    owners = contracts.get_column(CUSTOMER)
    ids = customer_ids
    at = None
    if _strictly_rising(customer_ids):
        at = in_order_of(owners, customer_ids)
    else:
        ids = customer_ids.unique().sort()
    if at is None:
        at = positions(ids, owners)
    if at is None:
        return None
    coded = line_schedule(contracts.with_columns(at.cast(pl.UInt32).alias(CUSTOMER)), lines, rates)
    names = coded.get_column(PRODUCT)
    if names.null_count():
        return None
    products = names.unique().sort()
    codes = IdCodes(
        ids.to_frame(CUSTOMER).with_row_index("_code"),
        products.to_frame(PRODUCT).with_row_index("_code"),
    )
    # Each product's code is its place among the sorted names: the place of its category.
    number = pl.col(PRODUCT).cast(pl.Enum(products)).to_physical().cast(pl.UInt32)
    return codes, coded.with_columns(number)


def mrr_events(schedule: pl.DataFrame, until: dt.date, carry: tuple[str, ...] = ()) -> pl.DataFrame:
    """Change events of MRR at month-ends, up to the month ``until``.

    Out: ``customer_id, product, month, dv`` (change of MRR in the base currency) and
    ``dn`` (change in the number of paying lines, so that a sum that returns to zero is
    exactly zero), plus the schedule's columns named in ``carry``. Free lines make no
    events. Rows come per kind (starts, renewal uplifts, ends), each in schedule order.

    Months are counted as :func:`~revcli.calendar.month_number` integers and turned into
    dates once at the end. From :data:`SPLIT_ROWS` lines on, the two halves of the
    schedule are worked out side by side (each line's events are its own) and their rows
    put in the same order.
    """
    kinds: list[pl.DataFrame]
    if schedule.height < SPLIT_ROWS:
        kinds = list(_event_kinds(schedule, until, carry))
    else:
        half = schedule.height // 2
        with ThreadPoolExecutor(1) as pool:
            later = pool.submit(_event_kinds, schedule.slice(half), until, carry)
            first = _event_kinds(schedule.slice(0, half), until, carry)
            second = later.result()
        kinds = [part for pair in zip(first, second, strict=True) for part in pair]
    events = pl.concat(kinds)
    return events.with_columns(first_days(events.get_column(MONTH)))


def _event_kinds(
    schedule: pl.DataFrame, until: dt.date, carry: tuple[str, ...]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The starts, renewal uplifts and ends of :func:`mrr_events`, months as numbers."""
    limit = until.year * 12 + until.month - 1
    horizon = pl.lit(calendar.month_end_day(until))
    paying = schedule.select(
        CUSTOMER,
        PRODUCT,
        *carry,
        "line_mrr",
        "uplift",
        "start_date",
        "end_date",
        "renewal_start",
        "renewal_term_months",
    ).filter(pl.col("line_mrr") > 0)
    # A line's last month is the last whose final day it covers: the month before the
    # one holding the day after its end.
    after = paying.select((pl.col("end_date").cast(pl.Int32) + 1).cast(pl.Date)).to_series()
    spans = paying.with_columns(
        month_numbers(paying.get_column("start_date")).alias("_first"),
        (month_numbers(after) - 1).alias("_last"),
    ).filter(
        (pl.col("_last").is_null() | (pl.col("_last") >= pl.col("_first")))
        & (pl.col("_first") <= limit)
    )
    # Renewal uplifts: renewal k starts on renewal_start + k × term months (clamped), and
    # raises MRR when it starts after the line's start, on or before its end (and the
    # horizon) and in a month the line covers. Those k run from _k0 on, _n of them; only
    # lines that renew with an uplift are worked out.
    renewal, term = pl.col("renewal_start"), pl.col("renewal_term_months")
    stop = pl.min_horizontal(pl.col("end_date"), horizon)
    uplifted = spans.select(
        (renewal.is_not_null() & (pl.col("uplift") != 1) & (renewal <= stop)).fill_null(False)
    ).to_series()
    k0 = (
        pl.when(renewal > pl.col("start_date"))
        .then(0)
        .otherwise(whole_months(renewal, pl.col("start_date")) // term + 1)
    )
    k1 = pl.min_horizontal(
        whole_months(renewal, stop) // term, (pl.col("_last") - pl.col("_m0")) // term
    )
    keys = [CUSTOMER, PRODUCT, *carry]
    renewing = (
        spans.filter(uplifted)
        .select(
            *keys,
            "line_mrr",
            "uplift",
            "start_date",
            "end_date",
            "_last",
            renewal,
            term.cast(pl.Int64),
            month_number(renewal).alias("_m0"),
        )
        .with_columns(k0.alias("_k0"))
        .with_columns((k1 - pl.col("_k0") + 1).clip(lower_bound=0).fill_null(0).alias("_n"))
    )
    steps = (
        renewing.filter(pl.col("_n") > 0)
        .select(
            *keys,
            "line_mrr",
            "uplift",
            "_k0",
            "_m0",
            term,
            pl.int_ranges(pl.col("_k0"), pl.col("_k0") + pl.col("_n")).alias("_k"),
        )
        .explode("_k")
        .select(
            *keys,
            (pl.col("_m0") + pl.col("_k") * term).alias(MONTH),
            (
                pl.col("line_mrr")
                * pl.col("uplift").pow(pl.col("_k") - pl.col("_k0"))
                * (pl.col("uplift") - 1)
            ).alias("dv"),
            pl.lit(0, dtype=pl.Int64).alias("dn"),
        )
    )
    # Steps taken per line (0 for lines without uplifted renewals), for the end's amount.
    taken = pl.zeros(spans.height, pl.Int64, eager=True).scatter(
        uplifted.arg_true(), renewing.get_column("_n")
    )
    spans = spans.with_columns(taken.alias("_n"))
    starts = spans.select(
        *keys,
        pl.col("_first").alias(MONTH),
        pl.col("line_mrr").alias("dv"),
        pl.lit(1, dtype=pl.Int64).alias("dn"),
    )
    ends = spans.filter(pl.col("_last") < limit).select(
        *keys,
        (pl.col("_last") + 1).alias(MONTH),
        (-pl.col("line_mrr") * pl.col("uplift").pow(pl.col("_n"))).alias("dv"),
        pl.lit(-1, dtype=pl.Int64).alias("dn"),
    )
    return starts, steps, ends


def month_numbers(dates: pl.Series) -> pl.Series:
    """:func:`~revcli.calendar.month_number` of each of ``dates`` (nulls stay null),
    looked up in a table of the days from the first date to the last: cheaper than
    taking every date apart into year and month."""
    days = dates.cast(pl.Int32)
    lo, hi = days.min(), days.max()
    if not isinstance(lo, int) or not isinstance(hi, int) or hi - lo >= 2**20:
        return dates.to_frame("d").select(month_number(pl.col("d"))).to_series().alias(dates.name)
    table = (
        pl.int_range(lo, hi + 1, dtype=pl.Int32, eager=True)
        .cast(pl.Date)
        .to_frame("d")
        .select(month_number(pl.col("d")))
        .to_series()
    )
    return table.gather(days - lo).alias(dates.name)


def month_end_rates(
    fx: pl.DataFrame, currencies: pl.Series, first: dt.date, last: dt.date, base: str
) -> pl.DataFrame:
    """The rate in effect on the last day of every month from ``first`` to ``last``, for
    each of ``currencies``: ``currency, month, rate`` (1 for the base currency).

    In: typed ``fx_rates`` (``date, currency, rate``).
    """
    months = pl.date_range(first, last, interval="1mo", eager=True).alias(MONTH).to_frame()
    grid = (
        currencies.unique()
        .to_frame("currency")
        .join(months, how="cross")
        .with_columns(month_end(pl.col(MONTH)).alias("_day"))
    )
    table = fx.select(
        "currency", pl.col("date").alias("_day"), pl.col("rate").cast(pl.Float64)
    ).sort("_day")
    return (
        grid.sort("_day")
        .join_asof(table, on="_day", by="currency", strategy="backward", check_sortedness=False)
        .select(
            "currency",
            MONTH,
            pl.when(pl.col("currency") == base).then(1.0).otherwise(pl.col("rate")).alias("rate"),
        )
    )


def valued_events(schedule: pl.DataFrame, until: dt.date, rates: pl.DataFrame) -> pl.DataFrame:
    """Events of MRR with lines valued at each month-end's rate (SPEC §12, ``fx: month_end``).

    In: the schedule, and :func:`month_end_rates` covering every month from the month
    before the first event to ``until``. Out: ``customer_id, product, month, dv, dn`` as
    :func:`mrr_events`, plus ``fx``: for a (customer, product, currency) with MRR at both
    month-ends, its last MRR in its currency × (this month-end's rate − last month-end's).
    A key's MRR in its currency changes only with its events, its value also with the
    rate: a zero event in every month its currency's rate moved keeps the sums exact.
    """
    key = [CUSTOMER, PRODUCT, "currency"]
    in_currency = schedule.with_columns(pl.col("line_mrr_ccy").alias("line_mrr"))
    events = mrr_events(in_currency, until, carry=("currency",))
    first = events.group_by(key).agg(pl.col(MONTH).min().alias("_first"))
    moved = rates.with_columns(
        pl.col("rate").shift(1).over("currency", order_by=MONTH).alias("_was")
    ).filter(pl.col("_was").is_not_null() & (pl.col("rate") != pl.col("_was")))
    steps = (
        first.join(moved.select("currency", MONTH), on="currency")
        .filter(pl.col(MONTH) > pl.col("_first"))
        .select(*key, MONTH, pl.lit(0.0).alias("dv"), pl.lit(0, pl.Int64).alias("dn"))
    )
    held = states(pl.concat([events, steps], how="diagonal_relaxed"), key)
    now = rates.select("currency", MONTH, pl.col("rate").alias("_r1"))
    before = rates.select(
        "currency", add_months(pl.col(MONTH), 1).alias(MONTH), pl.col("rate").alias("_r0")
    )
    prev, cur = pl.col("prev"), pl.col("cur")
    prev_value = pl.when(prev > 0).then(prev * pl.col("_r0")).otherwise(0.0)
    return (
        held.join(now, on=["currency", MONTH], how="left")
        .join(before, on=["currency", MONTH], how="left")
        .select(
            CUSTOMER,
            PRODUCT,
            MONTH,
            (cur * pl.col("_r1") - prev_value).alias("dv"),
            ((cur > 0).cast(pl.Int64) - (prev > 0).cast(pl.Int64)).alias("dn"),
            pl.when((prev > 0) & (cur > 0))
            .then(prev * (pl.col("_r1") - pl.col("_r0")))
            .otherwise(0.0)
            .alias("fx"),
        )
    )


def free_line_events(schedule: pl.DataFrame, until: dt.date) -> pl.DataFrame:
    """Events of the number of free lines (``line_mrr`` = 0) active at month-ends: their
    :func:`states` per customer count them in ``cur``."""
    free = schedule.filter(pl.col("line_mrr") == 0).with_columns(
        pl.lit(1.0).alias("line_mrr"), pl.lit(1.0).alias("uplift")
    )
    return mrr_events(free, until)


def states(events: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """MRR after each month with events, per ``keys``: ``keys, month, prev, cur``.

    ``cur`` is the MRR at the end of ``month`` (and every later month up to the next
    row); ``prev`` the MRR at the end of the month before. ``cur`` is the exact sum of the
    group's changes so far, rounded once to :data:`_ROUND` digits.
    """
    fixed, bits = _fixed_point(events)
    # Sorted by keys and month, a group starts where a key differs from the row above:
    # numbering groups that way is cheaper than windows over the key columns.
    starts = pl.any_horizontal(pl.col(k) != pl.col(k).shift(1) for k in keys).fill_null(True)
    if bits is None:  # beyond 2^52 a float has no decimals to round: float sums per group
        value = pl.col("dv").cum_sum().over(pl.col("_start").cum_sum())
    else:  # integers: the running total less its value where the group starts is exact
        value = (_within(pl.col("du")).cast(pl.Float64) * 2.0**-bits).round(_ROUND)
    return (
        _summed(fixed, keys)
        .lazy()
        .with_columns(starts.alias("_start"))
        .with_columns(pl.when(_within(pl.col("dn")) > 0).then(value).otherwise(0.0).alias("cur"))
        .with_columns(
            pl.when(pl.col("_start")).then(0.0).otherwise(pl.col("cur").shift(1)).alias("prev")
        )
        .select(*keys, MONTH, "prev", "cur")
        .collect(engine="in-memory")
    )


def _within(value: pl.Expr) -> pl.Expr:
    """The running sum of an integer ``value`` within each group of consecutive rows that
    ``_start`` opens: the running sum over all rows less its value where the group starts
    (exact for integers, and cheaper than a window per group)."""
    total = value.cum_sum()
    return total - pl.when(pl.col("_start")).then(total - value).forward_fill()


_FIXED_BITS = 64
"""Binary places the engine keeps of a change in MRR: each value becomes a whole number of
2^-64 units (an ``Int128``), which holds every float of magnitude 2^-11 and more exactly."""
_FIXED_FLOOR = 52
"""Fewest binary places a fixed point may keep: 2^-52 holds every float from 1 on exactly."""


def _fixed_point(events: pl.DataFrame) -> tuple[pl.DataFrame, int | None]:
    """``events`` with ``dv`` as a whole number ``du`` of 2^-``bits`` units, and ``bits``.

    Integers add up exactly in any order, so a customer's running MRR is the exact sum of
    its changes: a line of 123,456,789.12 that starts and ends leaves exactly 0, where a
    float running sum leaves 1e-8 (enough to print 102.835 as 102.83 later). ``bits`` is as
    many as the sum over all rows can take in an ``Int128`` (at most :data:`_FIXED_BITS`);
    values too large for :data:`_FIXED_FLOOR` of them (far beyond any price) or not finite
    are left as floats, with ``bits`` ``None``.
    """
    largest = events.select(pl.col("dv").abs().max()).item() if events.height else None
    if largest is None or not math.isfinite(largest):
        return events, None
    # Every value is below 2^exponent, and there are fewer than 2^length of them: the sum
    # of all their units stays below 2^126 (Int128 holds up to 2^127).
    exponent = math.frexp(largest)[1]
    bits = min(_FIXED_BITS, 126 - events.height.bit_length() - exponent)
    if bits < _FIXED_FLOOR:
        return events, None
    units = (pl.col("dv") * 2.0**bits).round().cast(pl.Int128)
    return events.with_columns(units.alias("du")).drop("dv"), bits


def _summed(events: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``dv`` and ``dn`` summed per ``keys`` and month, sorted by them.

    With integer keys (the engine's codes), keys and month are packed into one integer
    first: rows sorted by one column fall into runs of equal keys, which a group-by over
    that sorted column sums slice by slice, without hashing.
    """
    schema = events.schema
    if not events.height or not all(schema[k].is_integer() for k in keys):
        return _summed_plain(events, keys)
    # A date is a day number: packing it as it is avoids taking it apart and rebuilding it.
    index = pl.col(MONTH).cast(pl.Int64)
    bounds = events.select(
        *(pl.col(k).cast(pl.Int64).min().alias(f"{k}_min") for k in keys),
        *(pl.col(k).cast(pl.Int64).max().alias(k) for k in keys),
        index.min().alias("_lo"),
        index.max().alias("_hi"),
        pl.any_horizontal(pl.col(c).is_null().any() for c in (*keys, MONTH)).alias("_nulls"),
    ).row(0, named=True)
    sizes = [bounds[k] + 1 for k in keys]
    span = bounds["_hi"] - bounds["_lo"] + 1
    if bounds["_nulls"] or min(bounds[f"{k}_min"] for k in keys) < 0:
        return _summed_plain(events, keys)
    if math.prod(sizes) * span >= 2**63:
        return _summed_plain(events, keys)
    packed = pl.lit(0, dtype=pl.Int64)
    for key, size in zip(keys, sizes, strict=True):
        packed = packed * size + pl.col(key).cast(pl.Int64)
    packed = packed * span + (index - bounds["_lo"])
    if math.prod(sizes) * span < 2**32:
        # Sorted as 32-bit numbers when they fit: sorting them is cheaper.
        packed = packed.cast(pl.UInt32)
    unpacked: list[pl.Expr] = []
    rest = pl.col("_k").cast(pl.Int64) // span
    for key, size in reversed(list(zip(keys, sizes, strict=True))):
        unpacked.append((rest % size).cast(schema[key]).alias(key))
        rest = rest // size
    month = (pl.col("_k").cast(pl.Int64) % span + bounds["_lo"]).cast(pl.Int32).cast(pl.Date)
    # A stable sort keeps each key's events in their order: each sum adds them as the
    # group-by over the unsorted rows adds them.
    values = _values(events)
    ordered = events.select(packed.alias("_k"), *values).sort("_k", maintain_order=True)
    return (
        ordered.group_by(pl.col("_k").set_sorted(), maintain_order=True)
        .agg(pl.col(c).sum() for c in values)
        .select(*reversed(unpacked), month.alias(MONTH), *values)
    )


def _values(events: pl.DataFrame) -> list[str]:
    """The columns :func:`_summed` sums: ``dn`` and the value, ``du`` or ``dv``."""
    return [c for c in ("du", "dv", "dn") if c in events.columns]


def _summed_plain(events: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """:func:`_summed` by a group-by over the key columns as they are (any key type)."""
    return (
        events.lazy()
        .group_by([*keys, MONTH])
        .agg(pl.col(c).sum() for c in _values(events))
        .sort([*keys, MONTH])
        .collect()
    )


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
    if fx is not None or by_product.height < SPLIT_ROWS:
        return _moved(_with_customer(by_product, customer_level), keys, policy, fx)

    # Each row is classified on its own: the two halves of the rows on two threads, as
    # the binary search and the chain of conditions run on one core each.
    def classified(part: pl.DataFrame) -> pl.DataFrame:
        return _moved(_with_customer(part, customer_level), keys, policy)

    half = by_product.height // 2
    with ThreadPoolExecutor(1) as pool:
        later = pool.submit(classified, by_product.slice(half))
        first = classified(by_product.slice(0, half))
        # One column order for both, whichever way each half met its customers' rows.
        return pl.concat([first, later.result().select(first.columns)])


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
        delta = (cur - prev - pl.col("fx")).round(_ROUND)
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


def _strictly_rising(values: pl.Series) -> bool:
    """Whether ``values`` has no null and each value is greater than the one before."""
    if values.null_count():
        return False
    return values.len() < 2 or bool((values.slice(1) > values.slice(0, values.len() - 1)).all())


def _distinct(values: pl.Series) -> int:
    """How many distinct values ``values`` holds; counted without hashing when they are
    strictly rising (as ids sorted in their file are)."""
    return values.len() if _strictly_rising(values) else values.n_unique()


def _kind(name: str) -> pl.Expr:
    """The movement ``name`` as a :data:`MOVEMENT` value."""
    return pl.lit(name, MOVEMENT)


def oversized_lines(schedule: pl.DataFrame, lines: pl.DataFrame, base: str) -> list[Issue]:
    """An error for each line of ``schedule`` whose ``line_mrr`` reaches
    :data:`LINE_MRR_LIMIT`, at its row of the typed ``lines``, on the larger of its
    quantity and unit price."""
    big = schedule.filter(pl.col("line_mrr").abs() >= LINE_MRR_LIMIT)
    if not big.height:
        return []
    keys = ["contract_id", "line_id"]
    found = big.select(*keys, "line_mrr").join(
        lines.select(*keys, SOURCE, LINE, "quantity", "unit_price"), on=keys, how="left"
    )
    return sort_issues(
        Issue(
            source,
            line,
            "quantity" if quantity > price else "unit_price",
            f"gives the line an MRR of {mrr:,.0f} {base} a month; reports add up MRR to the "
            f"cent only for lines below {LINE_MRR_LIMIT:,} {base} a month: check quantity "
            "and unit_price",
        )
        for source, line, quantity, price, mrr in found.select(
            SOURCE, LINE, "quantity", "unit_price", "line_mrr"
        ).iter_rows()
    )


def line_limit_issues(data: DataSet) -> list[Issue]:
    """The errors :meth:`Book.of` raises for lines at or above :data:`LINE_MRR_LIMIT`
    (``revcli validate`` and every command report them too), without building the book
    when no line can reach the limit (:func:`may_reach_line_limit`)."""
    if not may_reach_line_limit(data):
        return []
    try:
        Book.of(data)
    except DataError as exc:
        return list(exc.issues)
    return []


def positions(table: pl.Series, wanted: pl.Series) -> pl.Series | None:
    """Where each of ``wanted`` is in ``table``, found by binary search; ``None`` unless
    that is shown to be what a join on them matches: ``table`` strictly rising, no nulls,
    and every one of ``wanted`` found."""
    if not table.len() or table.null_count() or wanted.null_count():
        return None
    if not bool((table.slice(1) > table.slice(0, table.len() - 1)).all()):
        return None
    at = table.search_sorted(wanted).clip(upper_bound=table.len() - 1)
    if not bool((table.gather(at) == wanted).all()):
        return None
    return at


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


def month_range(first: dt.date, last: dt.date) -> pl.Series:
    """First days of every month from ``first`` to ``last`` inclusive."""
    return pl.date_range(first, last, interval="1mo", eager=True).alias(MONTH)


def _asof(grid: pl.DataFrame, running: pl.DataFrame, by: str, cols: list[str]) -> pl.DataFrame:
    joined = grid.sort(MONTH).join_asof(
        running.sort(MONTH), on=MONTH, by=by, strategy="backward", check_sortedness=False
    )
    return joined.with_columns(pl.col(c).fill_null(0) for c in cols)


def mrr_table(
    schedule: pl.DataFrame,
    customers: pl.DataFrame,
    first: dt.date,
    last: dt.date,
    by: str | None = None,
) -> pl.DataFrame:
    """The ``revcli mrr`` table of a :func:`line_schedule` and typed ``customers``: see
    :meth:`Book.mrr_table` (a report of a data set asks the data set's :class:`Book`)."""
    return Book(schedule, customers).mrr_table(first, last, by)


def _named(codes: IdCodes, coded: pl.DataFrame) -> pl.DataFrame:
    """A coded schedule with its customer ids and products as text again: each code is
    the row of its name in :class:`IdCodes`."""
    return coded.with_columns(
        codes.customers.get_column(CUSTOMER).gather(coded.get_column(CUSTOMER)),
        codes.products.get_column(PRODUCT).gather(coded.get_column(PRODUCT)),
    )


_BOOKS: weakref.WeakKeyDictionary[DataSet, Book] = weakref.WeakKeyDictionary()
"""The :class:`Book` of each data set in memory, dropped with the data set."""


def _upto(held: tuple[dt.date, pl.DataFrame], until: dt.date) -> pl.DataFrame:
    horizon, frame = held
    return frame if horizon == until else frame.filter(pl.col(MONTH) <= until)


class Book:
    """The MRR engine of one data set: computed once per command, asked by every report.

    It owns the recurring-line :attr:`schedule`, the integer :attr:`codes` of customer ids
    and products, the change :meth:`events`, the MRR :meth:`states` per customer and per
    (customer, product) and the classified :meth:`movements`. Each is computed on first
    use and kept, so ``mrr``, cohorts, retention, the forecast, the risk score and the
    renewals of one command share one computation. A report of a data set gets its book
    with :meth:`Book.of`.

    Events, states and movements are computed up to a month (``until``) and kept for the
    furthest month asked so far: a later question up to an earlier month filters them,
    which gives the same rows as computing up to that month (nothing before a month
    depends on what comes after it). They are on the integer codes: :meth:`IdCodes.decode`
    turns ``customer_id`` and ``product`` back into text.
    """

    def __init__(
        self,
        schedule: pl.DataFrame | Callable[[], pl.DataFrame],
        customers: pl.DataFrame | None = None,
        policy: MetricsPolicy = DEFAULT_POLICY,
        fx_rates: tuple[pl.DataFrame, str] | None = None,
        coded: tuple[IdCodes, pl.DataFrame] | None = None,
    ) -> None:
        """``schedule``: the :func:`line_schedule` frame, or what makes it when first asked;
        ``customers``: the typed customers (their ids get codes too, and ``--by`` reads
        their columns), when known; ``policy``: the metric policy (SPEC §12);
        ``fx_rates``: the typed ``fx_rates`` and the base currency, which ``fx: month_end``
        values lines with; ``coded``: the :attr:`codes` and :attr:`coded_schedule`, when
        already made (they are the schedule's)."""
        self._schedule = schedule
        self._coded = coded
        if customers is None:
            customers = self.schedule.select(CUSTOMER).unique()
        self.customers = customers
        self.policy = policy
        self.month_end_fx = policy.fx == "month_end" and fx_rates is not None
        self._fx_rates = fx_rates
        self._events: tuple[dt.date, pl.DataFrame] | None = None
        self._states: dict[tuple[str, ...], tuple[dt.date, pl.DataFrame]] = {}
        self._movements: tuple[dt.date, pl.DataFrame] | None = None

    @classmethod
    def of(cls, data: DataSet) -> Book:
        """The book of ``data``: made on first ask (its schedule booked at each contract's
        start rate, SPEC §3) and the same object for every later ask about ``data``.

        Where every contract's customer is in the customers file (a valid data set), the
        coded schedule is made with each contract's customer looked up once
        (:func:`coded_schedule`), and the schedule with the ids as text (each code's
        name read off its row) only when a report asks for it.

        Raises :class:`DataError` naming every line whose MRR reaches
        :data:`LINE_MRR_LIMIT`: no report is computed from such data.
        """
        book = _BOOKS.get(data)
        if book is None:
            contracts, lines = data.contracts, data.lines
            rates = booking_rates(
                contracts, "start_date", "currency", data.fx_rates, data.settings.base_currency
            )
            fx = (data.fx_rates, data.settings.base_currency)
            coded = coded_schedule(contracts, lines, rates, data.customers.get_column(CUSTOMER))
            schedule: pl.DataFrame | Callable[[], pl.DataFrame]
            if coded is None:
                made = schedule = line_schedule(contracts, lines, rates)
            else:
                made, schedule = coded[1], partial(_named, *coded)
            oversized = oversized_lines(made, lines, data.settings.base_currency)
            if oversized:
                raise DataError(relocate(oversized, data.positions))
            book = cls(schedule, data.customers, data.settings.metrics, fx, coded)
            _BOOKS[data] = book
        return book

    @cached_property
    def schedule(self) -> pl.DataFrame:
        """The :func:`line_schedule` frame, ids and products as text."""
        return self._schedule() if callable(self._schedule) else self._schedule

    @cached_property
    def codes(self) -> IdCodes:
        """Integer codes of every customer id (of the schedule and the customers) and product."""
        if self._coded is not None:
            return self._coded[0]
        return IdCodes.of(self.schedule, self.customers.get_column(CUSTOMER))

    @cached_property
    def coded_schedule(self) -> pl.DataFrame:
        """:attr:`schedule` with ``customer_id`` and ``product`` as :attr:`codes`."""
        if self._coded is not None:
            return self._coded[1]
        return self.codes.encode(self.schedule)

    def events(self, until: dt.date) -> pl.DataFrame:
        """:func:`mrr_events` of the coded schedule up to the month of ``until``; under
        ``fx: month_end`` :func:`valued_events` (with their ``fx`` column)."""
        until = until.replace(day=1)
        if self._events is None or self._events[0] < until:
            if self.month_end_fx:
                events = valued_events(self.coded_schedule, until, self._month_end_rates(until))
            else:
                events = mrr_events(self.coded_schedule, until)
            self._events = (until, events)
        return _upto(self._events, until)

    def _month_end_rates(self, until: dt.date) -> pl.DataFrame:
        """:func:`month_end_rates` from the month before the first line starts to ``until``."""
        assert self._fx_rates is not None
        fx, base = self._fx_rates
        earliest = self.coded_schedule.select(pl.col("start_date").min()).item() or until
        start = add_months(pl.lit(earliest.replace(day=1)), -1)
        first = pl.select(start).item()
        return month_end_rates(fx, self.coded_schedule.get_column("currency"), first, until, base)

    def states(self, keys: list[str], until: dt.date) -> pl.DataFrame:
        """:func:`states` per ``keys`` (``[customer_id]`` or ``[customer_id, product]``) up to
        the month of ``until``, coded."""
        until = until.replace(day=1)
        held = self._states.get(tuple(keys))
        if held is None or held[0] < until:
            held = self._states[tuple(keys)] = (until, states(self.events(until), keys))
        return _upto(held, until)

    def _both_states(self, until: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The states per (customer, product) and per customer up to the month of ``until``.

        When neither is kept yet, the two are made side by side: each has steps that run
        on one core (its stable sort, running sums), so a second thread keeps both busy.
        Each is the same frame as made alone (exact integer sums, in a fixed order)."""
        until = until.replace(day=1)
        product, customer = (CUSTOMER, PRODUCT), (CUSTOMER,)
        if all(k not in self._states or self._states[k][0] < until for k in (product, customer)):
            events = self.events(until)
            with ThreadPoolExecutor(1) as pool:
                later = pool.submit(states, events, list(product))
                by_customer = states(events, list(customer))
                self._states[product] = (until, later.result())
            self._states[customer] = (until, by_customer)
        return self.states(list(product), until), self.states(list(customer), until)

    def movements(self, until: dt.date) -> pl.DataFrame:
        """:func:`classify` of the states up to the month of ``until``, coded."""
        until = until.replace(day=1)
        if self._movements is None or self._movements[0] < until:
            by_product, by_customer = self._both_states(until)
            free = None
            if self.policy.free_to_paid == "expansion":
                free = states(free_line_events(self.coded_schedule, until), [CUSTOMER])
            fx = None
            if self.month_end_fx:
                fx = self.events(until).select(CUSTOMER, PRODUCT, MONTH, "fx")
            moves = classify(by_product, by_customer, self.policy, free, fx)
            self._movements = (until, moves)
        return _upto(self._movements, until)

    def mrr_table(self, first: dt.date, last: dt.date, by: str | None = None) -> pl.DataFrame:
        """The ``revcli mrr`` table: one row per month (per group with ``by``), SPEC §4 and §9.

        ``first`` and ``last`` are the first and last month (first days). ``by`` is
        ``None``, ``"product"`` or a customer column. Out: ``[by,] month`` (first day)
        and the columns of :data:`MRR_COLUMNS`, unrounded; every group appears in every
        month. Movements follow the book's policy (SPEC §12); under ``fx: month_end`` an
        ``fx`` column follows ``churn`` and counts in ``net_change`` only.
        """
        month_end_fx = self.month_end_fx
        group = "_group"
        codes, customers = self.codes, self.customers
        by_product, by_customer = self._both_states(last)
        keys = [group, MONTH]
        attr: pl.DataFrame | None = None
        if by == PRODUCT:
            groups = codes.products.select(pl.col("_code").alias(group))
            members = by_product.rename({PRODUCT: group})
        elif not by and _distinct(customers.get_column(CUSTOMER)) == codes.customers.height:
            # Every coded customer is in the customers file: all are in the one group,
            # without looking each one up; rows are summed per month alone and the group
            # named afterwards.
            members = by_customer
            keys = [MONTH]
        else:
            # The group's value is read before the key is coded: --by customer_id shows ids.
            attr = codes.encode(
                customers.unique(CUSTOMER, keep="first").select(
                    CUSTOMER,
                    (pl.col(by).cast(pl.String) if by else pl.lit("")).fill_null("").alias(group),
                )
            )
            groups = attr.select(group).unique()
            members = by_customer.join(attr, on=CUSTOMER, how="left")
        if not by:
            groups = pl.DataFrame({group: [""]})
        # The running totals need only the states: they are summed on a second thread while
        # the movements are classified (a step that runs on one core).
        with ThreadPoolExecutor(1) as pool:
            later = pool.submit(_running_totals, members, keys, group)
            moves = self.movements(last)
            running = later.result()
        if by == PRODUCT:
            tagged = moves.with_columns(pl.col(PRODUCT).alias(group))
        elif attr is None:
            tagged = moves
        else:
            tagged = moves.join(attr, on=CUSTOMER, how="left")
        named = [] if keys == [group, MONTH] else [pl.lit("").alias(group)]
        before = add_months(pl.lit(first), -1)
        months = pl.date_range(before, pl.lit(last), interval="1mo", eager=True).alias(MONTH)
        grid = groups.join(months.to_frame(), how="cross")
        table = _asof(grid, running, group, ["mrr", "customers"])

        kinds = _movement_sums(
            tagged.lazy().filter(pl.col(MONTH).is_between(first, last)), keys, month_end_fx
        )
        counts = [column for _, column in _COUNTED]
        kinds = kinds.with_columns(named)
        flows = (*MOVEMENTS, *(["fx"] if month_end_fx else []))
        table = table.join(kinds, on=[group, MONTH], how="left").with_columns(
            *(pl.col(k).fill_null(pl.lit(0, MONEY)) for k in flows),
            *(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts),
        )
        table = _with_derived(table, group, first, with_fx=month_end_fx)
        if by == PRODUCT:  # back from codes to product names
            table = codes.decode(table.rename({group: PRODUCT})).rename({PRODUCT: group})
        leading = [pl.col(group).alias(by)] if by else []
        columns = list(MRR_COLUMNS)
        if month_end_fx:
            columns.insert(columns.index("churn") + 1, "fx")
        return table.sort(group, MONTH).select(*leading, *columns)


def _with_derived(
    table: pl.DataFrame, group: str, first: dt.date, *, with_fx: bool
) -> pl.DataFrame:
    """The ``revcli mrr`` table from its sums (``mrr``, ``customers``, the movement kinds
    as exact decimals): ARR, uplift, contraction, net change, net new, growth and ARPA
    added, money made floats, and the month before ``first`` (kept for growth) dropped."""
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
        .with_columns(pl.col(money).cast(pl.Float64))
        .filter(pl.col(MONTH) >= first)
    )


def _running_totals(members: pl.DataFrame, keys: list[str], group: str) -> pl.DataFrame:
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


_COUNTED = (
    ("new", "new_customers"),
    ("churn", "churned_customers"),
    ("reactivation", "reactivated_customers"),
)
"""Customer movements counted in the ``revcli mrr`` table, and their columns."""


def _movement_sums(moves: pl.LazyFrame, keys: list[str], with_fx: bool) -> pl.DataFrame:
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
        pl.col("_n").filter(movement == name).sum().alias(column) for name, column in _COUNTED
    )
    return amounts.join(numbers, on=keys, how="full", coalesce=True)


@dataclass(frozen=True)
class IdCodes:
    """Dense integer codes of customer ids and product names: grouping and joining on
    integers is several times faster than on strings, so the engine runs on codes and
    turns them back into names at the end."""

    customers: pl.DataFrame  # customer_id (text), _code
    products: pl.DataFrame  # product (text), _code

    @classmethod
    def of(cls, schedule: pl.DataFrame, customers: pl.Series | None = None) -> IdCodes:
        """Codes for the customers and products of ``schedule`` (and ``customers``)."""
        ids = schedule.get_column(CUSTOMER)
        if customers is not None:
            ids = pl.concat([customers, ids])
        return cls(
            ids.unique().sort().to_frame().with_row_index("_code"),
            schedule.select(pl.col(PRODUCT).unique().sort()).with_row_index("_code"),
        )

    def _pairs(self, frame: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
        pairs = ((CUSTOMER, self.customers), (PRODUCT, self.products))
        return [(key, codes) for key, codes in pairs if key in frame.columns]

    def encode(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with its ``customer_id`` and ``product`` columns as codes."""
        for key, codes in self._pairs(frame):
            frame = frame.join(codes, on=key, how="left", maintain_order="left").with_columns(
                pl.col("_code").alias(key)
            )
            frame = frame.drop("_code")
        return frame

    def decode(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with coded ``customer_id`` and ``product`` columns as text again."""
        for key, codes in self._pairs(frame):
            names = codes.select(pl.col("_code").alias(key), pl.col(key).alias("_name"))
            frame = frame.join(names, on=key, how="left", maintain_order="left")
            frame = frame.with_columns(pl.col("_name").alias(key)).drop("_name")
        return frame
