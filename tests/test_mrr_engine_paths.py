"""The engine's fast paths (integer codes, packed keys, sorted lookups) give what the plain
paths on text keys give: only the cost differs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from revcli.calendar import first_days, month_number, shift_day, whole_months
from revcli.checks import load_dataset
from revcli.data.fx import booking_rates
from revcli.data.ids import in_order_of
from revcli.metrics import common
from revcli.metrics.movements import _with_customer
from revcli.metrics.mrr import (
    CUSTOMER,
    MONTH,
    MOVEMENTS,
    PRODUCT,
    Book,
    IdCodes,
    classify,
    coded_schedule,
    line_schedule,
    month_numbers,
    movements,
    mrr_events,
    positions,
    states,
)
from revcli.metrics.schedule import distinct
from tests.test_book import Line, line, schedule

SAMPLE = Path(__file__).parent.parent / "sample_data"


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


@contextmanager
def _split_from(rows: int) -> Iterator[None]:
    """The engine's steps that work in halves do so from ``rows`` rows on, meanwhile."""
    original = common.SPLIT_ROWS
    common.SPLIT_ROWS = rows
    try:
        yield
    finally:
        common.SPLIT_ROWS = original


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(line, max_size=10), months=st.integers(0, 60))
def test_the_coded_book_gives_the_states_and_movements_of_text_keys(
    lines: list[Line], months: int
) -> None:
    # The book runs on integer codes (packed keys, sorted lookups); the module functions
    # on text keys take the plain group-by and join. Decoded, both must be the same rows.
    frame = schedule(lines)
    until = dt.date(2024 + months // 12, months % 12 + 1, 1)
    book = Book(frame)
    events = mrr_events(frame, until)
    for keys in ([CUSTOMER], [CUSTOMER, PRODUCT]):
        assert_frame_equal(
            _sorted(book.codes.decode(book.states(keys, until))), _sorted(states(events, keys))
        )
    assert_frame_equal(
        _sorted(book.codes.decode(book.movements(until))), _sorted(movements(events))
    )


def _customers(rows: list[tuple[int, dt.date, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={CUSTOMER: pl.UInt32, MONTH: pl.Date, "customer_cur": pl.Float64},
        orient="row",
    )


def test_rows_meet_their_customer_month_and_keep_their_order() -> None:
    # Customer 1 has rows for January and March; customer 2 for January. Each product row
    # gets the customer's row of its own month, in the product rows' order.
    jan, mar = dt.date(2024, 1, 1), dt.date(2024, 3, 1)
    customers = _customers([(1, jan, 10.0), (1, mar, 30.0), (2, jan, 5.0)])
    rows = pl.DataFrame(
        {CUSTOMER: [2, 1, 1], PRODUCT: ["P", "Q", "P"], MONTH: [jan, mar, jan]},
        schema_overrides={CUSTOMER: pl.UInt32},
    )
    out = _with_customer(rows, customers)
    assert out.select(CUSTOMER, PRODUCT, "customer_cur").rows() == [
        (2, "P", 5.0),
        (1, "Q", 30.0),
        (1, "P", 10.0),
    ]


def test_a_row_without_its_customer_month_or_an_unsorted_table_takes_the_join() -> None:
    # February has no customer row: the binary search would land on March; the join
    # leaves it null instead. An unsorted customer table also falls back to the join.
    jan, feb, mar = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)
    rows = pl.DataFrame({CUSTOMER: [1], MONTH: [feb]}, schema_overrides={CUSTOMER: pl.UInt32})
    missing = _with_customer(rows, _customers([(1, jan, 10.0), (1, mar, 30.0)]))
    assert missing.get_column("customer_cur").to_list() == [None]
    rows = pl.DataFrame(
        {CUSTOMER: [1, 1], MONTH: [jan, mar]}, schema_overrides={CUSTOMER: pl.UInt32}
    )
    unsorted = _with_customer(rows, _customers([(1, mar, 30.0), (1, jan, 10.0)]))
    assert _sorted(unsorted).get_column("customer_cur").to_list() == [10.0, 30.0]


days = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2031, 12, 31))


