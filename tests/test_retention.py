"""NRR, GRR and logo retention (SPEC §5): hand-computed cases and invariants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.data.validate import load_dataset
from revcli.metrics.mrr import Book
from revcli.metrics.retention import NRR_COLUMNS, retention_table
from tests.conftest import MakeDir

Row = tuple[str, str, str, str, int]
"""(customer_id, start_date, end_date or "", product, monthly price): one contract, one line."""


def month(text: str) -> dt.date:
    return dt.date.fromisoformat(f"{text}-01")


def retention_dir(
    make_data_dir: MakeDir, contracts: list[Row], segments: dict[str, str] | None = None
) -> Path:
    """A data dir holding ``contracts`` (one line each) and their customers."""
    segments = segments or {}
    ids = sorted({r[0] for r in contracts} | set(segments))
    customers = "customer_id,name,segment\n" + "".join(
        f"{c},{c} AS,{segments.get(c, '')}\n" for c in ids
    )
    heads = "contract_id,customer_id,start_date,end_date\n" + "".join(
        f"K{i},{c},{start},{end}\n" for i, (c, start, end, _, _) in enumerate(contracts)
    )
    lines = "contract_id,product,unit_price\n" + "".join(
        f"K{i},{product},{price}\n" for i, (_, _, _, product, price) in enumerate(contracts)
    )
    return make_data_dir(
        {"customers.csv": customers, "contracts.csv": heads, "contract_lines.csv": lines}
    )


def nrr_rows(
    make_data_dir: MakeDir,
    contracts: list[Row],
    at: str,
    *,
    to: str | None = None,
    window: int = 12,
    by: str | None = None,
    segments: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The retention table of a data dir holding ``contracts``, as row dicts."""
    data = load_dataset(retention_dir(make_data_dir, contracts, segments))
    table = retention_table(Book.of(data), month(at), month(to or at), window=window, by=by)
    return table.to_dicts()


