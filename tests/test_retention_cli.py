"""``revcli nrr`` and ``revcli cohorts`` on the command line: formats, options, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import MakeDir, Run
from tests.test_retention import MIXED, SEGMENTS, retention_dir


@pytest.fixture
def mixed(make_data_dir: MakeDir) -> Path:
    return retention_dir(make_data_dir, MIXED, SEGMENTS)


def test_nrr_csv_prints_the_spec_columns_then_the_cohort_movements(mixed: Path, run: Run) -> None:
    # Worked out in test_retention: start 5,000, end 3,300, retained 2,800; NRR 0.66,
    # GRR 0.56, logos 3 / 4; expansion +500, contraction −200, churn −2,000.
    result = run("nrr", "--data", mixed, "--month", "2026-01", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "month,window,start_month,cohort_customers,retained_customers,start_mrr,end_mrr,"
        "retained_mrr,nrr,grr,logo_retention,cohort_expansion,cohort_contraction,cohort_churn\n"
        "2026-01,12,2025-01,4,3,5000.00,3300.00,2800.00,0.6600,0.5600,0.7500,"
        "500.00,-200.00,-2000.00\n"
    )
    assert result.stderr == ""


def test_nrr_by_segment_leads_with_the_group_and_leaves_empty_ratios_blank(
    mixed: Path, run: Run
) -> None:
    # ENT: 1,500 / 3,000 = 0.5, GRR 1,000 / 3,000 = 0.3333; SMB: 1,800 / 2,000 = 0.9.
    result = run("nrr", "-d", mixed, "-m", "2026-01", "--by", "segment", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("segment,month,window,")
    assert lines[1] == ",2026-01,12,2025-01,0,0,0.00,0.00,0.00,,,,0.00,0.00,0.00"
    assert lines[2].startswith("ENT,2026-01,12,2025-01,2,1,3000.00,1500.00,1000.00,0.5000,0.3333,")
    assert lines[3].startswith("SMB,2026-01,12,2025-01,2,2,2000.00,1800.00,1800.00,0.9000,0.9000,")


def test_nrr_window_option_sets_the_start_month(mixed: Path, run: Run) -> None:
    # W = 3: 2025-05 looks back to 2025-02; NRR 3,600 / 5,000 = 0.72.
    result = run("nrr", "-d", mixed, "-m", "2025-05", "--window", "3", "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["meta"]["report"] == "nrr"
    assert doc["meta"]["window"] == 3
    (row,) = doc["rows"]
    assert (row["month"], row["start_month"], row["window"]) == ("2025-05", "2025-02", 3)
    assert row["nrr"] == 0.72
    assert row["cohort_churn"] == -1200.0


def test_nrr_without_month_covers_the_twelve_months_up_to_as_of(mixed: Path, run: Run) -> None:
    result = run("nrr", "-d", mixed, "--as-of", "2026-03-15", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    months = [line.split(",")[0] for line in result.stdout.splitlines()[1:]]
    assert months == [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02", "2026-03"]


def test_nrr_out_writes_the_format_of_the_suffix(mixed: Path, run: Run, tmp_path: Path) -> None:
    target = tmp_path / "nrr.json"
    result = run("nrr", "-d", mixed, "-m", "2026-01", "--out", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["rows"][0]["nrr"] == 0.66


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "not a month"),
        (["--month", "2026-01", "--from", "2025-01"], "not both"),
        (["--from", "2026-02", "--to", "2026-01"], "after"),
        (["--window", "0"], "--window"),
        (["--window", "twelve"], "--window"),
        (["--by", "colour"], "not a customer column"),
        (["--format", "xml"], "--format"),
        (["--as-of", "2026-02-30"], "not a date"),
    ],
)
def test_nrr_bad_options_exit_2(mixed: Path, run: Run, args: list[str], message: str) -> None:
    result = run("nrr", "-d", mixed, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["--metric", "money"],
        ["--from", "2026-1"],
        ["--from", "2026-02", "--to", "2026-01"],
        ["--month", "2026-01"],
    ],
)
def test_cohorts_bad_options_exit_2(mixed: Path, run: Run, args: list[str]) -> None:
    result = run("cohorts", "-d", mixed, *args)
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["nrr", "cohorts"])
def test_invalid_data_exits_1_with_file_row_messages(
    make_data_dir: MakeDir, run: Run, command: str
) -> None:
    root = make_data_dir(
        {
            "customers.csv": "customer_id,name\nA,Acme AS\n",
            "contracts.csv": "contract_id,customer_id,start_date\nK1,A,2026-02-30\n",
            "contract_lines.csv": "contract_id,product,unit_price\nK1,CORE,100\n",
        }
    )
    result = run(command, "-d", root, "--from", "2026-01", "--to", "2026-03")
    assert result.exit_code == 1
    assert f"{Path('contracts.csv')}:2: start_date:" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_cohorts_csv_is_one_row_per_cohort_and_month(mixed: Path, run: Run) -> None:
    # 2025-03 holds D alone (700); 2025-04: still 700. No other cohort starts in range.
    result = run("cohorts", "-d", mixed, "--from", "2025-03", "--to", "2025-04", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "cohort,month,age,cohort_customers,active_customers,start_mrr,mrr,mrr_share,"
        "customer_share\n"
        "2025-03,2025-03,0,1,1,700.00,700.00,1.0000,1.0000\n"
        "2025-03,2025-04,1,1,1,700.00,700.00,1.0000,1.0000\n"
    )


def test_cohorts_table_reads_like_a_heat_map(mixed: Path, run: Run) -> None:
    # 2024-01 cohort at age 18 (2025-07): 4,200 / 3,900 = 107.69 % → "108 %";
    # by logos, age 10 (2024-11): 3 of 4 → "75 %".
    result = run("cohorts", "-d", mixed, "--from", "2024-01", "--to", "2025-07", "-f", "table")
    assert result.exit_code == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if "start MRR" in line)
    assert header.split()[-3:] == ["16", "17", "18"]
    first = next(line for line in result.stdout.splitlines() if line.strip().startswith("2024-01"))
    # Four members are fewer than the default cohorts.min_customers (5): marked "*".
    assert first.split()[:4] == ["2024-01", "*", "4", "3,900.00"]
    assert first.split()[-2:] == ["108", "%"]
    logos = run(
        "cohorts", "-d", mixed, "--from", "2024-01", "--to", "2025-07", "-f", "table",
        "--metric", "logos",
    )  # fmt: skip
    row = next(line for line in logos.stdout.splitlines() if line.strip().startswith("2024-01"))
    assert row.split()[4 + 2 * 10 : 4 + 2 * 10 + 2] == ["75", "%"]


def test_cohorts_default_covers_cohorts_of_the_twelve_months_up_to_as_of(
    mixed: Path, run: Run
) -> None:
    # 2024-06..2025-05: cohorts 2024-06 (B) and 2025-03 (D); 2024-01 began earlier.
    result = run("cohorts", "-d", mixed, "--as-of", "2025-05-20", "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["meta"]["from"], doc["meta"]["to"], doc["meta"]["metric"]) == (
        "2024-06",
        "2025-05",
        "revenue",
    )
    assert sorted({r["cohort"] for r in doc["rows"]}) == ["2024-06", "2025-03"]
    assert max(r["month"] for r in doc["rows"]) == "2025-05"


def test_data_dir_without_contracts_gives_empty_cohorts(make_data_dir: MakeDir, run: Run) -> None:
    root = make_data_dir(
        {"customers.csv": "customer_id,name\nA,Acme AS\n", "contracts.yaml": "contracts: []\n"}
    )
    nrr = run("nrr", "-d", root, "-m", "2026-01", "-f", "csv")
    assert nrr.exit_code == 0, nrr.stderr
    assert nrr.stdout.splitlines()[1] == "2026-01,12,2025-01,0,0,0.00,0.00,0.00,,,,0.00,0.00,0.00"
    cohorts = run("cohorts", "-d", root, "--from", "2025-01", "--to", "2026-01", "-f", "table")
    assert cohorts.exit_code == 0, cohorts.stderr
    assert "start MRR" in cohorts.stdout


def test_astronomical_mrr_is_a_clear_error_not_a_crash(run: Run, make_data_dir: MakeDir) -> None:
    # Monthly renewals with 10 % uplift since 1900: 1.1^1,510 ≈ 1e62 by 2026. No business
    # has that MRR; retention's exact arithmetic refuses it with a message.
    root = make_data_dir(
        {
            "customers.csv": "customer_id,name\nA,Acme\n",
            "contracts.csv": "contract_id,customer_id,start_date,end_date,auto_renew,renewal_term_months,renewal_uplift_pct\n"
            "K1,A,1900-01-01,1900-01-31,true,1,10\n",
            "contract_lines.csv": "contract_id,product,unit_price\nK1,LIC,10\n",
        }
    )
    for args in (
        ("nrr", "--month", "2026-11"),
        ("cohorts", "--from", "2026-01", "--to", "2026-02"),
    ):
        result = run(*args, "--data", root, "--format", "csv")
        assert result.exit_code == 1
        assert "too large to compute exactly (limit 1e27)" in result.stderr
        assert "internal error" not in result.stderr
