"""Calendar arithmetic as Polars expressions: months clamped to month ends, term lengths."""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

from revcli.errors import RevcliError

DAYS_PER_MONTH = 30.4375
"""Average days in a month (365.25 / 12): the unit of a term's leftover days (SPEC §2)."""


def add_months(date: pl.Expr, months: pl.Expr | int) -> pl.Expr:
    """``date`` plus whole months, clamped to the last day of a shorter month.

    Always counted from the anchor, so 31 Jan + 1 → 28 Feb and 31 Jan + 2 → 31 Mar.
    """
    n = pl.lit(months) if isinstance(months, int) else months
    return date.dt.offset_by(pl.format("{}mo", n.cast(pl.Int64)))


def month_diff(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    """Calendar months from ``earlier``'s month to ``later``'s month (days ignored)."""
    return (later.dt.year().cast(pl.Int64) - earlier.dt.year().cast(pl.Int64)) * 12 + (
        later.dt.month().cast(pl.Int64) - earlier.dt.month().cast(pl.Int64)
    )


def whole_months(start: pl.Expr, stop: pl.Expr) -> pl.Expr:
    """Largest *m* ≥ 0 with ``add_months(start, m) <= stop``.

    With *m* the calendar months between them, ``start`` + *m* months falls in ``stop``'s
    month on ``start``'s day, clamped to that month's end: it passes ``stop`` exactly when
    ``start``'s day is later than ``stop``'s and ``stop`` is not its month's last day. Said
    on day numbers, it needs no date to be built.
    """
    m = month_diff(stop, start)
    past = (start.dt.day() > stop.dt.day()) & ((stop + pl.duration(days=1)).dt.day() != 1)
    return (m - past.cast(pl.Int64)).clip(lower_bound=0)


def month_number(date: pl.Expr) -> pl.Expr:
    """The month of ``date`` as one integer, year × 12 + month − 1: whole months apart are
    numbers apart (:func:`first_days` turns them back into dates)."""
    return date.dt.year().cast(pl.Int64) * 12 + date.dt.month().cast(pl.Int64) - 1


def first_days(months: pl.Series) -> pl.Series:
    """The first day of each :func:`month_number` in ``months`` (nulls stay null)."""
    present = months.drop_nulls()
    if not present.len():
        return pl.Series(months.name, [None] * months.len(), dtype=pl.Date)
    lo, hi = int(present.min()), int(present.max())  # type: ignore[arg-type]
    firsts = pl.date_range(
        dt.date(lo // 12, lo % 12 + 1, 1), dt.date(hi // 12, hi % 12 + 1, 1), "1mo", eager=True
    )
    return firsts.gather(months - lo).alias(months.name)


_TERM_STEPS = [
    "_tm_stop",
    "_tm_day",
    "_tm_stop_day",
    "_tm_here",
    "_tm_months",
    "_tm_over",
    "_tm_before",
    "_tm_whole",
]


def with_term_months(frame: pl.LazyFrame, start: str, end: str, name: str) -> pl.LazyFrame:
    """``frame`` with column ``name``: the length of ``start``..``end`` (inclusive) in
    months, SPEC §2 — whole months *m* such that ``start + m months <= end + 1 day``, plus
    the days left from there divided by 30.4375. 2026-01-01..2028-12-31 is 36.0.

    Worked out on day and month numbers in a few steps (no date shifted per row): ``start``
    moved to the month of ``stop`` (the day after ``end``) falls on its day clamped to that
    month's length; when that is after ``stop``, one month less ends in the month before,
    whose last day is ``stop`` minus its day of month.
    """
    a, b = pl.col(start), pl.col("_tm_stop")
    # Days are shifted on the dates' day numbers (days since 1970): exact, and cheaper
    # than adding durations.
    days = b.cast(pl.Int32)
    day, stop_day, before = pl.col("_tm_day"), pl.col("_tm_stop_day"), pl.col("_tm_before")
    here, over, whole = pl.col("_tm_here"), pl.col("_tm_over"), pl.col("_tm_whole")
    left = (
        pl.when(whole < 0)
        .then((days - a.cast(pl.Int32)).cast(pl.Int64))
        .when(over)
        .then((before - pl.min_horizontal(day, before) + stop_day).cast(pl.Int64))
        .otherwise((stop_day - here).cast(pl.Int64))
    )
    return (
        frame.with_columns(
            _tm_stop=(pl.col(end).cast(pl.Int32) + 1).cast(pl.Date), _tm_day=a.dt.day()
        )
        .with_columns(
            _tm_stop_day=b.dt.day(),
            _tm_here=pl.min_horizontal(day, b.dt.days_in_month()),
            _tm_months=month_diff(b, a),
        )
        .with_columns(
            _tm_over=here > stop_day,
            _tm_before=(days - stop_day.cast(pl.Int32)).cast(pl.Date).dt.day(),
        )
        .with_columns(_tm_whole=pl.col("_tm_months") - over.cast(pl.Int64))
        .with_columns(
            (
                whole.clip(lower_bound=0).cast(pl.Float64) + left.cast(pl.Float64) / DAYS_PER_MONTH
            ).alias(name)
        )
        .drop(_TERM_STEPS)
    )


def month_start(date: pl.Expr) -> pl.Expr:
    """First day of the month of ``date``."""
    return date.dt.truncate("1mo")


def month_end(date: pl.Expr) -> pl.Expr:
    """Last day of the month of ``date``."""
    return date.dt.month_end()


def month_end_day(day: dt.date) -> dt.date:
    """The last day of the month of ``day``."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def shift_day(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, clamped to the last day of a shorter month.

    Raises :class:`RevcliError` past the calendar's range (years 1 to 9999).
    """
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise RevcliError(f"{day} {months:+d} months is outside the calendar (years 1 to 9999)")
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def shift_month(month: dt.date, months: int) -> dt.date:
    """First day of the month ``months`` months after the month of ``month``."""
    return shift_day(month.replace(day=1), months)
