"""`revcli import csv --map`: any CRM or spreadsheet export, and the shipped HubSpot maps."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from revcli.errors import DataError
from revcli.importers.plan import plan_import
from revcli.importers.plan_output import write_plan
from revcli.importers.records import Batch
from revcli.importers.sources import read_mapped, read_xlsx
from tests.conftest import ROOT, MakeDir, Run
from tests.helpers import mrr_of, row

MAPS = ROOT / "templates" / "import"
EXAMPLES = ROOT / "docs" / "examples" / "import"
TODAY = dt.date(2026, 12, 6)

DEALS = """\
Record ID,Deal Name,Associated Company IDs,Deal Stage,Deal probability,Close Date,Monthly recurring revenue,Currency,Deal Type,Deal owner
101,Nordlys expansion,9001,Contract sent,0.8,2027-01-15,"1,200.50",NOK,Existing Business,Kari Nordmann
102,Fjell new,9002,Closed won,1,2026-11-30 10:15,900,NOK,New Business,Ola Nordmann
103,Lost one,9002,Closed lost,0,2026-10-01,300,NOK,,Ola Nordmann
"""
COMPANIES = """\
Record ID,Company name,Country/Region,Industry
9001,Nordlys AS,Norway,Software
9002,Fjell AB,sweden,Retail
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _import(path: Path, map_path: Path, root: Path, **kw: object) -> None:
    write_plan(plan_import(root, read_mapped(path, map_path), today=TODAY, **kw))  # type: ignore[arg-type]


