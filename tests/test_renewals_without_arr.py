"""``upcoming_renewals(..., with_arr=False)``: the renewals the risk score and the forecast
read, without the ARR they never use."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.checks import load_dataset
from revcli.metrics.mrr import Book
from revcli.renewals.terms import upcoming_renewals
from tests.conftest import ROOT


def test_the_same_renewals_with_arr_left_out() -> None:
    data = load_dataset(ROOT / "sample_data")
    schedule = Book.of(data).schedule
    as_of = dt.date(2026, 11, 23)
    full = upcoming_renewals(data.contracts, data.customers, schedule, as_of, None)
    lean = upcoming_renewals(data.contracts, data.customers, schedule, as_of, None, with_arr=False)
    assert full.height > 10
    assert lean.get_column("arr").null_count() == lean.height
    # every other column equal, row for row once ordered by contract (ARR orders ties)
    assert lean.drop("arr").sort("contract_id").equals(full.drop("arr").sort("contract_id"))
    # without ARR, ties on the term end are in contract order
    assert lean.get_column("contract_id").to_list() == (
        lean.sort("term_end", "contract_id").get_column("contract_id").to_list()
    )
    assert lean.schema == full.schema
    assert pl.Float64 == lean.schema["arr"]
