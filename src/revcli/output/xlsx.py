"""The Excel renderer: a report as one worksheet of typed cells, through XlsxWriter."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import iso4217
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from revcli.errors import RevcliError
from revcli.output.report import ColumnKind, Report, cell

CREATED = dt.datetime(1980, 1, 1)  # noqa: DTZ001 - a fixed stamp (as in the zip entries) keeps the bytes reproducible
"""The creation date written into every workbook, so that the same report gives the
same bytes."""

MAX_WIDTH = 60
"""Widest column, in characters: longer text (risk reasons) is cut off in view, not in the cell."""

_FORMATS = {
    ColumnKind.RATIO: "0.00%",
    ColumnKind.SHARE: "0.00%",
    ColumnKind.PERCENT: '0.00" %"',
    ColumnKind.COUNT: "#,##0",
    ColumnKind.DATE: "yyyy-mm-dd",
}
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def minor_units(currency: str) -> int:
    """Digits after the decimal point of a currency (ISO 4217; 2 when it names none).

    Looked up here rather than through revcli.schema: output sits beside schema, below it.
    """
    try:
        exponent = iso4217.Currency(currency).exponent
    except ValueError:
        return 2
    return int(exponent) if exponent is not None else 2


def _money_format(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places > 0 else "")


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _shown(value: Any) -> str:
    """About what Excel shows in a cell: for fitting the column width."""
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def sheet_name(report: Report) -> str:
    """The report's name as Excel allows a sheet to be named (31 characters, no []:*?/\\)."""
    return _SHEET_NAME.sub("-", report.name)[:31] or "report"


MAX_CELL_CHARS = 32_767
"""The most characters an Excel cell holds; xlsxwriter would cut a longer text silently."""

MAX_ROWS = 1_048_576
"""The most rows an Excel sheet holds, the header row included; xlsxwriter would leave out
the rows past it silently."""

MAX_COLUMNS = 16_384
"""The most columns an Excel sheet holds."""


def _check_size(report: Report) -> None:
    """Refuse, before anything is written, a report larger than an Excel sheet holds."""
    rows, columns = report.frame.height, report.frame.width
    if rows + 1 > MAX_ROWS:
        raise RevcliError(
            f"{report.title}: {rows:,} rows and a header do not fit in an Excel sheet, which "
            f"holds at most {MAX_ROWS:,} rows ({MAX_ROWS - 1:,} after the header): use "
            "--format csv, or ask for fewer rows (a shorter --from/--to, a coarser or no --by)"
        )
    if columns > MAX_COLUMNS:
        raise RevcliError(
            f"{report.title}: {columns:,} columns do not fit in an Excel sheet, which holds at "
            f"most {MAX_COLUMNS:,}: leave columns out (--columns) or use --format csv"
        )


def render_xlsx(report: Report) -> bytes:
    """One worksheet named after the report: a header row, then the CSV's values as typed
    cells (SPEC §13).

    Money, counts and ratios are numbers with the CSV's values (a ratio stays a fraction
    shown with a % format; ``growth_pct`` stays 1.40, shown as "1.40 %"); money in the base
    currency shows that currency's minor units, exact invoice money shows the digits it
    has (its currency's minor units). Dates are date cells, months the text ``YYYY-MM``,
    booleans Excel booleans, and every text cell a string, never a formula or a link.
    The header row and first column stay in view (frozen panes), widths fit the content,
    and the bytes depend only on the report.
    """
    _check_size(report)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    book.set_properties(
        {
            "title": report.title,
            "comments": "\n".join(report.notes),
            "created": CREATED,
        }
    )
    # The report's meta (currency, as-of day, months, the metric policy and its version…)
    # travels as custom document properties, as JSON carries it in "meta".
    for key, value in report.meta.items():
        if isinstance(value, bool | int | str) and value != "":
            book.set_custom_property(key, value)
        elif isinstance(value, Decimal):
            book.set_custom_property(key, str(value))
    if report.policy is not None:  # the metric policy: JSON's meta policy, policy_version
        book.set_custom_property("policy", report.policy.name)
        book.set_custom_property("policy_version", report.policy.version)
    sheet = book.add_worksheet(sheet_name(report))
    _fill(book, sheet, report)
    book.close()
    return buffer.getvalue()