def test_hubspot_companies_map_to_customers(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _import(_write(tmp_path, "companies.csv", COMPANIES), MAPS / "hubspot-companies.yaml", root)
    # Country names become codes (value maps match regardless of case); Industry is not mapped.
    assert (root / "customers.csv").read_text() == (
        "customer_id,name,country,source_id\n"
        "9001,Nordlys AS,NO,hubspot-companies:9001\n"
        "9002,Fjell AB,SE,hubspot-companies:9002\n"
    )


def test_hubspot_deals_map_to_opportunities(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _import(_write(tmp_path, "companies.csv", COMPANIES), MAPS / "hubspot-companies.yaml", root)
    _import(_write(tmp_path, "deals.csv", DEALS), MAPS / "hubspot-deals.yaml", root)
    lines = (root / "opportunities.csv").read_text().splitlines()
    assert lines[0] == (
        "opportunity_id,customer_id,name,stage,probability,expected_close,mrr,currency,"
        "type,owner,status,source_id"
    )
    # 101: probability 0.8 × 100 = 80; "1,200.50" → 1200.5; Existing Business → expansion.
    assert lines[1] == (
        "101,9001,Nordlys expansion,Contract sent,80,2027-01-15,1200.5,NOK,expansion,,open,"
        "hubspot-deals:101"
    )
    # 102: probability 1 × 100 = 100; the time after the close date is dropped; Closed won → won.
    assert (
        lines[2]
        == "102,9002,Fjell new,Closed won,100,2026-11-30,900,NOK,new,,won,hubspot-deals:102"
    )
    # 103: an empty Deal Type maps to no type; Closed lost → lost.
    assert lines[3] == "103,9002,Lost one,Closed lost,0,2026-10-01,300,NOK,,,lost,hubspot-deals:103"


def test_hand_added_owner_survives_a_reimport(tmp_path: Path) -> None:
    root = tmp_path / "data"
    deals = _write(tmp_path, "deals.csv", DEALS)
    _import(_write(tmp_path, "companies.csv", COMPANIES), MAPS / "hubspot-companies.yaml", root)
    _import(deals, MAPS / "hubspot-deals.yaml", root)
    path = root / "opportunities.csv"
    path.write_text(
        path.read_text().replace(",expansion,,open,", ",expansion,kari@example.no,open,")
    )
    edited = path.read_bytes()
    _import(deals, MAPS / "hubspot-deals.yaml", root)
    assert path.read_bytes() == edited
    # The source wins for what it maps: a new stage arrives, the owner stays.
    _import(
        _write(tmp_path, "deals.csv", DEALS.replace("Contract sent,0.8", "Closed won,1")),
        MAPS / "hubspot-deals.yaml",
        root,
    )
    assert (
        ",Closed won,100,2027-01-15,1200.5,NOK,expansion,kari@example.no,won," in path.read_text()
    )


SHEET_MAP = """\
table: contracts
source: sheet
id: Kontrakt
date_format: DD.MM.YYYY
decimal_comma: true
columns:
  contract_id: Kontrakt
  customer_id: Kunde
  start_date: Start
  end_date: Slutt
  billing_period:
    from: Fakturering
    values:
      månedlig: month
      årlig: year
  auto_renew:
    value: "true"
"""
LINES_MAP = """\
table: lines
source: sheet
id: Kontrakt
decimal_comma: true
columns:
  contract_id: Kontrakt
  product: Produkt
  quantity: Antall
  unit_price: Pris
  price_period:
    from: Fakturering
    values:
      månedlig: month
      årlig: year
"""
SHEET = (
    """\
Kontrakt;Kunde;Start;Slutt;Fakturering;Produkt;Antall;Pris
K1;9001;01.02.2026;31.01.2027;månedlig;Pro;3;1.234,50
K2;9002;15.03.2026;;årlig;Team;1;12 000,00
""".replace(";", ",")
    .replace("1.234,50", '"1.234,50"')
    .replace("12 000,00", '"12 000,00"')
)


def test_a_sheet_with_local_dates_and_decimal_commas_as_contracts_and_lines(
    tmp_path: Path,
) -> None:
    root = tmp_path / "data"
    _import(_write(tmp_path, "companies.csv", COMPANIES), MAPS / "hubspot-companies.yaml", root)
    sheet = _write(tmp_path, "sheet.csv", SHEET)
    _import(sheet, _write(tmp_path, "contracts.yaml", SHEET_MAP), root)
    _import(sheet, _write(tmp_path, "lines.yaml", LINES_MAP), root)
    text = (root / "contracts" / "sheet.yaml").read_text()
    assert (
        "  - contract_id: K1\n"
        "    customer_id: 9001\n"
        "    start_date: 2026-02-01\n"
        "    end_date: 2027-01-31\n"
        "    billing_period: month\n"
        "    auto_renew: true\n"
        '    source_id: "sheet:K1"\n'
        "    lines:\n"
        "      - product: Pro\n"
        "        quantity: 3\n"
        "        unit_price: 1234.5\n"
        "        price_period: month\n"
        '        source_id: "sheet:K1"\n'
    ) in text
    table = mrr_of(root, "2026-02", "2026-04")
    # Feb: K1 3 × 1234.50 = 3703.50. Apr: + K2 12000 / 12 = 1000 → 4703.50.
    assert row(table, "2026-02")["mrr"] == pytest.approx(3703.5)
    assert row(table, "2026-04")["mrr"] == pytest.approx(4703.5)


def test_xlsx_export_reads_like_csv(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Record ID", "Company name", "Country/Region"])
    ws.append([9001, "Nordlys AS", "Norway"])
    ws.append([9002.0, "Fjell AB", "SE"])
    book.save(tmp_path / "companies.xlsx")
    root = tmp_path / "data"
    _import(tmp_path / "companies.xlsx", MAPS / "hubspot-companies.yaml", root)
    assert (root / "customers.csv").read_text() == (
        "customer_id,name,country,source_id\n"
        "9001,Nordlys AS,NO,hubspot-companies:9001\n"
        "9002,Fjell AB,SE,hubspot-companies:9002\n"
    )


def test_an_xlsx_sheet_of_number_and_date_cells_reads_with_a_decimal_comma_map(
    tmp_path: Path,
) -> None:
    # docs/examples/import's sheet as a workbook with real number and date cells, read with
    # the same maps as its CSV (decimal_comma: true): a number cell is the number it holds.
    # K1: 3 × 1234.50 + 1 × 500 = 4203.50 from February; K2 12000 a year = 1000 a month
    # from 15 March, so 5203.50 at the end of March.
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    examples = ROOT / "docs" / "examples" / "import"
    ws.append((examples / "sheet.csv").read_text(encoding="utf-8").splitlines()[0].split(","))
    start1, start2 = dt.datetime(2026, 2, 1), dt.datetime(2026, 3, 15)
    ws.append(["K1", 9001, "Nordlys AS", "NO", start1, "månedlig", "K1-1", "Pro", 3, 1234.5])
    ws.append(["K1", 9001, "Nordlys AS", "NO", start1, "månedlig", "K1-2", "Support", 1, 500])
    ws.append(["K2", 9002, "Fjell AB", "SE", start2, "årlig", "K2-1", "Team", 1, 12000.0])
    book.save(tmp_path / "sheet.xlsx")
    root = tmp_path / "data"
    for table in ("customers", "contracts", "lines"):
        _import(tmp_path / "sheet.xlsx", examples / f"sheet-{table}.yaml", root)
    table = mrr_of(root, "2026-02", "2026-03")
    assert row(table, "2026-02")["mrr"] == pytest.approx(4203.5)
    assert row(table, "2026-03")["mrr"] == pytest.approx(5203.5)


def _with_dimension(path: Path, ref: str) -> None:
    """Rewrite the ``<dimension>`` of the workbook's first sheet to ``ref`` (a sheet's own
    claim of its used range, which a file may get wrong)."""
    with zipfile.ZipFile(path) as zin:
        items = [(item, zin.read(item.filename)) for item in zin.infolist()]
    with zipfile.ZipFile(path, "w") as zout:
        for item, data in items:
            written = data
            if item.filename == "xl/worksheets/sheet1.xml":
                written, n = re.subn(
                    rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), data
                )
                assert n == 1
            zout.writestr(item, written)


def test_an_xlsx_sheet_is_read_as_its_rows_are_whatever_its_dimension_says(
    tmp_path: Path,
) -> None:
    # The sheet says it spans A1:A2, but holds A1:B3: both columns and both rows are read
    # (the MRR column and the row of id 2 were dropped without a word).
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    for values in (["Id", "MRR"], ["1", 5], ["2", 7.5]):
        book.active.append(values)
    book.save(tmp_path / "deals.xlsx")
    _with_dimension(tmp_path / "deals.xlsx", "A1:A2")
    frame = read_xlsx(tmp_path / "deals.xlsx", None)
    assert frame.select("Id", "MRR", "_line").rows() == [("1", "5", 2), ("2", "7.5", 3)]


def test_an_xlsx_sheet_that_names_its_farthest_cell_is_read_in_seconds(tmp_path: Path) -> None:
    # A 6 KB workbook whose header row is two cells, but which holds a cell at XFD1048576
    # (the last of the 16,384 columns and 1,048,576 rows): it was read as a million rows
    # of 16,384 cells (minutes, and 4 GB before it was stopped). Rows are as wide as the
    # header, and the only data row is id 1.
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    for values in (["Id", "MRR"], ["1", 5]):
        book.active.append(values)
    book.active.cell(row=1_048_576, column=16_384, value="x")
    book.save(path := tmp_path / "far.xlsx")
    assert path.stat().st_size < 10_000
    code = (
        "import json, sys; from pathlib import Path; "
        "from revcli.importers.sources import read_xlsx; "
        "f = read_xlsx(Path(sys.argv[1]), None); "
        "print(json.dumps(f.select('Id', 'MRR', '_line').rows()))"
    )
    # In a process of its own, so that a regression fails after a minute instead of
    # taking the machine's memory.
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["1", "5", 2]]


def test_an_xlsx_header_of_more_than_1000_columns_is_refused(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["Id", *(f"c{i}" for i in range(1, 1001))])  # 1,001 named columns
    book.save(tmp_path / "wide.xlsx")
    with pytest.raises(DataError) as caught:
        read_xlsx(tmp_path / "wide.xlsx", None)
    assert [str(i) for i in caught.value.issues] == [
        f"{tmp_path / 'wide.xlsx'}:1: the header has 1,001 columns; at most 1,000 are read"
    ]


def test_an_xlsx_header_naming_a_column_twice_is_one_problem(tmp_path: Path) -> None:
    # As in a CSV header; it ended in an internal error (two lists for one column).
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    for values in (["Id", "MRR", None, "Id"], ["1", 5, None, "2"]):
        book.active.append(values)
    book.save(path := tmp_path / "deals.xlsx")
    with pytest.raises(DataError) as caught:
        read_xlsx(path, None)
    assert [str(i) for i in caught.value.issues] == [
        f"{path}:1: Id: column appears twice in the header"
    ]


def test_an_xlsx_that_is_a_fifo_is_refused_not_waited_for(tmp_path: Path) -> None:
    # openpyxl opened the path itself, and a FIFO named .xlsx made the import wait for
    # ever; an .xlsx is read as every data file is.
    os.mkfifo(fifo := tmp_path / "deals.xlsx")
    with pytest.raises(DataError) as caught:
        read_xlsx(fifo, None)
    assert [str(i) for i in caught.value.issues] == [
        f"{fifo}: is a named pipe (FIFO), expected a file"
    ]


def test_an_xlsx_that_would_unpack_to_more_than_1_gib_is_not_opened(tmp_path: Path) -> None:
    # A workbook whose zip directory says a member unpacks to 2 GiB - 1 (0x7FFFFFFF bytes,
    # written into the central directory's "uncompressed size" field at offset 24).
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["Id", "MRR"])
    book.save(path := tmp_path / "deals.xlsx")
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")
    data[entry + 24 : entry + 28] = (0x7FFFFFFF).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(DataError) as caught:
        read_xlsx(path, None)
    assert [str(i) for i in caught.value.issues] == [
        f"{path}: unpacks to more than 1024 MiB, the most revcli reads"
    ]


