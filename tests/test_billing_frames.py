"""A billing run as frames (``billing_amounts``) and its invoice objects made in bulk:
the same invoices as one by one, objects only for what is asked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.billing.lines import decimal_of, decimals
from revcli.billing.run import billing_amounts, billing_run
from revcli.checks import load_dataset
from tests.billing_support import billing_dir
from tests.conftest import ROOT

D = Decimal
DEC_2026 = dt.date(2026, 12, 1)
LINES = "contract_id,line_id,product,quantity,unit_price,price_period,discount_pct,start_date,end_date,tax_rate\n"


@settings(max_examples=80, deadline=None)
@given(st.lists(st.none() | st.integers(-(10**37), 10**37), max_size=40))
def test_bulk_decimals_equal_one_by_one(mantissas: list[int | None]) -> None:
    # ``decimals`` builds the texts in Polars; each must be the very Decimal (digits and
    # exponent) that ``decimal_of`` makes of the mantissa: 2500000000000 → 250, 1 → 1E-10.
    got = decimals(pl.Series(mantissas, dtype=pl.Int128))
    for mantissa, value in zip(mantissas, got, strict=True):
        if mantissa is None:
            assert value is None
        else:
            assert value is not None
            assert value.as_tuple() == decimal_of(mantissa).as_tuple()


def test_amounts_of_a_run_by_hand(tmp_path: Path) -> None:
    # K1 bills monthly: 3 × 100 at 25 % and 1 × 0.30 at 15 %; K2 (EUR) 2 × 10 at 25 %.
    # K1: net 300.00 + 0.30 = 300.30; tax 75.00 + 0.045 → 0.05 (half-up) = 75.05;
    #     total 375.35. K2: net 20.00, tax 5.00, total 25.00; its tax shown in NOK at
    #     11.5 NOK/EUR on 2026-01-01: 57.50 NOK. Due 14 days after 2026-01-01.
    contracts = (
        "contract_id,customer_id,start_date,currency\nK1,C1,2026-01-01,NOK\nK2,C1,2026-01-01,EUR\n"
    )
    lines = LINES + "K1,1,A,3,100,month,,,,25\nK1,2,B,1,0.30,month,,,,15\nK2,1,A,2,10,month,,,,\n"
    fx = "date,currency,rate\n2025-12-31,EUR,11.5\n"
    root = billing_dir(tmp_path, contracts, lines, fx=fx)
    run = billing_amounts(load_dataset(root), dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    frame = run.invoices.select("contract_id", "places", "net", "tax", "total", "nok_rate")
    assert frame.rows() == [
        ("K1", 2, 30030, 7505, 37535, None),
        ("K2", 2, 2000, 500, 2500, 115_000_000_000),  # 11.5 with 10 implied places
    ]
    assert run.invoices["due_date"].to_list() == [dt.date(2026, 1, 15)] * 2
    assert run.total() == D("400.35")
    k1, k2 = run.drafts()
    assert (k1.net, k1.tax, k1.total, k1.tax_nok) == (D("300.30"), D("75.05"), D("375.35"), None)
    assert [(t.rate, t.net, t.tax) for t in k1.taxes] == [
        (D("15"), D("0.30"), D("0.05")),
        (D("25"), D("300.00"), D("75.00")),
    ]
    assert (k2.total, k2.nok_rate, k2.tax_nok) == (D("25.00"), D("11.5"), D("57.50"))


def test_objects_are_made_only_for_the_invoices_asked_for() -> None:
    data = load_dataset(ROOT / "sample_data")
    run = billing_amounts(data, DEC_2026, DEC_2026)
    drafts = billing_run(data, DEC_2026, DEC_2026)
    assert len(run) == len(drafts) > 3
    assert run.keys() == [d.key for d in drafts]
    assert run.total() == sum(d.total for d in drafts)
    skip = {drafts[0].key, drafts[2].key}
    assert run.drafts(skip=skip) == [d for d in drafts if d.key not in skip]
