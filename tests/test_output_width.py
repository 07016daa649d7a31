"""Tables that fit the width, ``--columns`` in every format, and the format an ``--out``
suffix means (SPEC §13)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revcli.output.plain import render_markdown
from revcli.output.render import MAX_CELL, MIN_CUT, fit_columns, render_table, sparkline
from revcli.output.report import ColumnKind, Report
from tests.conftest import SAMPLE, Golden, MakeDir, Run

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


def test_a_narrow_sparkline_keeps_the_latest_months_or_is_left_out(run: Run) -> None:
    # "MRR " + 7 + " " + sparks + " " + 7: at 22 characters two months fit (2026-10 and
    # 2026-11, lowest and highest); at 21 only one would, and a cut label would name
    # another month ("2026-1"), so there is no sparkline line at all.
    text = _table(run, ["mrr", "--from", "2025-01", "--to", "2026-11"], "22")
    assert text.splitlines()[-1] == "MRR 2026-10 ▁█ 2026-11"
    narrow = _table(run, ["mrr", "--from", "2025-01", "--to", "2026-11"], "21")
    assert "MRR 2026" not in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 21


def test_a_single_month_has_no_sparkline(run: Run) -> None:
    text = _table(run, ["mrr", "--month", "2026-11"], "100")
    assert "▄" not in text and not text.splitlines()[-1].startswith("MRR ")


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


def test_a_long_text_column_leaves_room_for_the_important_numbers_after_it() -> None:
    widths = {"name": 110, "month": 7, "mrr": 8, "note": 30}
    order = ["name", "month", "mrr", "note"]
    text, important = {"name", "note"}, {"name", "month", "mrr"}
    # 40 wide: the numbers after name need month 7 + 3 and mrr 8 + 3 = 21; name gets
    # 40 - 3 - 21 = 16; month and mrr then use the last 21; note (10 at least) is left out.
    assert fit_columns(order, widths, text, 40, important) == (
        ["name", "month", "mrr"],
        {"name": 16},
    )
    # 30 wide: 30 - 3 - 21 = 6 is under MIN_CUT, so name takes 10 (13 with the gap);
    # month takes 10 of the 17 left; mrr (11) does not fit in 7 and ends the table; the
    # 7 left over go back to name: 17.
    assert fit_columns(order, widths, text, 30, important) == (["name", "month"], {"name": 17})
    # note is text, and not important: name reserves no room for it
    assert fit_columns(order, widths, text, 40, important | {"note"})[1] == {"name": 16}
    # 8 wide: the first column is always shown, cut to the 8 - 3 = 5 there are
    assert fit_columns(order, widths, text, 8, important) == (["name"], {"name": 5})
    # a first text column wider than the table is cut to the table even without
    # important columns (it used to be kept whole and crop the table): 40 - 3 = 37
    assert fit_columns(order, widths, text, 40) == (["name"], {"name": 37})


@given(
    columns=st.lists(
        st.tuples(st.integers(1, 120), st.booleans(), st.booleans()), min_size=1, max_size=8
    ),
    width=st.integers(1, 200),
)
def test_fit_never_cuts_a_number_and_never_overflows(
    columns: list[tuple[int, bool, bool]], width: int
) -> None:
    order = [f"c{i}" for i in range(len(columns))]
    widths = {n: w for n, (w, _, _) in zip(order, columns, strict=True)}
    text = {n for n, (_, is_text, _) in zip(order, columns, strict=True) if is_text}
    important = {n for n, (_, _, imp) in zip(order, columns, strict=True) if imp}
    kept, cut = fit_columns(order, widths, text, width, important)
    assert kept == order[: len(kept)] and kept
    assert set(cut) <= text & set(kept)
    assert all(cut[n] < widths[n] for n in cut)
    assert all(cut[n] >= MIN_CUT for n in cut if n != order[0])
    total = sum(cut.get(n, widths[n]) + 3 for n in kept)
    # only a first column that is a number wider than the table, or a table too narrow
    # for one character of text, overflows
    assert total <= width or (len(kept) == 1 and (order[0] not in text or width < 4))


_LONG_NAME = "Aktieselskabet " + "Langtnavn" * 10 + " AS"  # 15 + 90 + 3 = 108 characters
_ONE_CUSTOMER = {
    "contracts/CTR-001.yaml": """\
        contract_id: CTR-001
        customer_id: CUST-001
        start_date: 2026-01-01
        end_date: 2026-12-31
        billing_period: year
        lines:
          - product: PRO
            quantity: 10
            unit_price: 490.00
            price_period: month
        """,
}


def _one_customer(make_data_dir: MakeDir, name: str) -> Path:
    root = make_data_dir(_ONE_CUSTOMER)
    # a name with a line break in it is quoted, as a spreadsheet writes it
    (root / "customers.csv").write_bytes(
        f'customer_id,name,country\nCUST-001,"{name}",NO\n'.encode()
    )
    return root


def _narrow(run: Run, root: Path, width: int, *args: str) -> list[str]:
    result = run(*args, "--data", root, "-f", "table", env={"COLUMNS": str(width), "NO_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    assert all(line == line.rstrip() for line in lines)
    return lines


def test_a_long_customer_name_is_cut_so_the_numbers_of_mrr_show(
    run: Run, make_data_dir: MakeDir
) -> None:
    root = _one_customer(make_data_dir, _LONG_NAME)
    lines = _narrow(run, root, 80, "mrr", "-m", "2026-03", "--by", "name")
    # MRR = 10 × 490.00 = 4,900.00, ARR 12 × that = 58,800.00. Widths (widest of label,
    # cells, total) plus 3 each: month 7 → 10, MRR 8 → 11, net change 10 → 13, ARR 9 → 12,
    # cust. 5 → 8, growth "0.00 %" 6 → 9, new 4 → 7, … The numbers after name need more
    # than 80, so name first takes 10 (13): 67 left, then month 57, MRR 46, net change 33,
    # ARR 21, cust. 13, growth 4; new (7) does not fit; the 4 left go back to name: 14,
    # its first 13 characters and "…".
    assert (
        lines[2]
        == "  name             month          MRR         ARR   cust.   net change   growth"
    )
    assert (
        lines[4]
        == "  Aktieselskabe…   2026-03   4,900.00   58,800.00       1         0.00   0.00 %"
    )
    notes = " ".join(" ".join(lines).split())
    assert "Not shown at 80 characters wide: new, churn," in notes
    assert "Cut short with …: name." in notes
    # only the columns asked for: name leaves month 7 + 3 and MRR 8 + 3 = 21 of 80 - 3,
    # so it is 56 wide: 55 characters and "…"
    lines = _narrow(
        run, root, 80, "mrr", "-m", "2026-03", "--by", "name", "--columns", "name,month,mrr"
    )
    assert lines[4] == f"  {_LONG_NAME[:55]}…   2026-03   4,900.00"
    assert "Not shown" not in "\n".join(lines)
    assert "Cut short with …: name." in lines


def test_a_long_customer_name_leaves_room_for_the_risk_score(
    run: Run, make_data_dir: MakeDir
) -> None:
    root = _one_customer(make_data_dir, _LONG_NAME)
    lines = _narrow(run, root, 60, "risk", "--as-of", "2026-11-01")
    # customer 8 → 11, 49 left; after name come ARR at risk (label 11 → 14) and score
    # (label 5 → 8), 22 together, so name gets 49 - 3 - 22 = 24: 23 characters and "…".
    # reasons (text, 10 at least) no longer fits and is left out.
    assert lines[2] == "  customer   name                       score   ARR at risk"
    assert lines[4].startswith("  CUST-001   Aktieselskabet Langtnav…   ")
    notes = " ".join(" ".join(lines).split())
    assert "Not shown at 60 characters wide: reasons, arr." in notes


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_line_break_in_a_name_shows_as_a_mark_in_a_table_only(
    run: Run, make_data_dir: MakeDir, newline: str
) -> None:
    root = _one_customer(make_data_dir, f"Nord{newline}lys AS")
    lines = _narrow(run, root, 80, "mrr", "-m", "2026-03", "--by", "name")
    # "Nord↵lys AS" is 11 wide: name takes 10 first, and gets the 1 it lacks back from the
    # 4 that growth leaves (as in the test above), so it is shown whole, on one line.
    assert (
        lines[4] == "  Nord↵lys AS   2026-03   4,900.00   58,800.00       1         0.00   0.00 %"
    )
    assert lines[5].startswith(" ━")
    csv_out = run("mrr", "--data", root, "-m", "2026-03", "--by", "name", "-f", "csv").stdout
    # the loader reads a quoted CRLF as a line break too; the CSV keeps the break as it is
    assert '"Nord\nlys AS"' in csv_out


def test_every_kind_of_line_break_is_one_mark() -> None:
    import polars as pl

    # \r\n is one break, as str.splitlines counts it; a lone \r and U+2028 are breaks too
    frame = pl.DataFrame({"note": ["a\r\nb\rc\u2028d"]})
    report = Report(title="Notes", frame=frame, kinds={"note": ColumnKind.TEXT})
    assert render_table(report, 40, color=False).splitlines()[4] == "  a↵b↵c↵d"


def test_control_characters_that_python_splits_lines_at_are_shown_as_codes() -> None:
    import polars as pl

    # str.splitlines breaks at VT, FF, U+001C-U+001E and U+0085 too, but a person never
    # writes them as line breaks: a table and Markdown show them as codes, not as ↵.
    text = "a\vb\fc\x1cd\x1de\x1ef\x85g"
    report = Report(
        title="Notes", frame=pl.DataFrame({"note": [text]}), kinds={"note": ColumnKind.TEXT}
    )
    shown = "a<U+000B>b<U+000C>c<U+001C>d<U+001D>e<U+001E>f<U+0085>g"
    assert render_table(report, None, color=False).splitlines()[4] == "  " + shown
    assert f"| {shown} |" in render_markdown(report).replace("&lt;", "<")


def test_a_text_longer_than_the_cell_limit_is_cut_even_in_a_whole_table() -> None:
    import polars as pl

    # Printed whole (no width), a 500-character limit still holds: the first 499
    # characters and "…"; a cell of exactly 500 is shown as it is, and numbers never.
    long, exact = "a" * 2_000_000, "b" * MAX_CELL
    frame = pl.DataFrame({"note": [long, exact], "n": [1, 2]})
    report = Report(
        title="Notes", frame=frame, kinds={"note": ColumnKind.TEXT, "n": ColumnKind.COUNT}
    )
    lines = render_table(report, None, color=False).splitlines()
    assert MAX_CELL == 500
    assert lines[4] == "  " + "a" * 499 + "…   1"
    assert lines[5] == "  " + "b" * 500 + "   2"
    assert lines[-1] == "Cut short with …: note."


def test_the_cell_limit_never_cuts_a_code_in_two() -> None:
    import polars as pl

    # 495 letters and three vertical tabs show as 495 + 3 × 8 = 519 characters: more than
    # 500, so the cell keeps what fits in 499 with "…" after it: the letters, and no code
    # (the first would end at 503).
    frame = pl.DataFrame({"note": ["a" * 495 + "\v" * 3]})
    report = Report(title="Notes", frame=frame, kinds={"note": ColumnKind.TEXT})
    lines = render_table(report, None, color=False).splitlines()
    assert lines[4] == "  " + "a" * 495 + "…"


def test_the_cell_limit_counts_characters_and_cells_and_never_splits_a_letter() -> None:
    import polars as pl

    # 300 × "é" written as e + combining accent: 600 characters, 300 cells. Cut by its
    # characters: 499 would end on a bare "e", so the cut steps back to 498 (249 whole
    # letters) and "…". 600 zero-width spaces take no cell and are cut the same way.
    # 303 CJK letters are 606 cells: the table cuts them to 500 cells: 249 letters (498),
    # then "…" after a space, as a two-cell letter does not fit the 499th cell.
    # Each column is named in the note; none used to be, and the CJK name was cut at
    # 303 cells for being 303 characters long.
    accents, spaces, wide = "e\u0301" * 300, "\u200b" * 600 + "end", "\u4e2d" * 303
    frame = pl.DataFrame({"a": [accents], "z": [spaces], "w": [wide]})
    kinds = dict.fromkeys(frame.columns, ColumnKind.TEXT)
    lines = render_table(Report(title="T", frame=frame, kinds=kinds), None, color=False)
    row = lines.splitlines()[4]
    assert row.startswith("  " + "e\u0301" * 249 + "…   " + "\u200b" * 499 + "…   ")
    assert row.endswith("   " + "\u4e2d" * 249 + " …")
    assert lines.splitlines()[-1] == "Cut short with …: a, z, w."
    # Wide letters that fit are shown whole.
    frame = pl.DataFrame({"w": ["\u4e2d" * 200]})
    whole = render_table(Report(title="T", frame=frame, kinds={"w": ColumnKind.TEXT}), None)
    assert "\u4e2d" * 200 in whole and "Cut short" not in whole


def test_a_name_of_millions_of_characters_is_cut_in_a_piped_table_and_kept_in_csv(
    run: Run, make_data_dir: MakeDir
) -> None:
    name = "Nordlys " + "x" * 3_000_000
    root = _one_customer(make_data_dir, name)
    args = ("mrr", "--data", root, "-m", "2026-03", "--by", "name")
    table = run(*args, "-f", "table", env={"NO_COLOR": "1"})
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[4].startswith("  Nordlys " + "x" * 491 + "…   2026-03   4,900.00")
    assert "Cut short with …: name." in lines
    assert name in run(*args, "-f", "csv").stdout


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
    # The table of the usual columns points at the formats with all of them; one cut to
    # --columns does not: every format then holds only the columns asked for.
    hint = "All columns: --format csv|json|markdown."
    assert hint in " ".join(_table(run, ["renewals"], None).split())
    assert "All columns" not in table


def test_unknown_column_is_a_usage_error_listing_the_columns(run: Run) -> None:
    result = run("mrr", "--data", SAMPLE, "--format", "csv", "--columns", "month,revenue")
    assert result.exit_code == 2
    assert "revenue is not a column of this report" in result.stderr
    assert "month, mrr, arr" in result.stderr


@pytest.mark.parametrize(
    ("columns", "problem"),
    [
        ("mrr,,arr", "an empty column name (two commas in a row)"),
        ("mrr, ,arr", "an empty column name (two commas in a row)"),
        ("mrr,arr,", "an empty column name (a comma at the end)"),
        (",mrr", "an empty column name (a comma at the start)"),
        ("mrr,,mrr", "an empty column name (two commas in a row)"),
        ("mrr,arr,mrr", "mrr is given twice"),
        ("month, mrr,mrr ", "mrr is given twice"),
        ("mrr,arr,mrr,arr", "mrr, arr are given twice"),
        ("mrr,mrr,mrr", "mrr is given more than once"),
    ],
)
def test_an_empty_or_repeated_column_name_is_a_usage_error(
    run: Run, columns: str, problem: str
) -> None:
    # `--columns mrr,,mrr` printed one mrr column: the empty name and the repeat were
    # dropped without a word, hiding a slip (a name left out, one pasted twice).
    result = run("mrr", "--data", SAMPLE, "-m", "2026-11", "-f", "csv", "--columns", columns)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: --columns: {problem}\n"


@pytest.mark.parametrize("columns", ["", "  "])
def test_columns_naming_nothing_is_a_usage_error_listing_the_columns(
    run: Run, columns: str
) -> None:
    result = run("mrr", "--data", SAMPLE, "-m", "2026-11", "-f", "csv", "--columns", columns)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("error: --columns: names no column; its columns are month,")


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
