"""SPEC §2–4: MRR of a line, when it is active, and every movement — hand-computed."""

from __future__ import annotations

import pytest

from tests.conftest import MakeDir, Run
from tests.helpers import moves, mrr_of, row

CUSTOMERS = """\
customer_id,name,segment,country
A,Acme AS,SMB,
B,Bergen AS,Enterprise,SE
"""


def test_three_year_term_price_is_spread_over_36_months(make_data_dir: MakeDir) -> None:
    # 2026-01-01..2028-12-31: start + 36 months = 2029-01-01 = end + 1 day → 36 months.
    # 36,000 / 36 = 1,000 MRR; ARR = 12,000.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,billing_period\n"
            "M1,A,2026-01-01,2028-12-31,term\n",
            "contract_lines.csv": "contract_id,product,unit_price,price_period\n"
            "M1,MAINT,36000,term\n",
        }
    )
    t = mrr_of(root, "2026-01", "2029-01")
    assert row(t, "2026-01")["mrr"] == pytest.approx(1000)
    assert row(t, "2026-01")["arr"] == pytest.approx(12000)
    assert row(t, "2028-12")["mrr"] == pytest.approx(1000)
    assert moves(t, "2029-01") == {"churn": pytest.approx(-1000)}


def test_term_with_leftover_days_counts_them_in_average_months(make_data_dir: MakeDir) -> None:
    # 2026-01-01..2026-02-14: +1 month = 2026-02-01 <= 2026-02-15 (end + 1 day), +2 is not.
    # Leftover 2026-02-01..2026-02-15 = 14 days → 1 + 14 / 30.4375 months.
    # 1,459.96... priced per term → MRR = 1000 × (1 + 14/30.4375) / (1 + 14/30.4375) = 1000.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date\nT1,A,2026-01-01,2026-02-14\n",
            "contract_lines.csv": "contract_id,product,unit_price,price_period\n"
            f"T1,PILOT,{1000 * (1 + 14 / 30.4375):.6f},term\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-02")
    assert row(t, "2026-01")["mrr"] == pytest.approx(1000, abs=1e-3)
    # Ends 14 February: not active on 28 February → churn in February.
    assert moves(t, "2026-02") == {"churn": pytest.approx(-1000, abs=1e-3)}


def test_seed_article_example_every_movement(make_data_dir: MakeDir) -> None:
    # 10 licences × 100 from January: new 1,000. Another product (50) in March: expansion.
    # 5 more licences in June: upgrade +500. 3 fewer in October (15 → 12): downgrade −300.
    # Not renewed after December: churn −1,250 in January. 5 licences the next March:
    # reactivation +500.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
            "C1,A,2025-01-01,2025-12-31\nC2,A,2026-03-01,\n",
            "contract_lines.csv": "contract_id,line_id,product,quantity,unit_price,start_date,end_date\n"
            "C1,1,LIC,10,100,,2025-09-30\n"
            "C1,2,LIC,5,100,2025-06-01,\n"
            "C1,3,ADDON,1,50,2025-03-01,\n"
            "C1,4,LIC,7,100,2025-10-01,\n"
            "C2,1,LIC,5,100,,\n",
        }
    )
    t = mrr_of(root, "2025-01", "2026-04")
    assert moves(t, "2025-01") == {"new": 1000}
    assert moves(t, "2025-02") == {}
    assert moves(t, "2025-03") == {"expansion": 50}
    assert moves(t, "2025-06") == {"upgrade": 500}
    assert moves(t, "2025-10") == {"downgrade": -300}
    assert moves(t, "2026-01") == {"churn": -1250}
    assert moves(t, "2026-03") == {"reactivation": 500}
    assert row(t, "2026-03")["reactivated_customers"] == 1
    assert row(t, "2025-01")["new_customers"] == 1
    assert row(t, "2026-01")["churned_customers"] == 1
    assert row(t, "2026-02")["customers"] == 0


def test_one_product_ending_is_cancellation_all_ending_is_churn(make_data_dir: MakeDir) -> None:
    # A has LIC 300 and SSO 100. SSO ends 2026-03-31 → April: cancellation −100 (A still
    # active). LIC ends 2026-05-31 → June: churn −300.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,end_date\n"
            "C1,LIC,300,2026-05-31\nC1,SSO,100,2026-03-31\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-06")
    assert moves(t, "2026-04") == {"cancellation": -100}
    assert row(t, "2026-04")["churned_customers"] == 0
    assert moves(t, "2026-06") == {"churn": -300}
    assert row(t, "2026-06")["churned_customers"] == 1
    # net_new counts cancellation and churn but no upgrades/downgrades.
    assert row(t, "2026-04")["net_new"] == -100