@settings(max_examples=300, deadline=None)
@given(start=days, stop=days)
def test_whole_months_is_the_largest_count_of_months_that_stays_on_or_before_stop(
    start: dt.date, stop: dt.date
) -> None:
    # Counted one month at a time from the anchor with the calendar's own clamping
    # (31 Jan + 1 month = 28/29 Feb): the first m whose next step passes stop.
    m = 0
    while shift_day(start, m + 1) <= stop:
        m += 1
    frame = pl.DataFrame({"a": [start], "b": [stop]})
    assert frame.select(whole_months(pl.col("a"), pl.col("b"))).item() == m


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), days), max_size=6))
def test_month_numbers_turn_back_into_the_first_days_of_their_months(
    dates: list[dt.date | None],
) -> None:
    frame = pl.DataFrame({"d": dates}, schema={"d": pl.Date})
    numbers = frame.select(month_number(pl.col("d"))).to_series()
    expected = [None if d is None else d.replace(day=1) for d in dates]
    assert first_days(numbers).to_list() == expected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(st.none(), days), max_size=8),
    st.sampled_from([None, dt.date(1, 1, 1), dt.date(9999, 12, 31)]),
)
def test_month_numbers_looked_up_per_day_are_the_month_numbers(
    dates: list[dt.date | None], far: dt.date | None
) -> None:
    # Dates within a few thousand years are looked up in a table of their days; a range
    # wider than that (a date in year 1 or 9999 beside the others) is taken apart.
    series = pl.Series("d", [*dates, far], dtype=pl.Date)
    expected = series.to_frame().select(month_number(pl.col("d"))).to_series()
    assert month_numbers(series).to_list() == expected.to_list()
    assert month_numbers(series).name == "d"


def test_lines_find_their_contract_by_search_or_by_join_alike() -> None:
    # The sample's contracts are sorted by id: lines find theirs by binary search. The
    # same contracts in reverse order take the join; the schedule has the same rows.
    data = load_dataset(SAMPLE)
    rates = booking_rates(
        data.contracts, "start_date", "currency", data.fx_rates, data.settings.base_currency
    )
    assert positions(data.contracts.get_column("contract_id"), pl.Series(["nope"])) is None
    searched = line_schedule(data.contracts, data.lines, rates)
    joined = line_schedule(data.contracts.reverse(), data.lines, rates.reverse())
    assert searched.height == data.lines.filter(pl.col("price_period") != "once").height
    assert_frame_equal(_sorted(searched), _sorted(joined))


def test_lines_listed_contract_by_contract_find_theirs_by_a_walk_alike() -> None:
    # Contracts sorted by id, every one with lines, and lines grouped contract by contract
    # in that order: each line's contract is the number of its group. The same lines
    # shuffled take the binary search; the contracts in reverse order, the join.
    data = load_dataset(SAMPLE)
    ids = data.contracts.get_column("contract_id")
    lines = data.lines.filter(pl.col("contract_id").is_in(ids.implode()))
    contracts = data.contracts.filter(
        pl.col("contract_id").is_in(lines.get_column("contract_id").implode())
    ).sort("contract_id")
    rates = booking_rates(
        contracts, "start_date", "currency", data.fx_rates, data.settings.base_currency
    )
    grouped = lines.sort("contract_id", maintain_order=True)
    walk = in_order_of(grouped.get_column("contract_id"), contracts.get_column("contract_id"))
    assert walk is not None
    shuffled = grouped.sample(fraction=1.0, shuffle=True, seed=7)
    assert (
        positions(contracts.get_column("contract_id"), shuffled.get_column("contract_id"))
        is not None
    )
    walked = line_schedule(contracts, grouped, rates)
    assert walked.height == lines.filter(pl.col("price_period") != "once").height
    for other in (
        line_schedule(contracts, shuffled, rates),
        line_schedule(contracts.reverse(), grouped, rates.reverse()),
    ):
        assert_frame_equal(_sorted(walked), _sorted(other))


