"""MRR forecast: contracted MRR run forward, weighted pipeline, expected churn — apart."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from revcli import forecast as forecast_module
from revcli.checks import load_dataset
from revcli.forecast import (
    churn_schedule,
    forecast_pipeline,
    forecast_report,
    forecast_table,
)
from revcli.metrics.mrr import Book
from revcli.metrics.pipeline import open_pipeline
from revcli.renewals import terms as renewals_terms
from revcli.risk import report as risk_report
from tests.conftest import MakeDir, Run
from tests.helpers import month

CUSTOMERS = "customer_id,name\nA,Acme AS\nB,Bergen AS\n"
# A: 1,000 MRR, first term 2026, auto-renews yearly with a 5 % uplift.
# B: 400 MRR until 2027-01-31, does not renew.
CONTRACTS = (
    "contract_id,customer_id,start_date,end_date,auto_renew,renewal_uplift_pct\n"
    "CA,A,2026-01-01,2026-12-31,true,5\n"
    "CB,B,2026-02-01,2027-01-31,false,\n"
)
LINES = "contract_id,product,unit_price\nCA,LIC,1000\nCB,LIC,400\n"
OPPORTUNITIES = (
    "opportunity_id,customer_id,probability,expected_close,mrr,type,status\n"
    "O1,P,50,2027-01-15,1000,new,open\n"  # 500 weighted from January
    "O2,Q,100,2026-10-01,300,new,open\n"  # slipped: counts from the first month
    "O3,A,90,2026-12-20,1050,renewal,open\n"  # A auto-renews: already contracted
    "O4,B,50,2027-01-20,400,renewal,open\n"  # B expires: 200 weighted from January
)

FIRST, LAST = month("2026-12"), month("2027-02")
NO_CHURN = pl.DataFrame(
    {"customer_id": [], "score": [], "from_month": []},
    schema={"customer_id": pl.String, "score": pl.Int64, "from_month": pl.Date},
)


@pytest.fixture
def root(make_data_dir: MakeDir) -> Path:
    return make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": CONTRACTS,
            "contract_lines.csv": LINES,
            "opportunities.csv": OPPORTUNITIES,
        }
    )


def forecast(root: Path, churn: pl.DataFrame = NO_CHURN) -> dict[dt.date, dict[str, Any]]:
    data = load_dataset(root)
    book = Book.of(data)
    pipeline = forecast_pipeline(
        open_pipeline(data.opportunities, data.fx_rates, "NOK"), book.schedule
    )
    table = forecast_table(book, pipeline=pipeline, churn=churn, first=FIRST, last=LAST)
    return {r["month"]: r for r in table.to_dicts()}


def test_contracted_mrr_runs_an_auto_renewal_forward_with_its_uplift(root: Path) -> None:
    # December: A 1,000 + B 400. January: A renews at 1,000 × 1.05 = 1,050; B's term
    # ended on 31 January, so it still counts in January: 1,450. February: 1,050.
    t = forecast(root)
    assert [t[m]["contracted_mrr"] for m in (FIRST, month("2027-01"), LAST)] == [
        pytest.approx(1_400),
        pytest.approx(1_450),
        pytest.approx(1_050),
    ]


def test_weighted_pipeline_adds_from_the_close_month_on(root: Path) -> None:
    # December: slipped O2 300 × 100 % = 300 (O3 left out: A's renewal is contracted).
    # January on: + O1 1,000 × 50 % = 500 + O4 400 × 50 % = 200 → 1,000.
    t = forecast(root)
    assert [t[m]["weighted_pipeline_mrr"] for m in (FIRST, month("2027-01"), LAST)] == [
        pytest.approx(300),
        pytest.approx(1_000),
        pytest.approx(1_000),
    ]


def test_a_deal_expected_in_the_last_month_counts_in_it(make_data_dir: MakeDir) -> None:
    # O5: 600 × 50 % = 300 expected on 2027-02-10, in the forecast's last month: February
    # is 1,000 (as above) + 300 = 1,300; December and January do not change.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": CONTRACTS,
            "contract_lines.csv": LINES,
            "opportunities.csv": OPPORTUNITIES + "O5,R,50,2027-02-10,600,new,open\n",
        }
    )
    t = forecast(root)
    assert [t[m]["weighted_pipeline_mrr"] for m in (FIRST, month("2027-01"), LAST)] == [
        pytest.approx(300),
        pytest.approx(1_000),
        pytest.approx(1_300),
    ]


def test_expected_churn_applies_score_to_contracted_mrr_from_the_exit_month(root: Path) -> None:
    # A scored 40 and can leave after its term end 2026-12-31 → from January:
    # −0.40 × 1,050 = −420 in January and February; nothing in December.
    churn = pl.DataFrame({"customer_id": ["A"], "score": [40], "from_month": [month("2027-01")]})
    t = forecast(root, churn)
    assert [t[m]["expected_churn_mrr"] for m in (FIRST, month("2027-01"), LAST)] == [
        0,
        pytest.approx(-420),
        pytest.approx(-420),
    ]
    # forecast = contracted + pipeline + churn: 1,450 + 1,000 − 420 = 2,030 in January.
    assert t[month("2027-01")]["forecast_mrr"] == pytest.approx(2_030)


def test_churn_schedule_starts_after_the_earliest_possible_exit() -> None:
    scores = pl.DataFrame({"customer_id": ["A", "B", "C", "D", "E"], "score": [10, 20, 30, 40, 50]})
    renewals = pl.DataFrame(
        {
            "contract_id": ["KA", "KB", "KC"],
            "customer_id": ["A", "B", "C"],
            "term_end": [dt.date(2026, 12, 31), dt.date(2026, 12, 31), dt.date(2027, 2, 15)],
            "status": ["auto-renews", "locked-in", "expires"],
        }
    )
    contracts = pl.DataFrame(
        {"contract_id": ["KA", "KB", "KC"], "renewal_term_months": [12, 12, 12]}
    )
    schedule = pl.DataFrame(
        {
            "customer_id": ["D", "E"],
            "line_mrr": [100.0, 100.0],
            "start_date": [dt.date(2026, 1, 1), dt.date(2026, 1, 1)],
            "end_date": [None, dt.date(2029, 12, 31)],
            "renewal_start": [None, None],
        },
        schema_overrides={"end_date": pl.Date, "renewal_start": pl.Date},
    )
    out = churn_schedule(
        scores,
        renewals=renewals,
        contracts=contracts,
        schedule=schedule,
        as_of=dt.date(2026, 11, 23),
        first=FIRST,
    )
    starts = dict(zip(out["customer_id"], out["from_month"], strict=True))
    assert starts == {
        "A": month("2027-01"),  # auto-renews: notice can still be given; gone after 31 Dec
        "B": month("2028-01"),  # locked in: renews once more, can leave after 2027-12-31
        "C": month("2027-02"),  # expires 15 February: not active on 28 February
        "D": FIRST,  # evergreen: can leave at any time
        "E": None,  # a fixed term ending in 2029: cannot leave within the forecast
    }


def test_without_renewals_churn_starts_at_once() -> None:
    scores = pl.DataFrame({"customer_id": ["A"], "score": [10]})
    out = churn_schedule(
        scores,
        renewals=None,
        contracts=pl.DataFrame(),
        schedule=pl.DataFrame(),
        as_of=dt.date(2026, 11, 23),
        first=FIRST,
    )
    assert out["from_month"].to_list() == [FIRST]


def test_cli_forecast_of_an_evergreen_customer_at_risk(run: Run, make_data_dir: MakeDir) -> None:
    # A: evergreen 1,000 MRR from 2026-01-01; one invoice 30 days overdue → score 20
    # (overdue weight). Evergreen: expected churn −0.20 × 1,000 = −200 from December.
    root = make_data_dir(
        {
            "customers.csv": "customer_id,name\nA,Acme AS\n",
            "contracts.csv": "contract_id,customer_id,start_date\nCA,A,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price\nCA,LIC,1000\n",
            "payments.csv": "invoice_number,customer_id,due_date,paid_on\n1,A,2026-10-24,\n",
        }
    )
    result = run("forecast", "--data", root, "--months", "2", "--as-of", "2026-11-23", "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["meta"]["as_of_mrr"] == 1000
    assert doc["rows"] == [
        {
            "month": m,
            "contracted_mrr": 1000.0,
            "weighted_pipeline_mrr": 0.0,
            "expected_churn_mrr": -200.0,
            "forecast_mrr": 800.0,
            # No new business in the six whole months before November: run rate 0.
            "run_rate_mrr": 0.0,
            "total_mrr": 800.0,
        }
        for m in ("2026-12", "2027-01")
    ]


@pytest.mark.parametrize("args", [("--months", "0"), ("--months", "x"), ("--as-of", "2026-02-30")])
def test_forecast_wrong_command_line_exits_2(run: Run, root: Path, args: tuple[str, ...]) -> None:
    assert run("forecast", "--data", root, *args).exit_code == 2


def test_cli_expected_churn_waits_for_the_term_end(run: Run, make_data_dir: MakeDir) -> None:
    # Without opportunities, nobody talks to A or B about renewal: A's notice deadline
    # (2026-12-01, 30 days before 2026-12-31) and B's term end (2027-01-31) are within
    # 90 days → renewal signal, score 20 each.
    # A can leave after 2026-12-31: −0.20 × 1,050 (uplifted) = −210 from January.
    # B expires 2027-01-31: from February, when its contracted MRR is already 0.
    # December: 1,400 contracted, no churn yet.
    root = make_data_dir(
        {"customers.csv": CUSTOMERS, "contracts.csv": CONTRACTS, "contract_lines.csv": LINES}
    )
    result = run("forecast", "--data", root, "--months", "3", "--as-of", "2026-11-23", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "month,contracted_mrr,weighted_pipeline_mrr,expected_churn_mrr,forecast_mrr,"
        "run_rate_mrr,total_mrr",
        # A and B were new in January and February 2026, before the run-rate window
        # (2026-05 … 2026-10): run rate 0, total = floor.
        "2026-12,1400.00,0.00,0.00,1400.00,0.00,1400.00",
        "2027-01,1450.00,0.00,-210.00,1240.00,0.00,1240.00",
        "2027-02,1050.00,0.00,-210.00,840.00,0.00,840.00",
    ]


def test_cli_an_evergreen_contract_that_starts_on_the_as_of_day_can_end_at_once(
    run: Run, make_data_dir: MakeDir
) -> None:
    # A's only contract is evergreen and starts on the as-of day, 2026-11-23: active at the
    # end of November (1,000 MRR). Three tickets in the last 30 days against none before
    # → tickets signal, score 15. Evergreen: it can leave at once, so −0.15 × 1,000 = −150
    # from December. No new business in 2026-05 … 2026-10: run rate 0.
    root = make_data_dir(
        {
            "customers.csv": "customer_id,name\nA,Acme AS\n",
            "contracts.csv": "contract_id,customer_id,start_date\nCA,A,2026-11-23\n",
            "contract_lines.csv": "contract_id,product,unit_price\nCA,LIC,1000\n",
            "tickets.csv": "customer_id,opened_on\nA,2026-11-01\nA,2026-11-10\nA,2026-11-20\n",
        }
    )
    result = run("forecast", "--data", root, "--months", "2", "--as-of", "2026-11-23", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "2026-12,1000.00,0.00,-150.00,850.00,0.00,850.00",
        "2027-01,1000.00,0.00,-150.00,850.00,0.00,850.00",
    ]


def test_cli_a_term_ending_mid_way_through_the_last_month_lets_churn_in_then(
    run: Run, make_data_dir: MakeDir
) -> None:
    # A: CA1 400 MRR until 2027-02-15 (does not renew) and CA2 1,000 MRR until 2029-12-31.
    # As of 2026-11-23, CA1 ends in 7 + 31 + 31 + 15 = 84 days ≤ 90 with no renewal deal:
    # score 20. A can leave after 2027-02-15, so from February, the forecast's last month:
    # −0.20 × February's contracted 1,000 (CA1 is over by its end) = −200. CA2 ends after
    # the forecast. A was new in January 2026, before the run-rate window: run rate 0.
    root = make_data_dir(
        {
            "customers.csv": "customer_id,name\nA,Acme AS\n",
            "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
            "CA1,A,2026-01-01,2027-02-15\nCA2,A,2026-01-01,2029-12-31\n",
            "contract_lines.csv": "contract_id,product,unit_price\nCA1,ADD,400\nCA2,LIC,1000\n",
        }
    )
    result = run("forecast", "--data", root, "--months", "3", "--as-of", "2026-11-23", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "2026-12,1400.00,0.00,0.00,1400.00,0.00,1400.00",
        "2027-01,1400.00,0.00,0.00,1400.00,0.00,1400.00",
        "2027-02,1000.00,0.00,-200.00,800.00,0.00,800.00",
    ]


def test_forecast_looks_up_renewals_once(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The renewals up to the horizon are a subset of the risk inputs' (every term end
    # from the as-of day on).
    calls = 0

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return renewals_terms.upcoming_renewals(*args, **kwargs)

    for module in (risk_report, forecast_module):
        if hasattr(module, "upcoming_renewals"):
            monkeypatch.setattr(module, "upcoming_renewals", counting)
    report = forecast_report(load_dataset(root), dt.date(2026, 11, 23), 3)
    assert report.frame.height == 3
    assert calls == 1


def test_run_rate_averages_new_expansion_and_upgrade_of_whole_months(
    make_data_dir: MakeDir,
) -> None:
    # As of 2026-04-15 with 3 months: the window is 2026-01 … 2026-03 (April is running).
    #   X new 100 in January (LIC), expansion 50 in February (ADD), upgrade 25 in March
    #   (a second LIC line: LIC 100 → 125). Y returns in February (reactivation 300: won
    #   back, not won) and Z was new in 2025-12, before the window: neither counts.
    #   (100 + 50 + 25) / 3 = 58.333…
    root = make_data_dir(
        {
            "customers.csv": "customer_id,name\nX,X AS\nY,Y AS\nZ,Z AS\n",
            "contracts.csv": (
                "contract_id,customer_id,start_date,end_date\n"
                "CX,X,2026-01-01,\nCY1,Y,2025-06-01,2025-10-31\nCY2,Y,2026-02-01,\n"
                "CZ,Z,2025-12-01,\n"
            ),
            "contract_lines.csv": (
                "contract_id,product,unit_price,start_date\n"
                "CX,LIC,100,\nCX,ADD,50,2026-02-01\nCX,LIC,25,2026-03-01\n"
                "CY1,LIC,200,\nCY2,LIC,300,\nCZ,LIC,1000,\n"
            ),
        }
    )
    data = load_dataset(root)
    rate = forecast_module.run_rate(Book.of(data), dt.date(2026, 4, 15), 3)
    assert rate == pytest.approx(175 / 3)
    assert forecast_module.run_rate(Book.of(data), dt.date(2026, 4, 15), 0) == 0


def test_total_adds_the_run_rate_once_per_month_ahead_to_the_floor(run: Run, root: Path) -> None:
    # As of 2026-03-10 with forecast.run_rate_months 3: window 2025-12 … 2026-02 holds A's
    # new 1,000 (January) and B's new 400 (February): 1,400 / 3 = 466.67 a month. The
    # forecast's k-th month adds k × 466.666…: April 466.67, May 933.33; total = floor
    # (forecast_mrr) + run rate. The floor keeps its own column.
    settings = root / "revcli.yaml"
    settings.write_text(settings.read_text() + "forecast:\n  run_rate_months: 3\n")
    result = run(
        "forecast", "--data", root, "--as-of", "2026-03-10", "--months", "2", "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["meta"]["run_rate_months"] == 3
    assert payload["meta"]["run_rate_mrr"] == pytest.approx(466.67)
    rows = {r["month"]: r for r in payload["rows"]}
    assert rows["2026-04"]["run_rate_mrr"] == pytest.approx(466.67)
    assert rows["2026-05"]["run_rate_mrr"] == pytest.approx(933.33)
    for r in rows.values():
        assert r["total_mrr"] == pytest.approx(r["forecast_mrr"] + r["run_rate_mrr"], abs=0.011)
    settings.write_text(settings.read_text().replace("run_rate_months: 3", "run_rate_months: 0"))
    off = json.loads(
        run("forecast", "--data", root, "--as-of", "2026-03-10", "--format", "json").stdout
    )
    assert {r["run_rate_mrr"] for r in off["rows"]} == {0}
    assert all(r["total_mrr"] == r["forecast_mrr"] for r in off["rows"])
