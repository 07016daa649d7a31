"""SPEC §1–2 data rules at their boundaries (booleans, fx rates, value ranges, where a
line may start), each expected value worked out by hand from the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from revcli.data.validate import load_dataset
from revcli.errors import DataError
from tests.conftest import MakeDir
from tests.helpers import mrr_of, row

CUSTOMERS = "customer_id,name\nA,Acme AS\n"


def problems(root: Path) -> list[str]:
    with pytest.raises(DataError) as info:
        load_dataset(root)
    return [str(i).replace(f"{root}/", "") for i in info.value.issues]


@pytest.mark.parametrize(
    ("flag", "renews"),
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("1", True),
        ("false", False),
        ("No", False),
        ("NO", False),
        ("0", False),
    ],
)
def test_booleans_accept_six_words_in_any_case(
    make_data_dir: MakeDir, flag: str, renews: bool
) -> None:
    # §1: booleans accept true/false/yes/no/1/0, case-insensitive. A first term
    # 2026-01-01..2026-03-31 with one line of 100: March counts 100 either way; April
    # counts 100 only when the contract auto-renews (§3), else 0.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,auto_renew\n"
            f"C1,A,2026-01-01,2026-03-31,{flag}\n",
            "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,100\n",
        }
    )
    t = mrr_of(root, "2026-03", "2026-04")
    assert row(t, "2026-03")["mrr"] == 100
    assert row(t, "2026-04")["mrr"] == (100 if renews else 0)


def test_a_word_that_is_not_a_boolean_is_an_error(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,auto_renew\n"
            "C1,A,2026-01-01,2026-03-31,y\n",
            "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,100\n",
        }
    )
    found = problems(root)
    assert len(found) == 1
    assert found[0].startswith("contracts.csv:2: auto_renew: ")


FX = "date,currency,rate\n2026-01-01,EUR,10\n2026-02-01,EUR,11\n"


def test_the_rate_dated_on_the_start_day_is_the_booking_rate(make_data_dir: MakeDir) -> None:
    # §1: the rate in effect on a day is the latest row dated ON or before it.
    # E1 starts 2026-01-31: latest row on or before is 2026-01-01 → 10; 100 EUR → 1,000.
    # E2 starts 2026-02-01, the day of the second row → 11; 100 EUR → 1,100.
    # MRR at the end of February: 1,000 + 1,100 = 2,100.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "fx_rates.csv": FX,
            "contracts.csv": "contract_id,customer_id,start_date,currency\n"
            "E1,A,2026-01-31,EUR\nE2,A,2026-02-01,EUR\n",
            "contract_lines.csv": "contract_id,product,unit_price\nE1,LIC,100\nE2,API,100\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-02")
    assert row(t, "2026-01")["mrr"] == 1000
    assert row(t, "2026-02")["mrr"] == 2100


def test_rows_for_the_base_currency_are_ignored(make_data_dir: MakeDir) -> None:
    # §1: rows for the base currency (NOK) are ignored: a NOK row with rate 2 leaves a
    # NOK line of 100 at 100 (not 200), and two NOK rows of one date are no error.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "fx_rates.csv": FX + "2025-01-01,NOK,2\n2025-01-01,NOK,3\n",
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,100\n",
        }
    )
    assert row(mrr_of(root, "2026-01", "2026-01"), "2026-01")["mrr"] == 100


def test_a_one_time_only_contract_needs_no_rate(make_data_dir: MakeDir) -> None:
    # §1: a day before a currency's first row has no rate, and only data that needs one
    # (a contract with a recurring line, an open opportunity) is invalid. A EUR contract
    # starting 2025-06-01 (before the first EUR row, 2026-01-01) with only a `once` line
    # needs no rate: the data is valid and adds no MRR (§1: `once` never counts).
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "fx_rates.csv": FX,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,currency\n"
            "E1,A,2025-06-01,2025-06-30,EUR\n",
            "contract_lines.csv": "contract_id,product,unit_price,price_period\nE1,SETUP,500,once\n",
        }
    )
    assert row(mrr_of(root, "2025-06", "2025-06"), "2025-06")["mrr"] == 0


def test_only_an_open_opportunity_needs_a_rate(make_data_dir: MakeDir) -> None:
    # §1: an open opportunity closing before the first EUR row (2026-01-01) needs a rate
    # it cannot have: invalid. A won and a lost one on the same day need none.
    header = "opportunity_id,customer_id,name,stage,probability,expected_close,mrr,currency,type,owner,status\n"
    files = {
        "customers.csv": CUSTOMERS,
        "fx_rates.csv": FX,
        "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\n",
        "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,100\n",
    }
    closed = (
        header
        + "O1,A,Deal,won,100,2025-12-31,50,EUR,new,,won\nO2,A,Deal,lost,0,2025-12-31,50,EUR,new,,lost\n"
    )
    load_dataset(make_data_dir({**files, "opportunities.csv": closed}))
    open_ = header + "O3,A,Deal,demo,50,2025-12-31,50,EUR,new,,open\n"
    found = problems(make_data_dir({**files, "opportunities.csv": open_}))
    assert len(found) == 1
    assert found[0].startswith("opportunities.csv:2: ")
    assert "2025-12-31" in found[0]


@pytest.mark.parametrize(
    ("column", "value", "ok"),
    [
        ("quantity", "0", True),
        ("quantity", "-1", False),
        ("unit_price", "0", True),
        ("unit_price", "-0.01", False),
        ("discount_pct", "0", True),
        ("discount_pct", "100", True),
        ("discount_pct", "100.01", False),
        ("discount_pct", "-1", False),
    ],
)
def test_value_ranges_include_their_bounds(
    make_data_dir: MakeDir, column: str, value: str, ok: bool
) -> None:
    # §1: quantity ≥ 0, unit_price ≥ 0, discount_pct 0–100 (bounds included). Each valid
    # bound makes line_mrr = 0 (§2: 0 × 100, 1 × 0, or 100 × (1 − 100/100)) except a 0 %
    # discount (100 × 1 × 1 = 100).
    cells = {"quantity": "1", "unit_price": "100", "discount_pct": "0"} | {column: value}
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,quantity,unit_price,discount_pct\n"
            f"C1,LIC,{cells['quantity']},{cells['unit_price']},{cells['discount_pct']}\n",
        }
    )
    if not ok:
        found = problems(root)
        assert len(found) == 1
        assert found[0].startswith(f"contract_lines.csv:2: {column}: ")
        return
    t = mrr_of(root, "2026-01", "2026-01")
    expected = 100 if (column, value) == ("discount_pct", "0") else 0
    assert row(t, "2026-01")["mrr"] == expected
    # a line with line_mrr = 0 contributes nothing: the customer is not active (§4).
    assert row(t, "2026-01")["customers"] == (1 if expected else 0)


@pytest.mark.parametrize(
    ("cancelled_on", "line_start", "ok"),
    [
        ("", "2026-06-30", True),  # the contract's end_date: its last day of service
        ("", "2026-07-01", False),  # a day after end_date (no auto-renew)
        ("2026-03-31", "2026-03-31", True),  # cancelled_on is the last day of service
        ("2026-03-31", "2026-04-01", False),
        ("", "2025-12-31", False),  # the day before the contract's start_date
    ],
)
def test_a_line_starts_within_the_contracts_days_of_service(
    make_data_dir: MakeDir, cancelled_on: str, line_start: str, ok: bool
) -> None:
    # §1: a line must start on or after the contract's start_date (2026-01-01) and on or
    # before its last day of service (cancelled_on, or end_date when it does not renew).
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,cancelled_on\n"
            f"C1,A,2026-01-01,2026-06-30,{cancelled_on}\n",
            "contract_lines.csv": "contract_id,product,unit_price,start_date\n"
            f"C1,LIC,100,{line_start}\n",
        }
    )
    if ok:
        assert load_dataset(root).lines.height == 1
    else:
        found = problems(root)
        assert len(found) == 1
        assert found[0].startswith("contract_lines.csv:2: start_date: ")


def test_a_line_may_end_after_the_cancellation_which_cuts_it_off(make_data_dir: MakeDir) -> None:
    # §1: a line may end later than cancelled_on: cancelled_on cuts it off. Line to
    # 2026-06-30, contract cancelled with last day 2026-03-31 → March 100, April 0.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,cancelled_on\n"
            "C1,A,2026-01-01,2026-06-30,2026-03-31\n",
            "contract_lines.csv": "contract_id,product,unit_price,end_date\nC1,LIC,100,2026-06-30\n",
        }
    )
    t = mrr_of(root, "2026-03", "2026-04")
    assert (row(t, "2026-03")["mrr"], row(t, "2026-04")["mrr"]) == (100, 0)
