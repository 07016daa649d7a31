"""CSV read as text: every cell a string (or null when empty), every record its line."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from revcli.data.csvlines import header_issues, read_csv_text, split_header
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
    frame, issues = read_csv_text(text, source)
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
    :func:`read_csv_text` finds the lines itself and reports.
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
        header = split_header(data[:newline].decode("utf-8").rstrip("\r"))
    except (UnicodeDecodeError, csv.Error):
        return None
    if len(header) < 2 or header_issues(header, source):
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
