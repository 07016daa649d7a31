"""SPEC §4–5 at their edges: month-end activity, new vs reactivation, group counts,
and printed halves of growth_pct, arpa and the retention ratios — worked by hand."""

from __future__ import annotations

import csv
import io

from tests.conftest import MakeDir, Run
from tests.helpers import moves, mrr_of, row

CUSTOMERS = "customer_id,name,segment\nA,Acme AS,SMB\nB,Bergen AS,SMB\nC,Caveat AS,ENT\n"


def csv_rows(run: Run, *args: object) -> list[dict[str, str]]:
    result = run(*args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_a_line_counts_in_the_months_whose_last_day_it_covers(make_data_dir: MakeDir) -> None:
    # §4: MRR of M sums the lines active on the last day of M.
    # A: 2026-01-01..2026-03-30 → active 31 Jan, 28 Feb, not 31 Mar → churn in March.
    # B: 2026-01-31..2026-03-31 → active from 31 Jan (new in January), counts March,
    #    churns in April.
    # C: 2026-02-01..2026-04-01 → new in February, counts March; on 30 April it is over:
    #    churn in April (one day of April never counts).
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
            "K1,A,2026-01-01,2026-03-30\nK2,B,2026-01-31,2026-03-31\nK3,C,2026-02-01,2026-04-01\n",
            "contract_lines.csv": "contract_id,product,unit_price\nK1,LIC,100\nK2,LIC,20\nK3,LIC,3\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-04")
    assert moves(t, "2026-01") == {"new": 120}  # A 100 + B 20
    assert moves(t, "2026-02") == {"new": 3}  # C
    assert moves(t, "2026-03") == {"churn": -100}  # A
    assert row(t, "2026-03")["mrr"] == 23  # B 20 + C 3
    assert moves(t, "2026-04") == {"churn": -23}  # B and C
    assert row(t, "2026-04")["churned_customers"] == 2


def test_a_return_is_reactivation_even_when_the_earlier_activity_is_outside_the_range(
    make_data_dir: MakeDir, run: Run
) -> None:
    # §4: C_prev = 0, C_cur > 0 and active in SOME earlier month → reactivation. A was
    # active in 2024 (100), gone in 2025, back 2026-03-01 with 250: asking only for
    # 2026-03 must still say reactivation +250, not new. B starts the same day for the
    # first time → new +40. net_new = 250 + 40 = 290.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
            "K1,A,2024-01-01,2024-12-31\nK2,A,2026-03-01,\nK3,B,2026-03-01,\n",
            "contract_lines.csv": "contract_id,product,unit_price\nK1,LIC,100\nK2,LIC,250\nK3,LIC,40\n",
        }
    )
    [march] = csv_rows(run, "mrr", "--data", root, "--month", "2026-03")
    assert (march["new"], march["reactivation"]) == ("40.00", "250.00")
    assert (march["new_customers"], march["reactivated_customers"]) == ("1", "1")
    assert march["net_new"] == "290.00"
    assert march["growth_pct"] == ""  # MRR(Feb) = 0


def test_a_free_line_earlier_does_not_make_a_customer_active(make_data_dir: MakeDir) -> None:
    # §4: active means MRR > 0. A had only a free line (0) in January; its paid line from
    # February is `new`, not reactivation, and January counts 0 customers.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nK1,A,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,start_date,end_date\n"
            "K1,TRIAL,0,,2026-01-31\nK1,LIC,300,2026-02-01,\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-02")
    assert row(t, "2026-01")["customers"] == 0
    assert moves(t, "2026-02") == {"new": 300}
    assert row(t, "2026-02")["new_customers"] == 1


