"""The reports' limit on one line's MRR (docs/rules.md, MRR: "Float noise") — hand-computed.

Report figures are float64 sums: a line far beyond 10^12 a month (a quantity of 10^17
typed by mistake) would leave its rounding error in every later month after it ended.
Every command and ``revcli validate`` refuse such a line by file and row; the invoice
commands too (invoices are exact decimals, but data validate rejects is never invoiced).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from revcli.checks import check_and_load, check_data_dir
from revcli.data.validate import load_dataset
from revcli.errors import DataError
from revcli.metrics.mrr import _BOOKS, Book, line_limit_issues
from tests.conftest import MakeDir, Run
from tests.helpers import mrr_of, row

CUSTOMERS = "customer_id,name\nA,Acme AS\nB,Bergen AS\n"


def _dir(make_data_dir: MakeDir, contracts: str, lines: str, **more: str) -> Path:
    return make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,currency\n" + contracts,
            "contract_lines.csv": "contract_id,product,quantity,unit_price,price_period\n" + lines,
            **more,
        }
    )


def test_a_line_just_below_the_limit_is_summed(make_data_dir: MakeDir) -> None:
    # 999,999,999,999.99 a month is below 10^12: MRR is that price, to the cent.
    root = _dir(make_data_dir, "K1,A,2026-01-01,,\n", "K1,BIG,1,999999999999.99,month\n")
    t = mrr_of(root, "2026-01", "2026-01")
    assert row(t, "2026-01")["mrr"] == pytest.approx(999_999_999_999.99, abs=0.005)
    assert check_data_dir(root) == []


def test_a_line_at_the_limit_is_refused_by_file_row_and_column(
    make_data_dir: MakeDir, run: Run
) -> None:
    # 12,000,000,000,000 a year / 12 = 1,000,000,000,000 a month: exactly the limit.
    root = _dir(
        make_data_dir,
        "K1,A,2026-01-01,,\n",
        "K1,BIG,1,12000000000000,year\n",
    )
    expected = (
        f"{root / 'contract_lines.csv'}:2: unit_price: gives the line an MRR of "
        "1,000,000,000,000 NOK a month; reports add up MRR to the cent only for lines below "
        "1,000,000,000,000 NOK a month: check quantity and unit_price"
    )
    result = run("mrr", "--data", root, "--from", "2026-01", "--to", "2026-02", "--format", "csv")
    assert result.exit_code == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    checked = run("validate", "--data", root)
    assert checked.exit_code == 1
    assert expected in checked.stdout
    # Nor is such a line invoiced (a run would bill 10^12 NOK for January).
    for args in (["render"], ["issue", "--date", "2026-02-01"]):
        billed = run("invoice", *args, "--data", root, "--period", "2026-01")
        assert billed.exit_code == 1
        assert expected in billed.stderr
        assert not (root / "invoices").exists()


LINES = "contract_id,product,quantity,unit_price,price_period,discount_pct\n"
EUR_AT_11_5 = "date,currency,rate\n2025-12-31,EUR,11.5\n"


@pytest.mark.parametrize(
    ("contracts", "line"),
    [
        # 999,999,999,999.9999999999 a month: 10^-10 below the limit, though float64 holds
        # it as 10^12 exactly.
        ("K1,A,2026-01-01,,\n", "K1,BIG,1,999999999999.9999999999,month,\n"),
        # 86,956,521,739.1304347 EUR × 11.5 = 869,565,217,391.304347 + 130,434,782,608.69565205
        # = 999,999,999,999.99999905 NOK a month.
        ("K1,A,2026-01-01,,EUR\n", "K1,BIG,1,86956521739.1304347,month,\n"),
        # (5 × 10^23 − 10^-10) × (1 − 0.999999999998) = 10^12 − 2 × 10^-22: float64 makes
        # the discount's factor about 2.0000668e-12, an MRR 0.0033 % too large.
        (
            "K1,A,2026-01-01,,\n",
            "K1,BIG,1,499999999999999999999999.9999999999,month,99.9999999998\n",
        ),
    ],
    ids=["month price", "in EUR at 11.5", "discounted to a trillionth"],
)
def test_a_line_just_below_the_limit_is_accepted_though_its_float_mrr_reaches_it(
    make_data_dir: MakeDir, contracts: str, line: str
) -> None:
    root = _dir(make_data_dir, contracts, "", **{"fx_rates.csv": EUR_AT_11_5})
    (root / "contract_lines.csv").write_text(LINES + line)
    assert line_limit_issues(load_dataset(root)) == []
    assert [i for i in check_data_dir(root) if i.is_error] == []


@pytest.mark.parametrize(
    ("contracts", "lines", "column", "mrr"),
    [
        # 1,000,000,000,000 a month: exactly the limit.
        (
            "K1,A,2026-01-01,,\n",
            "K1,BIG,1,1000000000000,month\n",
            "unit_price",
            "1,000,000,000,000",
        ),
        # 86,956,521,739.1304348 EUR × 11.5 = 1,000,000,000,000.0000002 NOK: 10^-7 above,
        # quoted to the unit.
        (
            "K1,A,2026-01-01,,EUR\n",
            "K1,BIG,1,86956521739.1304348,month\n",
            "unit_price",
            "1,000,000,000,000",
        ),
        # (10^28 − 10^-10) × (10^8 − 10^-10) = 10^36 − 10^18 − 10^-2 + 10^-20, which rounds
        # to 10^36 − 10^18 (float64 said 999,999,999,999,999,894,846,684,784,341,549,056).
        (
            "K1,A,2026-01-01,,\n",
            "K1,BIG,9999999999999999999999999999.9999999999,99999999.9999999999,month\n",
            "quantity",
            "999,999,999,999,999,999,000,000,000,000,000,000",
        ),
        # 1,000,000,000,000.5 a month: a half, rounded up (half even would say ...000).
        (
            "K1,A,2026-01-01,,\n",
            "K1,BIG,1,1000000000000.5,month\n",
            "unit_price",
            "1,000,000,000,001",
        ),
    ],
    ids=["at the limit", "in EUR just above", "far above", "a half rounds up"],
)
def test_the_refusal_quotes_the_exact_mrr(
    make_data_dir: MakeDir, contracts: str, lines: str, column: str, mrr: str
) -> None:
    root = _dir(
        make_data_dir,
        contracts,
        lines,
        **{"fx_rates.csv": EUR_AT_11_5},
    )
    (issue,) = line_limit_issues(load_dataset(root))
    assert (issue.line, issue.column) == (2, column)
    assert issue.message.startswith(f"gives the line an MRR of {mrr} NOK a month;")


def test_check_and_load_gives_the_data_set_only_when_nothing_is_an_error(
    make_data_dir: MakeDir,
) -> None:
    # Below the limit the data set comes with no issue (K1's one line, 100.00 a month);
    # at it, every cell is valid but the line-limit error is there, and no data set.
    ok = _dir(make_data_dir, "K1,A,2026-01-01,,\n", "K1,P,1,100.00,month\n")
    issues, data = check_and_load(ok)
    assert issues == []
    assert data is not None
    assert data.lines.get_column("contract_id").to_list() == ["K1"]
    big = _dir(make_data_dir, "K1,A,2026-01-01,,\n", "K1,BIG,1,12000000000000,year\n")
    issues, data = check_and_load(big)
    assert data is None
    assert [(i.source, i.line, i.column) for i in issues] == [
        (str(big / "contract_lines.csv"), 2, "unit_price")
    ]
    assert issues == check_data_dir(big)


def test_a_mistyped_quantity_on_an_ended_contract_is_named(make_data_dir: MakeDir) -> None:
    # The review's case: 10^17 × 290 a month on a contract that ended in 2023 used to move
    # every later month's MRR by about a thousand. Each cell is valid, but no command
    # runs on the data; the quantity is the larger number.
    root = _dir(
        make_data_dir,
        "K1,A,2026-01-01,,\nK2,B,2023-01-01,2023-03-31,\n",
        "K1,PRO,2,500,month\nK2,PRO,100000000000000000,290,month\n",
    )
    data = load_dataset(root)
    with pytest.raises(DataError) as caught:
        Book.of(data)
    (issue,) = caught.value.issues
    assert (issue.line, issue.column) == (3, "quantity")
    assert "MRR of 29,000,000,000,000,000,000 NOK a month" in issue.message
    assert line_limit_issues(data) == [issue]


@pytest.mark.parametrize(
    ("contracts", "lines", "fx", "mrr"),
    [
        # 100,000,000,000 USD a month at 10.5 NOK per USD = 1,050,000,000,000 NOK: refused,
        # though the price in USD is below the limit.
        (
            "K1,A,2026-01-01,,USD\n",
            "K1,API,1,100000000000,month\n",
            "date,currency,rate\n2025-12-31,USD,10.5\n",
            "1,050,000,000,000",
        ),
        # 2026-03-20..2026-04-05 is 17 days, no whole month: 17 / 30.4375 months.
        # 680,000,000,000 per term is an MRR of 680,000,000,000 × 30.4375 / 17 =
        # 1,217,500,000,000 NOK, though quantity × price (6.8 × 10^11) is below the limit.
        (
            "K1,A,2026-03-20,2026-04-05,\n",
            "K1,EVENT,1,680000000000,term\n",
            "date,currency,rate\n",
            "1,217,500,000,000",
        ),
    ],
    ids=["in the base currency", "spread over a short term"],
)
def test_the_limit_is_on_the_monthly_amount_in_the_base_currency(
    make_data_dir: MakeDir, contracts: str, lines: str, fx: str, mrr: str
) -> None:
    root = _dir(make_data_dir, contracts, lines, **{"fx_rates.csv": fx})
    (issue,) = line_limit_issues(load_dataset(root))
    assert issue.column == "unit_price"
    assert f"MRR of {mrr} NOK a month" in issue.message


def test_validate_does_not_build_the_book_when_no_line_can_reach_the_limit(
    make_data_dir: MakeDir,
) -> None:
    # quantity × price × rate at most 2 × 500 = 1,000 a month: far below; no book is made.
    root = _dir(make_data_dir, "K1,A,2026-01-01,,\n", "K1,PRO,2,500,month\n")
    data = load_dataset(root)
    assert line_limit_issues(data) == []
    assert data not in _BOOKS


def test_every_line_beyond_the_limit_is_named_in_file_order(make_data_dir: MakeDir) -> None:
    # Rows 2 and 4 reach the limit (2 × 10^12 and 10^12 a month); row 3 (500) does not.
    root = _dir(
        make_data_dir,
        "K1,A,2026-01-01,,\nK2,B,2026-01-01,,\n",
        "K2,BIG,2,1000000000000,month\nK1,PRO,1,500,month\nK1,BIG,1000000000000,1,month\n",
    )
    issues = line_limit_issues(load_dataset(root))
    assert [(i.line, i.column) for i in issues] == [(2, "unit_price"), (4, "quantity")]
    assert [i.message.split(" a month")[0] for i in issues] == [
        "gives the line an MRR of 2,000,000,000,000 NOK",
        "gives the line an MRR of 1,000,000,000,000 NOK",
    ]


def test_a_yaml_line_is_named_at_its_value(make_data_dir: MakeDir) -> None:
    # 5 × 10^12 a month: the error points at the line of `unit_price:` (line 8), not at
    # the line's record (line 6), as every other problem of a YAML file does.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.yaml": """\
                contracts:
                  - contract_id: K1
                    customer_id: A
                    start_date: 2026-01-01
                    lines:
                      - product: BIG
                        quantity: 1
                        unit_price: 5000000000000
            """,
        }
    )
    data = load_dataset(root)
    with pytest.raises(DataError) as caught:
        Book.of(data)
    (issue,) = caught.value.issues
    assert (issue.source, issue.line, issue.column) == (
        str(root / "contracts.yaml"),
        8,
        "unit_price",
    )
    assert line_limit_issues(data) == [issue]
