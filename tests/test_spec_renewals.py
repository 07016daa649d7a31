"""SPEC §6 renewals at their edges, through ``revcli renewals``: the notice default from
the settings, a term ending on the as-of day, the first day of a renewal term, the ARR
of a foreign-currency contract — each value worked out by hand."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.conftest import SETTINGS, MakeDir, Run

CUSTOMERS = "customer_id,name,owner\nA,Acme AS,kari@example.no\n"
HEADER = "contract_id,customer_id,start_date,end_date,auto_renew,notice_days,renewal_uplift_pct,currency,owner\n"


def renewals(run: Run, root: Path, as_of: str, within: str = "90d") -> dict[str, dict[str, str]]:
    result = run(
        "renewals", "--data", root, "--as-of", as_of, "--within", within, "--format", "csv"
    )
    assert result.exit_code == 0, result.stderr
    return {r["contract_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}


def data(make_data_dir: MakeDir, contracts: str, lines: str, settings: str = SETTINGS) -> Path:
    return make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "fx_rates.csv": "date,currency,rate\n2026-01-01,EUR,11\n2026-06-01,EUR,12\n",
            "contracts.csv": HEADER + contracts,
            "contract_lines.csv": "contract_id,product,unit_price\n" + lines,
        },
        settings=settings,
    )


def test_notice_days_default_comes_from_the_settings(make_data_dir: MakeDir, run: Run) -> None:
    # renewals.default_notice_days 45; A = 2026-11-01.
    # K1 (no notice_days): T = 2026-12-31, deadline = T − 45 = 2026-11-16,
    #   days_to_notice = 15, days_left = 60, status auto-renews.
    # K2 (notice_days 0): deadline = T = 2026-12-31, days_to_notice 60.
    settings = SETTINGS + "renewals:\n  default_notice_days: 45\n"
    root = data(
        make_data_dir,
        "K1,A,2026-01-01,2026-12-31,true,,,,\nK2,A,2026-01-01,2026-12-31,true,0,,,\n",
        "K1,LIC,100\nK2,LIC,100\n",
        settings,
    )
    got = renewals(run, root, "2026-11-01")
    k1, k2 = got["K1"], got["K2"]
    assert (k1["days_left"], k1["notice_deadline"], k1["days_to_notice"], k1["status"]) == (
        "60",
        "2026-11-16",
        "15",
        "auto-renews",
    )
    assert (k2["notice_deadline"], k2["days_to_notice"], k2["status"]) == (
        "2026-12-31",
        "60",
        "auto-renews",
    )


def test_a_term_ending_on_the_as_of_day_is_listed_with_zero_days_left(
    make_data_dir: MakeDir, run: Run
) -> None:
    # A = T = 2026-12-31: A ≤ T ≤ A + N holds; days_left 0. K1 does not renew → expires;
    # deadline = T − 30 = 2026-12-01, days_to_notice = −30. K2 renews but its deadline
    # (also 2026-12-01) has passed → locked-in. Same T and same ARR (1,200) → by id.
    root = data(
        make_data_dir,
        "K2,A,2026-01-01,2026-12-31,true,,,,\nK1,A,2026-01-01,2026-12-31,false,,,,\n",
        "K1,LIC,100\nK2,LIC,100\n",
    )
    result = run("renewals", "--data", root, "--as-of", "2026-12-31", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["contract_id"], r["days_left"], r["days_to_notice"], r["status"]) for r in rows] == [
        ("K1", "0", "-30", "expires"),
        ("K2", "0", "-30", "locked-in"),
    ]


def test_on_the_first_day_of_a_renewal_term_the_next_term_end_is_shown(
    make_data_dir: MakeDir, run: Run
) -> None:
    # Auto-renewing 2026-01-01..2026-12-31, 12-month renewals (the first term's length),
    # uplift 10 %. A = 2027-01-01, the first day of renewal 1: the current term ends
    # 2027-12-31; days_left = 364 (2027 is not a leap year), outside a 90-day window but
    # inside --within 1y (A + 1 year = 2028-01-01).
    # ARR on T = 12 × 100 × 1.10 = 1,320 (the renewal's uplift is already in force;
    # the next one, 1,452, is not).
    root = data(make_data_dir, "K1,A,2026-01-01,2026-12-31,true,,10,,\n", "K1,LIC,100\n")
    assert renewals(run, root, "2027-01-01") == {}
    row = renewals(run, root, "2027-01-01", "1y")["K1"]
    assert (row["term_end"], row["days_left"], row["arr"]) == ("2027-12-31", "364", "1320.00")
    assert (row["notice_deadline"], row["status"]) == ("2027-12-01", "auto-renews")


def test_foreign_currency_arr_is_at_the_booking_rate(make_data_dir: MakeDir, run: Run) -> None:
    # EUR contract starting 2026-02-01: booking rate = row of 2026-01-01 = 11 (the June
    # rate of 12 is not used). MRR 100 EUR × 11 = 1,100 NOK; arr = 12 × 1,100 = 13,200.
    # owner: the contract's own (ola@…) over the customer's (kari@…).
    root = data(
        make_data_dir, "K1,A,2026-02-01,2026-12-31,false,,,EUR,ola@example.no\n", "K1,LIC,100\n"
    )
    row = renewals(run, root, "2026-10-15")["K1"]
    assert (row["arr"], row["owner"], row["status"]) == ("13200.00", "ola@example.no", "expires")


def test_default_renewal_term_is_the_first_term_rounded_to_whole_months(
    make_data_dir: MakeDir, run: Run
) -> None:
    # §1/§2: renewal_term_months defaults to the first term's length (§2) rounded.
    # K1 2026-01-01..2026-02-15: 1 month to 02-01, then 15 days to 02-16 (end + 1):
    #   1 + 15/30.4375 = 1.4928… → 1 month. Renewal 1 starts 02-16, renewal 2 03-16:
    #   as of A = 2026-02-17 (after every first term), T = 2026-03-15.
    # K2 2026-01-01..2026-02-16: 1 + 16/30.4375 = 1.5256… → 2 months. Renewal 1 starts
    #   02-17, renewal 2 04-17: T = 2026-04-16.
    # K3 2026-01-01..2026-01-16: 16/30.4375 = 0.5256… (not under half a month, so no
    #   renewal_term_months is needed) → 1 month. Renewal 1 is 01-17..02-16, renewal 2
    #   02-17..03-16: T = 2026-03-16.
    root = data(
        make_data_dir,
        "K1,A,2026-01-01,2026-02-15,true,0,,,\n"
        "K2,A,2026-01-01,2026-02-16,true,0,,,\n"
        "K3,A,2026-01-01,2026-01-16,true,0,,,\n",
        "K1,LIC,100\nK2,LIC,100\nK3,LIC,100\n",
    )
    got = renewals(run, root, "2026-02-17")
    assert {k: r["term_end"] for k, r in got.items()} == {
        "K1": "2026-03-15",
        "K2": "2026-04-16",
        "K3": "2026-03-16",
    }


def test_a_first_term_of_fifteen_days_needs_a_renewal_term(
    make_data_dir: MakeDir, run: Run
) -> None:
    # 2026-01-01..2026-01-15 is 15/30.4375 = 0.4928… months: under half a month, so an
    # auto-renewing contract must say renewal_term_months (§1): invalid data, exit 1.
    root = data(make_data_dir, "K1,A,2026-01-01,2026-01-15,true,,,,\n", "K1,LIC,100\n")
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    assert f"{root}/contracts.csv:2: renewal_term_months: " in result.stdout + result.stderr