def test_bad_cells_name_the_exports_row_and_column(tmp_path: Path, run: Run) -> None:
    deals = _write(
        tmp_path,
        "deals.csv",
        DEALS.replace("2027-01-15", "15/01/2027")
        .replace("0.8,", "abc,")
        .replace(",NOK,New", ",XYZ,New"),
    )
    result = run(
        "import", "csv", deals, "--map", MAPS / "hubspot-deals.yaml", "--data", tmp_path / "d"
    )
    assert result.exit_code == 1
    assert f"{deals}:2: Close Date: '15/01/2027' is not a date" in result.stderr
    assert f"{deals}:2: Deal probability: 'abc' is not a number" in result.stderr
    assert f"{deals}:3: Currency: 'XYZ' is not an ISO 4217 currency code" in result.stderr
    assert not (tmp_path / "d").exists()


def test_map_problems_name_the_map_file(tmp_path: Path, run: Run) -> None:
    bad = _write(tmp_path, "bad.yaml", "table: invoices\nid: X\ncolumns:\n  nope: A\n")
    data = _write(tmp_path, "x.csv", "X,A\n1,2\n")
    result = run("import", "csv", data, "--map", bad, "--data", tmp_path / "d")
    assert result.exit_code == 1
    assert (
        f"{bad}:1: table: 'invoices' is not one of customers, contracts, lines, opportunities"
        in result.stderr
    )