def _excel_length(text: str) -> int:
    """The length of ``text`` as Excel counts it: in UTF-16 units (an emoji counts two)."""
    if len(text) <= MAX_CELL_CHARS // 2:  # too short to pass the limit in any case
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _too_long(text: str, report: Report, column: str, row: int) -> RevcliError:
    return RevcliError(
        f"{report.title}: {column} of row {row} holds {_excel_length(text):,} characters; an Excel "
        f"cell holds at most {MAX_CELL_CHARS:,}: leave the column out (--columns) or use "
        "--format csv"
    )


def _fitting(text: str, report: Report, column: str, row: int) -> str:
    """``text``, which must fit in an Excel cell (:data:`MAX_CELL_CHARS`)."""
    if _excel_length(text) > MAX_CELL_CHARS:
        raise _too_long(text, report, column, row)
    return text


def _written(result: int, report: Report, column: str, row: int, text: str = "") -> None:
    """Stop on xlsxwriter's error codes: -1 a cell outside the sheet, -2 a text it cut
    (e.g. one that is longer in Excel's UTF-16 units than in characters)."""
    if result == -2:
        raise _too_long(text, report, column, row)
    if result != 0:
        raise RevcliError(
            f"{report.title}: {column} of row {row} could not be written to the Excel sheet "
            f"(xlsxwriter error {result}): use --format csv"
        )


def _fill(book: xlsxwriter.Workbook, sheet: Worksheet, report: Report) -> None:
    formats: dict[str, Format] = {}

    def fmt(pattern: str) -> Format:
        if pattern not in formats:
            formats[pattern] = book.add_format({"num_format": pattern})
        return formats[pattern]

    header = book.add_format({"bold": True, "bottom": 1})
    currency = report.meta.get("currency")
    base_places = minor_units(currency) if isinstance(currency, str) else 2
    columns = report.frame.columns
    widths = [len(name) for name in columns]
    for col, name in enumerate(columns):
        _written(sheet.write_string(0, col, name, header), report, name, 0, name)
    for row_number, row in enumerate(report.frame.iter_rows(), start=1):
        for col, (name, raw) in enumerate(zip(columns, row, strict=True)):
            kind = report.kind(name)
            value = cell(raw, kind)
            if value is None or value == "":  # an empty CSV cell is an empty cell
                continue
            if isinstance(raw, dt.date) and kind is not ColumnKind.MONTH:
                result = sheet.write_datetime(
                    row_number, col, dt.datetime.combine(raw, dt.time()), fmt("yyyy-mm-dd")
                )
                shown: Any = raw
            elif isinstance(value, bool):
                result = sheet.write_boolean(row_number, col, value)
                shown = "FALSE"
            elif isinstance(value, Decimal | int | float):
                if kind in (ColumnKind.MONEY, ColumnKind.SIGNED_MONEY):
                    pattern = _money_format(base_places)
                elif kind is ColumnKind.EXACT and isinstance(value, Decimal):
                    pattern = _money_format(_decimals(value))
                else:
                    pattern = _FORMATS.get(kind, "General")
                result = sheet.write_number(row_number, col, float(value), fmt(pattern))
                shown = value
            else:
                text = _fitting(str(value), report, name, row_number)
                result = sheet.write_string(row_number, col, text)
                shown = value
            _written(result, report, name, row_number, str(shown))
            widths[col] = max(widths[col], len(_shown(shown)))
    for col, width in enumerate(widths):
        _written(sheet.set_column(col, col, min(width + 2, MAX_WIDTH)), report, columns[col], 0)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(report.frame.height, 1), max(len(columns) - 1, 0))
