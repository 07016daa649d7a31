"""Reading import sources from files: the edge before the pure mapping functions."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from revcli.data.csvio import decode, read_csv
from revcli.data.csvlines import header_issues
from revcli.data.files import MAX_FILE_BYTES, UnreadableFile, read_bytes
from revcli.data.tree import load_tree
from revcli.errors import DataError, Issue, RevcliError, UsageError
from revcli.extras import install_hint
from revcli.importers.baremetrics import import_baremetrics
from revcli.importers.import_map import ImportMap, parse_map
from revcli.importers.mapped import import_mapped
from revcli.importers.records import Batch
from revcli.importers.stripe_objects import StripeObject, objects_of
from revcli.schema import LINE, SOURCE


def _read_export(path: Path) -> pl.DataFrame:
    """A CSV export as a frame of strings with ``_source`` and ``_line``.

    A row of empty cells only (``,,,,``, which a spreadsheet saved as CSV writes for rows
    it once formatted) holds no record and is left out, as an empty row of an xlsx
    sheet is; the rows after it keep their line numbers."""
    frame, issues = read_csv(path, str(path))
    if frame is None:
        raise DataError(issues)
    cells = [c for c in frame.columns if c not in (SOURCE, LINE)]
    if not cells or frame.height == 0:
        return frame
    return frame.filter(pl.any_horizontal(pl.col(cells).is_not_null()))


def read_baremetrics(path: Path) -> Batch:
    """A Baremetrics subscription CSV file as a :class:`Batch`."""
    return import_baremetrics(_read_export(path), str(path))


class _NotJson(ValueError):
    """A value JSON does not have (RFC 8259), which Python's reader would take."""


def _no_constant(name: str) -> Any:
    """``NaN``, ``Infinity`` and ``-Infinity`` are no JSON numbers: refused, not read."""
    raise _NotJson(f"{name} is not a JSON number")


_STRING_OR_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')
"""A JSON string (skipped whole, escapes included) or one of Python's extra constants."""


def _constant_line(text: str) -> int | None:
    """The line of the first ``NaN`` or ``Infinity`` outside a string (Python's reader
    names no place for them); run only on a file it refused."""
    for match in _STRING_OR_CONSTANT.finditer(text):
        if match.group(1):
            return text.count("\n", 0, match.start()) + 1
    return None


def read_stripe_files(paths: list[Path]) -> list[StripeObject]:
    """Stripe objects saved as JSON: list objects, arrays or single objects."""
    objects: list[StripeObject] = []
    issues: list[Issue] = []
    for path in paths:
        text, problems = decode(path, str(path))
        issues += problems
        if text is None:
            continue
        try:
            # Numbers with a fraction read as exact decimals: a float keeps 15-17 digits, so
            # a unit_amount_decimal of 123456789012.345678901 would lose its last ones.
            document = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            issues.append(Issue(str(path), exc.lineno, "", f"not valid JSON: {exc.msg}"))
            continue
        except _NotJson as exc:
            issues.append(Issue(str(path), _constant_line(text), "", f"not valid JSON: {exc}"))
            continue
        except RecursionError:  # arrays or objects nested thousands deep: no Stripe export
            issues.append(Issue(str(path), None, "", "JSON nested too deeply to read"))
            continue
        found, problems = objects_of(document, str(path))
        objects += found
        issues += problems
    if issues:
        raise DataError(issues)
    return objects


FETCH_SOURCE = "stripe-api"
"""The name fetched objects carry in messages instead of a file name."""


def fetch_stripe(api_key: str, api_base: str | None = None) -> list[StripeObject]:
    """Customers, subscriptions (every status, discounts expanded) and products from the
    Stripe API through the official ``stripe`` package (the ``stripe`` extra).

    ``api_base`` replaces ``https://api.stripe.com`` (a test server on loopback)."""
    try:
        import stripe  # optional extra; imported only when --fetch asks for it
    except ImportError:
        raise RevcliError(f"--fetch needs the stripe package: {install_hint('stripe')}") from None
    client = stripe.StripeClient(api_key, base_addresses={"api": api_base} if api_base else None)
    out = []
    try:
        listings = (
            ("customers", client.v1.customers.list({"limit": 100})),
            (
                "subscriptions",
                client.v1.subscriptions.list(
                    {"limit": 100, "status": "all", "expand": ["data.discounts"]}
                ),
            ),
            ("products", client.v1.products.list({"limit": 100})),
        )
        for name, listing in listings:
            out += [
                StripeObject(obj.to_dict(), f"{FETCH_SOURCE} {name}")
                for obj in listing.auto_paging_iter()
            ]
    except stripe.StripeError as exc:
        raise RevcliError(f"Stripe refused: {exc.user_message or exc}") from None
    return out


def shipped_maps() -> dict[str, Path]:
    """The maps revcli ships (``templates/import/*.yaml``) by name."""
    from revcli.templating.files import shipped_templates

    folder = shipped_templates() / "import"
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def find_map(name: Path) -> Path:
    """``--map``: a file, or the name of a shipped map such as ``hubspot-deals``."""
    if name.exists():
        return name
    shipped = shipped_maps()
    if str(name) in shipped:
        return shipped[str(name)]
    raise UsageError(
        f"map {name} not found; give a MAP.yaml file or one of {', '.join(shipped) or 'none'}"
    )


