"""Current term ends, notice deadlines and renewal statuses as of a day (SPEC §6)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

from revcli.calendar import add_months, month_end, month_start, shift_day, whole_months
from revcli.errors import RevcliError
from revcli.metrics.mrr import money_times

STATUSES = ("expires", "auto-renews", "locked-in", "cancelled")
"""Renewal statuses in report order."""

RENEWAL_COLUMNS = (
    "contract_id",
    "customer_id",
    "customer_name",
    "term_end",
    "days_left",
    "notice_deadline",
    "days_to_notice",
    "auto_renew",
    "arr",
    "owner",
    "status",
    "renewal_decision",
    "renewal_decided_on",
    "renewal_decision_note",
    "notice_rule",
)
"""Columns of :func:`upcoming_renewals`: SPEC §9's, then the decision and the notice rule."""

_DAY = pl.duration(days=1)


_DAYS_PER = {"d": 1, "w": 7}
_MONTHS_PER = {"m": 1, "y": 12}
MAX_WINDOW = {"d": 36525, "w": 5217, "m": 1200, "y": 100}
"""The longest window in each unit: 100 years."""


@dataclass(frozen=True)
class Window:
    """A span of time written ``90d``, ``12w``, ``3m`` or ``1y``, at most 100 years.

    Days and weeks are exact; months and years are calendar months and years from the
    start day, clamped to the last day of a shorter month (31 Jan + 1m = 28 Feb,
    29 Feb 2028 + 1y = 28 Feb 2029).
    """

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def end(self, start: dt.date) -> dt.date:
        """The last day of the window that starts on ``start`` (inclusive).

        Raises :class:`RevcliError` when it falls outside the calendar (after 9999).
        """
        if self.unit in _MONTHS_PER:
            return shift_day(start, self.amount * _MONTHS_PER[self.unit])
        days = self.amount * _DAYS_PER[self.unit]
        try:
            return start + dt.timedelta(days=days)
        except OverflowError:
            raise RevcliError(
                f"{start} + {days} days is outside the calendar (years 1 to 9999)"
            ) from None


def parse_window(text: str) -> Window:
    """``90d``/``12w``/``3m``/``1y`` → :class:`Window`; ``ValueError`` for anything else
    and for a window longer than 100 years."""
    match = re.fullmatch(r"\s*([0-9]{1,9})\s*([dwmy])\s*", text.lower())
    if not match:
        raise ValueError(
            f"'{text}' is not a time span; expected a number and a unit d, w, m or y "
            "(e.g. 90d, 12w, 3m, 1y)"
        )
    amount, unit = int(match[1]), match[2]
    if amount > MAX_WINDOW[unit]:
        longest = ", ".join(f"{n}{u}" for u, n in MAX_WINDOW.items())
        raise ValueError(f"'{text.strip()}' is too long; at most 100 years ({longest})")
    return Window(amount, unit)


def notice_deadline(term_end: pl.Expr) -> pl.Expr:
    """The last day notice can be given to stop a renewal at ``term_end``.

    Uses the contract columns ``notice_days``, ``notice_months`` and
    ``notice_from_month_end``:

    - ``notice_days`` *n*: ``term_end`` − *n* days (SPEC §6);
    - ``notice_months`` *n*: ``term_end`` − *n* calendar months, clamped to the last day
      of a shorter month (31 May − 3 months = 28 Feb);
    - ``notice_months`` *n* counted from the end of the month in which notice is given
      (``notice_from_month_end``): the last month-end *E* such that the month-end *n*
      months after *E* is on or before ``term_end`` (term end 15 Dec, 3 months → 31 Aug;
      term end 31 Dec → 30 Sep).
    """
    months = pl.col("notice_months")
    # The last month-end on or before the term end, as the first day of its month.
    last_full = (
        pl.when(term_end == month_end(term_end))
        .then(month_start(term_end))
        .otherwise(add_months(month_start(term_end), -1))
    )
    return (
        pl.when(months.is_null())
        .then(term_end - pl.duration(days=pl.col("notice_days")))
        .when(pl.col("notice_from_month_end").fill_null(False))
        .then(month_end(add_months(last_full, -months)))
        .otherwise(add_months(term_end, -months))
    )


