"""``--format xlsx``: every report as an Excel sheet that equals its CSV cell by cell
(SPEC §13), read back with openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from revcli.output.report import ColumnKind, Report
from revcli.output.xlsx import render_xlsx
from tests.conftest import SAMPLE, Run

AS_OF = "2026-11-23"

REPORTS: dict[str, list[str]] = {
    "mrr": ["mrr", "--from", "2025-12", "--to", "2026-11", "--as-of", AS_OF],
    "mrr-by-segment": ["mrr", "--month", "2026-11", "--by", "segment"],
    "nrr": ["nrr", "--from", "2025-12", "--to", "2026-11", "--as-of", AS_OF],
    "cohorts": ["cohorts", "--from", "2025-12", "--to", "2026-11", "--as-of", AS_OF],
    "pipeline": ["pipeline", "--as-of", AS_OF],
    "renewals": ["renewals", "--as-of", AS_OF],
    "risk": ["risk", "--as-of", AS_OF],
    "forecast": ["forecast", "--as-of", AS_OF],
}


def _csv(run: Run, args: list[str]) -> list[list[str]]:
    result = run(*args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.reader(io.StringIO(result.stdout)))


def _as_csv_text(value: object) -> str:
    """A cell read back from the workbook, written the way the CSV writes that value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value)


def _same(sheet_value: object, csv_text: str) -> bool:
    if csv_text == "":  # an empty CSV cell is an empty cell, not a text of no characters
        return sheet_value is None
    if isinstance(sheet_value, int | float) and not isinstance(sheet_value, bool):
        return csv_text != "" and float(csv_text) == sheet_value
    return _as_csv_text(sheet_value) == csv_text


def _assert_sheet_equals_csv(path: Path, expected: list[list[str]], name: str) -> None:
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [name]
    sheet = book[name]
    got = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(got) == len(expected)
    for r, (row, want) in enumerate(zip(got, expected, strict=True), start=1):
        assert len(row) == len(want)
        for c, (value, text) in enumerate(zip(row, want, strict=True)):
            assert _same(value, text), f"row {r} {expected[0][c]}: {value!r} != {text!r}"
    assert sheet.freeze_panes == "B2"


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_as_xlsx_equals_its_csv(run: Run, tmp_path: Path, name: str) -> None:
    args = [*REPORTS[name], "--data", str(SAMPLE)]
    out = tmp_path / "report.xlsx"
    result = run(*args, "--out", out)  # the suffix alone chooses xlsx
    assert result.exit_code == 0, result.stderr
    _assert_sheet_equals_csv(out, _csv(run, args), REPORTS[name][0])


@pytest.mark.parametrize("what", ["list", "export"])
def test_invoice_list_and_export_as_xlsx_equal_their_csv(
    run: Run, tmp_path: Path, issued: Path, what: str
) -> None:
    args = ["invoice", what, "--data", str(issued)]
    out = tmp_path / "invoices.xlsx"
    assert run(*args, "--format", "xlsx", "--out", out).exit_code == 0
    _assert_sheet_equals_csv(out, _csv(run, args), f"invoice-{what}")