def test_active_customer_restarting_a_cancelled_product_is_expansion(
    make_data_dir: MakeDir,
) -> None:
    # A keeps LIC throughout; SSO stops after January and restarts in April → expansion,
    # because reactivation is customer-level. B churns in February and returns in April →
    # reactivation.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\nC2,B,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,start_date,end_date\n"
            "C1,LIC,300,,\nC1,SSO,100,,2026-01-31\nC1,SSO,100,2026-04-01,\n"
            "C2,LIC,200,,2026-01-31\nC2,LIC,250,2026-04-01,\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-04")
    assert moves(t, "2026-02") == {"cancellation": -100, "churn": -200}
    # April: A's SSO back → expansion 100; B back with 250 → reactivation 250.
    assert moves(t, "2026-04") == {"expansion": 100, "reactivation": 250}
    assert row(t, "2026-04")["reactivated_customers"] == 1
    assert row(t, "2026-04")["new_customers"] == 0


def test_booking_rate_is_fixed_at_contract_start(make_data_dir: MakeDir) -> None:
    # EUR contract from 2026-01-15: rate in effect = row of 2026-01-01 (11.00).
    # 100 EUR × 11 = 1,100 NOK MRR, unchanged when the rate moves to 12 in March.
    # A second EUR contract starting 2026-04-01 books at 12: 100 × 12 = 1,200 (expansion).
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "fx_rates.csv": "date,currency,rate\n2026-01-01,EUR,11.00\n2026-03-01,EUR,12.00\n",
            "contracts.csv": "contract_id,customer_id,start_date,currency\n"
            "E1,A,2026-01-15,EUR\nE2,A,2026-04-01,EUR\n",
            "contract_lines.csv": "contract_id,product,unit_price\nE1,LIC,100\nE2,API,100\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-04")
    assert row(t, "2026-01")["mrr"] == pytest.approx(1100)
    assert moves(t, "2026-03") == {}
    assert row(t, "2026-03")["mrr"] == pytest.approx(1100)
    assert moves(t, "2026-04") == {"expansion": pytest.approx(1200)}


def test_renewal_uplift_compounds_and_later_lines_keep_their_price(make_data_dir: MakeDir) -> None:
    # Auto-renewing 2024-01-01..2024-12-31, 10 % uplift, yearly terms.
    # LIC 1,000: 2024 → 1,000; renewal 2025-01-01 → 1,100; 2026-01-01 → 1,210.
    # API 500 starts 2025-06-01 (after the first renewal): 500 in 2025, 550 from 2026-01.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,auto_renew,renewal_uplift_pct\n"
            "R1,A,2024-01-01,2024-12-31,true,10\n",
            "contract_lines.csv": "contract_id,product,unit_price,start_date\n"
            "R1,LIC,1000,\nR1,API,500,2025-06-01\n",
        }
    )
    t = mrr_of(root, "2024-12", "2026-01")
    assert row(t, "2024-12")["mrr"] == pytest.approx(1000)
    assert moves(t, "2025-01") == {"upgrade": pytest.approx(100)}
    assert moves(t, "2025-06") == {"expansion": pytest.approx(500)}
    # 2026-01: LIC 1,100 → 1,210 (+110), API 500 → 550 (+50).
    assert moves(t, "2026-01") == {"upgrade": pytest.approx(160)}
    assert row(t, "2026-01")["mrr"] == pytest.approx(1760)


def test_cancelled_on_stops_an_auto_renewing_contract(make_data_dir: MakeDir) -> None:
    # Auto-renews yearly from 2025-01-01; cancelled with last day 2026-02-15: active on
    # 31 January, not on 28 February → churn in February.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,auto_renew,cancelled_on\n"
            "R1,A,2025-01-01,2025-12-31,yes,2026-02-15\n",
            "contract_lines.csv": "contract_id,product,unit_price\nR1,LIC,400\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-03")
    assert row(t, "2026-01")["mrr"] == 400
    assert moves(t, "2026-02") == {"churn": -400}


def test_month_end_start_dates_clamp(make_data_dir: MakeDir) -> None:
    # Starts 2026-01-31: active on 31 January → counts in January.
    # Term 2026-01-31..2026-04-29 priced 3,000 per term: Jan 31 + 3 months = Apr 30 =
    # end + 1 day → exactly 3 months → MRR 1,000; ends 29 April → churn in April.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date\nC1,A,2026-01-31,2026-04-29\n",
            "contract_lines.csv": "contract_id,product,unit_price,price_period\nC1,LIC,3000,term\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-04")
    assert moves(t, "2026-01") == {"new": pytest.approx(1000)}
    assert row(t, "2026-03")["mrr"] == pytest.approx(1000)
    assert moves(t, "2026-04") == {"churn": pytest.approx(-1000)}


