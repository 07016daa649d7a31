"""The Book: one MRR engine per data set, kept for the furthest month asked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from revcli.checks import load_dataset
from revcli.metrics.mrr import CUSTOMER, MONTH, PRODUCT, Book
from revcli.metrics.report import schedule_of

SAMPLE = Path(__file__).parent.parent / "sample_data"
DAY0 = dt.date(2024, 1, 1)

# (customer, product, start day, length in days or open, monthly amount,
#  auto-renewal as (days from start to the first renewal, term months, uplift) or none)
line = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from(["P", "Q"]),
    st.integers(0, 900),
    st.one_of(st.none(), st.integers(0, 900)),
    st.sampled_from([0.0, 10.0, 99.99, 1000.0]),
    st.one_of(
        st.none(),
        st.tuples(st.integers(1, 400), st.sampled_from([1, 3, 12]), st.sampled_from([1.05, 1.1])),
    ),
)
Line = tuple[str, str, int, int | None, float, tuple[int, int, float] | None]


def schedule(lines: list[Line]) -> pl.DataFrame:
    """A line schedule (the engine's input) with end dates, renewals and uplifts."""

    def day(offset: int) -> dt.date:
        return DAY0 + dt.timedelta(days=offset)

    return pl.DataFrame(
        {
            "customer_id": [c for c, *_ in lines],
            "contract_id": [f"K{i}" for i in range(len(lines))],
            "line_id": ["1"] * len(lines),
            "product": [p for _, p, *_ in lines],
            "line_mrr": [v for *_, v, _ in lines],
            "line_mrr_ccy": [v for *_, v, _ in lines],
            "currency": ["NOK"] * len(lines),
            "start_date": [day(s) for _, _, s, *_ in lines],
            "end_date": [None if n is None else day(s + n) for _, _, s, n, *_ in lines],
            "renewal_start": [None if r is None else day(s + r[0]) for _, _, s, *_, r in lines],
            "renewal_term_months": [12 if r is None else r[1] for *_, r in lines],
            "uplift": [1.0 if r is None else r[2] for *_, r in lines],
        },
        schema_overrides={
            "customer_id": pl.String,
            "contract_id": pl.String,
            "line_id": pl.String,
            "product": pl.String,
            "line_mrr": pl.Float64,
            "line_mrr_ccy": pl.Float64,
            "currency": pl.String,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "renewal_start": pl.Date,
            "renewal_term_months": pl.Int64,
            "uplift": pl.Float64,
        },
    )


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(line, max_size=8),
    early=st.integers(0, 40),
    later=st.integers(0, 40),
)
def test_asking_an_earlier_month_after_a_later_one_gives_what_asking_it_first_gives(
    lines: list[Line], early: int, later: int
) -> None:
    # The book keeps events, states and movements up to the furthest month asked and
    # filters them for an earlier one: that must equal computing up to the earlier month
    # (nothing before a month depends on the months after it — renewal uplifts included).
    frame = schedule(lines)
    first = dt.date(2024 + early // 12, early % 12 + 1, 1)
    last = dt.date(2024 + (early + later) // 12, (early + later) % 12 + 1, 1)
    wide = Book(frame)
    wide.movements(last)
    fresh = Book(frame)
    assert_frame_equal(_sorted(wide.events(first)), _sorted(fresh.events(first)))
    for keys in ([CUSTOMER], [CUSTOMER, PRODUCT]):
        assert_frame_equal(_sorted(wide.states(keys, first)), _sorted(fresh.states(keys, first)))
    assert_frame_equal(_sorted(wide.movements(first)), _sorted(fresh.movements(first)))
    assert_frame_equal(
        wide.mrr_table(DAY0, first, "product"), Book(frame).mrr_table(DAY0, first, "product")
    )
    # And nothing after the month asked leaks into the answer.
    assert wide.states([CUSTOMER], first).filter(pl.col(MONTH) > first).height == 0


def test_one_book_per_data_set_shared_by_every_report() -> None:
    data = load_dataset(SAMPLE)
    assert Book.of(data) is Book.of(data)
    assert schedule_of(data) is Book.of(data).schedule  # renewals read the same schedule
    assert Book.of(load_dataset(SAMPLE)) is not Book.of(data)


def test_states_are_coded_and_decode_to_the_ids() -> None:
    # Customer A pays 100 from January 2024: one state, under A's code; decoded, A again.
    book = Book(schedule([("A", "P", 0, None, 100.0, None)]))
    coded = book.states([CUSTOMER], dt.date(2024, 3, 1))
    assert coded.get_column(CUSTOMER).dtype != pl.String
    decoded = book.codes.decode(coded)
    assert decoded.select(CUSTOMER, MONTH, "cur").rows() == [("A", dt.date(2024, 1, 1), 100.0)]