def test_missing_export_column_and_duplicate_ids(tmp_path: Path, make_data_dir: MakeDir) -> None:
    from revcli.errors import DataError

    data = _write(tmp_path, "c.csv", "Record ID,Company name\n1,A\n1,B\n")
    batch = read_mapped(data, MAPS / "hubspot-companies.yaml")
    assert [str(i) for i in batch.issues] == [
        f"{data}:1: Country/Region: column named in the map is missing from the header"
    ]
    # A header without rows is checked too, and the problem names the export (it named
    # the map file).
    empty = _write(tmp_path, "e.csv", "Record ID,Company name\n")
    assert [str(i) for i in read_mapped(empty, MAPS / "hubspot-companies.yaml").issues] == [
        f"{empty}:1: Country/Region: column named in the map is missing from the header"
    ]
    # Every row of an opportunities (or lines) map is its own record: an id may not repeat.
    deals = _write(tmp_path, "d.csv", DEALS.replace("102,Fjell new", "101,Fjell new"))
    batch = read_mapped(deals, MAPS / "hubspot-deals.yaml")
    assert [str(i) for i in batch.issues] == [
        f"{deals}:3: Record ID: '101' appears twice; first at line 2"
    ]
    with pytest.raises(DataError):
        plan_import(make_data_dir({}), batch, today=TODAY)


def test_customer_rows_repeating_an_id_are_one_customer_when_they_agree(tmp_path: Path) -> None:
    data = _write(
        tmp_path,
        "c.csv",
        "Record ID,Company name,Country/Region\n1,A,Norway\n2,B,SE\n1,A,NO\n1,,\n",
    )
    batch = read_mapped(data, MAPS / "hubspot-companies.yaml")
    assert batch.issues == []
    # Norway and NO both map to NO, so lines 2 and 4 agree; line 5 carries only the id.
    assert [(c["customer_id"], c["name"], c["country"], c["_line"]) for c in batch.customers] == [
        ("1", "A", "NO", "2"),
        ("2", "B", "SE", "3"),
    ]


def test_customer_rows_repeating_an_id_that_disagree_name_both_rows(tmp_path: Path) -> None:
    data = _write(
        tmp_path,
        "c.csv",
        "Record ID,Company name,Country/Region\n1,A,NO\n1,,SE\n1,B,NO\n",
    )
    batch = read_mapped(data, MAPS / "hubspot-companies.yaml")
    assert [str(i) for i in batch.issues] == [
        f"{data}:3: Country/Region: 'SE' differs from 'NO' on line 2; rows with Record ID '1' "
        "are one customer and must agree",
        f"{data}:4: Company name: 'B' differs from 'A' on line 2; rows with Record ID '1' "
        "are one customer and must agree",
    ]


def test_a_shipped_map_by_name(tmp_path: Path, run: Run) -> None:
    companies = _write(tmp_path, "companies.csv", COMPANIES)
    result = run("import", "csv", companies, "--map", "hubspot-companies", "--data", tmp_path / "d")
    assert result.exit_code == 0, result.stderr
    assert (
        "9001,Nordlys AS,NO,hubspot-companies:9001"
        in (tmp_path / "d" / "customers.csv").read_text()
    )
    result = run("import", "csv", companies, "--map", "salesforce", "--data", tmp_path / "d")
    assert result.exit_code == 2
    assert "one of hubspot-companies, hubspot-deals" in result.stderr


def test_lines_need_a_contract_of_the_same_source(tmp_path: Path, run: Run) -> None:
    root = tmp_path / "data"
    _import(_write(tmp_path, "companies.csv", COMPANIES), MAPS / "hubspot-companies.yaml", root)
    sheet = _write(tmp_path, "sheet.csv", SHEET)
    result = run(
        "import", "csv", sheet, "--map", _write(tmp_path, "lines.yaml", LINES_MAP), "--data", root
    )
    assert result.exit_code == 1
    assert (
        f"{sheet}:2: contract_id: 'K1' is not a contract of {root}/contracts/sheet.yaml"
        in result.stderr
    )


def test_open_foreign_currency_deal_needs_a_rate(tmp_path: Path, run: Run) -> None:
    deals = _write(
        tmp_path,
        "deals.csv",
        DEALS.replace('2027-01-15,"1,200.50",NOK', '2027-01-15,"1,200.50",EUR'),
    )
    result = run("import", "csv", deals, "--map", "hubspot-deals", "--data", tmp_path / "d")
    assert result.exit_code == 1
    assert (
        "no exchange rate for EUR on or before 2027-01-15 (open deals close on 2027-01-15)"
        in result.stderr
    )
    (fx := tmp_path / "fx.csv").write_text("date,currency,rate\n2026-12-01,EUR,11.5\n")
    result = run(
        "import", "csv", deals, "--map", "hubspot-deals", "--data", tmp_path / "d", "--fx-rates", fx
    )
    assert result.exit_code == 0, result.stderr


def _mrr_cells(tmp_path: Path, cells: list[str], decimal_comma: bool) -> tuple[Path, Batch]:
    """An export of one opportunity per cell, read by a map with or without decimal_comma."""
    export = _write(
        tmp_path,
        "deals.csv",
        "Id,MRR\n" + "".join(f'{i},"{cell}"\n' for i, cell in enumerate(cells, start=1)),
    )
    map_text = f"table: opportunities\nsource: crm\nid: Id\ndecimal_comma: {decimal_comma}\n"
    map_text += "columns:\n  opportunity_id: Id\n  mrr: MRR\n"
    return export, read_mapped(export, _write(tmp_path, "map.yaml", map_text))


