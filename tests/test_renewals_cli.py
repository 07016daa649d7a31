"""``revcli renewals``: window, filters, grouping, formats, urgency and the --fail-on check."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from revcli.checks import load_dataset
from revcli.output.plain import render_csv
from revcli.output.render import render_table
from revcli.renewals.notices import unanswered_notices_message
from revcli.renewals.report import RenewalQuery, renewals_report
from revcli.renewals.terms import parse_window
from tests.conftest import MakeDir, Run

AS_OF = "2026-11-23"
# One contract per status within 90 days of 2026-11-23 (until 2027-02-21), plus one beyond.
FILES = {
    "customers.csv": """\
        customer_id,name,owner,segment,region
        A,Acme AS,kari@example.no,SMB,Oslo
        B,[Bergen] AS,ola@example.no,Enterprise,Vest
    """,
    "contracts.csv": """\
        contract_id,customer_id,start_date,end_date,auto_renew,notice_days,cancelled_on,owner,renewal_decision,renewal_decided_on
        X1,A,2026-01-01,2026-12-31,false,,,,,
        X2,A,2026-02-01,2027-01-31,true,60,,ola@example.no,,
        X3,B,2026-02-16,2027-02-15,true,30,,,,
        X4,B,2025-12-16,2026-12-15,true,30,,,,
        X5,B,2025-01-01,,,,2027-01-10,,,
        X6,A,2026-07-01,2027-06-30,false,,,,,
        X7,A,2026-01-01,2026-12-31,true,30,,,renew,2026-11-20
    """,
    "contract_lines.csv": """\
        contract_id,product,unit_price
        X1,LIC,1000
        X2,LIC,2000
        X3,LIC,500
        X4,LIC,300
        X5,LIC,100
        X6,LIC,50
        X7,LIC,400
    """,
}
# term ends: X4 2026-12-15 · X1 2026-12-31 (ARR 12,000) · X7 2026-12-31 (4,800) · X5 2027-01-10
# · X2 2027-01-31 · X3 2027-02-15; X6 (2027-06-30) is outside 90 days.
# Notice: X2 2027-01-31 − 60 d = 2026-12-02 (9 days: urgent); X3 2027-01-16 (54 days);
# X4 2026-11-15 (passed: locked-in); X7 2026-12-01 (8 days, but decided).


@pytest.fixture
def root(make_data_dir: MakeDir) -> Path:
    return make_data_dir(FILES)


def csv_rows(text: str) -> list[dict[str, str]]:
    header, *lines = text.strip().splitlines()
    names = header.split(",")
    return [dict(zip(names, line.split(","), strict=True)) for line in lines]


def test_csv_lists_spec_columns_sorted(run: Run, root: Path) -> None:
    result = run("renewals", "--data", root, "--as-of", AS_OF, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert header == (
        "contract_id,customer_id,customer_name,term_end,days_left,notice_deadline,"
        "days_to_notice,auto_renew,arr,owner,status,renewal_decision,renewal_decided_on,"
        "renewal_decision_note"
    )
    rows = csv_rows(result.stdout)
    assert [(r["contract_id"], r["status"]) for r in rows] == [
        ("X4", "locked-in"),
        ("X1", "expires"),
        ("X7", "auto-renews"),
        ("X5", "cancelled"),
        ("X2", "auto-renews"),
        ("X3", "auto-renews"),
    ]
    x2 = next(r for r in rows if r["contract_id"] == "X2")
    assert x2 == {
        "contract_id": "X2",
        "customer_id": "A",
        "customer_name": "Acme AS",
        "term_end": "2027-01-31",
        "days_left": "69",  # 7 + 31 + 31
        "notice_deadline": "2026-12-02",
        "days_to_notice": "9",
        "auto_renew": "true",
        "arr": "24000.00",
        "owner": "ola@example.no",
        "status": "auto-renews",
        "renewal_decision": "",
        "renewal_decided_on": "",
        "renewal_decision_note": "",
    }


@pytest.mark.parametrize(
    ("within", "expected"),
    [
        ("3w", []),  # until 2026-12-14
        ("22d", ["X4"]),  # until 2026-12-15
        ("39d", ["X4", "X1", "X7"]),  # until 2026-12-31
        ("2m", ["X4", "X1", "X7", "X5"]),  # until 2027-01-23
        ("1y", ["X4", "X1", "X7", "X5", "X2", "X3", "X6"]),
    ],
)
def test_within_takes_days_weeks_months_years(
    run: Run, root: Path, within: str, expected: list[str]
) -> None:
    result = run("renewals", "--data", root, "--as-of", AS_OF, "--within", within, "-f", "csv")
    assert [r["contract_id"] for r in csv_rows(result.stdout)] == expected


@pytest.mark.parametrize(
    "args",
    [
        ["--within", "90"],
        ["--within", "soon"],
        ["--fail-on", "notice:14d"],
        ["--fail-on", "notice-within:two weeks"],
        ["--status", "renewing"],
        ["--by", "country"],
        ["--as-of", "23.11.2026"],
        ["--within", "99999y"],
        ["--within", "101y"],
        ["--fail-on", "notice-within:99999y"],
    ],
)
def test_bad_options_are_usage_errors(run: Run, root: Path, args: list[str]) -> None:
    result = run("renewals", "--data", root, *args)
    assert result.exit_code == 2


def test_a_window_over_100_years_is_a_usage_error_before_any_output(run: Run, root: Path) -> None:
    result = run("renewals", "--data", root, "--fail-on", "notice-within:99999y", "-f", "csv")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "at most 100 years" in " ".join(result.stderr.split())


def test_as_of_at_the_end_of_the_calendar_is_an_error_not_a_crash(run: Run, root: Path) -> None:
    # --as-of is bounded to 1900..2199 (a usage error); past that, Window.end itself
    # raises a revcli error (see test_window_ending_after_year_9999_is_an_error_not_a_crash).
    result = run("renewals", "--data", root, "--as-of", "9999-12-31", "-f", "csv")
    assert result.exit_code == 2
    assert "internal error" not in result.stderr


def test_status_and_owner_filter(run: Run, root: Path) -> None:
    result = run(
        "renewals", "--data", root, "--as-of", AS_OF, "--status", "auto-renews", "-f", "csv"
    )
    assert [r["contract_id"] for r in csv_rows(result.stdout)] == ["X7", "X2", "X3"]
    result = run(
        "renewals", "--data", root, "--as-of", AS_OF, "--owner", "OLA@example.no", "-f", "csv"
    )
    # X2's own owner, and customer B's contracts without one.
    assert [r["contract_id"] for r in csv_rows(result.stdout)] == ["X4", "X5", "X2", "X3"]


def test_an_owner_no_record_has_is_a_usage_error_not_an_empty_report(run: Run, root: Path) -> None:
    # A typo would print an empty report that reads "nothing due", and with --fail-on a
    # check that can never fail. Owners here: kari@ and ola@ (customers; X2 has ola@ too).
    args = ("renewals", "--data", root, "--as-of", AS_OF, "-f", "csv")
    result = run(*args, "--owner", "kar@example.no", "--fail-on", "notice-within:14d")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --owner: no contract or customer has the owner 'kar@example.no'; the owners "
        "are kari@example.no, ola@example.no\n"
    )
    # An owner of the data with no renewal in the window is an empty report (exit 0).
    quiet = run(*args, "--owner", "KARI@example.no", "--within", "1d")
    assert quiet.exit_code == 0, quiet.stderr
    assert csv_rows(quiet.stdout) == []


def test_by_adds_a_leading_group_column(run: Run, root: Path) -> None:
    result = run("renewals", "--data", root, "--as-of", AS_OF, "--by", "segment", "-f", "csv")
    rows = csv_rows(result.stdout)
    assert list(rows[0])[:2] == ["segment", "contract_id"]
    assert [(r["segment"], r["contract_id"]) for r in rows] == [
        ("Enterprise", "X4"),
        ("Enterprise", "X5"),
        ("Enterprise", "X3"),
        ("SMB", "X1"),
        ("SMB", "X7"),
        ("SMB", "X2"),
    ]
    result = run("renewals", "--data", root, "--as-of", AS_OF, "--by", "owner", "-f", "csv")
    rows = csv_rows(result.stdout)
    assert list(rows[0])[:2] == ["owner", "contract_id"]
    assert list(rows[0]).count("owner") == 1


def test_json_meta_totals_arr_per_status(run: Run, root: Path) -> None:
    result = run("renewals", "--data", root, "--as-of", AS_OF, "-f", "json")
    doc = json.loads(result.stdout)
    # expires X1 12,000; auto-renews X7 4,800 + X2 24,000 + X3 6,000; locked-in X4 3,600;
    # cancelled X5 1,200.
    assert doc["meta"]["arr_by_status"] == {
        "expires": 12000.0,
        "auto-renews": 34800.0,
        "locked-in": 3600.0,
        "cancelled": 1200.0,
    }
    # Written with exactly 2 decimals, as all JSON money is (docs/rules.md), not as floats.
    assert '"expires": 12000.00,' in result.stdout
    assert '"cancelled": 1200.00\n' in result.stdout
    assert doc["meta"]["as_of"] == AS_OF
    assert doc["meta"]["until"] == "2027-02-21"
    assert doc["rows"][0]["arr"] == 3600.0
    assert doc["rows"][2]["renewal_decision"] == "renew"


def test_table_ends_with_arr_per_status_and_names_urgent_notices(run: Run, root: Path) -> None:
    result = run("renewals", "--data", root, "--as-of", AS_OF, "-f", "table")
    text = result.stdout
    assert "[Bergen] AS" in text  # user data is never read as markup
    assert re.search(r"Total\s.*51,600\.00", text)
    assert (
        "ARR up for renewal (NOK): expires 12,000.00 · auto-renews 34,800.00 · "
        "locked-in 3,600.00 · cancelled 1,200.00; total 51,600.00." in text
    )
    assert (
        "Notice deadline within 14 days: X7 (2026-12-01, decided: renew), X2 (2026-12-02)." in text
    )


def test_urgent_rows_stand_out_and_closed_rows_are_dim(root: Path) -> None:
    data = load_dataset(root)
    report = renewals_report(
        data, RenewalQuery(as_of=dt.date(2026, 11, 23), within=parse_window("90d"))
    )
    ids = report.frame.get_column("contract_id").to_list()
    styles = dict(zip(ids, report.row_styles, strict=True))
    assert styles == {
        "X4": "dim",
        "X1": "",
        "X7": "bold red",
        "X5": "dim strike",
        "X2": "bold red",
        "X3": "",
    }
    coloured = render_table(report, color=True)
    x2_line = next(line for line in coloured.splitlines() if "X2" in line)
    assert "\x1b[1;31m" in x2_line  # bold red
    assert "\x1b[" not in render_csv(report)


def test_fail_on_names_undecided_auto_renewals_with_a_close_notice_deadline(
    run: Run, root: Path
) -> None:
    # Within 14 days (until 2026-12-07): X2 (2026-12-02, undecided) and X7 (decided: renew).
    result = run(
        "renewals", "--data", root, "--as-of", AS_OF, "-f", "csv", "--fail-on", "notice-within:14d"
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("contract_id,")  # the report is still printed
    assert result.stderr == (
        "check failed: 1 auto-renewing contract has a notice deadline by 2026-12-07 and no "
        "renewal_decision:\n  X2  notice by 2026-12-02  Acme AS (ola@example.no)\n"
    )


def test_unanswered_notices_message_names_each_contract_or_is_none(root: Path) -> None:
    data = load_dataset(root)
    day = dt.date(2026, 11, 23)
    # 8 days: until 2026-12-01 — only X7, which has a decision: the check passes.
    assert unanswered_notices_message(data, day, parse_window("8d"), None) is None
    # 14 days: until 2026-12-07 — X2 (notice 2027-01-31 − 60 days = 2026-12-02).
    assert unanswered_notices_message(data, day, parse_window("14d"), None) == (
        "1 auto-renewing contract has a notice deadline by 2026-12-07 and no "
        "renewal_decision:\n  X2  notice by 2026-12-02  Acme AS (ola@example.no)"
    )
    # 60 days: until 2027-01-22 — X2 and X3 (2027-02-15 − 30 days = 2027-01-16).
    assert unanswered_notices_message(data, day, parse_window("60d"), None) == (
        "2 auto-renewing contracts have a notice deadline by 2027-01-22 and no "
        "renewal_decision:\n  X2  notice by 2026-12-02  Acme AS (ola@example.no)"
        "\n  X3  notice by 2027-01-16  [Bergen] AS (ola@example.no)"
    )


def test_a_notice_deadline_on_the_last_day_of_the_span_fails_the_check(root: Path) -> None:
    # 9 days from 2026-11-23 is 2026-12-02, X2's notice deadline itself: D ≤ the end of
    # the span, so X2 is named.
    data = load_dataset(root)
    assert unanswered_notices_message(data, dt.date(2026, 11, 23), parse_window("9d"), None) == (
        "1 auto-renewing contract has a notice deadline by 2026-12-02 and no "
        "renewal_decision:\n  X2  notice by 2026-12-02  Acme AS (ola@example.no)"
    )


@pytest.mark.parametrize(
    ("within", "expected"),
    [("22d", ["X4"]), ("39d", ["X4", "X1", "X7"])],  # until 2026-12-15 and 2026-12-31
)
def test_fail_on_lists_the_same_term_ends_up_to_the_last_day_of_within(
    run: Run, root: Path, within: str, expected: list[str]
) -> None:
    # With --fail-on the report reuses the term ends the check looks up; a term end on the
    # last day of --within is still listed (A ≤ T ≤ A + N). notice-within:1d names nobody.
    result = run(
        "renewals", "--data", root, "--as-of", AS_OF, "--within", within, "-f", "csv",
        "--fail-on", "notice-within:1d",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert [r["contract_id"] for r in csv_rows(result.stdout)] == expected


def test_a_notice_deadline_exactly_14_days_away_is_urgent(root: Path) -> None:
    # As of 2026-11-18 X2's notice deadline 2026-12-02 is 14 days away: within 14 days, so
    # urgent (bold red, named) like X7's (2026-12-01, 13 days, decided).
    data = load_dataset(root)
    report = renewals_report(
        data, RenewalQuery(as_of=dt.date(2026, 11, 18), within=parse_window("90d"))
    )
    styles = dict(zip(report.frame.get_column("contract_id"), report.row_styles, strict=True))
    assert styles["X2"] == "bold red"
    assert "Notice deadline within 14 days: X7 (2026-12-01, decided: renew), X2 (2026-12-02)." in (
        report.notes
    )


def test_fail_on_passes_when_nothing_is_undecided(run: Run, root: Path) -> None:
    # 8 days: until 2026-12-01 — only X7, which has a decision.
    result = run(
        "renewals", "--data", root, "--as-of", AS_OF, "-f", "csv", "--fail-on", "notice-within:8d"
    )
    assert result.exit_code == 0, result.stderr


def test_fail_on_looks_beyond_the_report_window(run: Run, root: Path) -> None:
    # --within 7d lists only term ends up to 2026-11-30, but X2's notice is due 2026-12-02.
    result = run(
        "renewals",
        "--data",
        root,
        "--as-of",
        AS_OF,
        "--within",
        "7d",
        "-f",
        "csv",
        "--fail-on",
        "notice-within:2w",
    )
    assert result.exit_code == 1
    assert "X2" in result.stderr


def test_markdown_has_totals_and_notes(run: Run, root: Path) -> None:
    result = run("renewals", "--data", root, "--as-of", AS_OF, "-f", "markdown")
    assert "| **51600.00** |" in result.stdout
    assert "ARR up for renewal (NOK)" in result.stdout


def test_out_with_ics_suffix_writes_a_calendar(run: Run, root: Path, tmp_path: Path) -> None:
    out = tmp_path / "renewals.ics"
    result = run("renewals", "--data", root, "--as-of", AS_OF, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert result.stdout == ""


def test_empty_window_prints_zero_totals(run: Run, root: Path) -> None:
    # In 2030 only the auto-renewing contracts still have term ends; none is cancelled.
    result = run(
        "renewals", "--data", root, "--as-of", "2030-01-01", "--status", "cancelled", "-f", "json"
    )
    doc = json.loads(result.stdout)
    assert doc["rows"] == []
    assert doc["meta"]["arr_by_status"]["expires"] == 0.0


def test_a_report_of_the_top_renewals_counts_all_of_them(root: Path) -> None:
    # ARR: X4 3,600 · X1 12,000 · X7 4,800 · X5 1,200 · X2 24,000 · X3 6,000 (51,600).
    # The top 3 by ARR are X2, X1, X3, kept in the report's order (X1, X2, X3); the other
    # three are worth 3,600 + 4,800 + 1,200 = 9,600. Totals and notes count all six; with
    # top=1 the urgent list names one (X7, the earliest deadline) and counts the other.
    data = load_dataset(root)
    query = RenewalQuery(as_of=dt.date(2026, 11, 23), within=parse_window("90d"))
    report = renewals_report(data, query, top=3)
    assert report.frame.get_column("contract_id").to_list() == ["X1", "X2", "X3"]
    assert report.row_styles == ["", "bold red", ""]
    assert report.totals == {"arr": Decimal("51600")}
    assert report.meta["left_out"] == 3
    assert report.notes[0] == (
        "… and 3 more renewals worth ARR 9,600.00 NOK: run `revcli renewals --as-of "
        "2026-11-23 --within 90d` for all. Shown: the 3 with the most ARR; totals and ARR "
        "per status count all 6."
    )
    assert "; total 51,600.00." in report.notes[1]
    one = renewals_report(data, query, top=1)
    assert one.frame.get_column("contract_id").to_list() == ["X2"]
    assert "Notice deadline within 14 days: X7 (2026-12-01, decided: renew) and 1 more." in (
        one.notes
    )
    # as many rows as the top, or fewer: the whole report, no note
    whole = renewals_report(data, query)
    assert renewals_report(data, query, top=6).notes == whole.notes
    assert "left_out" not in renewals_report(data, query, top=6).meta


def test_an_empty_report_says_that_no_term_ends_in_the_span(run: Run, root: Path) -> None:
    # No term ends from 2026-11-23 to 2026-11-30 (the first is X4's, 2026-12-15): the table
    # used to be empty without a word why.
    result = run("renewals", "--data", root, "--as-of", AS_OF, "--within", "7d", "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["rows"] == []
    assert doc["meta"]["notes"][0] == "No contract has a term end in 2026-11-23 – 2026-11-30."
    # A filter is named: X5 is cancelled, but its term ends 2027-01-10, after 2026-12-23.
    result = run(
        "renewals", "--data", root, "--as-of", AS_OF, "-w", "30d", "--status", "cancelled",
        "-f", "markdown",
    )  # fmt: skip
    assert "No contract (status cancelled) has a term end in 2026-11-23 – 2026-12-23." in (
        result.stdout
    )
    # A report with rows has no such note.
    doc = json.loads(run("renewals", "--data", root, "--as-of", AS_OF, "-f", "json").stdout)
    assert not [n for n in doc["meta"]["notes"] if n.startswith("No contract")]