def _coded_alike(contracts: pl.DataFrame, lines: pl.DataFrame, customers: pl.Series) -> None:
    rates = pl.Series("rate", [1.0] * contracts.height)
    made = coded_schedule(contracts, lines, rates, customers)
    assert made is not None
    schedule = line_schedule(contracts, lines, rates)
    codes = IdCodes.of(schedule, customers)
    assert_frame_equal(made[0].customers, codes.customers)
    assert_frame_equal(made[0].products, codes.products)
    assert_frame_equal(made[1], codes.encode(schedule))


def test_the_schedule_coded_per_contract_is_the_schedule_coded_per_line() -> None:
    # The customers file as it is (ids not in order: contracts' customers found by binary
    # search), and sorted with the contracts listed customer by customer (each contract's
    # code is the number of its customer's run): the codes and coded schedule of both are
    # those of coding the schedule's lines one by one.
    data = load_dataset(SAMPLE)
    ids = data.customers.get_column(CUSTOMER)
    assert not ids.is_sorted()
    _coded_alike(data.contracts, data.lines, ids)
    contracts = data.contracts.sort(CUSTOMER, maintain_order=True)
    listed = ids.filter(ids.is_in(contracts.get_column(CUSTOMER).implode())).sort()
    assert in_order_of(contracts.get_column(CUSTOMER), listed) is not None
    _coded_alike(contracts, data.lines, listed)
    # A contract of a customer missing from the file: no shortcut (the codes then come
    # from the schedule's own ids).
    rates = pl.Series("rate", [1.0] * contracts.height)
    assert coded_schedule(contracts, data.lines, rates, listed.slice(1)) is None
    assert (
        coded_schedule(contracts, data.lines, rates, listed.sort(descending=True).slice(1)) is None
    )


def test_a_book_of_a_data_set_makes_its_text_schedule_when_asked() -> None:
    data = load_dataset(SAMPLE)
    book = Book.of(data)
    rates = booking_rates(
        data.contracts, "start_date", "currency", data.fx_rates, data.settings.base_currency
    )
    schedule = line_schedule(data.contracts, data.lines, rates)
    assert "schedule" not in vars(book)  # not made until asked
    assert_frame_equal(book.schedule, schedule)
    assert_frame_equal(book.coded_schedule, book.codes.encode(schedule))


def test_positions_are_where_a_join_would_match_or_none() -> None:
    table = pl.Series(["a", "c", "e"])
    at = positions(table, pl.Series(["e", "a", "a"]))
    assert at is not None and at.to_list() == [2, 0, 0]
    assert positions(table, pl.Series(["b"])) is None  # not there
    assert positions(pl.Series(["a", "a"]), pl.Series(["a"])) is None  # repeated
    assert positions(pl.Series(["c", "a"]), pl.Series(["a"])) is None  # out of order
    assert positions(table, pl.Series(["a", None])) is None  # a null


def _events(rows: list[tuple[int, int, float]]) -> pl.DataFrame:
    """Events of customer codes (customer, month number in 2025, change in MRR)."""
    return pl.DataFrame(
        {
            CUSTOMER: [c for c, _, _ in rows],
            MONTH: [dt.date(2025, m, 1) for _, m, _ in rows],
            "dv": [v for _, _, v in rows],
            "dn": [1 if v > 0 else -1 for _, _, v in rows],
        },
        schema_overrides={CUSTOMER: pl.UInt32},
    )


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(1, 12),
            # Money: the fixed point holds every float of these magnitudes exactly.
            st.floats(-1e12, 1e12).filter(lambda v: abs(v) >= 2.0**-11),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_a_state_is_the_exact_sum_of_its_changes_rounded_once(
    rows: list[tuple[int, int, float]],
) -> None:
    # Each customer's MRR at the end of a month is the exact (rational) sum of the float
    # changes up to it, made a float once and rounded once to 9 places: the order of the
    # additions, and how large the values around it were, must not show.
    from fractions import Fraction

    got = states(_events(rows), [CUSTOMER])
    for customer, month, cur in got.select(CUSTOMER, MONTH, "cur").iter_rows():
        changes = [
            (v, 1 if v > 0 else -1) for c, m, v in rows if c == customer and m <= month.month
        ]
        exact = sum((Fraction(v) for v, _ in changes), Fraction(0))
        held = sum(n for _, n in changes) > 0
        want = pl.Series([float(exact) if held else 0.0]).round(9).item()
        assert cur == want, (customer, month, exact)