def test_a_churned_customer_counts_in_every_product_it_had_last_month(
    make_data_dir: MakeDir,
) -> None:
    # §4 --by: churned counts in a group where the customer had MRR LAST month.
    # A: LIC 400 + SSO 50 until 2026-01-31 → February: churn LIC −400, SSO −50, and
    # churned_customers = 1 in LIC and 1 in SSO. B keeps LIC 200: 0 churned elsewhere.
    # arpa of LIC in February = 200 / 1 customer; growth_pct of LIC = 100 × −400 / 600
    # = −66.666… (the group's own MRR).
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
            "K1,A,2026-01-01,2026-01-31\nK2,B,2026-01-01,\n",
            "contract_lines.csv": "contract_id,product,unit_price\nK1,LIC,400\nK1,SSO,50\nK2,LIC,200\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-02", by="product")
    assert moves(t, "2026-02", product="LIC") == {"churn": -400}
    assert moves(t, "2026-02", product="SSO") == {"churn": -50}
    lic, sso = row(t, "2026-02", product="LIC"), row(t, "2026-02", product="SSO")
    assert (lic["churned_customers"], sso["churned_customers"]) == (1, 1)
    assert (lic["customers"], sso["customers"]) == (1, 0)
    assert lic["arpa"] == 200
    assert abs(lic["growth_pct"] - (-200 / 3)) < 1e-9
    assert sso["arpa"] is None  # no customers in SSO


def test_a_reactivation_counts_only_in_the_segment_with_mrr_this_month(
    make_data_dir: MakeDir,
) -> None:
    # §4 --by segment: A (SMB) churns in February and returns in April → reactivated in
    # SMB (1), not in ENT (0); C (ENT) is new in April → new_customers ENT 1, SMB 0.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
            "K1,A,2026-01-01,2026-01-31\nK2,A,2026-04-01,\nK3,C,2026-04-01,\n",
            "contract_lines.csv": "contract_id,product,unit_price\nK1,LIC,100\nK2,LIC,100\nK3,LIC,70\n",
        }
    )
    t = mrr_of(root, "2026-04", "2026-04", by="segment")
    smb, ent = row(t, "2026-04", segment="SMB"), row(t, "2026-04", segment="ENT")
    assert (smb["reactivated_customers"], smb["new_customers"]) == (1, 0)
    assert (ent["reactivated_customers"], ent["new_customers"]) == (0, 1)
    assert (smb["reactivation"], ent["new"]) == (100, 70)


def test_growth_pct_and_arpa_print_their_halves_away_from_zero(
    make_data_dir: MakeDir, run: Run
) -> None:
    # §4/§9: each printed cell is rounded once, half away from zero; growth_pct has 2
    # decimals.
    # January: A 1,000 + B 1,000 = 2,000. February: A adds 0.10 on SSO → 2,000.10.
    #   growth_pct = 100 × 0.10 / 2,000 = 0.005 exactly → "0.01" (not 0.00).
    #   arpa = 2,000.10 / 2 = 1,000.05 → "1000.05".
    # March: A's SSO ends (−0.10) and B drops from 1,000 to 999.90 (−0.10) → 1,999.90:
    #   net_change = −0.20; growth_pct = 100 × −0.20 / 2,000.10 = −0.0099995… → "-0.01";
    #   arpa = 1,999.90 / 2 = 999.95.
    # April: C joins with 0.01 → 1,999.91 over 3 customers: arpa = 666.636666… → "666.64";
    #   growth_pct = 100 × 0.01 / 1,999.90 = 0.00050002… → "0.00".
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\n"
            "K1,A,2026-01-01\nK2,B,2026-01-01\nK3,C,2026-04-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,start_date,end_date\n"
            "K1,LIC,1000,,\nK1,SSO,0.10,2026-02-01,2026-02-28\n"
            "K2,LIC,1000,,2026-02-28\nK2,LIC,999.90,2026-03-01,\nK3,LIC,0.01,,\n",
        }
    )
    rows = csv_rows(run, "mrr", "--data", root, "--from", "2026-02", "--to", "2026-04")
    got = [(r["month"], r["mrr"], r["growth_pct"], r["arpa"]) for r in rows]
    assert got == [
        ("2026-02", "2000.10", "0.01", "1000.05"),
        ("2026-03", "1999.90", "-0.01", "999.95"),
        ("2026-04", "1999.91", "0.00", "666.64"),
    ]


