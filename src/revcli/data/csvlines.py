"""CSV text read line by line: the lines of records found, ragged rows and bad headers reported."""

from __future__ import annotations

import csv
import io

import polars as pl

from revcli.errors import Issue
from revcli.schema import LINE, SOURCE


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


def header_issues(columns: list[str], source: str) -> list[Issue]:
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
    issues = header_issues(header, source)
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


def _ragged(source: str, line: int, found: int, expected: int) -> Issue:
    return Issue(
        source, line, "", f"row has {found} fields, the header has {expected}; check commas"
    )


def split_header(line: str) -> list[str]:
    return [c.strip() for c in next(csv.reader([line]))]


def read_csv_text(text: str, source: str) -> tuple[pl.DataFrame | None, list[Issue]]:
    """Read decoded CSV text, finding each record's line and every ragged row."""
    if not text.strip():
        return None, [Issue(source, None, "", "file is empty; expected a header row")]
    lines = pl.Series("raw", [text.removesuffix("\n")]).str.split("\n").explode()
    quotes = lines.str.count_matches('"', literal=True)
    if ((quotes % 2) == 1).any():
        # A quoted cell spans lines: only a CSV state machine knows where records start.
        return _read_quoted(text, source)
    header = split_header(str(lines[0]))
    issues = header_issues(header, source)
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