def test_a_large_line_that_starts_and_ends_leaves_exactly_nothing() -> None:
    # 0.1 + 0.2 - 0.3 is 5.55e-17 in floats; 123,456,789.12 + 102.835 - 123,456,789.12 is
    # 102.83500000834465 in floats, a half cent that would print as 102.83.
    got = states(
        _events([(0, 1, 0.1), (0, 2, 0.2), (0, 3, -0.3), (1, 1, 123456789.12), (1, 2, 102.835)])
        .vstack(_events([(1, 4, -123456789.12)]))
        .with_columns(pl.Series("dn", [1, 1, 1, 1, 1, -1])),
        [CUSTOMER],
    )
    assert got.get_column("cur").to_list() == [0.1, 0.3, 0.0, 123456789.12, 123456891.955, 102.835]


def test_fewer_binary_places_still_hold_a_huge_change_exactly() -> None:
    # 2^70 + 0.5 - 2^70: the fixed point takes 126 - 2 (bits of the row count 3) - 71 = 53
    # binary places, enough for the half; a float running sum would leave 0.
    got = states(_events([(0, 1, 2.0**70), (0, 2, 0.5), (0, 3, -(2.0**70))]), [CUSTOMER])
    assert got.get_column("cur").to_list() == [2.0**70, 2.0**70 + 0.5, 0.5]


def test_values_no_fixed_point_holds_are_summed_as_floats() -> None:
    # Changes of 2^100 (a scale no price reaches) leave fewer than 52 binary places: the
    # engine adds them as floats, per customer (the other customer's 5 + 0.25 too).
    big = 2.0**100
    got = states(_events([(0, 1, big), (0, 2, 2 * big), (1, 1, 5.0), (1, 3, 0.25)]), [CUSTOMER])
    assert got.select("prev", "cur").rows() == [(0, big), (big, 3 * big), (0, 5), (5, 5.25)]


@settings(max_examples=40, deadline=None)
@given(lines=st.lists(line, max_size=10), seed=st.integers(0, 2**16))
def test_classify_gives_the_same_movements_for_states_in_any_row_order(
    lines: list[Line], seed: int
) -> None:
    # In (customer, month) order a return is counted from the rows above; in any other
    # order from each customer's first active month. Both must classify alike.
    book = Book(schedule(lines))
    until = dt.date(2027, 1, 1)
    by_product = book.states([CUSTOMER, PRODUCT], until)
    by_customer = book.states([CUSTOMER], until)
    shuffled = by_customer.sample(fraction=1.0, shuffle=True, seed=seed)
    assert_frame_equal(
        _sorted(classify(by_product, by_customer)), _sorted(classify(by_product, shuffled))
    )


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(line, min_size=1, max_size=12))
def test_classify_in_two_halves_gives_the_rows_of_classify_in_one(
    lines: list[Line],
) -> None:
    # From SPLIT_ROWS rows on the rows are classified in two halves on two threads; each
    # row is classified on its own, so the halves put together are the same frame.
    book = Book(schedule(lines))
    until = dt.date(2027, 1, 1)
    by_product = book.states([CUSTOMER, PRODUCT], until)
    by_customer = book.states([CUSTOMER], until)
    whole = classify(by_product, by_customer)
    with _split_from(2):  # every frame of two rows or more is split
        halves = classify(by_product, by_customer)
    assert_frame_equal(halves, whole)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(line, min_size=1, max_size=12), months=st.integers(0, 60))