def notice_rule() -> pl.Expr:
    """The notice rule in words: ``30 days``, ``3 months``, ``3 months from month end``."""
    months = pl.col("notice_months")
    unit = pl.when(months == 1).then(pl.lit(" month")).otherwise(pl.lit(" months"))
    days_unit = pl.when(pl.col("notice_days") == 1).then(pl.lit(" day")).otherwise(pl.lit(" days"))
    return (
        pl.when(months.is_null())
        .then(pl.col("notice_days").cast(pl.String) + days_unit)
        .when(pl.col("notice_from_month_end").fill_null(False))
        .then(months.cast(pl.String) + unit + " from month end")
        .otherwise(months.cast(pl.String) + unit)
    )


def _renewals_up_to(day: pl.Expr) -> pl.Expr:
    """How many renewal days *r* of the line's contract satisfy *r* ≤ ``day``.

    Renewal *k* starts on ``renewal_start`` + (*k*−1) × ``renewal_term_months`` months
    (SPEC §3), so the count is ``whole_months(renewal_start, day) // term + 1`` once the
    first renewal has happened.
    """
    start = pl.col("renewal_start")
    return (
        pl.when(start.is_not_null() & (start <= day))
        .then(whole_months(start, day) // pl.col("renewal_term_months") + 1)
        .otherwise(0)
    )


def contract_mrr_on(schedule: pl.DataFrame, days: pl.DataFrame) -> pl.DataFrame:
    """MRR (base currency, unrounded) of each contract on a given day.

    In: the :func:`revcli.metrics.mrr.line_schedule` frame and ``days`` with
    ``contract_id, day``. A line counts when active on ``day`` (``start_date <= day <=
    end_date``, an open end never ends) with ``line_mrr × uplift^k``, *k* = the renewal
    days *r* with line start < *r* ≤ ``day``. Out: ``contract_id, mrr`` for every row of
    ``days`` (0.0 without an active line).
    """
    # Only the columns read here are joined, and the lines are summed per row of ``days``
    # (an integer) rather than per contract_id (text): the same rows in the same order.
    keyed = days.select("contract_id", "day").with_row_index("_row")
    lines = (
        schedule.select(
            "contract_id",
            "start_date",
            "end_date",
            "line_mrr",
            "uplift",
            "renewal_start",
            "renewal_term_months",
        )
        .join(keyed, on="contract_id", how="inner")
        .filter(
            (pl.col("start_date") <= pl.col("day"))
            & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("day")))
        )
    )
    uplifts = _renewals_up_to(pl.col("day")) - _renewals_up_to(pl.col("start_date"))
    per_row = lines.group_by("_row").agg(
        (pl.col("line_mrr") * pl.col("uplift").pow(uplifts)).sum().alias("mrr")
    )
    return (
        keyed.select("_row", "contract_id")
        .join(per_row, on="_row", how="left")
        .select("contract_id", pl.col("mrr").fill_null(0.0))
    )