def read_map(path: Path) -> ImportMap:
    """A MAP.yaml file as an :class:`ImportMap`."""
    path = find_map(path)
    text, issues = decode(path, str(path))
    if text is None:
        raise DataError(issues)
    tree, issues = load_tree(text, str(path))
    if issues:
        raise DataError(issues)
    spec, issues = parse_map(tree, str(path), path.stem.lower())
    if spec is None:
        raise DataError(issues)
    return spec


def _cell(value: object, comma: bool = False) -> str | None:
    """An xlsx cell as the text a CSV export would hold: dates ISO, numbers plain (no
    exponent, a whole float without ``.0``), with a decimal comma where the map reads the
    column's text with ``decimal_comma`` (a number cell holds a number, not text in some
    convention: the map's rule for text must read it as the number it is)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | int):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        text = format(number.normalize() if number == number.to_integral() else number, "f")
        return text.replace(".", ",") if comma else text
    return str(value).strip() or None


MAX_XLSX_COLUMNS = 1_000
"""Most columns an xlsx header may name: an export has a few dozen; beyond this a sheet is
no table revcli imports (and each of its rows would be that wide)."""


def _unpacked_size(packed: io.BytesIO) -> int:
    """The bytes a zip file's members unpack to, as its directory says (Python's zip reader
    stops at that size, so it bounds what unpacking yields)."""
    with zipfile.ZipFile(packed) as archive:
        return sum(member.file_size for member in archive.infolist())


def read_xlsx(path: Path, sheet: str | None, comma: frozenset[str] = frozenset()) -> pl.DataFrame:
    """The first (or the named) sheet of an xlsx workbook as a frame of strings with
    ``_source`` and ``_line`` (the sheet's row numbers); needs the ``xlsx`` extra. The
    number cells of the columns named in ``comma`` are written with a decimal comma."""
    source = str(path)
    book = _workbook(path, source)
    try:
        if sheet is not None and sheet not in book.sheetnames:
            problem = f"no sheet '{sheet}'; it has {', '.join(book.sheetnames)}"
            raise DataError([Issue(source, None, "sheet", problem)])
        header, rows = _sheet_rows(
            book[sheet] if sheet is not None else book.worksheets[0], comma, source
        )
    finally:
        book.close()
    # A column without a name in the header (a spacer) is left out.
    data = {name: [row[i] for _, row in rows] for i, name in enumerate(header) if name}
    frame = pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))
    return frame.with_columns(
        pl.Series(LINE, [line for line, _ in rows], dtype=pl.Int64),
        pl.lit(source, dtype=pl.String).alias(SOURCE),
    )


def _workbook(path: Path, source: str) -> Any:
    """The workbook at ``path``, opened to be read row by row.

    Read as any data file is (a regular file of at most 1 GiB: a FIFO named .xlsx made the
    import wait for ever), and opened only if it unpacks to as little."""
    try:
        import openpyxl  # optional extra, imported only for .xlsx input
    except ImportError:
        raise RevcliError(f"reading .xlsx needs openpyxl: {install_hint('xlsx')}") from None
    try:
        packed = io.BytesIO(read_bytes(path))
        if _unpacked_size(packed) > MAX_FILE_BYTES:
            problem = f"unpacks to more than {MAX_FILE_BYTES // 2**20} MiB, the most revcli reads"
            raise DataError([Issue(source, None, "", problem)])
        return openpyxl.load_workbook(packed, read_only=True, data_only=True)
    except UnreadableFile as exc:
        raise DataError([Issue(source, None, "", str(exc))]) from None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError([Issue(source, None, "", f"not an xlsx workbook: {exc}")]) from None


def _sheet_rows(
    ws: Any, comma: frozenset[str], source: str
) -> tuple[list[str | None], list[tuple[int, list[str | None]]]]:
    """The header of a sheet (empty cells at its end dropped) and each row with cells, by
    its row number, as cell texts as wide as the header.

    The sheet's own ``<dimension>`` may be wrong, or huge: one that claimed too little lost
    columns and rows, and a 6 KB file naming cell XFD1048576 made every row 16,384 cells
    wide, a million times. Rows are read as the sheet holds them, as wide as the header."""
    ws.reset_dimensions()
    first = next(ws.iter_rows(max_row=1, values_only=True), None)
    header = [_cell(v) for v in first or ()]
    while header and header[-1] is None:
        header.pop()
    if not header:
        raise DataError([Issue(source, None, "", "the sheet is empty; expected a header row")])
    if len(header) > MAX_XLSX_COLUMNS:
        problem = f"the header has {len(header):,} columns; at most {MAX_XLSX_COLUMNS:,} are read"
        raise DataError([Issue(source, 1, "", problem)])
    issues = header_issues([name for name in header if name], source)  # a name twice
    if issues:
        raise DataError(issues)
    commas = [(name or "") in comma for name in header]
    cells = ws.iter_rows(min_row=2, max_col=len(header), values_only=True)
    rows = [
        (number, [_cell(v, commas[i]) for i, v in enumerate(row)])
        for number, row in enumerate(cells, start=2)
        if any(row)
    ]
    return header, rows


def read_mapped(path: Path, map_path: Path) -> Batch:
    """A CSV or xlsx export mapped by MAP.yaml as a :class:`Batch`."""
    spec = read_map(map_path)
    if path.suffix.lower() == ".xlsx":
        comma = frozenset(r.column for r in spec.rules if r.decimal_comma and r.column)
        frame = read_xlsx(path, spec.sheet, comma)
    else:
        frame = _read_export(path)
    return import_mapped(frame, spec, str(path))