def test_events_of_two_halves_of_the_schedule_are_the_events_of_the_whole(
    lines: list[Line], months: int
) -> None:
    # From SPLIT_ROWS lines on, the halves of the schedule make their events side by side;
    # put together kind by kind, they are the same rows in the same order.
    frame = schedule(lines)
    until = dt.date(2024 + months // 12, months % 12 + 1, 1)
    whole = mrr_events(frame, until)
    with _split_from(2):
        halves = mrr_events(frame, until)
    assert_frame_equal(halves, whole)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([0, 7, 70_000, 3_000_000_000]),  # small codes pack in 32 bits
            st.integers(0, 3),
            st.integers(0, 40),
            st.sampled_from([-100.0, -0.5, 0.25, 99.99, 1000.0]),
            st.integers(-1, 1),
        ),
        max_size=25,
    )
)
def test_states_on_packed_integer_keys_equal_states_on_text_keys(
    rows: list[tuple[int, int, int, float, int]],
) -> None:
    # Integer keys are packed into one number (32 or 64 bits, by how far they reach);
    # text keys are grouped as they are. Both must give the same states.
    events = pl.DataFrame(
        [(c, p, dt.date(2024 + m // 12, m % 12 + 1, 1), v, n) for c, p, m, v, n in rows],
        schema={
            CUSTOMER: pl.UInt32,
            PRODUCT: pl.UInt32,
            MONTH: pl.Date,
            "dv": pl.Float64,
            "dn": pl.Int64,
        },
        orient="row",
    )
    as_text = events.with_columns(pl.col(CUSTOMER, PRODUCT).cast(pl.String))
    for keys in ([CUSTOMER], [CUSTOMER, PRODUCT]):
        packed = states(events, keys).with_columns(pl.col(keys).cast(pl.String))
        plain = states(as_text, keys)
        assert_frame_equal(_sorted(packed), _sorted(plain))


@settings(max_examples=40, deadline=None)
@given(lines=st.lists(line, min_size=1, max_size=10), months=st.integers(0, 40))
def test_the_one_group_table_sums_per_month_as_a_grouping_of_every_customer_does(
    lines: list[Line], months: int
) -> None:
    # Without --by every customer of the customers file is in the one group: the table is
    # summed per month alone. --by on a column holding one value for every customer takes
    # the general path (look each customer up, sum per group and month): same numbers.
    frame = schedule(lines)
    customers = frame.select(CUSTOMER).unique().with_columns(pl.lit("x").alias("everyone"))
    first, last = dt.date(2024, 1, 1), dt.date(2024 + months // 12, months % 12 + 1, 1)
    alone = Book(frame, customers).mrr_table(first, last)
    grouped = Book(frame, customers).mrr_table(first, last, "everyone")
    assert grouped.get_column("everyone").unique().to_list() == ["x"]
    assert_frame_equal(alone, grouped.drop("everyone"))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["C1", "C10", "C2", "c1", ""])), max_size=8))
def test_distinct_counts_rising_ids_without_hashing_and_others_by_hashing_alike(
    ids: list[str | None],
) -> None:
    for values in (ids, sorted({i for i in ids if i is not None})):
        series = pl.Series(values, dtype=pl.String)
        assert distinct(series) == series.n_unique()


def test_movements_are_typed_kinds_that_compare_with_their_names() -> None:
    # Customer a: P from 1 February 2024 (day 31) to 1 June (day 152), so active at the
    # month-ends of February to May: new in February, gone at the end of June; Q from
    # 1 April (day 91, 2024 is a leap year), open: an expansion of 5 in April, and P's
    # end is a cancellation (Q still runs). The kinds read as their names.
    lines: list[Line] = [("a", "P", 31, 121, 10.0, None), ("a", "Q", 91, None, 5.0, None)]
    moves = Book(schedule(lines)).movements(dt.date(2024, 12, 1))
    assert moves.schema["movement"] == pl.Enum(MOVEMENTS)
    kinds = moves.filter(pl.col("movement").is_not_null()).sort(MONTH)
    assert kinds.get_column("movement").cast(pl.String).to_list() == [
        "new",
        "expansion",
        "cancellation",
    ]
    assert kinds.filter(pl.col("movement") == "expansion").get_column("amount").to_list() == [5.0]
