"""SPEC §6: current term end, notice deadline, status and ARR of a renewal — hand-computed."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.calendar import shift_day
from revcli.checks import load_dataset
from revcli.errors import RevcliError
from revcli.metrics.report import schedule_of
from revcli.renewals.terms import (
    RENEWAL_COLUMNS,
    notice_deadline,
    parse_window,
    upcoming_renewals,
)
from tests.conftest import MakeDir

D = dt.date
CUSTOMERS = """\
customer_id,name,owner,segment
A,Acme AS,kari@example.no,SMB
B,Bergen AS,,Enterprise
"""
HEADER = (
    "contract_id,customer_id,start_date,end_date,auto_renew,renewal_term_months,notice_days,"
    "notice_months,notice_from_month_end,renewal_uplift_pct,cancelled_on,owner,"
    "renewal_decision,renewal_decided_on"
)


def renewals_of(
    make_data_dir: MakeDir,
    contracts: str,
    lines: str,
    as_of: dt.date,
    until: dt.date | None = None,
) -> pl.DataFrame:
    root: Path = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": HEADER + "\n" + contracts,
            "contract_lines.csv": "contract_id,product,unit_price,start_date,end_date\n" + lines,
        }
    )
    data = load_dataset(root)
    return upcoming_renewals(data.contracts, data.customers, schedule_of(data), as_of, until)


def only(frame: pl.DataFrame, contract_id: str) -> dict[str, Any]:
    rows = frame.filter(pl.col("contract_id") == contract_id).to_dicts()
    assert len(rows) == 1, f"{contract_id}: {len(rows)} rows"
    return rows[0]


def test_output_has_spec_columns_then_decision(make_data_dir: MakeDir) -> None:
    frame = renewals_of(
        make_data_dir, "K1,A,2026-01-01,2026-12-31,,,,,,,,,,\n", "K1,LIC,100,,\n", D(2026, 11, 23)
    )
    assert frame.columns == list(RENEWAL_COLUMNS)
    assert frame.columns[:11] == [
        "contract_id", "customer_id", "customer_name", "term_end", "days_left",
        "notice_deadline", "days_to_notice", "auto_renew", "arr", "owner", "status",
    ]  # fmt: skip


def test_contract_without_auto_renew_expires_on_its_end_date(make_data_dir: MakeDir) -> None:
    # T = end_date 2026-12-31; A = 2026-11-23: days_left = 7 (Nov) + 31 = 38.
    # Default notice 30 days: deadline 2026-12-01, days_to_notice 8. ARR 12 × 100 = 1,200.
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-01,2026-12-31,false,,,,,,,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 11, 23),
    )
    assert only(frame, "K1") == {
        "contract_id": "K1",
        "customer_id": "A",
        "customer_name": "Acme AS",
        "term_end": D(2026, 12, 31),
        "days_left": 38,
        "notice_deadline": D(2026, 12, 1),
        "days_to_notice": 8,
        "auto_renew": False,
        "arr": 1200.0,
        "owner": "kari@example.no",
        "status": "expires",
        "renewal_decision": None,
        "renewal_decided_on": None,
        "renewal_decision_note": None,
        "notice_rule": "30 days",
    }


def test_auto_renew_before_the_notice_deadline_auto_renews(make_data_dir: MakeDir) -> None:
    # notice 60 days before 2026-12-31 = 2026-11-01... A = 2026-10-15 is before it.
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-01,2026-12-31,true,,60,,,,,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 10, 15),
    )
    row = only(frame, "K1")
    assert row["notice_deadline"] == D(2026, 11, 1)
    assert row["days_to_notice"] == 17  # 2026-10-15 → 2026-11-01
    assert row["status"] == "auto-renews"


def test_notice_deadline_today_still_auto_renews(make_data_dir: MakeDir) -> None:
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-01,2026-12-31,true,,60,,,,,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 11, 1),
    )
    assert only(frame, "K1")["status"] == "auto-renews"
    assert only(frame, "K1")["days_to_notice"] == 0


def test_auto_renew_after_the_notice_deadline_is_locked_in(make_data_dir: MakeDir) -> None:
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-01,2026-12-31,true,,60,,,,,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 11, 2),
    )
    assert only(frame, "K1")["status"] == "locked-in"
    assert only(frame, "K1")["days_to_notice"] == -1


def test_cancellation_on_or_after_as_of_ends_the_term_then(make_data_dir: MakeDir) -> None:
    # Auto-renewing, cancelled to end 2027-03-31 (in its second term): T = cancelled_on,
    # status cancelled, deadline T − 30 = 2027-03-01 (computed for cancelled rows too).
    # ARR on T: one renewal (2027-01-01) at 10 % uplift: 12 × 100 × 1.1 = 1,320.
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-01,2026-12-31,true,,,,,10,2027-03-31,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 11, 23),
    )
    row = only(frame, "K1")
    assert (row["term_end"], row["status"], row["notice_deadline"]) == (
        D(2027, 3, 31),
        "cancelled",
        D(2027, 3, 1),
    )
    assert row["arr"] == pytest.approx(1320.0)


def test_cancelled_evergreen_contract_has_a_term_end(make_data_dir: MakeDir) -> None:
    frame = renewals_of(
        make_data_dir, "K1,B,2025-01-01,,,,,,,,2026-11-23,,,\n", "K1,LIC,100,,\n", D(2026, 11, 23)
    )
    row = only(frame, "K1")
    assert (row["term_end"], row["days_left"], row["status"]) == (D(2026, 11, 23), 0, "cancelled")


def test_contract_cancelled_before_as_of_is_not_listed(make_data_dir: MakeDir) -> None:
    frame = renewals_of(
        make_data_dir,
        "K1,A,2025-01-01,2026-12-31,true,,,,,,2026-11-22,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 11, 23),
    )
    assert frame.height == 0


def test_redundant_cancellation_after_end_date_expires_on_end_date(make_data_dir: MakeDir) -> None:
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-01,2026-12-31,false,,,,,,2027-01-31,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 11, 23),
    )
    row = only(frame, "K1")
    assert (row["term_end"], row["status"]) == (D(2026, 12, 31), "expires")


def test_cancellation_on_the_end_date_of_a_non_renewing_contract_is_not_redundant(
    make_data_dir: MakeDir,
) -> None:
    # SPEC §6: only a cancellation *after* end_date is redundant. Cancelled on the end date
    # itself (2026-12-31), it is what ends the contract: T = 2026-12-31, status cancelled.
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-01,2026-12-31,false,,,,,,2026-12-31,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 11, 23),
    )
    row = only(frame, "K1")
    assert (row["term_end"], row["status"]) == (D(2026, 12, 31), "cancelled")


def test_evergreen_and_expired_contracts_have_no_term_end(make_data_dir: MakeDir) -> None:
    contracts = (
        "E1,A,2025-01-01,,true,,,,,,,,,\n"  # auto-renew without end_date: evergreen
        "E2,A,2025-01-01,,false,,,,,,,,,\n"
        "E3,A,2025-01-01,2025-12-31,false,,,,,,,,,\n"  # ended before A
    )
    lines = "E1,LIC,100,,\nE2,LIC,100,,\nE3,LIC,100,,\n"
    assert renewals_of(make_data_dir, contracts, lines, D(2026, 11, 23)).height == 0


def test_auto_renew_rolls_past_several_terms_with_compounding_uplift(
    make_data_dir: MakeDir,
) -> None:
    # First term 2020-03-01..2021-02-28; 12-month renewals start 2021-03-01, 2022-03-01, …,
    # 2026-03-01 (6 renewals by A = 2026-11-23). The term containing A ends 2027-02-28.
    # MRR on T: 1,000 × 1.05^6 = 1,340.0956…; ARR = 16,081.1477 (the 2027-03-01 uplift not yet).
    frame = renewals_of(
        make_data_dir,
        "K1,A,2020-03-01,2021-02-28,true,12,,,,5,,,,\n",
        "K1,LIC,1000,,\n",
        D(2026, 11, 23),
    )
    row = only(frame, "K1")
    assert row["term_end"] == D(2027, 2, 28)
    assert row["days_left"] == 97  # 7 (Nov) + 31 + 31 + 28
    assert row["notice_deadline"] == D(2027, 1, 29)  # 2027-02-28 − 30 days
    assert row["arr"] == pytest.approx(12 * 1000 * 1.05**6)


def test_renewal_terms_of_months_clamp_from_the_anchor(make_data_dir: MakeDir) -> None:
    # First term ends 2026-01-30; monthly renewals start 2026-01-31, 2026-02-28, 2026-03-31
    # (from the anchor 31 Jan, never chained). On 2026-03-10 the term is 02-28..03-30.
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-01,2026-01-30,true,1,5,,,,,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 3, 10),
    )
    assert only(frame, "K1")["term_end"] == D(2026, 3, 30)


def test_leap_day_term_end_rolls_to_the_next_leap_day(make_data_dir: MakeDir) -> None:
    # First term 2023-03-01..2024-02-29. Renewals: 2024-03-01, 2025-03-01, 2026-03-01,
    # 2027-03-01 → on 2027-06-01 the term is 2027-03-01..2028-02-29 (2028 is a leap year).
    frame = renewals_of(
        make_data_dir,
        "K1,A,2023-03-01,2024-02-29,true,12,,,,,,,,\n",
        "K1,LIC,100,,\n",
        D(2027, 6, 1),
    )
    row = only(frame, "K1")
    assert row["term_end"] == D(2028, 2, 29)
    assert row["notice_deadline"] == D(2028, 1, 30)  # 29 Feb − 30 days


def test_one_year_terms_from_a_leap_day_clamp_to_28_february(make_data_dir: MakeDir) -> None:
    # First term 2024-02-29..2025-02-27 (end = start + 1 year − 1 day, clamped: 2025-02-28 − 1).
    # Renewal 1 starts 2025-02-28; renewal 2 = 2025-02-28 + 12 months = 2026-02-28.
    # On 2025-06-01 the term is 2025-02-28..2026-02-27.
    frame = renewals_of(
        make_data_dir,
        "K1,A,2024-02-29,2025-02-27,true,12,,,,,,,,\n",
        "K1,LIC,100,,\n",
        D(2025, 6, 1),
    )
    assert only(frame, "K1")["term_end"] == D(2026, 2, 27)


def test_notice_months_from_month_end_issue_example(make_data_dir: MakeDir) -> None:
    # Term ends 15 Dec, 3 months' notice counted from the end of the month it is given in:
    # given in August → runs from 31 Aug, ends 30 Nov ≤ 15 Dec. Given in September → ends
    # 31 Dec > 15 Dec. Deadline 2026-08-31.
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-16,2026-12-15,true,,,3,true,,,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 8, 1),
        D(2026, 12, 31),
    )
    row = only(frame, "K1")
    assert row["notice_deadline"] == D(2026, 8, 31)
    assert row["notice_rule"] == "3 months from month end"


def test_notice_months_from_month_end_when_the_term_ends_on_a_month_end(
    make_data_dir: MakeDir,
) -> None:
    # Term ends 31 Dec: notice given by 30 Sep runs from 30 Sep and ends 31 Dec. → 2026-09-30.
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-01,2026-12-31,true,,,3,yes,,,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 8, 1),
    )
    assert only(frame, "K1")["notice_deadline"] == D(2026, 9, 30)


def test_notice_months_without_month_end_subtract_calendar_months_clamped(
    make_data_dir: MakeDir,
) -> None:
    # 2026-05-31 − 3 months = 2026-02-31 → clamped to 2026-02-28; 2028 is a leap year → 02-29.
    contracts = (
        "K1,A,2025-06-01,2026-05-31,true,,,3,,,,,,\n"
        "K2,A,2027-06-01,2028-05-31,true,,,3,false,,,,,\n"
    )
    frame = renewals_of(
        make_data_dir, contracts, "K1,LIC,100,,\nK2,LIC,100,,\n", D(2026, 1, 1), None
    )
    assert only(frame, "K1")["notice_deadline"] == D(2026, 2, 28)
    assert only(frame, "K2")["notice_deadline"] == D(2028, 2, 29)
    assert only(frame, "K1")["notice_rule"] == "3 months"


def test_notice_months_from_a_mid_month_term_end_keep_the_day(make_data_dir: MakeDir) -> None:
    # Without notice_from_month_end, months count back from the day itself: term end
    # 2026-12-15 − 3 months = 2026-09-15 (not the end of September).
    frame = renewals_of(
        make_data_dir,
        "K1,A,2025-12-16,2026-12-15,true,,,3,,,,,,\n",
        "K1,LIC,100,,\n",
        D(2026, 1, 1),
    )
    assert only(frame, "K1")["notice_deadline"] == D(2026, 9, 15)


def test_window_includes_both_ends(make_data_dir: MakeDir) -> None:
    # A = 2026-11-23; until = A + 90 days = 2027-02-21. T = A, T = 2027-02-21 in; 02-22 out.
    contracts = (
        "K1,A,2026-01-01,2026-11-23,,,,,,,,,,\n"
        "K2,A,2026-01-01,2027-02-21,,,,,,,,,,\n"
        "K3,A,2026-01-01,2027-02-22,,,,,,,,,,\n"
        "K4,A,2026-01-01,2026-11-22,,,,,,,,,,\n"
    )
    lines = "K1,LIC,1,,\nK2,LIC,1,,\nK3,LIC,1,,\nK4,LIC,1,,\n"
    frame = renewals_of(make_data_dir, contracts, lines, D(2026, 11, 23), D(2027, 2, 21))
    assert frame.get_column("contract_id").to_list() == ["K1", "K2"]


def test_arr_counts_lines_active_on_the_term_end_with_their_own_uplifts(
    make_data_dir: MakeDir,
) -> None:
    # First term 2025-01-01..2025-12-31, 12-month renewals at +10 %: renewal 2026-01-01.
    # T (A = 2026-11-23) = 2026-12-31. Lines on T:
    #   L1 from the start: 1,000 × 1.1 (renewed once)          = 1,100
    #   L2 from 2026-01-01 (on the renewal day: price agreed)  =   200
    #   L3 from 2026-06-01 (mid-term add-on)                   =    50
    #   L4 ended 2026-06-30: not active on T                   =     0
    #   L5 ends on T itself: active                            = 10 × 1.1 = 11
    # MRR 1,361 → ARR 16,332.
    lines = (
        "K1,L1,1000,,\n"
        "K1,L2,200,2026-01-01,\n"
        "K1,L3,50,2026-06-01,\n"
        "K1,L4,999,,2026-06-30\n"
        "K1,L5,10,,2026-12-31\n"
    )
    frame = renewals_of(
        make_data_dir, "K1,A,2025-01-01,2025-12-31,true,12,,,,10,,,,\n", lines, D(2026, 11, 23)
    )
    assert only(frame, "K1")["arr"] == pytest.approx(16332.0)


def test_contract_without_recurring_lines_has_zero_arr(make_data_dir: MakeDir) -> None:
    frame = renewals_of(
        make_data_dir, "K1,A,2026-01-01,2026-12-31,,,,,,,,,,\n", "", D(2026, 11, 23)
    )
    assert only(frame, "K1")["arr"] == 0.0


def test_owner_is_the_contracts_else_the_customers(make_data_dir: MakeDir) -> None:
    contracts = (
        "K1,A,2026-01-01,2026-12-31,,,,,,,,ola@example.no,,\n"
        "K2,A,2026-01-01,2026-12-31,,,,,,,,,,\n"
        "K3,B,2026-01-01,2026-12-31,,,,,,,,,,\n"
    )
    frame = renewals_of(make_data_dir, contracts, "", D(2026, 11, 23))
    assert only(frame, "K1")["owner"] == "ola@example.no"
    assert only(frame, "K2")["owner"] == "kari@example.no"
    assert only(frame, "K3")["owner"] is None


def test_sorted_by_term_end_then_arr_descending_then_contract_id(make_data_dir: MakeDir) -> None:
    contracts = (
        "K4,A,2026-01-01,2027-01-31,,,,,,,,,,\n"
        "K3,A,2026-01-01,2026-12-31,,,,,,,,,,\n"
        "K2,A,2026-01-01,2026-12-31,,,,,,,,,,\n"
        "K1,A,2026-01-01,2026-12-31,,,,,,,,,,\n"
    )
    lines = "K4,LIC,999,,\nK3,LIC,100,,\nK2,LIC,100,,\nK1,LIC,50,,\n"
    frame = renewals_of(make_data_dir, contracts, lines, D(2026, 11, 23))
    assert frame.get_column("contract_id").to_list() == ["K2", "K3", "K1", "K4"]


def test_decision_is_carried_through(make_data_dir: MakeDir) -> None:
    frame = renewals_of(
        make_data_dir,
        "K1,A,2026-01-01,2026-12-31,true,,,,,,,,Renew,2026-11-01\n",
        "",
        D(2026, 11, 23),
    )
    row = only(frame, "K1")
    assert (row["renewal_decision"], row["renewal_decided_on"]) == ("renew", D(2026, 11, 1))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("90d", D(2026, 11, 23), D(2027, 2, 21)),
        ("12w", D(2026, 11, 23), D(2027, 2, 15)),
        ("3m", D(2026, 11, 30), D(2027, 2, 28)),  # clamped
        ("1y", D(2028, 2, 29), D(2029, 2, 28)),  # leap day, clamped
        ("0d", D(2026, 11, 23), D(2026, 11, 23)),
    ],
)
def test_window_spans(text: str, start: dt.date, end: dt.date) -> None:
    assert parse_window(text).end(start) == end


@pytest.mark.parametrize("text", ["90", "d", "3 months", "-3m", "1.5y", ""])
def test_bad_window_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time span"):
        parse_window(text)


@pytest.mark.parametrize("text", ["101y", "1201m", "5218w", "36526d", "99999y", "99999d"])
def test_window_longer_than_100_years_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"is too long; at most 100 years"):
        parse_window(text)


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("100y", D(2126, 11, 23)),
        ("1200m", D(2126, 11, 23)),
        # 100 years from 2026-11-23 are 36,500 + 24 leap days (2028..2124, not 2100)
        # = 36,524 days; 5217 × 7 = 36,519 days is 5 fewer; 36,525 days is one more.
        ("5217w", D(2126, 11, 18)),
        ("36525d", D(2126, 11, 24)),
    ],
)
def test_window_of_100_years_is_allowed(text: str, end: dt.date) -> None:
    assert parse_window(text).end(D(2026, 11, 23)) == end


@pytest.mark.parametrize("text", ["1d", "1w", "1m", "1y"])
def test_window_ending_after_year_9999_is_an_error_not_a_crash(text: str) -> None:
    with pytest.raises(RevcliError, match="outside the calendar"):
        parse_window(text).end(D(9999, 12, 31))


def _month_end_deadline_by_search(term_end: dt.date, months: int) -> dt.date:
    """Oracle: walk back over month-ends until the notice period from one ends by T."""
    year, month = term_end.year, term_end.month
    while True:
        end_of_month = D(year, month, calendar.monthrange(year, month)[1])
        later = shift_day(D(year, month, 1), months)
        period_end = D(later.year, later.month, calendar.monthrange(later.year, later.month)[1])
        if end_of_month <= term_end and period_end <= term_end:
            return end_of_month
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)


@settings(max_examples=200, deadline=None)
@given(
    term_end=st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)),
    months=st.integers(min_value=0, max_value=24),
)
def test_month_end_rule_matches_a_search(term_end: dt.date, months: int) -> None:
    frame = pl.DataFrame(
        {
            "t": [term_end],
            "notice_months": [months],
            "notice_from_month_end": [True],
            "notice_days": [None],
        },
        schema_overrides={"notice_days": pl.Int64},
    )
    got = frame.select(notice_deadline(pl.col("t"))).item()
    assert got == _month_end_deadline_by_search(term_end, months)


@settings(max_examples=60, deadline=None)
@given(
    end=st.dates(min_value=D(2019, 1, 1), max_value=D(2026, 1, 1)),
    term=st.integers(min_value=1, max_value=36),
    as_of=st.dates(min_value=D(2026, 1, 2), max_value=D(2032, 12, 31)),
)
def test_current_term_contains_as_of(end: dt.date, term: int, as_of: dt.date) -> None:
    # Renewal k starts at end + 1 day + (k−1) × term months; T is the day before the first
    # renewal start after as_of, and the renewal start before it is on or before as_of.
    contracts = pl.DataFrame(
        {
            "contract_id": ["K"],
            "customer_id": ["A"],
            "start_date": [D(2018, 1, 1)],
            "end_date": [end],
            "auto_renew": [True],
            "renewal_term_months": [term],
            "notice_days": [30],
            "notice_months": [None],
            "notice_from_month_end": [False],
            "cancelled_on": [None],
            "owner": [None],
            "renewal_decision": [None],
            "renewal_decided_on": [None],
            "renewal_decision_note": [None],
        },
        schema_overrides={
            "notice_months": pl.Int64,
            "cancelled_on": pl.Date,
            "owner": pl.String,
            "renewal_decision": pl.String,
            "renewal_decided_on": pl.Date,
            "renewal_decision_note": pl.String,
        },
    )
    customers = pl.DataFrame(
        {"customer_id": ["A"], "name": ["Acme"], "owner": [None]},
        schema_overrides={"owner": pl.String},
    )
    schedule = pl.DataFrame(
        schema={
            "contract_id": pl.String, "line_mrr": pl.Float64, "start_date": pl.Date,
            "end_date": pl.Date, "renewal_start": pl.Date, "renewal_term_months": pl.Int64,
            "uplift": pl.Float64,
        }
    )  # fmt: skip
    [row] = upcoming_renewals(contracts, customers, schedule, as_of, None).to_dicts()
    first = end + dt.timedelta(days=1)
    starts = [shift_day(first, k * term) for k in range(200)]
    nxt = next(s for s in starts if s > as_of)
    assert row["term_end"] == nxt - dt.timedelta(days=1)
    assert max(s for s in starts if s <= as_of) <= as_of