def test_a_comma_is_read_only_as_thousands_grouping_without_decimal_comma(
    tmp_path: Path,
) -> None:
    cells = ["1,234", "1,234,567.50", "12 000.5", "12,50", "1.234,50", "1,23", "1,2345"]
    export, batch = _mrr_cells(tmp_path, cells, decimal_comma=False)
    # Groups of three after a first group of 1–3 digits: 1,234 → 1234, 1,234,567.50 →
    # 1234567.5; a space groups too. Every other comma would misread the amount
    # (12,50 as 1250, 1.234,50 as 1.2345), so it is an error, not a guess.
    assert [o.get("mrr") for o in batch.opportunities[:3]] == ["1234", "1234567.5", "12000.5"]
    hint = (
        "if the export writes decimal commas (12,50, 1.234,50), set decimal_comma: true in the map"
    )
    assert [str(i) for i in batch.issues] == [
        f"{export}:{line}: MRR: '{cell}' has a comma that does not group thousands "
        f"(1,234 or 1,234,567.50); {hint}"
        for line, cell in ((5, "12,50"), (6, "1.234,50"), (7, "1,23"), (8, "1,2345"))
    ]


def test_a_dot_is_read_only_as_thousands_grouping_with_decimal_comma(tmp_path: Path) -> None:
    cells = ["1.234", "1.234.567,50", "12,50", "12 000,5", "1.5", "1.234.56,00"]
    export, batch = _mrr_cells(tmp_path, cells, decimal_comma=True)
    # The mirror rule: 1.234 → 1234, 1.234.567,50 → 1234567.5, 12,50 → 12.5; a dot that
    # is no grouping (1.5, 1.234.56,00) would lose the decimals, so it is an error.
    assert [o.get("mrr") for o in batch.opportunities[:4]] == [
        "1234",
        "1234567.5",
        "12.5",
        "12000.5",
    ]
    assert [str(i) for i in batch.issues] == [
        f"{export}:{line}: MRR: '{cell}' has a dot that does not group thousands "
        "(1.234 or 1.234.567,50), and the map says decimal_comma: true; if the export "
        "writes decimal points (12.50, 1,234.50), set decimal_comma: false in the map"
        for line, cell in ((6, "1.5"), (7, "1.234.56,00"))
    ]


def test_a_number_of_a_huge_exponent_is_refused_before_it_is_written_out(
    tmp_path: Path,
) -> None:
    # 1e999999999 written out is a billion digits (the import ran out of memory): it has
    # 1,000,000,000 whole digits, more than the data files' 28; 1e-999999999 has as many
    # decimal places, more than their 10. 1e27 (28 digits) and 1e-10 (10 places) are the
    # largest and the finest that fit; 2.50E+1 is 25.
    cells = ["1e999999999", "1e-999999999", "1e28", "1e-11", "1e27", "1e-10", "2.50E+1"]
    export, batch = _mrr_cells(tmp_path, cells, decimal_comma=False)
    large = "is too large; at most 28 digits before the decimal point"
    fine = "has more than 10 decimal places"
    assert [str(i) for i in batch.issues] == [
        f"{export}:2: MRR: '1e999999999' {large}",
        f"{export}:3: MRR: '1e-999999999' {fine}",
        f"{export}:4: MRR: '1e28' {large}",
        f"{export}:5: MRR: '1e-11' {fine}",
    ]
    assert [o.get("mrr") for o in batch.opportunities[4:]] == [
        "1" + "0" * 27,
        "0." + "0" * 9 + "1",
        "25",
    ]


def _multiplied_five(tmp_path: Path, factor: str) -> Batch:
    """An opportunity of MRR 5 read by a map whose multiply: (on its line 8) is ``factor``."""
    map_path = _write(
        tmp_path,
        "map.yaml",
        "table: opportunities\nsource: crm\nid: Id\ncolumns:\n  opportunity_id: Id\n"
        f"  mrr:\n    from: MRR\n    multiply: {factor}\n",
    )
    return read_mapped(_write(tmp_path, "deals.csv", "Id,MRR\n1,5\n"), map_path)


@pytest.mark.parametrize("factor", ["1e999999999", "NaN", "0", "-1", "1e10", "1e-10", "x"])
def test_a_multiply_factor_outside_its_range_is_a_problem_of_the_map(
    tmp_path: Path, factor: str
) -> None:
    # A factor takes cents to units (0.01) or a share to a percentage (100); one of a
    # billion digits made every amount a billion digits long.
    with pytest.raises(DataError) as caught:
        _multiplied_five(tmp_path, factor)
    assert [str(i) for i in caught.value.issues] == [
        f"{tmp_path / 'map.yaml'}:8: mrr.multiply: '{factor}' is not a factor from 0.000000001 to "
        "1000000000 (e.g. 100, 0.01)"
    ]


def test_a_value_of_the_wrong_shape_in_a_map_is_named_at_its_line(tmp_path: Path) -> None:
    # These problems had no line; a list as the id was also "is required" though given,
    # a list as columns "is required", and a list as date_format was named "date_format"
    # without its column.
    map_path = _write(
        tmp_path,
        "map.yaml",
        "table: opportunities\n"  # 1
        "id: [Id]\n"  # 2
        "columns:\n"  # 3
        "  opportunity_id: [Id]\n"  # 4
        "  mrr:\n"  # 5
        "    from: MRR\n"  # 6
        "    date_format: [x]\n"  # 7
        "    values: {a: [b]}\n",  # 8
    )
    with pytest.raises(DataError) as caught:
        read_mapped(_write(tmp_path, "deals.csv", "Id,MRR\n1,5\n"), map_path)
    assert [str(i) for i in caught.value.issues] == [
        f"{map_path}:2: id: expected a single value",
        f"{map_path}:4: opportunity_id: expected a column name or a mapping with from/value",
        f"{map_path}:7: mrr.date_format: expected a single value",
        f"{map_path}:8: mrr.values.a: expected a single value",
    ]
    _write(tmp_path, "map.yaml", "table: opportunities\nid: Id\ncolumns: [Id, MRR]\n")
    with pytest.raises(DataError) as caught:
        read_mapped(tmp_path / "deals.csv", map_path)
    assert [str(i) for i in caught.value.issues] == [
        f"{map_path}:3: columns: expected a mapping of target column: export column"
    ]


