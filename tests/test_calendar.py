"""Term lengths in months (SPEC §2), against hand-worked values and a day-by-day oracle."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.calendar import DAYS_PER_MONTH, shift_day, with_term_months


def _terms(pairs: list[tuple[dt.date | None, dt.date | None]]) -> list[float | None]:
    frame = pl.LazyFrame(
        {"start": [p[0] for p in pairs], "end": [p[1] for p in pairs]},
        schema={"start": pl.Date, "end": pl.Date},
    )
    return with_term_months(frame, "start", "end", "term").collect().get_column("term").to_list()


def _oracle(start: dt.date, end: dt.date) -> float:
    """The rule as written: the largest m >= 0 with start + m months <= end + 1 day, then
    the days left from there over 30.4375 (negative when the end is before the start)."""
    stop = end + dt.timedelta(days=1)
    m = 0
    while shift_day(start, m + 1) <= stop:
        m += 1
    return m + (stop - shift_day(start, m)).days / DAYS_PER_MONTH


def test_term_months_worked_by_hand() -> None:
    d = dt.date
    assert _terms(
        [
            # 2026-01-01..2028-12-31: stop 2029-01-01 is exactly 36 months on.
            (d(2026, 1, 1), d(2028, 12, 31)),
            # 31 Jan..27 Feb 2026: stop 28 Feb = 31 Jan + 1 month (clamped): 1.0.
            (d(2026, 1, 31), d(2026, 2, 27)),
            # 31 Jan..26 Feb 2026: stop 27 Feb is before 28 Feb: 0 months + 27 days.
            (d(2026, 1, 31), d(2026, 2, 26)),
            # 30 Mar..14 May 2026: stop 15 May; 30 Apr <= 15 May < 30 May: 1 month + 15 days.
            (d(2026, 3, 30), d(2026, 5, 14)),
            # 31 Mar..29 Feb 2028: stop 1 Mar 2028; 29 Feb 2028 is 23 months on, +1 day.
            (d(2026, 3, 31), d(2028, 2, 29)),
            # Ends the day before it starts: 0 months, 0 days; two days before: -1 day.
            (d(2026, 5, 10), d(2026, 5, 9)),
            (d(2026, 5, 10), d(2026, 5, 8)),
            (d(2026, 5, 10), None),
            (None, d(2026, 5, 10)),
        ]
    ) == pytest.approx(
        [
            36.0,
            1.0,
            27 / 30.4375,
            1 + 15 / 30.4375,
            23 + 1 / 30.4375,
            0.0,
            -1 / 30.4375,
            None,
            None,
        ],
        abs=1e-12,
    )


_dates = st.dates(dt.date(1900, 1, 1), dt.date(2199, 12, 31))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_dates, st.integers(-400, 3000)), min_size=1, max_size=40))
def test_term_months_match_the_rule(cases: list[tuple[dt.date, int]]) -> None:
    pairs = [(start, start + dt.timedelta(days=days)) for start, days in cases]
    # Equal to far below a day (1/30 of a month): the same whole months and days left.
    assert _terms(pairs) == pytest.approx([_oracle(s, e) for s, e in pairs], rel=0, abs=1e-12)