def test_growth_pct_of_an_exact_half_below_zero(make_data_dir: MakeDir, run: Run) -> None:
    # 2,000 → 1,999.90: growth_pct = 100 × −0.10 / 2,000 = −0.005 exactly → "-0.01".
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nK1,A,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,start_date,end_date\n"
            "K1,LIC,2000,,2026-01-31\nK1,LIC,1999.90,2026-02-01,\n",
        }
    )
    [feb] = csv_rows(run, "mrr", "--data", root, "--month", "2026-02")
    assert (feb["downgrade"], feb["growth_pct"]) == ("-0.10", "-0.01")


def test_retention_ratios_print_four_decimals_half_away_from_zero(
    make_data_dir: MakeDir, run: Run
) -> None:
    # §5/§9: W = 1, month 2026-02, start month 2026-01. Cohort: A (1,000) and B (1,000),
    # start_mrr 2,000. February: A adds 0.10 on SSO, B stays 1,000 → end_mrr 2,000.10.
    #   NRR = 2,000.10 / 2,000 = 1.00005 exactly → "1.0001" (half away from zero).
    #   GRR = (min(1,000.10, 1,000) + min(1,000, 1,000)) / 2,000 = 1 → "1.0000".
    # C joins in February with 500: outside the cohort, not in end_mrr.
    #   logo_retention = 2 / 2 → "1.0000".
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\n"
            "K1,A,2026-01-01\nK2,B,2026-01-01\nK3,C,2026-02-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,start_date\n"
            "K1,LIC,1000,\nK1,SSO,0.10,2026-02-01\nK2,LIC,1000,\nK3,LIC,500,\n",
        }
    )
    [feb] = csv_rows(run, "nrr", "--data", root, "--month", "2026-02", "--window", "1")
    assert (feb["start_month"], feb["cohort_customers"], feb["retained_customers"]) == (
        "2026-01",
        "2",
        "2",
    )
    assert (feb["start_mrr"], feb["end_mrr"], feb["retained_mrr"]) == (
        "2000.00",
        "2000.10",
        "2000.00",
    )
    assert (feb["nrr"], feb["grr"], feb["logo_retention"]) == ("1.0001", "1.0000", "1.0000")


def test_grr_half_below_one(make_data_dir: MakeDir, run: Run) -> None:
    # Cohort at 2026-01: A 1,000 and B 1,000 (2,000). February: B falls to 999.90.
    #   retained = 1,000 + 999.90 = 1,999.90; GRR = NRR = 0.99995 exactly → "1.0000"
    #   (half away from zero, 4 decimals), not "0.9999".
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nK1,A,2026-01-01\nK2,B,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,start_date,end_date\n"
            "K1,LIC,1000,,\nK2,LIC,1000,,2026-01-31\nK2,LIC,999.90,2026-02-01,\n",
        }
    )
    [feb] = csv_rows(run, "nrr", "--data", root, "--month", "2026-02", "--window", "1")
    assert (feb["nrr"], feb["grr"]) == ("1.0000", "1.0000")


def test_cohort_mrr_share_prints_its_half_away_from_zero(make_data_dir: MakeDir, run: Run) -> None:
    # §5: cohort 2026-01 = A (1,000) and B (1,000); start_mrr = 2,000 (first-month MRR).
    # February: A adds 0.10 → cohort MRR 2,000.10; mrr_share = 2,000.10 / 2,000 = 1.00005
    # exactly → "1.0001" (4 decimals, half away from zero); customer_share 2/2 → "1.0000".
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nK1,A,2026-01-01\nK2,B,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,start_date\n"
            "K1,LIC,1000,\nK1,SSO,0.10,2026-02-01\nK2,LIC,1000,\n",
        }
    )
    rows = csv_rows(run, "cohorts", "--data", root, "--from", "2026-01", "--to", "2026-02")
    [feb] = [r for r in rows if r["month"] == "2026-02"]
    assert (feb["age"], feb["start_mrr"], feb["mrr"]) == ("1", "2000.00", "2000.10")
    assert (feb["mrr_share"], feb["customer_share"]) == ("1.0001", "1.0000")
