"""The texts an invoice shows, checked for characters no document can show.

An invoice prints the buyer's name and address, the order reference and each line's
product and description. A control character in one of them (an escape, a NUL, a
vertical tab pasted from a word processor) cannot be written into the e-invoice's XML at
all, and a bidirectional override (U+202E) shows the text after it reversed: a legal
document that reads differently from its data. Such a text is refused, by file, row and
column, before an invoice is made, and an invoice issued with one before revcli refused
them is not credited. Tab and line breaks are allowed (an address may span lines).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from revcli.billing.model import Invoice
from revcli.data.controls import (
    INVOICE_TEXTS,
    any_unshowable,
    describe,
    first_unshowable,
    unshowable_cells,
)
from revcli.data.load import relocate
from revcli.data.validate import DataSet
from revcli.errors import DataError, Issue


def text_problems(data: DataSet, invoices: pl.DataFrame, lines: pl.DataFrame) -> list[Issue]:
    """A problem per text cell of ``invoices``' customers and contracts, and of ``lines``
    (priced lines, with ``line_order``: the row of ``data.lines``), that holds a character
    an invoice cannot show."""
    customers = data.customers.join(
        invoices.select("customer_id").unique(), on="customer_id", how="semi"
    )
    # The run's frames carry the contracts' and lines' texts: a look at them (and at the
    # customers) finds nothing on good data without joining back to the rows of the files.
    if not (
        any_unshowable(customers, INVOICE_TEXTS["customers"])
        or any_unshowable(invoices, INVOICE_TEXTS["contracts"])
        or any_unshowable(lines, INVOICE_TEXTS["lines"], distinct=("product", "description"))
    ):
        return []
    rows = {
        "customers": customers,
        "contracts": data.contracts.join(
            invoices.select("contract_id").unique(), on="contract_id", how="semi"
        ),
        "lines": data.lines.with_row_index("line_order").join(
            lines.select(pl.col("line_order").cast(pl.UInt32)).unique(),
            on="line_order",
            how="semi",
        ),
    }
    issues = [
        issue
        for table, frame in rows.items()
        for issue in unshowable_cells(frame, INVOICE_TEXTS[table], _refused)
    ]
    return relocate(issues, data.positions)  # in YAML, the value's own line


def _refused(column: str, char: str) -> str:
    return f"holds {describe(char)}, which an invoice cannot show; remove it"


def refuse_uncreditable(original: Invoice, line: int, register: Path) -> None:
    """A credit note copies its invoice's texts: an invoice issued before revcli refused
    control characters in them (above) cannot be credited by revcli, as its
    credit note could not show them either."""
    for name, value in _texts(original):
        char = first_unshowable(value)
        if char is not None:
            raise DataError(
                [
                    Issue(
                        str(register),
                        line,
                        name,
                        f"invoice {original.number} holds {describe(char)}, which a credit "
                        "note cannot show; credit it with a document made outside revcli",
                    )
                ]
            )


def _texts(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    """Every text of a (nested) dataclass, with its path: ``buyer.name``, ``lines.product``."""
    if isinstance(value, str):
        yield path, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _texts(getattr(value, f.name), f"{path}.{f.name}".lstrip("."))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item, path)