def test_cells_are_typed_and_formatted(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "mrr.xlsx"
    args = ["mrr", "--data", SAMPLE, "--month", "2026-11", "--out", out]
    assert run(*args).exit_code == 0
    sheet = openpyxl.load_workbook(out)["mrr"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    assert row["month"].value == "2026-11" and row["month"].data_type == "s"  # text, not a date
    assert row["mrr"].value == pytest.approx(4349656.55) and row["mrr"].number_format == "#,##0.00"
    assert row["customers"].value == 171 and row["customers"].number_format == "#,##0"
    # growth_pct stays 1.40 (a percentage already): shown "1.40 %", not scaled by 100
    assert row["growth_pct"].value == 1.4 and row["growth_pct"].number_format == '0.00" %"'

    out = tmp_path / "nrr.xlsx"
    assert run("nrr", "--data", SAMPLE, "--month", "2026-11", "--out", out).exit_code == 0
    sheet = openpyxl.load_workbook(out)["nrr"]
    header = [c.value for c in sheet[1]]
    nrr = sheet.cell(2, header.index("nrr") + 1)
    assert isinstance(nrr.value, float) and 0.5 < nrr.value < 2  # a fraction…
    assert nrr.number_format == "0.00%"  # …shown as a percentage

    out = tmp_path / "renewals.xlsx"
    assert run("renewals", "--data", SAMPLE, "--as-of", AS_OF, "--out", out).exit_code == 0
    sheet = openpyxl.load_workbook(out)["renewals"]
    header = [c.value for c in sheet[1]]
    term_end = sheet.cell(2, header.index("term_end") + 1)
    assert term_end.is_date and term_end.number_format == "yyyy-mm-dd"
    assert sheet.cell(2, header.index("auto_renew") + 1).data_type == "b"


def test_invoice_money_shows_its_currency_minor_units(
    run: Run, tmp_path: Path, issued: Path
) -> None:
    out = tmp_path / "list.xlsx"
    assert run("invoice", "list", "--data", issued, "--out", out).exit_code == 0
    sheet = openpyxl.load_workbook(out)["invoice-list"]
    header = [c.value for c in sheet[1]]
    formats = {
        (row[header.index("currency")].value, row[header.index("total")].number_format)
        for row in sheet.iter_rows(min_row=2)
    }
    # NOK, EUR, SEK and USD all have 2 minor digits (ISO 4217)
    assert formats == {(c, "#,##0.00") for c in ("NOK", "EUR", "SEK", "USD")}


def test_exact_money_keeps_the_digits_of_its_currency() -> None:
    # The register holds amounts with exactly their currency's minor digits: JPY 0, KWD 3.
    frame = pl.DataFrame({"currency": ["JPY", "KWD", "NOK"], "total": ["1000", "1.235", "12.50"]})
    report = Report(title="t", frame=frame, kinds={"total": ColumnKind.EXACT}, name="money")
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))["money"]
    assert [(c.value, c.number_format) for c in sheet["B"][1:]] == [
        (1000, "#,##0"),
        (1.235, "#,##0.000"),
        (12.5, "#,##0.00"),
    ]


def test_base_currency_money_shows_the_base_currency_minor_units() -> None:
    frame = pl.DataFrame({"mrr": [1234.5]})
    kinds = {"mrr": ColumnKind.MONEY}
    jpy = Report(title="t", frame=frame, kinds=kinds, meta={"currency": "JPY"}, name="m")
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(jpy)))["m"]
    # the value is the CSV's (rounded to 2 decimals); JPY has no minor unit to show
    assert (sheet["A2"].value, sheet["A2"].number_format) == (1234.5, "#,##0")


def test_text_is_never_a_formula_and_carries_no_prefix() -> None:
    frame = pl.DataFrame(
        {
            "customer_name": ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2", "http://x"],
            "when": [dt.date(2026, 1, 31)] * 5,
            "share": [0.5, 0.25, 1.0, 0.0, 1.5],
        }
    )
    report = Report(
        title="t",
        frame=frame,
        kinds={"when": ColumnKind.DATE, "share": ColumnKind.RATIO},
        name="hostile",
    )
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))
    sheet = book["hostile"]
    names = [sheet.cell(r, 1) for r in range(2, 7)]
    assert [c.value for c in names] == frame.get_column("customer_name").to_list()
    assert all(c.data_type == "s" for c in names)
    assert not sheet._hyperlinks  # a URL stays text, not a link


def test_the_same_report_gives_the_same_bytes(run: Run, tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for out in (first, second):
        assert run("risk", "--data", SAMPLE, "--as-of", AS_OF, "--out", out).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_xlsx_to_a_pipe_is_the_workbook(run: Run) -> None:
    result = run("pipeline", "--data", SAMPLE, "--as-of", AS_OF, "--format", "xlsx")
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"PK")


def test_meta_travels_as_document_properties() -> None:
    frame = pl.DataFrame({"month": ["2026-11"]})
    meta = {"currency": "NOK", "policy": "chartmogul", "version": 2, "by": None, "partial": True}
    report = Report(title="MRR", frame=frame, meta=meta, notes=("a note",), name="mrr")
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))
    assert book.properties.title == "MRR"
    assert book.properties.description == "a note"
    custom = {p.name: p.value for p in book.custom_doc_props.props}
    assert custom == {"currency": "NOK", "policy": "chartmogul", "version": 2, "partial": True}