@pytest.mark.parametrize(("factor", "expected"), [("1e9", "5000000000"), ("1e-9", "0.000000005")])
def test_the_largest_and_smallest_multiply_factors_are_taken(
    tmp_path: Path, factor: str, expected: str
) -> None:
    batch = _multiplied_five(tmp_path, factor)
    assert batch.issues == []
    assert batch.opportunities[0]["mrr"] == expected


@pytest.mark.parametrize(
    ("decimal_comma", "hint"),
    [(True, "a decimal comma, e.g. 1200,50"), (False, "a decimal point, e.g. 1200.50")],
)
def test_a_bad_number_names_the_decimal_mark_the_map_asks_for(
    tmp_path: Path, decimal_comma: bool, hint: str
) -> None:
    # 'zehn' and 'NOK 12' are no numbers: the hint shows the decimal mark of the map (it
    # said "decimal point, e.g. 1200.50" under decimal_comma: true too).
    export, batch = _mrr_cells(tmp_path, ["zehn", "NOK 12"], decimal_comma)
    assert [str(i) for i in batch.issues] == [
        f"{export}:{line}: MRR: '{cell}' is not a number; expected digits with {hint}"
        for line, cell in ((2, "zehn"), (3, "NOK 12"))
    ]


@pytest.mark.parametrize(
    ("date_format", "cells", "expected"),
    [
        # 31.02 is no day; 2026-13-01 is neither DD.MM.YYYY nor ISO; 01.01.1800 is a day,
        # but before 1900 (it was reported as '1800-01-01' … expected YYYY-MM-DD).
        ("DD.MM.YYYY", ["31.02.2026", "2026-13-01", "01.01.1800"], "DD.MM.YYYY"),
        ("MM/DD/YYYY", ["13/45/2026", "5.1.2026", "1/5/1800"], "MM/DD/YYYY"),
        (None, ["31.02.2026", "2026-13-01", "1800-01-01"], "YYYY-MM-DD"),
    ],
)
def test_a_bad_date_names_the_map_date_format(
    tmp_path: Path, date_format: str | None, cells: list[str], expected: str
) -> None:
    export = _write(
        tmp_path,
        "deals.csv",
        "Id,Close\n" + "".join(f"{i},{cell}\n" for i, cell in enumerate(cells, start=1)),
    )
    map_text = "table: opportunities\nsource: crm\nid: Id\n"
    if date_format:
        map_text += f"date_format: {date_format}\n"
    map_text += "columns:\n  opportunity_id: Id\n  expected_close: Close\n"
    batch = read_mapped(export, _write(tmp_path, "map.yaml", map_text))
    # An ISO date of a month the calendar does not have is named for it (as in data files).
    reasons = {"2026-13-01": "is not a date: there is no month 13"} if date_format is None else {}
    assert [str(i) for i in batch.issues] == [
        f"{export}:{line}: Close: '{cell}' "
        f"{reasons.get(cell, 'is not a date from 1900 to 2199')}; expected {expected}"
        for line, cell in enumerate(cells, start=2)
    ]


def test_the_documented_sheet_with_a_row_per_contract_and_product(tmp_path: Path, run: Run) -> None:
    # docs/import.md: one sheet, imported with a customers, a contracts and a lines map.
    examples = ROOT / "docs" / "examples" / "import"
    root = tmp_path / "revenue"
    for table in ("customers", "contracts", "lines"):
        result = run(
            "import",
            "csv",
            examples / "sheet.csv",
            "--map",
            examples / f"sheet-{table}.yaml",
            "--data",
            root,
        )
        assert result.exit_code == 0, result.stderr
    # Customer 9001 is on two rows (K1's) and is one customer.
    assert (root / "customers.csv").read_text() == (
        "customer_id,name,country,source_id\n"
        "9001,Nordlys AS,NO,sheet:9001\n"
        "9002,Fjell AB,SE,sheet:9002\n"
    )
    contracts = (root / "contracts" / "sheet.yaml").read_text()
    # K1's two rows are one contract with both lines.
    assert (
        "  - contract_id: K1\n"
        "    customer_id: 9001\n"
        "    start_date: 2026-02-01\n"
        "    billing_period: month\n"
        '    source_id: "sheet:K1"\n'
        "    lines:\n"
        "      - line_id: K1-1\n"
        "        product: Pro\n"
        "        quantity: 3\n"
        "        unit_price: 1234.5\n"
        "        price_period: month\n"
        '        source_id: "sheet:K1-1"\n'
        "      - line_id: K1-2\n"
        "        product: Support\n"
        "        quantity: 1\n"
        "        unit_price: 500\n"
        "        price_period: month\n"
        '        source_id: "sheet:K1-2"\n'
        "  - contract_id: K2\n"
    ) in contracts
    table = mrr_of(root, "2026-02", "2026-03")
    # Feb: K1 3 × 1234.50 + 1 × 500 = 4203.50. Mar: + K2 12000 / 12 = 1000 → 5203.50.
    assert row(table, "2026-02")["mrr"] == pytest.approx(4203.5)
    assert row(table, "2026-03")["mrr"] == pytest.approx(5203.5)


