"""Renewal columns and reminder settings: contradictions are FILE:ROW: column: message errors."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SETTINGS, MakeDir, Run

CUSTOMERS = "customer_id,name\nA,Acme AS\n"
LINES = "contract_id,product,unit_price\n"


def validate_lines(run: Run, root: Path) -> tuple[int, list[str]]:
    result = run("validate", "--data", root)
    return result.exit_code, [line.replace(f"{root}/", "") for line in result.stdout.splitlines()]


def test_contradictory_renewal_columns_are_errors(run: Run, make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contract_lines.csv": LINES,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,notice_days,notice_months,"
            "notice_from_month_end,renewal_decision,renewal_decided_on,renewal_decision_note\n"
            "K1,A,2026-01-01,2026-12-31,30,3,,,,\n"
            "K2,A,2026-01-01,2026-12-31,,,true,,,\n"
            "K3,A,2026-01-01,2026-12-31,,,,,2026-11-01,\n"
            "K4,A,2026-01-01,2026-12-31,,,,,,CFO wants a discount\n"
            "K5,A,2026-01-01,2026-12-31,,3,true,renegotiate,2026-11-01,CFO wants a discount\n"
            "K6,A,2026-01-01,2026-12-31,,,,maybe,,\n",
        }
    )
    code, lines = validate_lines(run, root)
    assert code == 1
    assert lines == [
        "contracts.csv:2: notice_months: give notice_days or notice_months, not both",
        "contracts.csv:3: notice_from_month_end: is true but notice_months is not set; counting from the month end applies to notice_months only (e.g. notice_months: 3)",
        "contracts.csv:4: renewal_decided_on: is set but renewal_decision is empty; record the decision (renew, cancel or renegotiate) or remove the date",
        "contracts.csv:5: renewal_decision_note: is set but renewal_decision is empty; record the decision (renew, cancel or renegotiate) or remove the note",
        "contracts.csv:7: renewal_decision: 'maybe' is not allowed; expected one of renew, cancel, renegotiate",
    ]


def test_yaml_contract_errors_point_at_the_value_line(run: Run, make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts/K1.yaml": """\
                contract_id: K1
                customer_id: A
                start_date: 2026-01-01
                end_date: 2026-12-31
                notice_from_month_end: true
                lines:
                  - product: LIC
                    unit_price: 100
            """,
        }
    )
    _, lines = validate_lines(run, root)
    assert lines == [
        "contracts/K1.yaml:5: notice_from_month_end: is true but notice_months is not set; counting from the month end applies to notice_months only (e.g. notice_months: 3)"
    ]


def test_bad_reminder_settings_are_errors(run: Run, make_data_dir: MakeDir) -> None:
    settings = (
        SETTINGS
        + """\
reminders:
  lead_days: [90, soon, 7]
  from: not-an-address
  fallback_to: finance@example.no
  smtp:
    host: smtp.example.no
    port: 99999
    security: ssl
    password_env: my password
    pasword: x
"""
    )
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\n",
            "contract_lines.csv": LINES,
        },
        settings,
    )
    code, lines = validate_lines(run, root)
    assert code == 1
    assert lines == [
        "revcli.yaml:8: reminders.lead_days: 'soon' is not a whole number of days (0 or more)",
        "revcli.yaml:9: reminders.from: 'not-an-address' is not an e-mail address",
        "revcli.yaml:13: reminders.smtp.port: '99999' is not a port number (1–65535)",
        "revcli.yaml:14: reminders.smtp.security: 'ssl' is not one of starttls, tls, none",
        "revcli.yaml:15: reminders.smtp.password_env: 'my password' is not the name of an environment variable (the password itself never goes in revcli.yaml)",
        "warning: revcli.yaml:16: reminders.smtp.pasword: unknown setting; did you mean 'password_env'?",
    ]


def test_good_reminder_settings_are_clean(run: Run, make_data_dir: MakeDir) -> None:
    settings = (
        SETTINGS
        + """\
reminders:
  lead_days: [60, 14]
  expiry_lead_days: 30, 0
  from: revenue@example.no
  smtp:
    host: smtp.example.no
    security: tls
    user: revenue@example.no
    password_env: REVCLI_SMTP_PASSWORD
"""
    )
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\n",
            "contract_lines.csv": LINES,
        },
        settings,
    )
    assert validate_lines(run, root) == (0, [])
