"""CSV read as text: every cell a string (or null when empty), every record its line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from revcli.data.files import UnreadableFile, read_bytes
from revcli.errors import Issue
from revcli.schema import LINE, SOURCE

BOM = b"\xef\xbb\xbf"
_BLANK = b" \t\r\n"


def decode(path: Path, source: str) -> tuple[str | None, list[Issue]]:
    """Read a file as UTF-8 text with ``\\n`` line ends; report what makes it unreadable."""
    data, issues = _read_bytes(path, source)
    if data is None:
        return None, issues
    return _decode(data, source)


def _read_bytes(path: Path, source: str) -> tuple[bytes | None, list[Issue]]:
    try:
        return read_bytes(path), []
    except UnreadableFile as exc:
        return None, [Issue(source, None, "", str(exc))]


def decode_exact(path: Path, source: str) -> tuple[str | None, list[Issue]]:
    """Read a UTF-8 file as written: a byte-order mark and ``\\r\\n`` line ends are kept
    (for a file rewritten record by record, whose untouched records keep their bytes)."""
    data, issues = _read_bytes(path, source)
    if data is None:
        return None, issues
    text, issues = _decode(data, source)
    return (None if text is None else data.decode("utf-8")), issues


def decode_bytes(data: bytes, source: str) -> tuple[str | None, list[Issue]]:
    """A file's bytes as UTF-8 text with ``\\n`` line ends; report what makes them unreadable
    (for files not on disk, such as a file at a git revision)."""
    return _decode(data, source)


def _decode(data: bytes, source: str) -> tuple[str | None, list[Issue]]:
    data = data.removeprefix(BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            Issue(
                source,
                line,
                "",
                f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8",
            )
        ]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, []


def _frame(
    columns: list[str], rows: list[list[str]], lines: list[int], source: str
) -> pl.DataFrame:
    data: dict[str, list[str | None]] = {
        name: [row[i] or None for row in rows] for i, name in enumerate(columns)
    }
    frame = pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String))
    return frame.with_columns(
        pl.Series(LINE, lines, dtype=pl.Int64), pl.lit(source, dtype=pl.String).alias(SOURCE)
    )


def _header_issues(columns: list[str], source: str) -> list[Issue]:
    issues = []
    seen: set[str] = set()
    for number, name in enumerate(columns, start=1):
        if not name:
            issues.append(Issue(source, 1, "", f"column {number} of the header has no name"))
        elif name in seen:
            issues.append(Issue(source, 1, name, "column appears twice in the header"))
        seen.add(name)
    return issues


def _read_quoted(text: str, source: str) -> tuple[pl.DataFrame | None, list[Issue]]:
    """Slow path for files with quoted cells, which may span lines."""
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = [c.strip() for c in next(reader)]
    except StopIteration:
        return None, [Issue(source, None, "", "file is empty; expected a header row")]
    issues = _header_issues(header, source)
    rows: list[list[str]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):
                if len(row) != len(header):
                    issues.append(_ragged(source, start, len(row), len(header)))
                else:
                    rows.append([cell.strip() for cell in row])
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        issues.append(Issue(source, start, "", f"malformed CSV: {exc}"))
    if issues:
        return None, issues
    return _frame(header, rows, lines, source), []


def _not_comma_separated(text: str, source: str, *, failed: bool) -> list[Issue]:
    """One clear problem for a file that is no comma-separated CSV at all, instead of a
    problem for every row (or of a table of one column): one separated by semicolons or
    tabs (what Excel writes in many countries), or, when it did not read as CSV, JSON."""
    start = text.lstrip()[:1]
    if failed and start in ("{", "["):
        message = f"the file holds JSON (it starts with '{start}'); expected CSV"
        return [Issue(source, 1, "", message)]
    header = text.partition("\n")[0]
    if "," not in header:
        for separator, name in ((";", "semicolons"), ("\t", "tabs")):
            if separator in header:
                message = (
                    f"the header is one column holding {name}: the file is separated by "
                    f"{name}, and revcli reads CSV separated by commas (in Excel: Save As, "
                    "CSV UTF-8 (Comma delimited))"
                )
                return [Issue(source, 1, "", message)]
    return []


def _ragged(source: str, line: int, found: int, expected: int) -> Issue:
    return Issue(
        source, line, "", f"row has {found} fields, the header has {expected}; check commas"
    )


def _split_header(line: str) -> list[str]:
    return [c.strip() for c in next(csv.reader([line]))]


def read_csv(path: Path, source: str) -> tuple[pl.DataFrame | None, list[Issue]]:
    """Read a CSV file into a frame of strings with ``_line`` and ``_source`` columns.

    Cells are stripped and empty cells become null. Blank lines are skipped. Returns
    ``None`` and the problems when the file cannot be read as a whole.
    """
    data, issues = _read_bytes(path, source)
    if data is None:
        return None, issues
    return parse_csv(data, source)


def parse_csv(data: bytes, source: str) -> tuple[pl.DataFrame | None, list[Issue]]:
    """A CSV file's bytes as :func:`read_csv` reads them (for files not on disk, such as
    a file at a git revision)."""
    frame = _read_native(data.removeprefix(BOM), source)
    if frame is not None:
        return frame, []
    text, issues = _decode(data, source)
    if text is None:
        return None, issues
    frame, issues = _read_text(text, source)
    if frame is None or frame.width == len((LINE, SOURCE)) + 1:  # failed, or one column
        wrong = _not_comma_separated(text, source, failed=frame is None)
        if wrong:
            return None, wrong
    return frame, issues


def _read_native(data: bytes, source: str) -> pl.DataFrame | None:
    """Polars' own reader, for a file whose records are each exactly one line.

    That is the common case and it is shown without a Python loop over the lines:
    Polars returns one row per record (a blank line too), so as many rows as lines
    after the header means no record spans lines (without quotes none can); it
    refuses rows with more fields than the header and pads rows with fewer, and the
    byte lengths of the cells then show that no row is short (see
    :func:`_one_record_per_line`), so no line was blank either. Record *i* is then
    line *i + 2*. Returns ``None`` when any of this does not hold (blank lines inside,
    quoted line breaks, ragged rows, bytes that are not UTF-8, a bad header):
    :func:`_read_text` finds the lines itself and reports.
    """
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None  # old Mac line ends: Polars splits lines at \n only
    end = len(data)
    while end and data[end - 1] in _BLANK:
        end -= 1  # blank lines at the end are skipped; cut them so none is a row
    newline = data.find(b"\n", 0, end)
    if newline < 0:
        return None
    try:
        header = _split_header(data[:newline].decode("utf-8").rstrip("\r"))
    except (UnicodeDecodeError, csv.Error):
        return None
    if len(header) < 2 or _header_issues(header, source):
        return None  # one column has no commas to count; header problems are reported
    # The last line with a cell is kept whole, its padding too (``"" `` is malformed
    # there as anywhere), and ended by a line break: Polars takes one empty field too
    # many on a last line without one (``1,2,`` under a two-column header) instead of
    # refusing the row.
    last = data.find(b"\n", end) + 1
    body = data + b"\n" if not last else data[:last] if last < len(data) else data
    quotes = body.count(b'"') if b'"' in body else 0
    if quotes % 2:
        return None  # an unbalanced quote is malformed: the csv module says where
    try:
        frame = pl.read_csv(
            body, has_header=False, skip_rows=1, schema=dict.fromkeys(header, pl.String)
        )
    except pl.exceptions.PolarsError:
        return None
    start = newline + 1
    # Without quotes every line break ends a record; with them, one in a cell does not.
    if (quotes and frame.height != body.count(b"\n", start)) or not _one_record_per_line(
        body, start, frame, header, quotes=quotes - body.count(b'"', 0, start)
    ):
        return None
    # One chunk now (Polars reads in many), while the next file is not yet read: the
    # memory of the chunks is then reused for it instead of fresh pages later.
    return frame.select(
        *_clean(frame, body, start, header, quoted=quotes > 0),
        pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(LINE),
        pl.lit(source, dtype=pl.String).alias(SOURCE),
    ).rechunk()


_PADDING = (b"\t", b"\x0b", b"\x0c")
"""The ASCII bytes besides the space that :meth:`polars.Expr.str.strip_chars` strips
and that a cell read by :func:`_read_native` can hold (a line break or carriage return
in a cell is a quoted line break, which that reader refuses)."""

_WIDE_PADDING = (b"\xc2", b"\xe1", b"\xe2", b"\xe3")
"""The first bytes of the UTF-8 encodings of every character beyond ASCII that
:meth:`polars.Expr.str.strip_chars` strips (U+0085, U+00A0, U+1680, U+2000 to U+200A,
U+2028, U+2029, U+202F, U+205F, U+3000; tests/test_csvio.py checks the list): text
without them (Norwegian letters are c3 xx) pads with ASCII only."""


def _clean(
    frame: pl.DataFrame, data: bytes, start: int, header: list[str], *, quoted: bool
) -> list[pl.Expr]:
    """Each column with its cells stripped and empty cells as null.

    Polars already reads an empty unquoted cell as null; a cell that is empty only after
    stripping, or quoted and empty (``""``), still needs the ``"" -> null`` step.
    Stripping is a pass over every cell, so it is kept for the columns that need it:
    when the body (from ``start``) pads with nothing but spaces (no tab, form feed or
    wide space), a column needs it only if a cell is empty, starts with a space (both
    sort before ``"!"``) or ends with one; without a space in the body, only quoted
    empty cells remain, and without quotes either, nothing."""
    if any(data.find(b, start) >= 0 for b in _PADDING + _WIDE_PADDING):
        needed = dict.fromkeys(header, True)
    elif data.find(b" ", start) >= 0:
        needed = frame.select(
            ((pl.col(name) < "!").any() | pl.col(name).str.ends_with(" ").any()).alias(name)
            for name in header
        ).row(0, named=True)
    elif quoted:
        needed = frame.select((pl.col(name) == "").any() for name in header).row(0, named=True)
    else:
        needed = dict.fromkeys(header, False)
    return [
        pl.col(name).str.strip_chars().replace("", None) if needed[name] else pl.col(name)
        for name in header
    ]


def _one_record_per_line(
    data: bytes, start: int, frame: pl.DataFrame, header: list[str], *, quotes: int
) -> bool:
    """Whether every record of ``frame`` has exactly the header's number of fields, when
    there are as many records as lines after the header (``data`` from ``start``, which
    holds ``quotes`` quotes).

    Polars ends a record only at a line break and makes one of every line, a blank one
    too, so as many records as lines means record *i* is line *i*. It refuses a record
    with more fields than the header, so each record has at most ``columns - 1``
    separating commas, and all of them have exactly that many when the separating
    commas number ``rows x (columns - 1)``; a short row cannot be made up for by a long
    one. A blank line is a record of one field: short.

    The separating commas are counted from byte lengths, so nothing here loops over
    rows in Python or scans the bytes for commas: Polars takes out of a line only its
    separating commas, its line break (and the carriage return before it) and of the
    quotes all but one of each doubled pair inside quoted cells, so the separating
    commas are the line bytes less the bytes of the cells, the line breaks, carriage
    returns and quotes, plus the quotes the cells hold. Those last are counted only when
    the commas fall short without them (else none is held: the count cannot exceed
    ``rows x (columns - 1)``)."""
    full = frame.height * (len(header) - 1)
    cells = frame.select(
        pl.sum_horizontal(pl.col(name).str.len_bytes().sum() for name in header)
    ).item()
    returns = data.count(b"\r", start) if data.find(b"\r", start) >= 0 else 0
    commas = len(data) - start - int(cells or 0) - frame.height - returns - quotes
    if quotes and commas < full:
        held = frame.select(
            pl.sum_horizontal(
                pl.col(name).str.count_matches('"', literal=True).sum() for name in header
            )
        ).item()
        commas += int(held or 0)
    return commas == full


def _read_text(text: str, source: str) -> tuple[pl.DataFrame | None, list[Issue]]:
    """Read decoded CSV text, finding each record's line and every ragged row."""
    if not text.strip():
        return None, [Issue(source, None, "", "file is empty; expected a header row")]
    lines = pl.Series("raw", [text.removesuffix("\n")]).str.split("\n").explode()
    quotes = lines.str.count_matches('"', literal=True)
    if ((quotes % 2) == 1).any():
        # A quoted cell spans lines: only a CSV state machine knows where records start.
        return _read_quoted(text, source)
    header = _split_header(str(lines[0]))
    issues = _header_issues(header, source)
    if issues:
        return None, issues
    # Vectorised: with no quoted line breaks every line is one record; removing quoted
    # cells leaves one comma per separator, so fields are counted without a parser.
    body = (
        lines.to_frame()
        .with_row_index(LINE, offset=1)
        .slice(1)
        .with_columns(
            (pl.col("raw").str.strip_chars() == "").alias("_blank"),
            pl.col("raw")
            .str.replace_all(r'(^|,)"(?:[^"]|"")*"', "${1}")
            .str.count_matches(",", literal=True)
            .alias("_commas"),
        )
    )
    ragged = body.filter(~pl.col("_blank") & (pl.col("_commas") != len(header) - 1))
    if ragged.height:
        return None, [
            _ragged(source, int(line), int(commas) + 1, len(header))
            for line, commas in ragged.select(LINE, "_commas").iter_rows()
        ]
    try:
        parsed = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            infer_schema=False,
            has_header=False,
            skip_rows=1,
            new_columns=header,
        )
    except pl.exceptions.PolarsError:
        return _read_quoted(text, source)
    if parsed.height != body.height:
        return _read_quoted(text, source)
    frame = (
        parsed.with_columns(
            body.get_column(LINE).cast(pl.Int64),
            pl.lit(source).alias(SOURCE),
            body.get_column("_blank"),
        )
        .filter(~pl.col("_blank"))
        .drop("_blank")
        .with_columns(pl.col(name).str.strip_chars().replace("", None) for name in header)
    )
    return frame, []
