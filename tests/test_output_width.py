"""Tables that fit the width, ``--columns`` in every format, and the format an ``--out``
suffix means (SPEC §13)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from revcli.output.render import MIN_CUT, fit_columns, sparkline
from tests.conftest import SAMPLE, Golden, Run

AS_OF = "2026-11-23"

REPORTS: dict[str, list[str]] = {
    "mrr": ["mrr", "--from", "2025-12", "--to", "2026-11"],
    "mrr-by-segment": ["mrr", "--from", "2026-06", "--to", "2026-11", "--by", "segment"],
    "nrr": ["nrr", "--from", "2025-12", "--to", "2026-11"],
    "cohorts": ["cohorts", "--from", "2025-12", "--to", "2026-11"],
    "pipeline": ["pipeline"],
    "renewals": ["renewals"],
    "risk": ["risk", "--top", "8"],
    "forecast": ["forecast"],
}


def _table(run: Run, args: list[str], columns: str | None) -> str:
    result = run(
        *args,
        "--data",
        SAMPLE,
        "--as-of",
        AS_OF,
        "--format",
        "table",
        env={"COLUMNS": columns, "NO_COLOR": "1"},
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_fits_the_width_and_no_line_ends_in_spaces(
    run: Run, name: str, width: int
) -> None:
    text = _table(run, REPORTS[name], str(width))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert all(line == line.rstrip() for line in lines)


@pytest.mark.parametrize("name", list(REPORTS))
def test_narrow_tables_golden(run: Run, golden: Golden, name: str) -> None:
    golden(f"width/{name}-80.table", _table(run, REPORTS[name], "80"))


def test_narrow_mrr_keeps_the_most_important_columns_and_names_the_rest(run: Run) -> None:
    text = _table(run, REPORTS["mrr"], "80")
    header = text.splitlines()[2].split()
    # month 7 + 3, MRR 12 + 3, ARR 13 + 3, customers 5 + 3, net change 12 + 3, growth 7 + 3
    # = 74 of 80; "new" (10 wide, 13 with the gap) would make 87: it and every later
    # movement are left out.
    assert header == ["month", "MRR", "ARR", "cust.", "net", "change", "growth"]
    assert "new, churn, expansion, downgrade, cancellation, upgrade, reactivation" in " ".join(
        text.split()
    )
    assert "--columns" in text


def test_a_table_piped_without_columns_is_printed_whole(run: Run) -> None:
    text = _table(run, REPORTS["mrr"], None)
    header = text.splitlines()[2].split()
    assert header[:4] == ["month", "MRR", "ARR", "cust."]
    assert "reactiv." in header
    assert "Not shown" not in text
    assert max(len(line) for line in text.splitlines()) > 120


def test_mrr_table_ends_with_a_sparkline_of_the_shown_months(run: Run) -> None:
    text = _table(run, ["mrr", "--from", "2026-09", "--to", "2026-11"], "100")
    # MRR 4,225,567.54 → 4,289,458.42 → 4,349,656.55: lowest, in between, highest.
    # (4,289,458.42 − 4,225,567.54) / (4,349,656.55 − 4,225,567.54) × 7 = 3.60 → ▅
    assert text.splitlines()[-1] == "MRR 2026-09 ▁▅█ 2026-11"


def test_sparkline_scales_from_lowest_to_highest() -> None:
    # 0, 7 and 14 of 14 → levels 0, 3.5 (rounds to 4) and 7
    assert sparkline([10.0, 17.0, 24.0]) == "▁▅█"
    assert sparkline([5.0, 5.0]) == "▄▄"


def test_fit_keeps_columns_in_priority_order_and_cuts_the_first_text_column_that_does_not_fit() -> (
    None
):
    widths = {"id": 5, "amount": 10, "reason": 40, "other": 3}
    order = ["id", "amount", "reason", "other"]
    # 30 wide: id takes 8, amount 13 → 9 left; reason would need MIN_CUT (10) + 3: left out
    assert fit_columns(order, widths, {"reason"}, 30) == (["id", "amount"], {})
    # 40 wide: 19 left after id and amount, minus the gap: reason cut to 16
    assert fit_columns(order, widths, {"reason"}, 40) == (
        ["id", "amount", "reason"],
        {"reason": 16},
    )
    assert MIN_CUT == 10
    # no width: everything
    assert fit_columns(order, widths, {"reason"}, None) == (order, {})
    # a number column is never cut: amount (13) does not fit in 20 - 8
    assert fit_columns(order, widths, set(), 20) == (["id"], {})


def test_risk_reasons_are_cut_short_not_wrapped(run: Run) -> None:
    text = _table(run, REPORTS["risk"], "120")
    rows = [line for line in text.splitlines() if line.startswith("  C0")]
    assert len(rows) == 8  # one line per customer: no row wraps
    assert any(line.endswith("…") for line in rows)


# --- --columns ----------------------------------------------------------------------------


def test_columns_chooses_columns_and_their_order_in_csv(run: Run) -> None:
    result = run(
        "mrr", "--data", SAMPLE, "--month", "2026-11", "--format", "csv",
        "--columns", "net_change, month,mrr",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "net_change,month,mrr\n60198.13,2026-11,4349656.55\n"


def test_columns_in_json_and_table(run: Run) -> None:
    result = run(
        "pipeline", "--data", SAMPLE, "--as-of", AS_OF, "--format", "json",
        "--columns", "month,open_opportunities",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert set(json.loads(result.stdout)["rows"][0]) == {"month", "open_opportunities"}
    table = _table(run, ["renewals", "--columns", "status,contract_id"], "80")
    assert table.splitlines()[2].split() == ["status", "contract"]


def test_unknown_column_is_a_usage_error_listing_the_columns(run: Run) -> None:
    result = run("mrr", "--data", SAMPLE, "--format", "csv", "--columns", "month,revenue")
    assert result.exit_code == 2
    assert "revenue is not a column of this report" in result.stderr
    assert "month, mrr, arr" in result.stderr


# --- --out suffixes -------------------------------------------------------------------------


def test_out_with_an_unknown_suffix_is_refused_and_writes_nothing(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    result = run("mrr", "--data", SAMPLE, "--out", out)
    assert result.exit_code == 2
    assert "'.txt' is not a format this command writes" in result.stderr
    assert ".csv, .json, .md, .xlsx" in result.stderr
    assert not out.exists()


def test_out_suffix_is_free_with_format(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    result = run("mrr", "--data", SAMPLE, "--month", "2026-11", "--format", "csv", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("month,mrr,arr,")


@pytest.mark.parametrize(
    ("suffix", "start"), [(".csv", b"month,"), (".json", b"{"), (".md", b"### "), (".xlsx", b"PK")]
)
def test_out_suffix_chooses_the_format(run: Run, tmp_path: Path, suffix: str, start: bytes) -> None:
    out = tmp_path / f"report{suffix}"
    result = run("nrr", "--data", SAMPLE, "--month", "2026-11", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(start)


def test_renewals_out_knows_ics_too(run: Run, tmp_path: Path) -> None:
    bad = run("renewals", "--data", SAMPLE, "--as-of", AS_OF, "--out", tmp_path / "r.html")
    assert bad.exit_code == 2
    assert ".csv, .json, .md, .xlsx, .ics" in bad.stderr
    ics = tmp_path / "r.ics"
    assert run("renewals", "--data", SAMPLE, "--as-of", AS_OF, "--out", ics).exit_code == 0
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_invoice_list_out_is_inferred_and_refused_alike(run: Run, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(SAMPLE, root)
    bad = run("invoice", "list", "--data", root, "--out", tmp_path / "list.pdf")
    assert bad.exit_code == 2
    assert "'.pdf' is not a format" in bad.stderr


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("what", ["list", "export"])
def test_invoice_reports_fit_the_width(run: Run, issued: Path, what: str, width: int) -> None:
    result = run(
        "invoice", what, "--data", issued, "--format", "table",
        env={"COLUMNS": str(width), "NO_COLOR": "1"},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    assert all(line == line.rstrip() for line in lines)
    # the document number always shows: it is the first column of both
    assert lines[2].split()[0] == "number"
