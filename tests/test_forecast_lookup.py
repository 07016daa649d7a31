"""The forecast's look-up of each exposed customer's MRR in a month (packed integer keys),
worked out by hand, with the per-customer as-of join it replaces as the reference."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.forecast import _with_mrr
from revcli.metrics.mrr import CUSTOMER, MONTH

day = dt.date.fromisoformat


def test_latest_state_on_or_before_the_month_of_the_same_customer_only() -> None:
    # Customer 1: 100 from 2027-01, 80 from 2027-03. Customer 2: 5 from 2027-02.
    # Customer 3 has no state at all; customer 0 only from 2027-04.
    running = pl.DataFrame(
        {
            CUSTOMER: [1, 1, 2, 0],
            MONTH: [day("2027-01-01"), day("2027-03-01"), day("2027-02-01"), day("2027-04-01")],
            "cur": [100.0, 80.0, 5.0, 7.0],
        },
        schema_overrides={CUSTOMER: pl.UInt32},
    )
    exposed = pl.DataFrame(
        {
            CUSTOMER: [1, 2, 3, 0, 1, 2, 1],
            "score": [10, 20, 30, 40, 10, 20, 10],
            MONTH: [day(f"2027-0{m}-01") for m in (1, 1, 1, 1, 2, 3, 4)],
        },
        schema_overrides={CUSTOMER: pl.UInt32},
    )
    got = _with_mrr(exposed, running)
    # 1 in 01: 100; 2 in 01: none yet; 3: never; 0 in 01: none yet (its 04 state is later,
    # and customer 1's is not its own); 1 in 02: still 100; 2 in 03: 5; 1 in 04: 80.
    assert got.get_column("cur").to_list() == [100.0, None, None, None, 100.0, 5.0, 80.0]
    assert got.select(CUSTOMER, "score", MONTH).equals(exposed)  # rows in their order
    reference = exposed.join_asof(
        running.sort(MONTH), on=MONTH, by=CUSTOMER, strategy="backward", check_sortedness=False
    )
    assert got.equals(reference)
