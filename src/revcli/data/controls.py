"""Text cells that hold control characters: found by file, row and column.

A control character (an escape, a NUL, a vertical tab pasted from a word processor) or
a bidirectional override in a text is invisible in an editor and drives a terminal or
reverses what follows it. Reports show such a character by its code (:mod:`revcli.visible`),
so the data is not refused for it (checking every cell of every report would cost a
tenth of its time on a million lines); ``revcli validate`` warns about each one, and an
invoice refuses one it would print (:mod:`revcli.billing.texts`). Tab and line breaks are
ordinary text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import polars as pl

from revcli.data.load import relocate
from revcli.data.validate import DataSet
from revcli.errors import Issue, Severity
from revcli.schema import CONTRACTS, CUSTOMERS, LINE, LINES, OPPORTUNITIES, SOURCE, Kind
from revcli.visible import BIDI_CONTROLS, CONTROL_CLASS, NONCHARACTERS, codes_pattern, visible

ORDINARY = "\t\n\r"
"""The control characters a text may hold: tab and line breaks."""

UNSHOWABLE = f"[[{CONTROL_CLASS}]--[\\t\\n\\r]]"
"""What :func:`revcli.visible.visible` writes as a code (control characters, direction
formatting characters, U+FFFE/U+FFFF) less :data:`ORDINARY`, as a Polars pattern."""

INVOICE_TEXTS = {
    "customers": ("customer_id", "name", "address", "vat_id", "billing_email", "peppol_id"),
    "contracts": ("contract_id", "po_number", "buyer_reference"),
    "lines": ("line_id", "product", "description"),
}
"""The text columns of each table that an invoice (face or e-invoice) prints."""


def describe(char: str) -> str:
    """What a character :func:`visible` writes as a code is, with its code:
    ``the control character <U+001B>``."""
    if char in BIDI_CONTROLS:
        kind = "direction-formatting character"
    elif char in NONCHARACTERS:
        kind = "noncharacter"
    else:
        kind = "control character"
    return f"the {kind} {visible(char)}"


def first_unshowable(text: str) -> str | None:
    """The first character of ``text`` that :data:`UNSHOWABLE` finds, or ``None``."""
    found = codes_pattern(ORDINARY).search(text)
    return found.group() if found else None


def _any(columns: Sequence[str]) -> pl.Expr:
    return pl.any_horizontal(pl.col(c).str.contains(UNSHOWABLE) for c in columns)


def any_unshowable(
    frame: pl.DataFrame, columns: Sequence[str], *, distinct: Sequence[str] = ()
) -> bool:
    """Whether a text of ``columns`` (those ``frame`` has) holds a control character; of
    the ``distinct`` columns (texts that repeat many times, such as the products and
    descriptions of a month's invoice lines) only each distinct text is looked at."""
    present = [c for c in columns if c in frame.columns]
    if not present:
        return False
    texts = [pl.col(c).unique() if c in distinct else pl.col(c) for c in present]
    return any(frame.select(t.str.contains(UNSHOWABLE).any() for t in texts).row(0))


def unshowable_cells(
    frame: pl.DataFrame,
    columns: Sequence[str],
    message: Callable[[str, str], str],
    severity: Severity = Severity.ERROR,
) -> list[Issue]:
    """An issue per cell of ``columns`` of ``frame`` (with ``_source`` and ``_line``) that
    holds a control character, saying ``message(column, char)`` of its first one."""
    present = [c for c in columns if c in frame.columns]
    issues = []
    bad = frame.filter(_any(present)).select("_source", "_line", *present)
    for row in bad.iter_rows(named=True):
        for column in present:
            found = first_unshowable(row[column] or "")
            if found:
                text = message(column, found)
                issues.append(Issue(row["_source"], row["_line"], column, text, severity))
    return issues


def control_character_warnings(data: DataSet) -> list[Issue]:
    """A warning per text cell of the customers, contracts, lines, opportunities and
    signal files (usage, tickets, payments) that holds a control character (``revcli
    validate``); in YAML at the value's line."""
    tables: list[tuple[str, list[str], pl.DataFrame]] = [
        (spec.name, [c.name for c in spec.columns if c.kind is Kind.TEXT], frame)
        for spec, frame in (
            (CUSTOMERS, data.customers),
            (CONTRACTS, data.contracts),
            (LINES, data.lines),
            (OPPORTUNITIES, data.opportunities),
        )
    ]
    # The signal files are typed by the risk feature; here every cell is still text, and
    # a cell of another type that holds a control character is refused there anyway.
    tables += [
        (
            name,
            [c for c, t in frame.schema.items() if t == pl.String and c not in (SOURCE, LINE)],
            frame,
        )
        for name, frame in data.extra.items()
    ]
    issues = []
    for name, texts, frame in tables:
        if any_unshowable(frame, texts):
            printed = INVOICE_TEXTS.get(name.removeprefix("contract_"), ())
            message = partial(_shown_as, printed=printed)
            issues += unshowable_cells(frame, texts, message, Severity.WARNING)
    return relocate(issues, data.positions)


def _shown_as(column: str, char: str, *, printed: tuple[str, ...]) -> str:
    refused = ", and an invoice that prints it is refused" if column in printed else ""
    return f"holds {describe(char)}; reports never print it as it is{refused}"
