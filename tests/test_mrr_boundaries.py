"""Boundaries of the MRR rules (docs/rules.md) that a one-character change in the engine
would move: each case sits on the edge of a rule, expectations worked out by hand."""

from __future__ import annotations

import polars as pl
import pytest

from revcli.data.validate import load_dataset
from revcli.metrics.mrr import Book
from tests.conftest import MakeDir
from tests.helpers import month, moves, mrr_of, row

CUSTOMERS = "customer_id,name\nA,Acme AS\nB,Bergen AS\n"
MONTH_END_FX = (
    "company:\n  name: Fjordsoft AS\n  country: NO\n  vat_id: NO999999999MVA\n"
    "base_currency: NOK\nlocale: nb_NO\n"
    "metrics:\n  policy: test\n  version: 1\n  fx: month_end\n"
)
"""revcli.yaml with the metric policy that values every month at its month-end rate."""


def test_a_renewal_on_the_last_day_of_the_reports_last_month_counts_in_it(
    make_data_dir: MakeDir,
) -> None:
    # Auto-renewing 2025-01-01..2025-12-30, 10 % uplift: renewal 1 starts on the day after
    # the end, 2025-12-31, the last day of December. The line is active on that day and
    # started before it, so December's MRR is 1,000 × 1.10 = 1,100 (upgrade +100),
    # whether the report stops in December or runs on.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,auto_renew,"
            "renewal_uplift_pct,renewal_term_months\n"
            "R1,A,2025-01-01,2025-12-30,true,10,12\n",
            "contract_lines.csv": "contract_id,product,unit_price\nR1,LIC,1000\n",
        }
    )
    for last in ("2025-12", "2026-01"):
        t = mrr_of(root, "2025-11", last)
        assert row(t, "2025-11")["mrr"] == pytest.approx(1000)
        assert row(t, "2025-12")["mrr"] == pytest.approx(1100)
        assert moves(t, "2025-12") == {"upgrade": pytest.approx(100)}


def test_a_churned_customer_counts_only_in_the_products_it_paid_for_last_month(
    make_data_dir: MakeDir,
) -> None:
    # fx: month_end, --by product. A's EUR contract 2025-01-01..2025-06-30: P1 100 EUR to
    # the end, P2 50 EUR until 2025-02-28. EUR is 10 until the rate 11 of 2025-07-01, so
    # July's month-end rate moved. July: A churns. At the end of June it paid only for P1
    # (100 × 10 = 1,000): churn −1,000 and one churned customer in P1; in P2 (cancelled in
    # March) it had no MRR last month, so no churned customer there.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,currency\n"
            "E1,A,2025-01-01,2025-06-30,EUR\n",
            "contract_lines.csv": "contract_id,line_id,product,unit_price,end_date\n"
            "E1,L1,P1,100,\nE1,L2,P2,50,2025-02-28\n",
            "fx_rates.csv": "date,currency,rate\n2024-12-01,EUR,10\n2025-07-01,EUR,11\n",
        },
        MONTH_END_FX,
    )
    t = mrr_of(root, "2025-06", "2025-07", by="product")
    p1, p2 = row(t, "2025-07", product="P1"), row(t, "2025-07", product="P2")
    assert (p1["churn"], p1["churned_customers"]) == (pytest.approx(-1000), 1)
    assert (p2["churn"], p2["churned_customers"]) == (0, 0)
    assert row(mrr_of(root, "2025-06", "2025-07"), "2025-07")["churned_customers"] == 1


def test_the_default_renewal_term_is_the_first_term_rounded_to_whole_months(
    make_data_dir: MakeDir,
) -> None:
    # 2025-01-01..2025-12-30: start + 11 months = 2025-12-01 <= 2025-12-31 (end + 1 day),
    # + 12 is not; 30 days left → 11 + 30/30.4375 ≈ 11.99 months, rounded: 12-month
    # renewal terms (not 11). Renewal 1 on 2025-12-31, renewal 2 on 2026-12-31, each
    # +10 %: 1,000 → 1,100 in December 2025, 1,210 only in December 2026.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,auto_renew,"
            "renewal_uplift_pct\nR1,A,2025-01-01,2025-12-30,true,10\n",
            "contract_lines.csv": "contract_id,product,unit_price\nR1,LIC,1000\n",
        }
    )
    t = mrr_of(root, "2025-12", "2027-01")
    assert row(t, "2025-12")["mrr"] == pytest.approx(1100)
    assert row(t, "2026-11")["mrr"] == pytest.approx(1100)
    assert moves(t, "2026-12") == {"upgrade": pytest.approx(110)}
    assert row(t, "2026-12")["mrr"] == pytest.approx(1210)


def test_a_free_line_left_running_does_not_keep_a_cancelled_large_line_alive(
    make_data_dir: MakeDir,
) -> None:
    # A pays 123,456,789.12 a month for LIC from 2020, auto-renewing yearly with 7 %
    # uplift: renewals on 2021-01-01 … 2025-01-01 make it 123,456,789.12 × 1.07^5
    # (1.4025517307) ≈ 173,154,533.25 a month; cancelled with last day 2025-06-30. A free
    # LIC line (price 0) runs on. In July A pays nothing: MRR 0, churn −173,154,533.25, one
    # churned customer and none active — not a float crumb of the uplifts left as MRR.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,auto_renew,"
            "renewal_uplift_pct,renewal_term_months,cancelled_on\n"
            "R1,A,2020-01-01,2020-12-31,true,7,12,2025-06-30\n"
            "F1,A,2020-01-01,,,,,\n",
            "contract_lines.csv": "contract_id,product,unit_price\nR1,LIC,123456789.12\nF1,LIC,0\n",
        }
    )
    july = row(mrr_of(root, "2025-06", "2025-07"), "2025-07")
    assert (july["mrr"], july["customers"], july["churned_customers"]) == (0, 0, 1)
    assert july["churn"] == pytest.approx(-123456789.12 * 1.07**5, abs=0.01)


def test_a_product_without_mrr_either_side_has_no_movement_when_its_customer_returns(
    make_data_dir: MakeDir,
) -> None:
    # fx: month_end. A's EUR contract C1 2025-01-01..2025-03-31: P1 100 EUR, P2 50 EUR
    # until 2025-01-31 (cancelled in February). A churns in April and returns on
    # 2025-06-01 with P1 100 EUR. EUR moves from 10 to 11 on 2025-06-01, so June has a row
    # for (A, P2) too, with no MRR at either month-end. June: P1 is a reactivation of
    # 100 × 11 = 1,100; P2 changed nothing, so it has no movement and amount 0.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date,end_date,currency\n"
            "C1,A,2025-01-01,2025-03-31,EUR\nC2,A,2025-06-01,,EUR\n",
            "contract_lines.csv": "contract_id,line_id,product,unit_price,end_date\n"
            "C1,L1,P1,100,\nC1,L2,P2,50,2025-01-31\nC2,L1,P1,100,\n",
            "fx_rates.csv": "date,currency,rate\n2024-12-01,EUR,10\n2025-06-01,EUR,11\n",
        },
        MONTH_END_FX,
    )
    book = Book.of(load_dataset(root))
    june = book.codes.decode(book.movements(month("2025-06"))).filter(
        pl.col("month") == month("2025-06")
    )
    found = {r["product"]: (r["movement"], r["amount"]) for r in june.to_dicts()}
    assert found["P1"] == ("reactivation", pytest.approx(1100))
    assert found.get("P2", (None, 0)) == (None, 0)
