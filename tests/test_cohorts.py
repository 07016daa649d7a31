"""The cohort table (SPEC §5): hand-computed cells, the heat map, and a reference check."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.data.validate import load_dataset
from revcli.metrics.cohorts import (
    COHORT_COLUMNS,
    CohortMetric,
    cohort_report,
    cohort_table,
    heatmap,
)
from revcli.metrics.mrr import Book
from revcli.output.render import heat_style, render_table
from revcli.output.report import ColumnKind, Report
from tests.conftest import MakeDir, Run
from tests.test_retention import MIXED, line, month, reference_mrr, retention_dir, schedule

# MIXED, month by month (MRR at each month's end):
#   A 1,000 from 2024-01, + ADDON 500 from 2025-07      → cohort 2024-01
#   B 2,000 from 2024-06 to 2025-06                      → cohort 2024-06
#   C 800 from 2024-01 to 2025-03, then 600              → cohort 2024-01
#   D 700 from 2025-03                                   → cohort 2025-03
#   E 900 from 2024-01 to 2024-10, again from 2025-05    → cohort 2024-01 (returns)
#   F 1,200 from 2024-01 to 2025-04, again from 2025-07  → cohort 2024-01 (returns)


def cells(make_data_dir: MakeDir, first: str, last: str) -> pl.DataFrame:
    data = load_dataset(retention_dir(make_data_dir, MIXED))
    return cohort_table(Book.of(data), month(first), month(last))


def cell(table: pl.DataFrame, cohort: str, when: str) -> dict[str, Any]:
    rows = table.filter(
        (pl.col("cohort") == month(cohort)) & (pl.col("month") == month(when))
    ).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_cohort_is_the_month_first_active_and_a_return_starts_none(
    make_data_dir: MakeDir,
) -> None:
    # A, C, E, F start in 2024-01 (4 members), B in 2024-06, D in 2025-03. E's and F's
    # returns in 2025 do not open cohorts of their own.
    table = cells(make_data_dir, "2024-01", "2025-07")
    sizes = table.filter(pl.col("age") == 0).select("cohort", "cohort_customers").rows()
    assert sizes == [(month("2024-01"), 4), (month("2024-06"), 1), (month("2025-03"), 1)]
    assert table.columns == list(COHORT_COLUMNS)


def test_age_zero_is_the_cohort_month_with_both_shares_one(make_data_dir: MakeDir) -> None:
    # start MRR of 2024-01 = A 1,000 + C 800 + E 900 + F 1,200 = 3,900.
    row = cell(cells(make_data_dir, "2024-01", "2025-07"), "2024-01", "2024-01")
    assert row["age"] == 0
    assert row["start_mrr"] == row["mrr"] == Decimal(3900)
    assert (row["mrr_share"], row["customer_share"]) == (1.0, 1.0)


def test_churned_member_leaves_the_cohort_shares(make_data_dir: MakeDir) -> None:
    # 2024-11 (age 10): E ended 2024-10-31. MRR 1,000 + 800 + 1,200 = 3,000;
    # 3,000 / 3,900 = 0.769231; 3 of 4 members active = 0.75.
    row = cell(cells(make_data_dir, "2024-01", "2025-07"), "2024-01", "2024-11")
    assert row["age"] == 10
    assert row["mrr"] == Decimal(3000)
    assert row["active_customers"] == 3
    assert row["mrr_share"] == pytest.approx(3000 / 3900)
    assert row["customer_share"] == pytest.approx(0.75)


def test_member_who_returns_counts_again(make_data_dir: MakeDir) -> None:
    # 2025-05 (age 16): E is back at 900, F has left (ended 04-30), C pays 600.
    # MRR 1,000 + 600 + 900 + 0 = 2,500 → 2,500 / 3,900 = 0.641026; active A, C, E = 3.
    row = cell(cells(make_data_dir, "2024-01", "2025-07"), "2024-01", "2025-05")
    assert row["age"] == 16
    assert row["mrr"] == Decimal(2500)
    assert row["active_customers"] == 3
    assert row["mrr_share"] == pytest.approx(2500 / 3900)


def test_mrr_share_passes_one_when_the_cohort_expands(make_data_dir: MakeDir) -> None:
    # 2025-07 (age 18): A 1,000 + 500, C 600, E 900, F 1,200 (back) = 4,200;
    # 4,200 / 3,900 = 1.076923 > 1; all 4 members active again.
    row = cell(cells(make_data_dir, "2024-01", "2025-07"), "2024-01", "2025-07")
    assert row["mrr"] == Decimal(4200)
    assert row["mrr_share"] == pytest.approx(4200 / 3900)
    assert row["mrr_share"] > 1
    assert row["customer_share"] == pytest.approx(1.0)


def test_cohort_that_churns_entirely_shows_zero_shares(make_data_dir: MakeDir) -> None:
    # B (alone in 2024-06) pays 2,000 up to 2025-06 and nothing in 2025-07 (age 13).
    table = cells(make_data_dir, "2024-01", "2025-07")
    assert cell(table, "2024-06", "2025-06")["mrr_share"] == 1.0
    row = cell(table, "2024-06", "2025-07")
    assert row["age"] == 13
    assert (row["mrr"], row["active_customers"]) == (Decimal(0), 0)
    assert (row["mrr_share"], row["customer_share"]) == (0.0, 0.0)


def test_from_and_to_restrict_the_cohorts_and_the_months(make_data_dir: MakeDir) -> None:
    # 2024-06..2025-03: cohorts 2024-06 (B; months 2024-06..2025-03, ages 0..9) and
    # 2025-03 (D; age 0 only). 2024-01 started before --from.
    table = cells(make_data_dir, "2024-06", "2025-03")
    assert table.group_by("cohort").agg(pl.col("age").max()).sort("cohort").rows() == [
        (month("2024-06"), 9),
        (month("2025-03"), 0),
    ]
    assert table.get_column("month").max() == month("2025-03")


def test_no_cohort_in_range_gives_an_empty_table(make_data_dir: MakeDir) -> None:
    table = cells(make_data_dir, "2023-01", "2023-12")
    assert table.height == 0
    wide, ages = heatmap(table, CohortMetric.REVENUE)
    assert (wide.height, ages) == (0, [])


def test_heatmap_has_one_row_per_cohort_and_one_column_per_age(make_data_dir: MakeDir) -> None:
    table = cells(make_data_dir, "2024-01", "2025-07")
    wide, ages = heatmap(table, CohortMetric.REVENUE)
    assert ages == [f"age_{a}" for a in range(19)]
    assert wide.columns == ["cohort", "cohort_customers", "start_mrr", *ages]
    first, second, third = wide.to_dicts()
    assert first["age_18"] == pytest.approx(4200 / 3900)
    assert (second["age_12"], second["age_13"], second["age_14"]) == (1.0, 0.0, None)
    assert third["cohort"] == month("2025-03")
    assert (third["age_4"], third["age_5"]) == (1.0, None)  # 2025-03..07 is ages 0..4


def test_heatmap_of_logos_shows_the_customer_share(make_data_dir: MakeDir) -> None:
    wide, _ = heatmap(cells(make_data_dir, "2024-01", "2025-07"), CohortMetric.LOGOS)
    assert wide.row(0, named=True)["age_10"] == pytest.approx(0.75)  # 3 of 4 in 2024-11


@pytest.mark.parametrize(
    ("share", "style"),
    [
        ("1.2", "black on bright_green"),
        ("1.00", "black on bright_green"),
        ("0.99", "black on green"),
        ("0.90", "black on green"),
        ("0.89", "black on bright_yellow"),
        ("0.75", "black on bright_yellow"),
        ("0.74", "black on yellow"),
        ("0.50", "black on yellow"),
        ("0.49", "white on red"),
        ("0", "white on red"),
    ],
)
def test_heat_style_bands(share: str, style: str) -> None:
    assert heat_style(Decimal(share)) == style


def test_share_cells_are_shaded_percentages_in_a_coloured_table() -> None:
    # 0.8996 shows as 90 % and takes the 90 % band's colour (green, ANSI 42).
    report = Report(
        title="t",
        frame=pl.DataFrame({"age_0": [1.0, 0.8996, None]}),
        kinds={"age_0": ColumnKind.SHARE},
    )
    coloured = render_table(report, color=True)
    plain = render_table(report, color=False)
    assert "100 %" in plain
    assert "90 %" in plain
    assert "\x1b[30;42m" in coloured
    assert "\x1b[30;102m" in coloured
    assert "\x1b" not in plain


# --- a reference check on random data ---------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(lines=st.lists(line, max_size=8))
def test_cohort_cells_match_month_by_month_sums(
    lines: list[tuple[str, str, int, int | None, float]],
) -> None:
    first, last = dt.date(2024, 1, 1), dt.date(2025, 12, 1)
    table = cohort_table(Book(schedule(lines)), first, last)
    months = pl.date_range(first, last, interval="1mo", eager=True).to_list()
    customers = sorted({c for c, *_ in lines})
    mrr = {(c, m): reference_mrr(lines, (c,), m) for c in customers for m in months}
    cohort_of = {
        c: next(m for m in months if mrr[c, m] > 0)
        for c in customers
        if any(mrr[c, m] > 0 for m in months)
    }
    expected = {
        (k, m): (
            sum(mrr[c, m] for c in cohort_of if cohort_of[c] == k),
            sum(1 for c in cohort_of if cohort_of[c] == k and mrr[c, m] > 0),
        )
        for k in set(cohort_of.values())
        for m in months
        if m >= k
    }
    assert table.height == len(expected)
    for row in table.iter_rows(named=True):
        want_mrr, want_active = expected[row["cohort"], row["month"]]
        assert float(row["mrr"]) == pytest.approx(want_mrr, abs=1e-6)
        assert row["active_customers"] == want_active
        if row["age"] == 0:
            assert (row["mrr_share"], row["customer_share"]) == (1.0, 1.0)
        assert 0 <= row["customer_share"] <= 1


def test_weighted_row_pools_every_cohort_that_reached_the_age(make_data_dir: MakeDir) -> None:
    # Cohorts 2024-01 (A, C, E, F: start 3,900), 2024-06 (B: 2,000), 2025-03 (D: 700).
    # Age 10 is reached by 2024-01 (in 2024-11: A 1,000 + C 800 + F 1,200 = 3,000, E gone)
    # and by 2024-06 (in 2025-04: B 2,000); 2025-03 is only 4 months old by 2025-07.
    # Pooled: (3,000 + 2,000) / (3,900 + 2,000) = 5,000 / 5,900; customers (3 + 1) / (4 + 1).
    data = load_dataset(retention_dir(make_data_dir, MIXED))
    revenue = cohort_report(data, month("2024-01"), month("2025-07"), pivot=True)
    assert revenue.totals is not None
    assert revenue.totals["cohort_label"] == "weighted"
    assert revenue.totals["cohort_customers"] == 6
    assert revenue.totals["start_mrr"] == Decimal(6600)
    assert revenue.totals["age_0"] == pytest.approx(1.0)
    assert revenue.totals["age_10"] == pytest.approx(5000 / 5900)
    # Age 16 is reached by 2024-01 alone: 2,500 / 3,900 (see the test above).
    assert revenue.totals["age_16"] == pytest.approx(2500 / 3900)
    logos = cohort_report(data, month("2024-01"), month("2025-07"), CohortMetric.LOGOS, pivot=True)
    assert logos.totals is not None
    assert logos.totals["age_10"] == pytest.approx(4 / 5)


def test_cohorts_smaller_than_the_setting_are_marked(make_data_dir: MakeDir) -> None:
    # With min_customers 2, the one-member cohorts 2024-06 (B) and 2025-03 (D) are
    # small; 2024-01 has four members.
    data = load_dataset(retention_dir(make_data_dir, MIXED))
    report = cohort_report(data, month("2024-01"), month("2025-07"), pivot=True, min_customers=2)
    assert report.frame.get_column("cohort_label").to_list() == [
        "2024-01",
        "2024-06 *",
        "2025-03 *",
    ]
    assert list(report.row_styles) == ["", "italic", "italic"]
    assert any(n.startswith("* 2 cohorts of fewer than 2 customers") for n in report.notes)
    text = render_table(report, width=400, color=False)
    assert "2024-06 *" in text
    assert text.splitlines()[-8].lstrip().startswith("weighted")  # above 7 footer lines


def test_min_customers_comes_from_the_settings(make_data_dir: MakeDir, run: Run) -> None:
    # Default 5 marks every cohort of MIXED (4, 1 and 1 members); min_customers 1 none.
    root = retention_dir(make_data_dir, MIXED)
    args = ("cohorts", "--data", root, "--from", "2024-01", "--to", "2025-07", "--format", "table")
    assert run(*args).stdout.count(" * ") >= 3
    settings = root / "revcli.yaml"
    settings.write_text(settings.read_text() + "cohorts:\n  min_customers: 1\n")
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert "2024-01 *" not in result.stdout
    settings.write_text(settings.read_text().replace("min_customers: 1", "min_customers: -3"))
    bad = run("validate", "--data", root)
    assert bad.exit_code == 1
    assert "revcli.yaml:" in bad.stdout
    assert "cohorts.min_customers: '-3' must be a whole number of at least 0" in bad.stdout
    # A whole number too large for any setting says so, rather than that it is no whole
    # number (it has more than the 9 digits a setting may have).
    for huge in ("99999999999999999999999", "0001000000000"):
        settings.write_text(
            re.sub(r"min_customers: \S+", f"min_customers: {huge}", settings.read_text())
        )
        bad = run("validate", "--data", root)
        assert bad.exit_code == 1
        assert f"cohorts.min_customers: '{huge}' must be at most 1000000" in bad.stdout
    settings.write_text(
        re.sub(r"min_customers: \S+", "min_customers: -99999999999", settings.read_text())
    )
    assert (
        "'-99999999999' must be a whole number of at least 0"
        in run("validate", "--data", root).stdout
    )


def test_empty_starting_groups_and_spans_say_why(make_data_dir: MakeDir, run: Run) -> None:
    # MIXED starts in 2024-01: twelve months before 2024-06 nobody was active, so NRR, GRR
    # and logos are blank, and no cohort starts in 2023: each table says so in a note.
    root = retention_dir(make_data_dir, MIXED)
    nrr = run("nrr", "--data", root, "--month", "2024-06", "--format", "csv")
    assert nrr.exit_code == 0, nrr.stderr
    assert nrr.stdout.splitlines()[1].split(",")[3] == "0"  # cohort_customers
    table = run("nrr", "--data", root, "--month", "2024-06", "--format", "markdown").stdout
    assert "Blank NRR, GRR and logos: no customer was active at the end of the start" in table
    later = run("nrr", "--data", root, "--month", "2025-06", "--format", "markdown").stdout
    assert "Blank NRR" not in later
    args = ("cohorts", "--data", root, "--format", "markdown")
    empty = run(*args, "--from", "2023-01", "--to", "2023-12").stdout
    assert "No customer was first active in 2023-01 – 2023-12." in empty
    assert (
        "No customer was first active"
        not in run(*args, "--from", "2024-01", "--to", "2024-03").stdout
    )
