"""The signal files (usage, tickets, payments) and the risk: settings are validated like
the contracts: every problem as FILE:ROW: column: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from revcli.checks import load_dataset
from revcli.errors import DataError
from revcli.risk.settings import RiskSettings, read_risk_settings
from tests.conftest import SETTINGS, MakeDir, Run

BASE = {
    "customers.csv": "customer_id,name\nA,Acme AS\nB,Bergen AS\n",
    "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\n",
    "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,100\n",
}


def problems(root: Path) -> list[str]:
    with pytest.raises(DataError) as info:
        load_dataset(root)
    return [str(i).replace(f"{root}/", "") for i in info.value.issues]


def warnings(root: Path) -> list[str]:
    return [str(i).replace(f"{root}/", "") for i in load_dataset(root).warnings]


def test_clean_signal_files_load_without_warnings(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            **BASE,
            "usage.csv": "customer_id,month,metric,value\nA,2026-01,active_users,12\nA,2026-02,,3.5\n",
            "tickets.csv": "customer_id,opened_on,severity\nA,2026-01-05,urgent\nB,2026-01-06,\n",
            "payments.csv": "invoice_number,customer_id,due_date,paid_on,amount\n"
            "1001,A,2026-01-15,,1250.00\n",
        }
    )
    data = load_dataset(root)
    assert data.warnings == ()
    assert set(data.extra) == {"usage", "tickets", "payments"}


def test_usage_value_errors(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            **BASE,
            "usage.csv": "customer_id,month,metric,value\n"
            "A,2026-13,logins,5\n"
            "A,2026-01-15,logins,5\n"
            ",2026-02,logins,-1\n"
            "A,2026-03,logins,many\n"
            "A,2026-04,logins,\n",
        }
    )
    assert problems(root) == [
        "usage.csv:2: month: '2026-13' is not a month: there is no month 13; expected YYYY-MM",
        "usage.csv:3: month: '2026-01-15' is not a month from 1900 to 2199; expected YYYY-MM",
        "usage.csv:4: customer_id: is required",
        "usage.csv:4: value: '-1' must be at least 0",
        "usage.csv:5: value: 'many' is not a number; expected digits with a decimal point, e.g. 1200.50",
        "usage.csv:6: value: is required",
    ]


def test_usage_of_one_metric_twice_in_a_month_is_an_error(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            **BASE,
            "usage.csv": "customer_id,month,metric,value\nA,2026-01,logins,5\nA,2026-01,logins,6\n"
            "A,2026-01,seats,6\n",
        }
    )
    assert problems(root) == [
        "usage.csv:3: month: usage of 'A/2026-01/logins' appears twice; first at usage.csv:2",
    ]


def test_ticket_severity_and_dates(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            **BASE,
            "tickets.csv": "ticket_id,customer_id,opened_on,severity\n"
            "T1,A,2026-01-05,critical\n"
            "T2,A,05.01.2026,HIGH\n"
            "T1,B,2026-01-07,low\n",
        }
    )
    assert problems(root) == [
        "tickets.csv:2: severity: 'critical' is not allowed; expected one of low, normal, high, urgent",
        "tickets.csv:3: opened_on: '05.01.2026' is not a date from 1900 to 2199; expected YYYY-MM-DD",
        "tickets.csv:4: ticket_id: ticket_id 'T1' appears twice; first at tickets.csv:2",
    ]


def test_payment_errors(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            **BASE,
            "payments.csv": "invoice_number,customer_id,due_date,paid_on,amount,currency\n"
            "1001,A,2026-01-15,2026-01-32,100,NOK\n"
            "1001,A,,,-5,ABC\n",
        }
    )
    assert problems(root) == [
        "payments.csv:2: paid_on: '2026-01-32' is not a date: 2026-01 has no day 32; expected YYYY-MM-DD",
        "payments.csv:3: amount: '-5' must be at least 0",
        "payments.csv:3: currency: 'ABC' is not an ISO 4217 currency code (e.g. NOK, EUR, USD)",
        "payments.csv:3: due_date: is required",
        "payments.csv:3: invoice_number: invoice_number '1001' appears twice; first at payments.csv:2",
    ]


def test_missing_required_column_is_reported_once_per_file(make_data_dir: MakeDir) -> None:
    root = make_data_dir({**BASE, "tickets.csv": "customer_id,severity\nA,low\nB,high\n"})
    assert problems(root) == [
        "tickets.csv:1: opened_on: required column is missing from the header"
    ]


def test_unknown_customer_and_column_are_warnings(make_data_dir: MakeDir) -> None:
    # Exports of support and usage systems hold trial accounts: a warning, and the row
    # is ignored by the score (it joins on active customers only).
    root = make_data_dir(
        {
            **BASE,
            "tickets.csv": "customer_id,opened_on,severity,priority\nZ,2026-01-05,low,p1\n",
        }
    )
    assert warnings(root) == [
        "warning: tickets.csv:1: priority: unknown column; it is ignored",
        "warning: tickets.csv:2: customer_id: customer 'Z' is not in the customers file; the row is ignored",
    ]


def test_validate_command_reports_signal_problems_with_exit_1(
    run: Run, make_data_dir: MakeDir
) -> None:
    root = make_data_dir({**BASE, "usage.csv": "customer_id,month,value\nA,2026-1,5\n"})
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    assert (
        result.stdout
        == f"{root}/usage.csv:2: month: '2026-1' is not a month from 1900 to 2199; expected YYYY-MM\n"
    )


RISK_SETTINGS = """\
risk:
  usage:
    weight: 30
    min_decline_pct: 25
  tickets:
    weight: 0
  overdue:
    min_days_overdue: 30
