"""Raw text typed by the column specifications of :mod:`revcli.schema`, vectorised: each
column parsed once, every value that does not parse or is out of range reported by file,
row and column."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

import polars as pl

from revcli.errors import Issue
from revcli.rowchecks import RowCheck, quoted, range_rule, row_issues
from revcli.schema import (
    DECIMAL,
    FALSE_WORDS,
    FIRST_YEAR,
    LAST_YEAR,
    LINE,
    SOURCE,
    TRUE_WORDS,
    Column,
    Kind,
    TableSpec,
    country_codes,
    currency_codes,
)


@cache
def _code_series(kind: Kind) -> pl.Series:
    """The codes of a currency or country column as one series, built once."""
    codes = currency_codes() if kind is Kind.CURRENCY else country_codes()
    return pl.Series(sorted(codes), dtype=pl.String)


_DATE_RE = r"^(19|20|21)\d{2}-\d{2}-\d{2}$"
_MONTH_RE = r"^(19|20|21)\d{2}-\d{2}$"
_DECIMAL_RE = r"^[+-]?(\d+(\.\d{0,10})?|\.\d{1,10})$"
_DECIMAL_TOO_LARGE_RE = r"^[+-]?[0-9]{29,}(\.[0-9]{0,10})?$"
DECIMAL_TOO_LARGE = "is too large; at most 28 digits before the decimal point"
"""What is wrong with a value written as a decimal should be but with more whole digits
than :data:`DECIMAL` holds (28)."""
_DECIMAL_TOO_PRECISE_RE = r"^[+-]?[0-9]*\.[0-9]{11,}$"
DECIMAL_TOO_PRECISE = "has more than 10 decimal places"
"""What is wrong with a decimal written with more places than :data:`DECIMAL` holds (10)."""
_INT_RE = r"^[+-]?\d{1,15}$"


def _parse_expr(col: Column) -> tuple[pl.Expr, str]:
    """The typed value of a column (null when unparseable) and what was expected."""
    raw = pl.col(col.name)
    match col.kind:
        case Kind.TEXT:
            return raw, ""
        case Kind.DATE:
            ok = raw.str.contains(_DATE_RE)
            return pl.when(ok).then(raw.str.to_date("%Y-%m-%d", strict=False)), (
                f"is not a date from {FIRST_YEAR} to {LAST_YEAR}; expected YYYY-MM-DD"
            )
        case Kind.MONTH:
            ok = raw.str.contains(_MONTH_RE)
            value = (raw + "-01").str.to_date("%Y-%m-%d", strict=False)
            return pl.when(ok).then(value), (
                f"is not a month from {FIRST_YEAR} to {LAST_YEAR}; expected YYYY-MM"
            )
        case Kind.DECIMAL:
            ok = raw.str.contains(_DECIMAL_RE)
            return pl.when(ok).then(raw.cast(DECIMAL, strict=False)), (
                "is not a number; expected digits with a decimal point, e.g. 1200.50"
            )
        case Kind.INT:
            ok = raw.str.contains(_INT_RE)
            return pl.when(ok).then(raw.cast(pl.Int64, strict=False)), ("is not a whole number")
        case Kind.BOOL:
            low = raw.str.to_lowercase()
            value = (
                pl.when(low.is_in(TRUE_WORDS)).then(True).when(low.is_in(FALSE_WORDS)).then(False)
            )
            return value, "is not a boolean; expected true/false, yes/no or 1/0"
        case Kind.ENUM:
            low = raw.str.to_lowercase()
            return pl.when(low.is_in(col.choices)).then(low), (
                f"is not allowed; expected one of {', '.join(col.choices)}"
            )
        case Kind.CURRENCY:
            up = raw.str.to_uppercase()
            return pl.when(up.is_in(_code_series(col.kind).implode())).then(up), (
                "is not an ISO 4217 currency code (e.g. NOK, EUR, USD)"
            )
        case Kind.COUNTRY:
            up = raw.str.to_uppercase()
            return pl.when(up.is_in(_code_series(col.kind).implode())).then(up), (
                "is not an ISO 3166-1 two-letter country code (e.g. NO, SE, DE)"
            )


def _no_such_day(text: pl.Expr, expected: str, *, day: bool) -> pl.Expr:
    """What is wrong with a date (``day``) or month ``text`` written in the right form and
    years but naming no day of the calendar (``2026-02-29``, ``2026-04-31``,
    ``2026-13-01``): the day or month that does not exist, instead of the years."""
    month = text.str.slice(5, 2)
    tail = "; expected " + expected.rsplit("; expected ", 1)[-1]
    what = "is not a date: " if day else "is not a month: "
    return (
        pl.when(~month.is_in([f"{m:02d}" for m in range(1, 13)]))
        .then(pl.lit(what + "there is no month ") + month + tail)
        .otherwise(
            pl.lit(what) + text.str.slice(0, 7) + " has no day " + text.str.slice(8, 2) + tail
        )
    )


def _unparsed(col: Column, text: pl.Expr, expected: str) -> pl.Expr:
    """What is wrong with a ``text`` of column ``col`` that does not parse: ``expected``
    (from :func:`_parse_expr`); for a decimal with more whole digits or decimal places
    than :data:`DECIMAL` holds, that it is too large or too precise; for a date or month
    in the right form naming no day of the calendar, which day or month does not exist."""
    if col.kind in (Kind.DATE, Kind.MONTH):
        day = col.kind is Kind.DATE
        return (
            pl.when(text.str.contains(_DATE_RE if day else _MONTH_RE))
            .then(_no_such_day(text, expected, day=day))
            .otherwise(pl.lit(expected))
        )
    if col.kind is not Kind.DECIMAL:
        return pl.lit(expected)
    return (
        pl.when(text.str.contains(_DECIMAL_TOO_LARGE_RE))
        .then(pl.lit(DECIMAL_TOO_LARGE))
        .when(text.str.contains(_DECIMAL_TOO_PRECISE_RE))
        .then(pl.lit(DECIMAL_TOO_PRECISE))
        .otherwise(pl.lit(expected))
    )


def _range_issue(col: Column) -> tuple[pl.Expr, str] | None:
    value = pl.col(col.name)
    lo, hi = col.minimum, col.maximum
    if lo is None and hi is None:
        return None
    bad = pl.lit(False)
    if lo is not None:
        bad = bad | ((value <= lo) if col.min_exclusive else (value < lo))
    if hi is not None:
        bad = bad | (value > hi)
    return bad, range_rule(lo, hi, low_exclusive=col.min_exclusive)


def parse_table(
    raw: pl.DataFrame, spec: TableSpec, missing: Iterable[tuple[str, str]] = ()
) -> tuple[pl.DataFrame, list[Issue]]:
    """Type a raw frame of strings by ``spec``; report every value that does not parse.

    ``raw`` holds the spec's columns as strings (absent columns are added as null) plus
    ``_source`` and ``_line``. ``missing`` lists (source, column) pairs already reported
    as a missing header, so their rows are not reported again. Returns the typed frame
    (unparseable values null) and the issues.
    """
    skip = set(missing)
    # One buffer per column: a data dir of many small files is read as many chunks, and
    # every expression over chunked columns pays for each chunk.
    raw = raw.rechunk()
    absent_columns = [name for name in spec.names if name not in raw.columns]
    if absent_columns:
        nulls = pl.repeat(None, raw.height, dtype=pl.String, eager=True)
        raw = raw.hstack([nulls.alias(name) for name in absent_columns])
    planned, parse_checks, range_checks = _plan(spec)
    values = _by_value(raw, spec, planned) if raw.height >= BY_VALUE_ROWS else planned
    # Each column is parsed once; its checks then compare the typed value with the text.
    out = raw.select(*values, SOURCE, LINE)
    both = out.hstack([raw.get_column(col.name).alias(f"_raw:{col.name}") for col in spec.columns])
    # Whether a check fires is known from null counts where it can be: every kind types
    # a null text as null, so a text that did not parse is a typed null more than texts.
    checks: list[tuple[RowCheck, bool | None]] = []
    for col, parse_check in zip(spec.columns, parse_checks, strict=True):
        texts_null = raw.get_column(col.name).null_count()
        if col.required:
            text = pl.col(f"_raw:{col.name}")
            absent = [s for s, c in skip if c == col.name]
            if absent:
                mask = text.is_null() & ~pl.col(SOURCE).is_in(absent)
                checks.append((RowCheck(mask, col.name, "is required"), None))
            else:
                checks.append((RowCheck(text.is_null(), col.name, "is required"), texts_null > 0))
        if parse_check is not None:
            checks.append((parse_check, out.get_column(col.name).null_count() > texts_null))
    checks += [(check, None) for check in range_checks]
    return out, row_issues(both, [c for c, _ in checks], [fired for _, fired in checks])


BY_VALUE_ROWS = 20_000
"""From this many rows on, a column of codes (booleans, choices, currencies, countries)
or dates is typed once per distinct text, not once per row."""
_CODES = (Kind.BOOL, Kind.ENUM, Kind.CURRENCY, Kind.COUNTRY)
_MAX_CODES = 1_000
_DATES = (Kind.DATE, Kind.MONTH)
_DATES_PER_TEXT = 8
"""Dates are typed by distinct text when there are at most one per this many rows
(contracts start on a few days a year, not each on its own): a lookup costs about a
third of matching and parsing a date."""


def _by_value(raw: pl.DataFrame, spec: TableSpec, values: Sequence[pl.Expr]) -> list[pl.Expr]:
    """``values`` with each column of codes or dates looked up from its distinct texts,
    typed by the same expression: the same values, at the cost of a lookup instead of
    case folding and matching every row. Columns with more than a thousand distinct
    codes, or dates on more than one row in eight, keep their expression."""
    coded = [col for col in spec.columns if col.kind in _CODES + _DATES]
    if not coded:
        return list(values)
    most = {
        col.name: _MAX_CODES if col.kind in _CODES else raw.height // _DATES_PER_TEXT
        for col in coded
    }
    distinct = raw.select(
        pl.col(col.name).drop_nulls().unique().head(most[col.name] + 1).implode() for col in coded
    )
    out = dict(zip(spec.names, values, strict=True))
    for col in coded:
        texts = distinct.get_column(col.name)[0]
        if len(texts) > most[col.name]:
            continue
        value, _ = _parse_expr(col)
        typed = pl.DataFrame({col.name: texts}, schema={col.name: pl.String}).select(value)
        # Each text's place among the distinct texts (an Enum of them: every text is
        # one), then the typed value at that place; a null text stays null.
        places = pl.col(col.name).cast(pl.Enum(texts)).to_physical()
        out[col.name] = pl.lit(typed.to_series()).gather(places).alias(col.name)
    return list(out.values())


@cache
def _plan(
    spec: TableSpec,
) -> tuple[tuple[pl.Expr, ...], tuple[RowCheck | None, ...], tuple[RowCheck, ...]]:
    """What :func:`parse_table` evaluates for ``spec``, built once: the typed value of each
    column, the check of each column's text against its value (``None`` for text), and
    the range checks."""
    values: list[pl.Expr] = []
    parse_checks: list[RowCheck | None] = []
    range_checks: list[RowCheck] = []
    for col in spec.columns:
        value, expected = _parse_expr(col)
        values.append(value.alias(col.name))
        text = pl.col(f"_raw:{col.name}")
        bad = text.is_not_null() & pl.col(col.name).is_null()
        message = quoted(f"_raw:{col.name}") + " " + _unparsed(col, text, expected)
        parse_checks.append(RowCheck(bad, col.name, message) if expected else None)
        check = _range_issue(col)
        if check is not None:
            mask, rule = check
            message = pl.lit("'") + text + f"' {rule}"
            range_checks.append(RowCheck(mask.fill_null(False), col.name, message))
    return tuple(values), tuple(parse_checks), tuple(range_checks)


def parse_value(col: Column, raw: str) -> tuple[object | None, str]:
    """One text value typed and range-checked exactly as a cell of column ``col`` (for
    settings that default a column, e.g. ``invoice.default_tax_rate`` for ``tax_rate``):
    the value and ``""``, or ``None`` and what is wrong."""
    parsed, expected = _parse_expr(col)
    checked = _range_issue(col)
    bad, text = checked if checked is not None else (pl.lit(False), "")
    typed = pl.DataFrame({col.name: [raw]}, schema={col.name: pl.String}).with_columns(
        parsed.alias(col.name)
    )
    value, out_of_range = typed.select(pl.col(col.name), bad.fill_null(False)).row(0)
    if value is None:
        return None, pl.select(_unparsed(col, pl.lit(raw), expected)).item()
    if out_of_range:
        return None, text
    return value, ""