def only(rows: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(rows) == 1
    return rows[0]


# A cohort member since 2024 at 1,000 a month, unchanged: the steady baseline.
STEADY: Row = ("S", "2024-01-01", "", "CORE", 1000)


def test_expansion_raises_nrr_while_grr_caps_each_customer_at_its_start(
    make_data_dir: MakeDir,
) -> None:
    # A: CORE 1,000 since 2024-01; ADDON 500 from 2025-07. Cohort of 2026-01 (W=12) is
    # judged at the end of 2025-01: A with 1,000. In 2026-01 A pays 1,000 + 500 = 1,500.
    # NRR = 1,500 / 1,000 = 1.5; GRR = min(1,500, 1,000) / 1,000 = 1.0; expansion +500.
    row = only(
        nrr_rows(
            make_data_dir,
            [("A", "2024-01-01", "", "CORE", 1000), ("A", "2025-07-01", "", "ADDON", 500)],
            "2026-01",
        )
    )
    assert row["start_month"] == month("2025-01")
    assert row["window"] == 12
    assert row["start_mrr"] == Decimal(1000)
    assert row["end_mrr"] == Decimal(1500)
    assert row["retained_mrr"] == Decimal(1000)
    assert row["cohort_expansion"] == Decimal(500)
    assert row["cohort_contraction"] == Decimal(0)
    assert row["cohort_churn"] == Decimal(0)
    assert row["nrr"] == pytest.approx(1.5)
    assert row["grr"] == pytest.approx(1.0)
    assert row["logo_retention"] == pytest.approx(1.0)


def test_contraction_lowers_nrr_and_grr_alike(make_data_dir: MakeDir) -> None:
    # C: 800 until 2025-03-31, then 600 from 2025-04-01. Start (2025-01) 800, end 600.
    # NRR = GRR = 600 / 800 = 0.75; contraction 600 − 800 = −200; C is still active.
    row = only(
        nrr_rows(
            make_data_dir,
            [("C", "2024-01-01", "2025-03-31", "CORE", 800), ("C", "2025-04-01", "", "CORE", 600)],
            "2026-01",
        )
    )
    assert (row["start_mrr"], row["end_mrr"]) == (Decimal(800), Decimal(600))
    assert row["cohort_contraction"] == Decimal(-200)
    assert row["cohort_churn"] == Decimal(0)
    assert row["nrr"] == pytest.approx(0.75)
    assert row["grr"] == pytest.approx(0.75)
    assert (row["cohort_customers"], row["retained_customers"]) == (1, 1)


def test_churned_member_counts_its_whole_start_mrr_as_churn(make_data_dir: MakeDir) -> None:
    # B: 2,000 from 2024-06 to 2025-06-30; S steady at 1,000. Cohort at 2025-01: B and S,
    # start 3,000. In 2026-01 B pays 0: end 1,000, churn −2,000.
    # NRR = GRR = 1,000 / 3,000 = 0.3333; logo retention 1 / 2 = 0.5.
    row = only(
        nrr_rows(
            make_data_dir, [("B", "2024-06-01", "2025-06-30", "CORE", 2000), STEADY], "2026-01"
        )
    )
    assert row["start_mrr"] == Decimal(3000)
    assert row["end_mrr"] == Decimal(1000)
    assert row["cohort_churn"] == Decimal(-2000)
    assert row["nrr"] == pytest.approx(1 / 3)
    assert row["grr"] == pytest.approx(1 / 3)
    assert (row["cohort_customers"], row["retained_customers"]) == (2, 1)
    assert row["logo_retention"] == pytest.approx(0.5)


def test_customer_who_joins_after_the_start_month_is_outside_the_cohort(
    make_data_dir: MakeDir,
) -> None:
    # D starts 2025-03, after the start month 2025-01: only S (1,000 → 1,000) is measured.
    row = only(nrr_rows(make_data_dir, [("D", "2025-03-01", "", "CORE", 700), STEADY], "2026-01"))
    assert row["cohort_customers"] == 1
    assert (row["start_mrr"], row["end_mrr"]) == (Decimal(1000), Decimal(1000))
    assert row["nrr"] == pytest.approx(1.0)


def test_reactivated_customer_is_outside_the_cohort(make_data_dir: MakeDir) -> None:
    # E paid 900 in 2024-01..2024-10, nothing at the end of 2025-01, and came back with
    # 900 from 2025-05. Not active at the start month, so outside: only S counts.
    row = only(
        nrr_rows(
            make_data_dir,
            [
                ("E", "2024-01-01", "2024-10-31", "CORE", 900),
                ("E", "2025-05-01", "", "CORE", 900),
                STEADY,
            ],
            "2026-01",
        )
    )
    assert row["cohort_customers"] == 1
    assert (row["start_mrr"], row["end_mrr"]) == (Decimal(1000), Decimal(1000))


def test_member_who_drops_and_recovers_inside_the_window_counts_at_its_end_mrr(
    make_data_dir: MakeDir,
) -> None:
    # F: 1,200 until 2025-04-30, nothing in 2025-05 and 06, 1,200 again from 2025-07.
    # G: 1,000 until 2025-05-31, 400 in 2025-06..08, 1,000 again from 2025-09.
    # Only the ends count: start 1,200 + 1,000 = 2,200, end 1,200 + 1,000 = 2,200;
    # NRR = GRR = 1, no movement, both logos retained.
    row = only(
        nrr_rows(
            make_data_dir,
            [
                ("F", "2024-01-01", "2025-04-30", "CORE", 1200),
                ("F", "2025-07-01", "", "CORE", 1200),
                ("G", "2024-01-01", "2025-05-31", "CORE", 1000),
                ("G", "2025-06-01", "2025-08-31", "CORE", 400),
                ("G", "2025-09-01", "", "CORE", 1000),
            ],
            "2026-01",
        )
    )
    assert (row["start_mrr"], row["end_mrr"], row["retained_mrr"]) == (
        Decimal(2200),
        Decimal(2200),
        Decimal(2200),
    )
    assert row["cohort_expansion"] == row["cohort_contraction"] == row["cohort_churn"] == 0
    assert row["nrr"] == pytest.approx(1.0)
    assert row["grr"] == pytest.approx(1.0)
    assert row["logo_retention"] == pytest.approx(1.0)


def test_start_month_activity_is_judged_on_its_last_day(make_data_dir: MakeDir) -> None:
    # H's contract ends 2025-01-15: not active on 2025-01-31, so not in the cohort of
    # 2026-01 (start 2025-01) — and its churn is not this cohort's.
    row = only(
        nrr_rows(
            make_data_dir, [("H", "2024-01-01", "2025-01-15", "CORE", 5000), STEADY], "2026-01"
        )
    )
    assert row["cohort_customers"] == 1
    assert row["start_mrr"] == Decimal(1000)
    assert row["cohort_churn"] == Decimal(0)


MIXED: list[Row] = [
    ("A", "2024-01-01", "", "CORE", 1000),
    ("A", "2025-07-01", "", "ADDON", 500),
    ("B", "2024-06-01", "2025-06-30", "CORE", 2000),
    ("C", "2024-01-01", "2025-03-31", "CORE", 800),
    ("C", "2025-04-01", "", "CORE", 600),
    ("D", "2025-03-01", "", "CORE", 700),
    ("E", "2024-01-01", "2024-10-31", "CORE", 900),
    ("E", "2025-05-01", "", "CORE", 900),
    ("F", "2024-01-01", "2025-04-30", "CORE", 1200),
    ("F", "2025-07-01", "", "CORE", 1200),
]
"""Every case at once: A expands, B churns, C contracts, D joins late, E comes back late,
F drops out and recovers inside the window."""
SEGMENTS = {"A": "ENT", "B": "ENT", "C": "SMB", "D": "SMB", "E": "SMB", "F": "SMB", "Z": ""}


def test_cohort_movements_explain_the_change_from_start_to_end(make_data_dir: MakeDir) -> None:
    # Cohort at the end of 2025-01: A 1,000, B 2,000, C 800, F 1,200 = 5,000 (D not yet,
    # E churned in 2024-10). In 2026-01: A 1,500, B 0, C 600, F 1,200 = 3,300.
    # expansion +500 (A), contraction −200 (C), churn −2,000 (B):
    # 5,000 + 500 − 200 − 2,000 = 3,300. retained = 1,000 + 0 + 600 + 1,200 = 2,800.
    # NRR = 3,300 / 5,000 = 0.66; GRR = 2,800 / 5,000 = 0.56; logos 3 / 4 = 0.75.
    row = only(nrr_rows(make_data_dir, MIXED, "2026-01"))
    assert row == {
        "month": month("2026-01"),
        "window": 12,
        "start_month": month("2025-01"),
        "cohort_customers": 4,
        "retained_customers": 3,
        "start_mrr": Decimal(5000),
        "end_mrr": Decimal(3300),
        "retained_mrr": Decimal(2800),
        "nrr": pytest.approx(0.66),
        "grr": pytest.approx(0.56),
        "logo_retention": pytest.approx(0.75),
        "cohort_expansion": Decimal(500),
        "cohort_contraction": Decimal(-200),
        "cohort_churn": Decimal(-2000),
    }


def test_range_gives_a_trailing_series_with_a_window_other_than_twelve(
    make_data_dir: MakeDir,
) -> None:
    # W = 3. 2025-04 looks back to 2025-01: cohort A 1,000, B 2,000, C 800, F 1,200 =
    # 5,000; in 2025-04 C pays 600 (−200), F still 1,200 (ends 04-30): end 4,800,
    # NRR = GRR = 0.96, logos 4 / 4.
    # 2025-05 looks back to 2025-02: the same four (D starts in 03) = 5,000; in 2025-05
    # A 1,000, B 2,000, C 600, F 0: end 3,600 = retained; churn −1,200, contraction −200;
    # NRR = GRR = 3,600 / 5,000 = 0.72; logos 3 / 4 = 0.75. E (back in 05) is outside.
    rows = nrr_rows(make_data_dir, MIXED, "2025-04", to="2025-05", window=3)
    assert [(r["month"], r["start_month"], r["window"]) for r in rows] == [
        (month("2025-04"), month("2025-01"), 3),
        (month("2025-05"), month("2025-02"), 3),
    ]
    april, may = rows
    assert (april["start_mrr"], april["end_mrr"]) == (Decimal(5000), Decimal(4800))
    assert april["nrr"] == pytest.approx(0.96)
    assert april["logo_retention"] == pytest.approx(1.0)
    assert (may["start_mrr"], may["end_mrr"], may["retained_mrr"]) == (
        Decimal(5000),
        Decimal(3600),
        Decimal(3600),
    )
    assert (may["cohort_churn"], may["cohort_contraction"]) == (Decimal(-1200), Decimal(-200))
    assert may["nrr"] == pytest.approx(0.72)
    assert may["grr"] == pytest.approx(0.72)
    assert may["logo_retention"] == pytest.approx(0.75)


def test_by_customer_column_splits_the_cohort_and_keeps_every_group(
    make_data_dir: MakeDir,
) -> None:
    # ENT = A, B: start 1,000 + 2,000 = 3,000; end 1,500 + 0; retained 1,000 + 0.
    #   NRR 1,500 / 3,000 = 0.5, GRR 1,000 / 3,000 = 0.3333, logos 1 / 2.
    # SMB = C, F (D, E outside): start 800 + 1,200 = 2,000; end 600 + 1,200 = 1,800.
    #   NRR = GRR = 0.9, logos 2 / 2.
    # "" = Z, a customer with no contracts: an empty cohort, ratios empty.
    rows = nrr_rows(make_data_dir, MIXED, "2026-01", by="segment", segments=SEGMENTS)
    assert [r["segment"] for r in rows] == ["", "ENT", "SMB"]
    empty, ent, smb = rows
    assert (empty["cohort_customers"], empty["start_mrr"]) == (0, Decimal(0))
    assert empty["nrr"] is None
    assert empty["grr"] is None
    assert empty["logo_retention"] is None
    assert (ent["start_mrr"], ent["end_mrr"], ent["retained_mrr"]) == (
        Decimal(3000),
        Decimal(1500),
        Decimal(1000),
    )
    assert ent["nrr"] == pytest.approx(0.5)
    assert ent["grr"] == pytest.approx(1 / 3)
    assert ent["logo_retention"] == pytest.approx(0.5)
    assert (smb["start_mrr"], smb["end_mrr"]) == (Decimal(2000), Decimal(1800))
    assert smb["nrr"] == pytest.approx(0.9)
    assert smb["logo_retention"] == pytest.approx(1.0)


def test_by_product_measures_each_product_of_its_own_cohort(make_data_dir: MakeDir) -> None:
    # CORE at the end of 2025-01: A 1,000, B 2,000, C 800, F 1,200 = 5,000. CORE in
    # 2026-01: A 1,000 (its ADDON is another product), B 0, C 600, F 1,200 = 2,800.
    # NRR = GRR = 0.56, logos 3 / 4. ADDON had no customer in 2025-01: empty.
    rows = nrr_rows(make_data_dir, MIXED, "2026-01", by="product")
    assert [r["product"] for r in rows] == ["ADDON", "CORE"]
    addon, core = rows
    assert addon["cohort_customers"] == 0
    assert addon["nrr"] is None
    assert (core["start_mrr"], core["end_mrr"]) == (Decimal(5000), Decimal(2800))
    assert core["cohort_expansion"] == Decimal(0)
    assert core["nrr"] == pytest.approx(0.56)
    assert core["logo_retention"] == pytest.approx(0.75)


def test_by_customer_id_gives_each_customer_its_own_retention(make_data_dir: MakeDir) -> None:
    # A: 1,500 / 1,000 = 1.5 with GRR 1; B: churned, 0; D joined late: empty ratios.
    rows = {
        r["customer_id"]: r for r in nrr_rows(make_data_dir, MIXED, "2026-01", by="customer_id")
    }
    assert sorted(rows) == ["A", "B", "C", "D", "E", "F"]
    assert (rows["A"]["nrr"], rows["A"]["grr"]) == (pytest.approx(1.5), pytest.approx(1.0))
    assert (rows["B"]["nrr"], rows["B"]["logo_retention"]) == (0.0, 0.0)
    assert rows["D"]["nrr"] is None


def test_empty_cohort_has_empty_ratios(make_data_dir: MakeDir) -> None:
    # 2024-06 looks back to 2023-06, before any contract.
    row = only(nrr_rows(make_data_dir, MIXED, "2024-06"))
    assert (row["cohort_customers"], row["start_mrr"], row["end_mrr"]) == (0, 0, 0)
    assert (row["nrr"], row["grr"], row["logo_retention"]) == (None, None, None)


# --- invariants on random data --------------------------------------------------------

FIRST = dt.date(2024, 1, 1)


def _day(offset: int) -> dt.date:
    """A day ``offset`` days after 2024-01-01."""
    return FIRST + dt.timedelta(days=offset)


line = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(["P", "Q"]),
    st.integers(0, 700),  # start, days after 2024-01-01
    st.one_of(st.none(), st.integers(0, 700)),  # length in days; None = open-ended
    st.sampled_from([0.5, 10.0, 99.99, 100.0, 333.33, 1000.0]),
)


