"""The short cuts of validation give the answers of the long way round.

Validation skips work on valid data (a grouping when hashes show no repeat, an as-of join
when every fx row is complete); these properties hold them to the full computation.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from pathlib import Path

import polars as pl
import pytest
from babel import Locale
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli import parsing, schema
from revcli.data import fx as fx_module
from revcli.data import ids as ids_module
from revcli.data import tables as tables_module
from revcli.data.fx import booking_rates, no_rate
from revcli.data.ids import in_order_of
from revcli.data.load import read_raw
from revcli.data.validate import validate
from revcli.rowchecks import any_repeated, rising
from revcli.schema import DECIMAL, country_codes
from tests.conftest import write_data_dir

_days = st.integers(0, 60).map(lambda n: dt.date(2024, 1, 1) + dt.timedelta(days=n))
_currencies = st.sampled_from(["NOK", "EUR", "USD", "SEK"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_days, _currencies, st.none() | st.just("10.5")), max_size=8),
    st.lists(st.tuples(st.none() | _days, st.none() | _currencies), min_size=1, max_size=12),
)
def test_no_rate_is_where_the_as_of_lookup_finds_none(
    fx_rows: list[tuple[dt.date, str, str | None]],
    rows: list[tuple[dt.date | None, str | None]],
) -> None:
    fx = (
        pl.DataFrame(
            fx_rows,
            schema={"date": pl.Date, "currency": pl.String, "rate": pl.String},
            orient="row",
        )
        .with_columns(pl.col("rate").cast(DECIMAL))
        .filter(pl.col("currency") != "NOK")
        .sort("currency", "date")
    )
    frame = pl.DataFrame(rows, schema={"day": pl.Date, "cur": pl.String}, orient="row")
    given_both = pl.col("day").is_not_null() & pl.col("cur").is_not_null()
    slow = frame.select(
        given_both & booking_rates(frame, "day", "cur", fx, "NOK").is_null()
    ).to_series()
    # First rate dates found currency by currency, and looked up (for many currencies).
    for few in (fx_module.FEW_CURRENCIES, 0):
        try:
            fx_module.FEW_CURRENCIES = few
            fast = frame.select(given_both & no_rate(frame, "day", "cur", fx, "NOK")).to_series()
        finally:
            fx_module.FEW_CURRENCIES = 8
        assert fast.to_list() == slow.to_list()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.none() | st.sampled_from("ab"), st.none() | st.sampled_from("xyz"))))
def test_any_repeated_is_whether_a_complete_key_repeats(rows: list[tuple[str | None, ...]]) -> None:
    frame = pl.DataFrame(rows, schema={"k": pl.String, "l": pl.String}, orient="row")
    complete = [r for r in rows if None not in r]
    assert any_repeated(frame, ["k", "l"]) == (len(set(complete)) < len(complete))
    firsts = [r[0] for r in rows if r[0] is not None]
    assert any_repeated(frame, ["k"]) == (len(set(firsts)) < len(firsts))
    # In key order (as exports list ids), where rising keys show at once that none repeats.
    ordered = frame.sort("k", "l", nulls_last=True)
    assert any_repeated(ordered, ["k", "l"]) == (len(set(complete)) < len(complete))
    assert any_repeated(ordered.sort("k"), ["k"]) == (len(set(firsts)) < len(firsts))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.none() | st.sampled_from("abc"), st.sampled_from(["1", "2", "10"]))))
def test_rising_keys_are_keys_each_above_the_row_before(rows: list[tuple[str | None, str]]) -> None:
    frame = pl.DataFrame(rows, schema={"k": pl.String, "l": pl.String}, orient="row")
    pairs = list(itertools.pairwise(rows))
    complete = all(k is not None for k, _ in rows)
    assert rising(frame, ["k", "l"]) == (
        len(rows) < 2 or (complete and all(a < b for a, b in pairs))  # type: ignore[operator]
    )
    assert rising(frame, ["k"]) == (
        len(rows) < 2 or (complete and all(a[0] < b[0] for a, b in pairs))  # type: ignore[operator]
    )


_ids = st.text(
    alphabet=["A", "a", "K", "k", "1", "-", "\u200b", "\u212a", "İ", "i", "é"], max_size=3
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["K1", "K2"]), st.none() | _ids), min_size=1))
def test_ids_in_one_case_have_no_lookalikes(rows: list[tuple[str, str | None]]) -> None:
    frame = pl.DataFrame(rows, schema={"contract_id": pl.String, "id": pl.String}, orient="row")
    frame = frame.with_columns(
        pl.lit("f.csv").alias("_source"), pl.int_range(2, pl.len() + 2).alias("_line")
    )
    short = [
        ids_module.lookalike_ids(frame, "id", "id"),
        ids_module.lookalike_ids(frame, "id", "id", scope=["contract_id"]),
    ]
    original = ids_module.one_case
    try:
        ids_module.one_case = lambda frame, column: False
        full = [
            ids_module.lookalike_ids(frame, "id", "id"),
            ids_module.lookalike_ids(frame, "id", "id", scope=["contract_id"]),
        ]
    finally:
        ids_module.one_case = original
    assert short == full


_texts = st.sampled_from(
    [
        "month",
        "MONTH",
        "Term",
        "yes",
        "No",
        "1",
        "0",
        "TRUE",
        "nok",
        "EUR",
        "xx",
        "",
        " year",
        "\u212aelvin",
        "İ",
        "no",
        "SE",
        "se",
        "Quarter",
        "half-year",
        "2026-01-31",
        "2026-02-30",
        "2026-02",
        "1899-12-31",
        "2199-12-31",
        "2200-01-01",
        "2026-1-5",
        "+2026-01-01",
        "20260101",
    ]
) | st.text(max_size=4)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(*[st.none() | _texts] * 5), min_size=1, max_size=30))
def test_codes_typed_by_distinct_text_are_typed_as_row_by_row(
    rows: list[tuple[str | None, ...]],
) -> None:
    columns = ["billing_period", "auto_renew", "currency", "start_date", "cancelled_on"]
    raw = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row").with_columns(
        pl.lit("c.csv").alias("_source"), pl.int_range(2, pl.len() + 2).alias("_line")
    )
    months = raw.select(pl.col("start_date").alias("month"), "_source", "_line")
    month_spec = schema.TableSpec("m", (schema.Column("month", schema.Kind.MONTH),))
    try:
        parsing.BY_VALUE_ROWS, parsing._DATES_PER_TEXT = 1, 1
        by_value = parsing.parse_table(raw, schema.CONTRACTS)
        months_by_value = parsing.parse_table(months, month_spec)
    finally:
        parsing.BY_VALUE_ROWS, parsing._DATES_PER_TEXT = 20_000, 8
    by_row = parsing.parse_table(raw, schema.CONTRACTS)
    assert by_value[0].equals(by_row[0])
    assert by_value[1] == by_row[1]
    months_by_row = parsing.parse_table(months, month_spec)
    assert months_by_value[0].equals(months_by_row[0])
    assert months_by_value[1] == months_by_row[1]


_customer_ids = st.sampled_from(["A", "B", "C", "X", ""])
_contract_ids = st.sampled_from(["K1", "K2", "K3", "K9", ""])


@st.composite
def _data_dirs(draw: st.DrawFn) -> dict[str, str]:
    customers = draw(st.lists(_customer_ids, min_size=1, max_size=4))
    contracts = draw(st.lists(st.tuples(_contract_ids, _customer_ids), min_size=1, max_size=5))
    if draw(st.booleans()):  # lines contract by contract, in the contracts' order
        lines = [c for c, _ in contracts for _ in range(draw(st.integers(1, 3)))]
    else:
        lines = draw(st.lists(_contract_ids, min_size=1, max_size=8))
    return {
        "customers.csv": "customer_id,name\n" + "".join(f"{c},N\n" for c in customers),
        "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
        + "".join(f"{k},{c},2026-01-01,2026-12-31\n" for k, c in contracts),
        "contract_lines.csv": "contract_id,product,unit_price,start_date\n"
        + "".join(f"{k},P,10,2026-0{i % 9 + 1}-01\n" for i, k in enumerate(lines)),
    }


@settings(max_examples=60, deadline=None)
@given(_data_dirs())
def test_rows_looked_up_in_step_are_the_rows_a_join_finds(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        raw = read_raw(write_data_dir(Path(folder), files))
        stepped, stepped_issues = validate(raw)
        original = tables_module.in_order_of
        try:
            tables_module.in_order_of = lambda keys, ids: None
            joined, joined_issues = validate(raw)
        finally:
            tables_module.in_order_of = original
    assert stepped_issues == joined_issues
    for name in ("customers", "contracts", "lines"):
        assert getattr(stepped, name).equals(getattr(joined, name)), name


def test_in_order_of_names_each_key_s_row_only_when_keys_follow_the_ids() -> None:
    ids = pl.Series(["K1", "K2", "K3"])
    # K1 K1 K2 K3 K3: rows 0 0 1 2 2.
    assert in_order_of(pl.Series(["K1", "K1", "K2", "K3", "K3"]), ids).to_list() == [0, 0, 1, 2, 2]  # type: ignore[union-attr]
    assert in_order_of(pl.Series(["K1", "K3", "K2"]), ids) is None  # another order
    assert in_order_of(pl.Series(["K1", "K2"]), ids) is None  # K3 has no key
    assert in_order_of(pl.Series(["K1", "K2", "K3", "K1"]), ids) is None  # K1 again later
    assert in_order_of(pl.Series(["K1", None, "K3"]), ids) is None  # a null


def test_currency_codes_and_minor_units_are_the_iso4217_packages() -> None:
    import iso4217

    iso = {c.code: c.exponent for c in iso4217.Currency}
    assert iso == schema._MINOR_UNITS
    # ISO 4217's minor units: yen none, krone 2, dinar 3; gold has none, so 2 like most.
    assert [schema.minor_units(c) for c in ("JPY", "NOK", "KWD", "CLF", "XAU")] == [0, 2, 3, 4, 2]
    with pytest.raises(ValueError, match="'nok' is not a valid Currency"):
        schema.minor_units("nok")  # codes are upper case, as validation makes them


def test_country_codes_are_the_two_letter_territories_babel_knows() -> None:
    territories = (str(code) for code in Locale("en").territories)
    assert country_codes() == {c for c in territories if len(c) == 2 and c.isalpha()}
