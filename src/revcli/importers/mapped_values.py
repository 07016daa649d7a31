"""A mapped cell's text as its target column's value: value maps, date formats and numbers."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import polars as pl

from revcli.importers.import_map import ColumnRule
from revcli.importers.values import decimal_problem, decimal_text
from revcli.schema import FIRST_YEAR, LAST_YEAR, Kind

_TOKENS = (("YYYY", "%Y"), ("MM", "%m"), ("DD", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"))


def strptime_format(pattern: str) -> str:
    """``DD.MM.YYYY`` → ``%d.%m.%Y`` (tokens YYYY MM DD HH mm ss; the rest is literal)."""
    out = pattern.replace("%", "%%")
    for token, code in _TOKENS:
        out = out.replace(token, code)
    return out


# Thousands grouping: 1 to 3 digits, then groups of exactly 3, then the decimals.
_GROUPED = {
    ",": re.compile(r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?$"),
    ".": re.compile(r"^[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]*)?$"),
}


def _number(text: str, rule: ColumnRule, kind: Kind) -> tuple[str, str | None]:
    """A number as plain decimal text, and a problem when it cannot be read safely.

    Spaces and apostrophes group thousands. The grouping mark (a comma, or a dot with
    ``decimal_comma``) is accepted only as grouping — ``1,234`` or ``1,234,567.50`` —
    since ``12,50`` read as grouping would be 1250: a wrong amount without a word.
    Text that is no number at all is returned as it is, for the column rules to name —
    but a decimal under ``decimal_comma`` is named here, since the rules' hint asks for a
    decimal point.
    """
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text)
    group, mark = (".", ",") if rule.decimal_comma else (",", ".")
    if group in cleaned:
        if not _GROUPED[group].match(cleaned):
            return text, _grouping_problem(text, rule.decimal_comma)
        cleaned = cleaned.replace(group, "")
    try:
        value = Decimal(cleaned.replace(mark, "."))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        if rule.decimal_comma and kind is Kind.DECIMAL:
            return (
                text,
                f"'{text}' is not a number; expected digits with a decimal comma, e.g. 1200,50",
            )
        return text, None
    if rule.multiply is not None:
        value *= rule.multiply
    problem = decimal_problem(value)
    if problem is not None:
        return text, f"'{text}' {problem}"
    return decimal_text(value), None


def _grouping_problem(text: str, decimal_comma: bool) -> str:
    if decimal_comma:
        return (
            f"'{text}' has a dot that does not group thousands (1.234 or 1.234.567,50), "
            "and the map says decimal_comma: true; if the export writes decimal points "
            "(12.50, 1,234.50), set decimal_comma: false in the map"
        )
    return (
        f"'{text}' has a comma that does not group thousands (1,234 or 1,234,567.50); "
        "if the export writes decimal commas (12,50, 1.234,50), set decimal_comma: true "
        "in the map"
    )


def _date(text: str, rule: ColumnRule) -> tuple[str, str | None]:
    """A day by the rule's format (else ISO); a time after the day is ignored.

    Text that is no day is returned as it is: without a ``date_format`` for the column
    rules to name (they expect YYYY-MM-DD), with one named here by that format."""
    fmt = rule.date_format
    day_part = re.split(r"[ T]", text, maxsplit=1)[0]
    for candidate in ([strptime_format(fmt)] if fmt else []) + ["%Y-%m-%d"]:
        for value in dict.fromkeys((text, day_part)):
            try:
                # A calendar day, no zone: only the date part is kept.
                day = dt.datetime.strptime(value, candidate).date()  # noqa: DTZ007
            except ValueError:
                continue
            if fmt is None or FIRST_YEAR <= day.year <= LAST_YEAR:
                return day.isoformat(), None
    if fmt is None:
        return text, None
    return text, f"'{text}' is not a date from {FIRST_YEAR} to {LAST_YEAR}; expected {fmt}"


def _convert(text: str | None, rule: ColumnRule, kind: Kind) -> tuple[str | None, str | None]:
    """A cell's value for the target column, and a problem the column rules cannot see."""
    if rule.constant is not None:
        return rule.constant, None
    if text is None:
        return None, None
    if rule.values:
        table = dict(rule.values)
        lowered = {k.lower(): v for k, v in rule.values}
        text = table.get(text, lowered.get(text.lower(), table.get("*", text)))
        if text == "":
            return None, None
    if kind is Kind.DATE:
        return _date(text, rule)
    if kind in (Kind.DECIMAL, Kind.INT):
        return _number(text, rule, kind)
    return text, None


Converted = tuple[list[str | None] | None, list[str | None], list[str | None]]
"""A rule's cells (``None`` for a constant), and per row its value and problem."""


def converted_column(raw: pl.DataFrame, rule: ColumnRule, kind: Kind) -> Converted:
    """:func:`_convert` for every row of ``raw`` by ``rule``: each distinct cell is
    converted once (an export repeats its dates, periods, products and prices), and the
    results are spread over the rows by Polars."""
    if rule.column is None:
        value, problem = _convert(None, rule, kind)
        return None, [value] * raw.height, [problem] * raw.height
    column = raw.get_column(rule.column).cast(pl.String)
    distinct = column.drop_nulls().unique(maintain_order=True)
    found = [_convert(text, rule, kind) for text in distinct.to_list()]
    empty = _convert(None, rule, kind)  # an empty cell

    def spread(at: int) -> list[str | None]:
        if distinct.is_empty():
            return [empty[at]] * raw.height
        return column.replace_strict(
            distinct, [f[at] for f in found], default=empty[at], return_dtype=pl.String
        ).to_list()

    return column.to_list(), spread(0), spread(1)