def schedule(lines: list[tuple[str, str, int, int | None, float]]) -> pl.DataFrame:
    """A line schedule (the MRR engine's input) of plain lines, no renewals."""
    return pl.DataFrame(
        {
            "customer_id": [c for c, *_ in lines],
            "contract_id": [f"K{i}" for i in range(len(lines))],
            "line_id": ["1"] * len(lines),
            "product": [p for _, p, *_ in lines],
            "line_mrr": [v for *_, v in lines],
            "line_mrr_ccy": [v for *_, v in lines],
            "currency": ["NOK"] * len(lines),
            "start_date": [_day(s) for _, _, s, _, _ in lines],
            "end_date": [None if n is None else _day(s + n) for _, _, s, n, _ in lines],
            "renewal_start": [None] * len(lines),
            "renewal_term_months": [12] * len(lines),
            "uplift": [1.0] * len(lines),
        },
        schema_overrides={
            "customer_id": pl.String,
            "contract_id": pl.String,
            "line_id": pl.String,
            "product": pl.String,
            "line_mrr": pl.Float64,
            "line_mrr_ccy": pl.Float64,
            "currency": pl.String,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "renewal_start": pl.Date,
            "renewal_term_months": pl.Int64,
            "uplift": pl.Float64,
        },
    )


def reference_mrr(
    lines: list[tuple[str, str, int, int | None, float]], key: tuple[str, ...], on: dt.date
) -> float:
    """SPEC §4 read literally: the sum over lines of ``key`` active on the last day of ``on``."""
    last = (on.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return sum(
        v
        for c, p, s, n, v in lines
        if (c, p)[: len(key)] == key and _day(s) <= last and (n is None or last <= _day(s + n))
    )


CUSTOMERS = pl.DataFrame({"customer_id": ["a", "b", "c", "d"]})


@settings(max_examples=40, deadline=None)
@given(
    lines=st.lists(line, max_size=8),
    window=st.integers(1, 14),
    by_product=st.booleans(),
)
def test_retention_invariants_and_reference_on_random_lines(
    lines: list[tuple[str, str, int, int | None, float]], window: int, by_product: bool
) -> None:
    # Invariants: 0 ≤ GRR ≤ 1, GRR ≤ NRR, start + movements = end exactly, retained =
    # start + contraction + churn exactly. Reference: the cohort's sums recomputed from
    # the lines, one month at a time.
    first, last = dt.date(2024, 10, 1), dt.date(2025, 12, 1)
    by = "product" if by_product else None
    table = retention_table(Book(schedule(lines), CUSTOMERS), first, last, window=window, by=by)
    assert table.columns == [*([by] if by else []), *NRR_COLUMNS]
    for row in table.iter_rows(named=True):
        start, end = row["start_mrr"], row["end_mrr"]
        moves = row["cohort_expansion"] + row["cohort_contraction"] + row["cohort_churn"]
        assert start + moves == end
        assert start + row["cohort_contraction"] + row["cohort_churn"] == row["retained_mrr"]
        assert row["cohort_expansion"] >= 0 >= row["cohort_contraction"]
        assert row["cohort_churn"] <= 0
        if start > 0:
            assert 0 <= row["grr"] <= 1 + 1e-12
            assert row["grr"] <= row["nrr"] + 1e-12
            assert 0 <= row["logo_retention"] <= 1
        else:
            assert row["nrr"] is None
            assert row["cohort_customers"] == 0

        keys = sorted(
            {(c, p)[: 2 if by else 1] for c, p, *_ in lines if not by or p == row["product"]}
        )
        start_month = row["start_month"]
        cohort = [k for k in keys if reference_mrr(lines, k, start_month) > 0]
        want_start = sum(reference_mrr(lines, k, start_month) for k in cohort)
        want_end = sum(reference_mrr(lines, k, row["month"]) for k in cohort)
        assert row["cohort_customers"] == len(cohort)
        assert float(start) == pytest.approx(want_start, abs=1e-6)
        assert float(end) == pytest.approx(want_end, abs=1e-6)