def current_term_end(as_of: dt.date) -> tuple[pl.Expr, pl.Expr]:
    """The current term end *T* as of ``as_of`` and whether it comes from a cancellation.

    SPEC §6: a cancellation on or after ``as_of`` ends the contract then (evergreen
    contracts included), unless the contract does not auto-renew and the cancellation
    is after its ``end_date`` (redundant; *T* = ``end_date``). Otherwise *T* is
    ``end_date`` while that is on or after ``as_of``, and for an auto-renewing contract
    whose ``end_date`` has passed, the end of the renewal term containing ``as_of``.
    Null when there is none (evergreen, expired, or cancelled before ``as_of``).
    """
    a = pl.lit(as_of)
    end = pl.col("end_date")
    cancelled = pl.col("cancelled_on")
    redundant = ~pl.col("auto_renew") & end.is_not_null() & (cancelled > end)
    by_cancellation = cancelled.is_not_null() & ~redundant.fill_null(False)
    first_renewal = end + _DAY
    term = pl.col("renewal_term_months")
    # Renewal terms start at first_renewal + j × term months; the one containing as_of
    # has j = whole_months(first_renewal, as_of) // term, and ends before the next start.
    rolled = add_months(first_renewal, (whole_months(first_renewal, a) // term + 1) * term) - _DAY
    term_end = (
        pl.when(by_cancellation)
        .then(pl.when(cancelled >= a).then(cancelled))
        .when(end.is_null())
        .then(None)
        .when(end >= a)
        .then(end)
        .when(pl.col("auto_renew"))
        .then(rolled)
    )
    return term_end, by_cancellation


def upcoming_renewals(
    contracts: pl.DataFrame,
    customers: pl.DataFrame,
    schedule: pl.DataFrame,
    as_of: dt.date,
    until: dt.date | None,
    *,
    with_arr: bool = True,
) -> pl.DataFrame:
    """Contracts whose current term ends between ``as_of`` and ``until`` (SPEC §6).

    In: typed ``contracts`` and ``customers`` (defaults applied), the recurring-line
    ``schedule`` (:func:`revcli.metrics.mrr.line_schedule`), the day ``as_of`` and the
    last term end to include (``None``: every contract with a term end on or after
    ``as_of``). Out: one row per contract with the columns of :data:`RENEWAL_COLUMNS`:
    ``term_end`` *T*, ``days_left`` = *T* − ``as_of``, ``notice_deadline`` (see
    :func:`notice_deadline`), ``days_to_notice`` = deadline − ``as_of``, ``arr`` = 12 ×
    the contract's MRR on *T* (base currency, unrounded, uplifts of past renewals
    included, the next term's not), ``owner`` (the contract's, else the customer's),
    ``status`` (one of :data:`STATUSES`). Sorted by *T*, ``arr`` descending,
    ``contract_id``. Without ``with_arr`` the ``arr`` column is null, not computed (for
    readers that need no ARR: the risk score and the forecast).
    """
    a = pl.lit(as_of)
    term_end, by_cancellation = current_term_end(as_of)
    customer = customers.select(
        "customer_id",
        pl.col("name").alias("customer_name"),
        pl.col("owner").alias("_customer_owner"),
    ).unique("customer_id", keep="first")
    rows = (
        contracts.with_columns(
            term_end.alias("term_end"), by_cancellation.alias("_by_cancellation")
        )
        .filter(
            pl.col("term_end").is_not_null()
            & (pl.col("term_end") >= a)
            & (pl.lit(True) if until is None else pl.col("term_end") <= pl.lit(until))
        )
        .with_columns(notice_deadline(pl.col("term_end")).alias("notice_deadline"))
        .join(customer, on="customer_id", how="left")
    )
    if with_arr:
        arr = contract_mrr_on(
            schedule, rows.select("contract_id", pl.col("term_end").alias("day"))
        ).select("contract_id", money_times(pl.col("mrr"), 12).alias("arr"))
    else:
        arr = rows.select("contract_id", pl.lit(None, dtype=pl.Float64).alias("arr"))
    status = (
        pl.when(pl.col("_by_cancellation"))
        .then(pl.lit("cancelled"))
        .when(~pl.col("auto_renew"))
        .then(pl.lit("expires"))
        .when(pl.col("notice_deadline") >= a)
        .then(pl.lit("auto-renews"))
        .otherwise(pl.lit("locked-in"))
    )
    return (
        rows.join(arr, on="contract_id", how="left")
        .select(
            "contract_id",
            "customer_id",
            "customer_name",
            "term_end",
            (pl.col("term_end") - a).dt.total_days().alias("days_left"),
            "notice_deadline",
            (pl.col("notice_deadline") - a).dt.total_days().alias("days_to_notice"),
            "auto_renew",
            pl.col("arr").fill_null(0.0) if with_arr else pl.col("arr"),
            pl.coalesce(pl.col("owner"), pl.col("_customer_owner")).alias("owner"),
            status.alias("status"),
            "renewal_decision",
            "renewal_decided_on",
            "renewal_decision_note",
            notice_rule().alias("notice_rule"),
        )
        .sort(
            ["term_end", "arr", "contract_id"],
            descending=[False, True, False],
            maintain_order=True,
        )
    )