def test_contract_rows_repeating_an_id_that_disagree_name_both_rows(
    tmp_path: Path, run: Run
) -> None:
    examples = ROOT / "docs" / "examples" / "import"
    sheet = _write(
        tmp_path,
        "sheet.csv",
        (examples / "sheet.csv")
        .read_text(encoding="utf-8")
        .replace(
            "K1,9001,Nordlys AS,NO,01.02.2026,månedlig,K1-2",
            "K1,9001,Nordlys AS,NO,02.02.2026,månedlig,K1-2",
        ),
    )
    root = tmp_path / "revenue"
    run("import", "csv", sheet, "--map", examples / "sheet-customers.yaml", "--data", root)
    result = run("import", "csv", sheet, "--map", examples / "sheet-contracts.yaml", "--data", root)
    assert result.exit_code == 1
    assert (
        f"{sheet}:3: Start: '02.02.2026' differs from '01.02.2026' on line 2; rows with "
        "Kontrakt 'K1' are one contract and must agree"
    ) in result.stderr
    assert not (root / "contracts" / "sheet.yaml").exists()


def test_a_mapped_cancellation_that_is_gone_from_the_export_is_removed_with_a_warning(
    tmp_path: Path,
) -> None:
    root = tmp_path / "data"
    _import(_write(tmp_path, "companies.csv", COMPANIES), MAPS / "hubspot-companies.yaml", root)
    contracts_map = _write(
        tmp_path,
        "contracts.yaml",
        SHEET_MAP.replace("  end_date: Slutt\n", "  cancelled_on: Slutt\n"),
    )
    sheet = _write(tmp_path, "sheet.csv", SHEET)
    _import(sheet, contracts_map, root)
    _import(sheet, _write(tmp_path, "lines.yaml", LINES_MAP), root)
    # K1's Slutt (now its cancelled_on, 2027-01-31) is emptied in the export.
    emptied = _write(tmp_path, "sheet.csv", SHEET.replace("31.01.2027", ""))
    plan = plan_import(root, read_mapped(emptied, contracts_map), today=TODAY)
    # Line 10 of contracts/sheet.yaml: 3 comment lines, `contracts:`, then K1's
    # contract_id, customer_id, start_date, billing_period, auto_renew, cancelled_on.
    assert [str(w) for w in plan.warnings] == [
        f"warning: {root}/contracts/sheet.yaml:10: K1: cancelled_on 2027-01-31 removed: sheet "
        "sends no cancellation for it any more (to stop the contract for good, cancel it in "
        "sheet)"
    ]


def test_a_spinner_shows_the_import_steps_on_a_terminal_only(tmp_path: Path, run: Run) -> None:
    # A large sheet takes a while to read, merge and check: a terminal sees which step
    # runs; a piped run (scripts, CI) gets the summary alone.
    from revcli.cli import console

    examples = ROOT / "docs" / "examples" / "import"
    args = ("import", "csv", examples / "sheet.csv", "--map", examples / "sheet-customers.yaml")
    env = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "FORCE_COLOR": None, "CI": None}
    # The stderr console is made once per process and settles then whether it is
    # interactive: made by an earlier test off a terminal, it would draw no spinner. This
    # run makes its own, as a real run does, and leaves the earlier one in place.
    earlier = console.err.__dict__.pop("_console", None)
    try:
        shown = run(*args, "--data", tmp_path / "a", env=env)
    finally:
        console.err.__dict__.pop("_console", None)
        if earlier is not None:
            console.err.__dict__["_console"] = earlier
    piped = run(*args, "--data", tmp_path / "b", env={"TTY_COMPATIBLE": "0"})
    assert shown.exit_code == piped.exit_code == 0, shown.stderr + piped.stderr
    assert "Reading " in shown.stderr
    assert "Merging into" in shown.stderr
    assert "Reading " not in piped.stderr
    assert "Merging into" not in piped.stderr
    assert "customers     2 added, 0 changed, 0 unchanged" in piped.stderr