def test_leap_year_term_from_month_end(make_data_dir: MakeDir) -> None:
    # 2024-01-31..2024-02-28: Jan 31 + 1 month = Feb 29 (2024 is a leap year) = end + 1 day
    # → exactly 1 month: 500 per term → MRR 500 in January; ends 28 Feb, not the month's
    # last day (29th) → churn in February.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date\nC1,A,2024-01-31,2024-02-28\n",
            "contract_lines.csv": "contract_id,product,unit_price,price_period\nC1,LIC,500,term\n",
        }
    )
    t = mrr_of(root, "2024-01", "2024-02")
    assert row(t, "2024-01")["mrr"] == pytest.approx(500)
    assert moves(t, "2024-02") == {"churn": pytest.approx(-500)}


def test_line_active_only_mid_month_never_counts(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date\nC1,A,2026-03-05,2026-03-20\n",
            "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,999\n",
        }
    )
    t = mrr_of(root, "2026-02", "2026-04")
    assert t.get_column("mrr").to_list() == [0, 0, 0]
    assert t.get_column("new_customers").sum() == 0


def test_free_and_one_time_lines_add_no_mrr(make_data_dir: MakeDir) -> None:
    # TRIAL is free (0), SETUP is once: neither counts; the customer is not active.
    # --by product lists TRIAL (a recurring line's product, free ones included) with zeros,
    # but not SETUP (only on a once line).
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,price_period\n"
            "C1,TRIAL,0,month\nC1,SETUP,15000,once\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-02")
    assert t.get_column("mrr").to_list() == [0, 0]
    assert t.get_column("customers").to_list() == [0, 0]
    by_product = mrr_of(root, "2026-01", "2026-02", by="product")
    assert sorted(set(by_product.get_column("product"))) == ["TRIAL"]


def test_price_periods_and_discount(make_data_dir: MakeDir) -> None:
    # quarter: 3,000 / 3 = 1,000; half-year: 600 / 6 = 100; year 2 × 1,200 / 12 = 200;
    # month 10 × 100 × (1 − 15/100) = 850. Total 2,150.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,quantity,unit_price,price_period,discount_pct\n"
            "C1,Q,1,3000,quarter,\nC1,H,1,600,half-year,\nC1,Y,2,1200,year,\nC1,M,10,100,month,15\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-01")
    assert row(t, "2026-01")["mrr"] == pytest.approx(2150)


def test_growth_and_arpa_are_empty_without_a_base(make_data_dir: MakeDir) -> None:
    # February: MRR 0 → 600 (A 400 + B 200): growth empty (MRR(M−1) = 0), ARPA 300.
    # March: B upgrades 200 → 300: growth = 100 × 100 / 600 = 16.666…%.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-02-01\nC2,B,2026-02-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,start_date,end_date\n"
            "C1,LIC,400,,\nC2,LIC,200,,2026-02-28\nC2,LIC,300,2026-03-01,\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-03")
    assert row(t, "2026-01")["arpa"] is None
    assert row(t, "2026-01")["growth_pct"] is None
    assert row(t, "2026-02")["growth_pct"] is None
    assert row(t, "2026-02")["arpa"] == 300
    assert row(t, "2026-03")["growth_pct"] == pytest.approx(100 * 100 / 600)
    assert moves(t, "2026-03") == {"upgrade": 100}


def test_by_customer_column_lists_every_group_every_month(make_data_dir: MakeDir) -> None:
    # A is SMB (country empty → company country NO), B is Enterprise in SE; a third
    # customer C has no segment → its own empty group, with zeros all along.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS + "C,Caveat AS,,\n",
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-02-01\nC2,B,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,400\nC2,LIC,200\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-02", by="segment")
    assert t.height == 6  # 3 groups × 2 months
    assert moves(t, "2026-02", segment="SMB") == {"new": 400}
    assert row(t, "2026-02", segment="SMB")["new_customers"] == 1
    assert row(t, "2026-01", segment="Enterprise")["mrr"] == 200
    assert row(t, "2026-02", segment="")["mrr"] == 0
    by_country = mrr_of(root, "2026-02", "2026-02", by="country")
    assert row(by_country, "2026-02", country="NO")["mrr"] == 400
    assert row(by_country, "2026-02", country="SE")["mrr"] == 200


def test_by_product_counts_customers_per_product(make_data_dir: MakeDir) -> None:
    # A: LIC + SSO from January; B: LIC from January, churns in March.
    # March by product: LIC churn −200 with 1 churned customer; SSO untouched.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\nC2,B,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price,end_date\n"
            "C1,LIC,400,\nC1,SSO,50,\nC2,LIC,200,2026-02-28\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-03", by="product")
    assert row(t, "2026-02", product="LIC")["customers"] == 2
    assert row(t, "2026-02", product="SSO")["customers"] == 1
    assert moves(t, "2026-03", product="LIC") == {"churn": -200}
    assert row(t, "2026-03", product="LIC")["churned_customers"] == 1
    assert row(t, "2026-03", product="SSO")["churned_customers"] == 0
    assert row(t, "2026-01", product="LIC")["new_customers"] == 2


