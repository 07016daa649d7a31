"""A billing run as frames (``billing_amounts``) and its invoice objects made in bulk:
the same invoices as one by one, objects only for what is asked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.billing.lines import decimal_of, decimals
from revcli.billing.run import billing_amounts, billing_frames, billing_run
from revcli.checks import load_dataset
from revcli.errors import DataError
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


def test_problems_are_those_of_the_invoices_not_skipped(tmp_path: Path) -> None:
    # K1 (NOK) needs nothing; K2 and K3 are in EUR and dated 2025-12-01, before the first
    # EUR rate (2026-01-01): no rate to show their tax in NOK. C3 is a reverse-charge buyer
    # without a VAT id. billing_amounts refuses the run with all three problems (sorted by
    # file: customers.csv before fx_rates.csv); an invoice that is skipped (issued before)
    # brings none: without K3, neither its rate nor its buyer C3 is a problem.
    contracts = (
        "contract_id,customer_id,start_date,currency\n"
        "K1,C1,2026-01-01,NOK\nK2,C2,2026-01-01,EUR\nK3,C3,2026-01-01,EUR\n"
    )
    customers = (
        "customer_id,name,country,address,vat_id,reverse_charge\n"
        'C1,Nordlys Analyse AS,NO,"Kongens gate 5, 7011 Trondheim",,\n'
        'C2,Isar Energie GmbH,DE,"Lindenallee 73, 10115 Berlin",DE246648746,true\n'
        'C3,Rhein Daten GmbH,DE,"Hafenstraße 2, 50667 Köln",,true\n'
    )
    lines = LINES + "K1,1,A,1,100,month,,,,\nK2,1,A,1,50,month,,,,\nK3,1,A,1,70,month,,,,\n"
    fx = "date,currency,rate\n2026-01-01,EUR,11.5\n"
    root = billing_dir(tmp_path, contracts, lines, customers=customers, fx=fx)
    data = load_dataset(root)
    jan, issued = dt.date(2026, 1, 1), dt.date(2025, 12, 1)
    run = billing_frames(data, jan, jan, issue_date=issued)
    assert run.invoices["nok_rate"].to_list() == [None, None, None]
    rate = "rate: no EUR (or NOK) rate on or before 2025-12-01 to show the tax of contract"
    everything = [
        f"{root}/customers.csv:4: vat_id: is required on invoices to a reverse_charge customer "
        "(VAT directive art. 226)",
        f"{root}/fx_rates.csv: {rate} K2's invoice in NOK",
        f"{root}/fx_rates.csv: {rate} K3's invoice in NOK",
    ]
    assert [str(i) for i in run.problems()] == everything
    with pytest.raises(DataError) as refused:
        billing_amounts(data, jan, jan, issue_date=issued)
    assert [str(i) for i in refused.value.issues] == everything
    assert [str(i) for i in run.problems(skip={("K3", jan)})] == everything[1:2]
    assert run.problems(skip={("K2", jan), ("K3", jan)}) == []
    # on a day with a rate the run has no problem but C3's
    dated = billing_frames(data, jan, jan, issue_date=jan)
    assert [str(i) for i in dated.problems()] == everything[:1]
