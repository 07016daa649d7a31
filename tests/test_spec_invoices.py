"""SPEC §7 invoices at their edges: a line ending on the first day of the next period,
one-time lines on period boundaries, exact halves after proration, uplift compounding
across renewals — every amount worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from tests.billing_support import amounts, billing_dir, only, run_months

D = Decimal
day = dt.date.fromisoformat

CONTRACT = (
    "contract_id,customer_id,start_date,end_date,billing_period,auto_renew,"
    "renewal_term_months,renewal_uplift_pct\n"
)
LINES = (
    "contract_id,line_id,product,quantity,unit_price,price_period,start_date,end_date,tax_rate\n"
)


def test_a_line_ending_on_the_first_day_of_a_month_is_billed_one_day(tmp_path: Path) -> None:
    # Monthly billing from 2026-01-01. Line 1 (280 a month) ends 2026-02-01; line 2
    # (310) ends 2026-01-31, the last day of January.
    # February (28 days): line 1 active 1 day → 280 × 1 × 1/28 = 10.00, service
    # 2026-02-01..2026-02-01; line 2 has no day in February → not on the invoice.
    # March: nothing active → no invoice.
    root = billing_dir(
        tmp_path,
        CONTRACT + "K1,C1,2026-01-01,,month,,,\n",
        LINES + "K1,1,A,1,280,month,,2026-02-01,0\nK1,2,B,1,310,month,,2026-01-31,0\n",
    )
    assert amounts(only(root, "2026-01")) == {"1": D("280.00"), "2": D("310.00")}
    feb = only(root, "2026-02")
    assert amounts(feb) == {"1": D("10.00")}
    line = feb.lines[0]
    assert (line.service_start, line.service_end) == (day("2026-02-01"), day("2026-02-01"))
    assert run_months(root, "2026-03") == []


def test_a_line_ending_on_the_first_day_of_a_quarter(tmp_path: Path) -> None:
    # Quarterly billing from 2026-01-01 of a line of 100 a month ending 2026-04-01.
    # Q1 (1 Jan – 31 Mar, 90 days, all active): 100 × 3 × 90/90 = 300.00.
    # Q2 (1 Apr – 30 Jun = 30 + 31 + 30 = 91 days, 1 active): 100 × 3 × 1/91 = 3.2967…
    # → 3.30. Tax 25 % of 3.30 = 0.825 → 0.83 (half-up); total 4.13.
    root = billing_dir(
        tmp_path,
        CONTRACT + "K1,C1,2026-01-01,,quarter,,,\n",
        LINES + "K1,1,A,1,100,month,,2026-04-01,\n",
    )
    assert only(root, "2026-01").net == D("300.00")
    q2 = only(root, "2026-04")
    assert (q2.period_start, q2.period_end) == (day("2026-04-01"), day("2026-06-30"))
    assert (q2.net, q2.tax, q2.total) == (D("3.30"), D("0.83"), D("4.13"))


def test_one_time_lines_on_the_last_and_first_day_of_a_quarter(tmp_path: Path) -> None:
    # Quarterly from 2026-01-01. SETUP (once, 2 × 150) dated 2026-03-31: Q1's last day →
    # in Q1, 300.00 whole. TRAIN (once, 1 × 99.99) dated 2026-04-01 → in Q2, 99.99.
    # The recurring line (50 a month) adds 150.00 to each quarter.
    root = billing_dir(
        tmp_path,
        CONTRACT + "K1,C1,2026-01-01,,quarter,,,\n",
        LINES
        + "K1,1,A,1,50,month,,,0\n"
        + "K1,2,SETUP,2,150,once,2026-03-31,,0\n"
        + "K1,3,TRAIN,1,99.99,once,2026-04-01,,0\n",
    )
    assert amounts(only(root, "2026-01")) == {"1": D("150.00"), "2": D("300.00")}
    assert amounts(only(root, "2026-04")) == {"1": D("150.00"), "3": D("99.99")}


def test_a_prorated_amount_of_exactly_half_a_cent_rounds_up(tmp_path: Path) -> None:
    # Monthly from 2026-04-01; a line of 0.75 a month starts 2026-04-30: April has 30
    # days, 1 active: 0.75 × 1 × 1/30 = 0.025 exactly → 0.03 (half-even would say 0.02).
    # A second line of 1.05 a month from the same day: 1.05 / 30 = 0.035 → 0.04.
    # Net 0.07; tax 25 % of 0.07 = 0.0175 → 0.02; total 0.09.
    root = billing_dir(
        tmp_path,
        CONTRACT + "K1,C1,2026-04-01,,month,,,\n",
        LINES + "K1,1,A,1,0.75,month,2026-04-30,,\nK1,2,B,1,1.05,month,2026-04-30,,\n",
    )
    inv = only(root, "2026-04")
    assert amounts(inv) == {"1": D("0.03"), "2": D("0.04")}
    assert (inv.net, inv.tax, inv.total) == (D("0.07"), D("0.02"), D("0.09"))


def test_tax_is_rounded_once_per_rate_not_per_line_nor_per_invoice(tmp_path: Path) -> None:
    # 25 %: two lines of 0.10 → 0.20 × 25 % = 0.05 (per line: 2 × round(0.025) = 0.06).
    # 15 %: one line of 0.30 → 0.045 → 0.05.
    # Per rate: 0.05 + 0.05 = 0.10. (One rounding of the invoice's exact tax would give
    # 0.05 + 0.045 = 0.095 → 0.10 too, so the per-line figure 0.06 + 0.05 = 0.11 is the
    # one this excludes.) Net 0.50, total 0.60.
    root = billing_dir(
        tmp_path,
        CONTRACT + "K1,C1,2026-01-01,,month,,,\n",
        LINES + "K1,1,A,1,0.10,month,,,25\nK1,2,B,1,0.10,month,,,25\nK1,3,C,1,0.30,month,,,15\n",
    )
    inv = only(root, "2026-01")
    assert [(t.rate, t.net, t.tax) for t in inv.taxes] == [
        (D("15"), D("0.30"), D("0.05")),
        (D("25"), D("0.20"), D("0.05")),
    ]
    assert (inv.net, inv.tax, inv.total) == (D("0.50"), D("0.10"), D("0.60"))


def test_uplift_compounds_on_each_renewal_and_a_later_line_keeps_its_price(
    tmp_path: Path,
) -> None:
    # Auto-renewing 2026-01-01..2026-12-31, 12-month renewals, uplift 5 %, monthly billing.
    # Line 1: 200.00 → 2027: 200 × 1.05 = 210.00 → 2028: 210 × 1.05 = 220.50.
    # Line 2 (300.00) starts 2027-03-01, after the first renewal: 300.00 in 2027, and
    # 300 × 1.05 = 315.00 from the renewal of 2028-01-01.
    root = billing_dir(
        tmp_path,
        CONTRACT + "K1,C1,2026-01-01,2026-12-31,month,true,12,5\n",
        LINES + "K1,1,A,1,200,month,,,0\nK1,2,B,1,300,month,2027-03-01,,0\n",
    )
    assert amounts(only(root, "2026-12")) == {"1": D("200.00")}
    assert amounts(only(root, "2027-01")) == {"1": D("210.00")}
    assert amounts(only(root, "2027-03")) == {"1": D("210.00"), "2": D("300.00")}
    assert amounts(only(root, "2028-01")) == {"1": D("220.50"), "2": D("315.00")}


def test_a_yearly_period_crossing_a_renewal_prices_each_day_at_its_uplift(tmp_path: Path) -> None:
    # Auto-renewing 2026-01-01..2026-06-30 (6-month first term, renewals of 6 months),
    # uplift 10 %, billed yearly from 2026-01-01: the period 2026-01-01..2026-12-31 has
    # 365 days, 181 (Jan–Jun) at 100 a month and 184 (Jul–Dec) at 110.
    # 100 × 12 × 181/365 + 110 × 12 × 184/365 = (217,200 + 242,880) / 365
    # = 460,080 / 365 = 1,260.4931… → 1,260.49.
    root = billing_dir(
        tmp_path,
        CONTRACT + "K1,C1,2026-01-01,2026-06-30,year,true,6,10\n",
        LINES + "K1,1,A,1,100,month,,,0\n",
    )
    assert only(root, "2026-01").net == D("1260.49")
