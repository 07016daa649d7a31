"""Starting-cohort members of ``revcli nrr``, worked out by hand, for text keys and for the
engine's integer codes (which take the packed-key look-up)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from revcli.calendar import add_months
from revcli.metrics.mrr import MONTH, month_range
from revcli.metrics.retention import cohort_members, mrr_intervals

D = Decimal
day = dt.date.fromisoformat


def _states(ids: list[object]) -> pl.DataFrame:
    # A: 100 from 2026-01, 0 from 2026-03 (churn), 50 from 2026-05 (back); B: 10 from 2026-02.
    a, b = ids
    return pl.DataFrame(
        {
            "customer_id": [a, a, a, b],
            MONTH: [day("2026-01-01"), day("2026-03-01"), day("2026-05-01"), day("2026-02-01")],
            "cur": [100.0, 0.0, 50.0, 10.0],
        }
    )


@pytest.mark.parametrize("ids", [["A", "B"], [0, 1], [7, 3]])
def test_members_and_their_mrr_at_both_ends(ids: list[object]) -> None:
    # Months 2026-03..06 with a 2-month window: start months 2026-01..04.
    # 03 (from 01): A had 100, B had not started          → A 100 → 0 (churned in 03)
    # 04 (from 02): A 100 (its 01..02 interval), B 10      → A 100 → 0, B 10 → 10
    # 05 (from 03): A is at 0 then, so no member; B 10     → B 10 → 10 (A's return is not
    # 06 (from 04): likewise                               →   counted: not in the cohort)
    a, b = ids
    months = (
        month_range(day("2026-03-01"), day("2026-06-01"))
        .to_frame()
        .with_columns(add_months(pl.col(MONTH), -2).alias("start_month"))
    )
    members = cohort_members(mrr_intervals(_states(ids), ["customer_id"]), months, ["customer_id"])
    rows = members.sort(MONTH, "customer_id").select(
        "customer_id", MONTH, "start_month", "_start", "_end"
    )
    expected = [
        (a, day("2026-03-01"), day("2026-01-01"), D(100), D(0)),
        (a, day("2026-04-01"), day("2026-02-01"), D(100), D(0)),
        (b, day("2026-04-01"), day("2026-02-01"), D(10), D(10)),
        (b, day("2026-05-01"), day("2026-03-01"), D(10), D(10)),
        (b, day("2026-06-01"), day("2026-04-01"), D(10), D(10)),
    ]
    assert sorted(rows.rows(), key=lambda r: (r[1], str(r[0]))) == sorted(
        expected, key=lambda r: (r[1], str(r[0]))
    )
