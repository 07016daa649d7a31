"""Boundaries of the MRR rules (docs/rules.md) that a one-character change in the engine
would move: each case sits on the edge of a rule, expectations worked out by hand."""

from __future__ import annotations

import pytest

from tests.conftest import MakeDir
from tests.helpers import moves, mrr_of, row

CUSTOMERS = "customer_id,name\nA,Acme AS\nB,Bergen AS\n"


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