def _sheet_imported(tmp_path: Path, run: Run) -> Path:
    """The documented sheet imported with its three maps into tmp_path/revenue."""
    root = tmp_path / "revenue"
    for table in ("customers", "contracts", "lines"):
        result = run(
            "import", "csv", EXAMPLES / "sheet.csv", "--map", EXAMPLES / f"sheet-{table}.yaml",
            "--data", root,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
    return root


def test_a_line_deleted_upstream_is_kept_with_a_warning_naming_its_line(
    tmp_path: Path, run: Run
) -> None:
    root = _sheet_imported(tmp_path, run)
    sheet = (EXAMPLES / "sheet.csv").read_text(encoding="utf-8")
    k1_2 = 'K1,9001,Nordlys AS,NO,01.02.2026,månedlig,K1-2,Support,1,"500,00"\n'
    assert k1_2 in sheet
    deleted = _write(tmp_path, "sheet.csv", sheet.replace(k1_2, ""))
    plan = plan_import(root, read_mapped(deleted, EXAMPLES / "sheet-lines.yaml"), today=TODAY)
    # contracts/sheet.yaml: 3 comment lines, `contracts:`, K1's 5 values and `lines:`
    # (lines 5-10), K1-1's 6 values (11-16): K1-2 starts on line 17.
    assert [str(w) for w in plan.warnings] == [
        f"warning: {root}/contracts/sheet.yaml:17: source_id: line sheet:K1-2 is no longer "
        "in the import; kept as it is (delete it by hand if it ended)"
    ]
    write_plan(plan)
    # Kept: February is still 3 × 1234.50 + 500.00 = 4203.50.
    assert row(mrr_of(root, "2026-02", "2026-02"), "2026-02")["mrr"] == pytest.approx(4203.5)


def test_an_export_with_no_rows_reports_every_record_it_no_longer_has(
    tmp_path: Path, run: Run
) -> None:
    # A filtered export that came back empty is not "nothing changed".
    root = _sheet_imported(tmp_path, run)
    empty = _write(tmp_path, "empty.csv", "Kontrakt,Kunde,Kundenavn,Land,Start,Fakturering,"
                   "Linje,Produkt,Antall,Pris\n")  # fmt: skip
    plan = plan_import(root, read_mapped(empty, EXAMPLES / "sheet-customers.yaml"), today=TODAY)
    assert [str(w) for w in plan.warnings] == [
        f"warning: {root}/customers.csv:{n}: source_id: customer sheet:{cid} is no longer in "
        "the import; kept as it is (delete it by hand if it ended)"
        for n, cid in ((2, "9001"), (3, "9002"))
    ]
    plan = plan_import(root, read_mapped(empty, EXAMPLES / "sheet-contracts.yaml"), today=TODAY)
    # K1 on line 5; its 5 values, `lines:` and two lines of 6 lines each: K2 on line 23.
    assert [str(w) for w in plan.warnings] == [
        f"warning: {root}/contracts/sheet.yaml:{n}: source_id: contract sheet:{cid} is no "
        "longer in the import; kept as it is (delete it by hand if it ended)"
        for n, cid in ((5, "K1"), (23, "K2"))
    ]
    assert plan.changed == []


def test_an_export_with_rows_of_empty_cells_reads_like_the_sheet_without_them(
    tmp_path: Path, run: Run
) -> None:
    # Saved from a spreadsheet: a byte-order mark, CRLF, the columns in another order,
    # and rows of empty cells (",,,,") in the middle and at the end, as an xlsx sheet's
    # empty rows, which are left out too.
    reordered = (
        "\ufeffPris,Antall,Produkt,Linje,Fakturering,Start,Land,Kundenavn,Kunde,Kontrakt\r\n"
        '"1.234,50",3,Pro,K1-1,månedlig,01.02.2026,NO,Nordlys AS,9001,K1\r\n'
        ",,,,,,,,,\r\n"
        '"500,00",1,Support,K1-2,månedlig,01.02.2026,NO,Nordlys AS,9001,K1\r\n'
        '"12 000,00",1,Team,K2-1,årlig,15.03.2026,SE,Fjell AB,9002,K2\r\n'
        ", , ,,,,,,,\r\n"
    )
    export = tmp_path / "export.csv"
    export.write_bytes(reordered.encode("utf-8"))
    root = tmp_path / "data"
    for table in ("customers", "contracts", "lines"):
        result = run(
            "import", "csv", export, "--map", EXAMPLES / f"sheet-{table}.yaml", "--data", root
        )
        assert result.exit_code == 0, result.stderr
    plain = _sheet_imported(tmp_path, run)
    for name in ("customers.csv", "contracts/sheet.yaml"):
        assert (root / name).read_bytes() == (plain / name).read_bytes()
    # A problem after an empty row still names the export's own line (5).
    bad = tmp_path / "bad.csv"
    bad.write_bytes(reordered.replace('"12 000,00"', "tolv").encode("utf-8"))
    result = run("import", "csv", bad, "--map", EXAMPLES / "sheet-lines.yaml", "--data", root)
    assert result.exit_code == 1
    assert (
        f"{bad}:5: Pris: 'tolv' is not a number; expected digits with a decimal comma"
        in result.stderr
    )


def test_a_contract_another_source_has_is_named_at_the_exports_row(
    tmp_path: Path, run: Run
) -> None:
    # Two sources, one sheet: the second source's contracts are left out, and the warning
    # points at the export's rows, as it does for its customers.
    root = _sheet_imported(tmp_path, run)
    crm = _write(
        tmp_path,
        "crm-contracts.yaml",
        (EXAMPLES / "sheet-contracts.yaml")
        .read_text(encoding="utf-8")
        .replace("source: sheet", "source: crm"),
    )
    sheet = EXAMPLES / "sheet.csv"
    plan = plan_import(root, read_mapped(sheet, crm), today=TODAY)
    assert [str(w) for w in plan.warnings] == [
        f"warning: {sheet}:{n}: contract_id: '{cid}' already exists in another contract "
        f"file without crm:{cid} as its source_id; the existing contract is kept and this "
        "one is not imported"
        for n, cid in ((2, "K1"), (4, "K2"))
    ]