@pytest.mark.parametrize("start", ["2025-01-29", "2025-01-30"])
def test_starts_on_the_29th_and_30th_clamp_to_february_end(
    make_data_dir: MakeDir, start: str
) -> None:
    # Term start..2025-02-27: end + 1 day = 2025-02-28; start + 1 month clamps to
    # 2025-02-28 (no 29th or 30th in February 2025) = end + 1 day → exactly 1 month.
    # 600 per term → MRR 600 in January (active on 31 Jan); ends 27 Feb → churn in February.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": f"contract_id,customer_id,start_date,end_date\nC1,A,{start},2025-02-27\n",
            "contract_lines.csv": "contract_id,product,unit_price,price_period\nC1,LIC,600,term\n",
        }
    )
    t = mrr_of(root, "2025-01", "2025-02")
    assert moves(t, "2025-01") == {"new": pytest.approx(600)}
    assert moves(t, "2025-02") == {"churn": pytest.approx(-600)}


def test_auto_renewal_terms_anchor_on_the_31st(make_data_dir: MakeDir) -> None:
    # First term 2025-10-31..2025-12-30 (2 months: Oct 31 + 2 = Dec 31 = end + 1), quarterly
    # renewals from 2025-12-31: renewal k starts at 2025-12-31 + 3(k−1) months, clamped and
    # back: 2025-12-31, 2026-03-31, 2026-06-30, 2026-09-30. With 10 % uplift on 1,000:
    # Dec 1,100 (renewal on Dec 31 counts at the Dec month-end), Mar 1,210, Jun 1,331.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,auto_renew,renewal_term_months,renewal_uplift_pct\n"
            "R1,A,2025-10-31,2025-12-30,true,3,10\n",
            "contract_lines.csv": "contract_id,product,unit_price\nR1,LIC,1000\n",
        }
    )
    t = mrr_of(root, "2025-11", "2026-07")
    assert row(t, "2025-11")["mrr"] == pytest.approx(1000)
    assert moves(t, "2025-12") == {"upgrade": pytest.approx(100)}
    assert moves(t, "2026-02") == {}
    assert moves(t, "2026-03") == {"upgrade": pytest.approx(110)}
    assert moves(t, "2026-06") == {"upgrade": pytest.approx(121)}
    assert row(t, "2026-07")["mrr"] == pytest.approx(1331)


def test_by_customer_id_shows_the_ids(make_data_dir: MakeDir) -> None:
    # Each customer is its own group, named by its id (not an internal code).
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\nC2,B,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,400\nC2,LIC,200\n",
        }
    )
    t = mrr_of(root, "2026-01", "2026-01", by="customer_id")
    assert t.select("customer_id", "mrr").rows() == [("A", 400.0), ("B", 200.0)]


@pytest.mark.parametrize("by", [None, "product", "segment"])
def test_the_totals_row_under_by_is_the_whole_data_sets(
    make_data_dir: MakeDir, run: Run, by: str | None
) -> None:
    # A (SMB) has LIC 100 + SUP 50 from December; B (Enterprise) starts in February with
    # LIC 200 + SUP 20. January–February as a whole: MRR before January 150, at the end
    # 150 + 220 = 370, 2 customers: ARPA 370 / 2 = 185.00, growth 100 × 220 / 150 =
    # 146.67 %, 1 new customer (B), new MRR 220. By product, LIC and SUP each have 2
    # customers in February and B is new in both; the Totals row still counts B once.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2025-12-01\n"
            "C2,B,2026-02-01\n",
            "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,100\nC1,SUP,50\n"
            "C2,LIC,200\nC2,SUP,20\n",
        }
    )
    args = ["--by", by] if by else []
    result = run(
        "mrr", "--data", root, "--from", "2026-01", "--to", "2026-02", *args, "-f", "markdown"
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    header = [c.strip() for c in lines[2].strip("|").split("|")]
    (total,) = [line for line in lines if line.startswith("| **Total** |")]
    cells = dict(
        zip(header, (c.strip().strip("*") for c in total.strip("|").split("|")), strict=True)
    )
    assert {
        k: cells[k] for k in ("mrr", "customers", "arpa", "growth_pct", "new", "new_customers")
    } == {
        "mrr": "370.00",
        "customers": "2",
        "arpa": "185.00",
        "growth_pct": "146.67",
        "new": "220.00",
        "new_customers": "1",
    }