"""


def test_risk_settings_override_defaults(make_data_dir: MakeDir) -> None:
    root = make_data_dir(BASE, settings=SETTINGS + RISK_SETTINGS)
    rules, issues = read_risk_settings(load_dataset(root).settings)
    assert issues == []
    assert rules.usage.weight == 30
    assert rules.usage.min_decline_pct == 25
    assert rules.usage.months == RiskSettings().usage.months == 3
    assert rules.tickets.weight == 0
    assert rules.overdue.min_days_overdue == 30
    assert rules.renewal == RiskSettings().renewal


def test_bad_risk_settings_name_the_key_and_line(make_data_dir: MakeDir) -> None:
    bad = "risk:\n  usage:\n    weight: -5\n    min_decline_pct: 120\n    months: three\n"
    root = make_data_dir(BASE, settings=SETTINGS + bad)
    lines = [str(i).replace(f"{root}/", "") for i in problems_or_empty(root)]
    assert lines == [
        "revcli.yaml:9: risk.usage.weight: '-5' must be a whole number of at least 0",
        # A decline of 0 % is no decline: the lower bound is excluded, so not "between".
        "revcli.yaml:10: risk.usage.min_decline_pct: '120' must be greater than 0 and at most 100",
        "revcli.yaml:11: risk.usage.months: 'three' must be a whole number of at least 1",
    ]


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-inf", "1e1", "2E-1", "1_0", "0x10"])
def test_risk_decimal_settings_must_be_plain_decimals(make_data_dir: MakeDir, value: str) -> None:
    # docs/rules.md: numbers are plain decimals; NaN once crashed the range comparison.
    bad = f"risk:\n  usage:\n    min_decline_pct: {value}\n"
    root = make_data_dir(BASE, settings=SETTINGS + bad)
    assert problems(root) == [
        f"revcli.yaml:9: risk.usage.min_decline_pct: '{value}' is not a number; "
        "expected e.g. 25 or 12.5"
    ]


def test_risk_plain_decimal_settings_are_accepted(make_data_dir: MakeDir) -> None:
    extra = "risk:\n  usage:\n    min_decline_pct: 12.5\n  tickets:\n    min_ratio: .5\n"
    rules, issues = read_risk_settings(
        load_dataset(make_data_dir(BASE, settings=SETTINGS + extra)).settings
    )
    assert issues == []
    assert (rules.usage.min_decline_pct, rules.tickets.min_ratio) == (12.5, 0.5)


def test_risk_windows_and_weights_have_upper_bounds(make_data_dir: MakeDir) -> None:
    # Day windows at most 3650 (ten years), month windows at most 120, weights at most
    # 100 (the score's cap); the bounds themselves are allowed.
    extra = (
        "risk:\n"
        "  tickets:\n    window_days: 99999999\n    baseline_days: 3650\n"
        "  late_payments:\n    lookback_days: 3651\n"
        "  downgrade:\n    months: 121\n"
        "  usage:\n    months: 120\n    weight: 101\n"
        "  overdue:\n    weight: 99999999999999999999999\n"
    )
    root = make_data_dir(BASE, settings=SETTINGS + extra)
    assert problems(root) == [
        "revcli.yaml:9: risk.tickets.window_days: '99999999' must be at most 3650",
        "revcli.yaml:12: risk.late_payments.lookback_days: '3651' must be at most 3650",
        "revcli.yaml:14: risk.downgrade.months: '121' must be at most 120",
        "revcli.yaml:17: risk.usage.weight: '101' must be at most 100",
        # Beyond nine digits: too large, and said so (it is a whole number).
        "revcli.yaml:19: risk.overdue.weight: '99999999999999999999999' must be at most 100",
    ]


def test_bad_risk_settings_stop_validate_and_risk_with_exit_1(
    run: Run, make_data_dir: MakeDir
) -> None:
    extra = "risk:\n  usage:\n    min_decline_pct: NaN\n  tickets:\n    window_days: 99999999\n"
    root = make_data_dir(BASE, settings=SETTINGS + extra)
    for command in (["validate"], ["risk", "--as-of", "2026-11-23"], ["forecast"]):
        result = run(*command, "--data", root)
        assert result.exit_code == 1, (command, result.stderr)
        shown = result.stdout + result.stderr  # validate lists problems on stdout
        assert "revcli.yaml:9: risk.usage.min_decline_pct: 'NaN'" in shown
        assert "revcli.yaml:11: risk.tickets.window_days: '99999999'" in shown


def problems_or_empty(root: Path) -> list[str]:
    try:
        load_dataset(root)
    except DataError as exc:
        return [str(i) for i in exc.issues]
    return []


def test_unknown_risk_setting_is_a_warning_with_a_suggestion(make_data_dir: MakeDir) -> None:
    extra = "risk:\n  useage:\n    weight: 5\n  tickets:\n    min_ratio: 3\n    window: 10\n"
    root = make_data_dir(BASE, settings=SETTINGS + extra)
    # SETTINGS has 6 lines: risk: is line 7, useage: 8 (a section, named at its key).
    assert warnings(root) == [
        "warning: revcli.yaml:8: risk.useage: unknown setting; did you mean 'usage'?",
        "warning: revcli.yaml:12: risk.tickets.window: unknown setting; did you mean 'window_days'?",
    ]