def test_a_text_longer_than_an_excel_cell_is_refused_not_cut() -> None:
    # Excel holds 32,767 characters in a cell; xlsxwriter would cut a 40,000-character
    # note silently. 32,767 fit (read back whole); one more is an error naming the cell.
    from revcli.errors import RevcliError

    fits = Report(title="t", frame=pl.DataFrame({"note": ["x" * 32_767]}), kinds={}, name="n")
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(fits)))["n"]
    assert sheet.cell(2, 1).value == "x" * 32_767
    long = Report(
        title="Renewals", frame=pl.DataFrame({"note": ["ok", "y" * 40_000]}), kinds={}, name="n"
    )
    with pytest.raises(RevcliError, match=r"Renewals: note of row 2 holds 40,000 characters"):
        render_xlsx(long)


def test_a_report_longer_than_an_excel_sheet_is_refused_not_cut() -> None:
    # An Excel sheet holds 1,048,576 rows, the header one of them: 1,048,575 rows of data
    # fit, 1,048,576 do not. xlsxwriter would leave the last row out and report nothing;
    # the report stops first (cheaply: from the frame's height, before any cell is written).
    from revcli.errors import RevcliError
    from revcli.output import xlsx

    assert xlsx.MAX_ROWS == 1_048_576  # the production limit, not a lowered one
    fits = Report(title="MRR", frame=pl.DataFrame({"n": range(1_048_575)}), kinds={}, name="m")
    xlsx._check_size(fits)  # no error: header + 1,048,575 rows is the full sheet
    over = Report(title="MRR", frame=pl.DataFrame({"n": range(1_048_576)}), kinds={}, name="m")
    with pytest.raises(
        RevcliError,
        match=r"MRR: 1,048,576 rows and a header do not fit in an Excel sheet, which holds at "
        r"most 1,048,576 rows \(1,048,575 after the header\): use --format csv",
    ):
        render_xlsx(over)


def test_a_cell_xlsxwriter_cannot_write_stops_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    # The check up front is lifted so the last row reaches xlsxwriter, which refuses it
    # (-1, row 1,048,576 is past the sheet): that code stops the report too, never a
    # workbook with a row missing.
    from revcli.errors import RevcliError
    from revcli.output import xlsx

    monkeypatch.setattr(xlsx, "MAX_ROWS", 2_000_000)
    over = Report(title="MRR", frame=pl.DataFrame({"n": range(1_048_576)}), kinds={}, name="m")
    with pytest.raises(RevcliError, match=r"MRR: n of row 1048576 could not be written"):
        render_xlsx(over)


def test_a_text_longer_in_excel_units_than_in_characters_is_refused() -> None:
    # Excel counts UTF-16 units: an emoji is two. 20,000 emoji are 20,000 characters but
    # 40,000 units, more than the 32,767 a cell holds; xlsxwriter would cut them silently.
    from revcli.errors import RevcliError

    report = Report(
        title="Risk", frame=pl.DataFrame({"why": ["\U0001f600" * 20_000]}), kinds={}, name="r"
    )
    with pytest.raises(RevcliError, match=r"Risk: why of row 1 holds 40,000 characters"):
        render_xlsx(report)
    fits = Report(
        title="t", frame=pl.DataFrame({"why": ["\U0001f600" * 16_383]}), kinds={}, name="r"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(fits)))["r"]
    assert sheet.cell(2, 1).value == "\U0001f600" * 16_383


def test_an_xlsx_report_too_long_exits_1_and_writes_nothing(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sheet limit lowered to 5 rows (header + 4) so that sample_data's 12 months of
    # `mrr` are too many: the command says so, exits 1 and leaves no file.
    from revcli.output import xlsx

    monkeypatch.setattr(xlsx, "MAX_ROWS", 5)
    out = tmp_path / "mrr.xlsx"
    args = ["mrr", "--from", "2025-12", "--to", "2026-11", "--as-of", AS_OF, "--data", SAMPLE]
    result = run(*args, "--out", out)
    assert result.exit_code == 1
    assert "12 rows and a header do not fit in an Excel sheet, which holds at most 5 rows" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
    result = run(*args, "--format", "xlsx")  # to a pipe: nothing on stdout either
    assert result.exit_code == 1 and result.stdout == ""


def test_invoice_list_too_long_for_xlsx_exits_1(
    run: Run, tmp_path: Path, issued: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from revcli.output import xlsx

    monkeypatch.setattr(xlsx, "MAX_ROWS", 1)  # the header alone fills the sheet
    out = tmp_path / "invoices.xlsx"
    result = run("invoice", "list", "--data", issued, "--format", "xlsx", "--out", out)
    assert result.exit_code == 1
    assert "do not fit in an Excel sheet, which holds at most 1 rows" in result.stderr
    assert not out.exists()
