"""The texts an invoice shows, checked for characters no document can show.

An invoice prints the buyer's name and address, the order reference and each line's
product and description. A control character in one of them (an escape, a NUL, a
vertical tab pasted from a word processor) cannot be written into the e-invoice's XML at
all, and a bidirectional override (U+202E) shows the text after it reversed: a legal
document that reads differently from its data. Such a text is refused, by file, row and
column, before an invoice is made. Tab and line breaks are allowed (an address may span
lines).
"""

from __future__ import annotations

import polars as pl

from revcli.data.load import relocate
from revcli.data.validate import DataSet
from revcli.errors import Issue
from revcli.visible import visible

SHOWN = {
    "customers": ("customer_id", "name", "address", "vat_id", "billing_email", "peppol_id"),
    "contracts": ("contract_id", "po_number", "buyer_reference"),
    "lines": ("line_id", "product", "description"),
}
"""The text columns of each table that an invoice (face or e-invoice) shows."""

_UNSHOWABLE = (
    r"[\x{00}-\x{08}\x{0B}\x{0C}\x{0E}-\x{1F}\x{7F}-\x{9F}"
    r"\x{061C}\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}]"
)
"""Control characters but tab and line breaks, and the bidirectional formatting characters
(:data:`revcli.visible.BIDI_CONTROLS`)."""


def text_problems(data: DataSet, invoices: pl.DataFrame, lines: pl.DataFrame) -> list[Issue]:
    """A problem per text cell of ``invoices``' customers and contracts, and of ``lines``
    (priced lines, with ``line_order``: the row of ``data.lines``), that holds a character
    an invoice cannot show."""
    customers = data.customers.join(
        invoices.select("customer_id").unique(), on="customer_id", how="semi"
    )
    # The run's frames carry the contracts' and lines' texts: a look at them (and at the
    # customers) finds nothing on good data without joining back to the rows of the files.
    if not any(
        _unshowable(frame, SHOWN[table])
        for table, frame in (("customers", customers), ("contracts", invoices), ("lines", lines))
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
    issues = []
    for table, frame in rows.items():
        columns = [c for c in SHOWN[table] if c in frame.columns]
        bad = frame.filter(_any_unshowable(columns))
        for row in bad.select("_source", "_line", *columns).iter_rows(named=True):
            for column in columns:
                text = row[column]
                if text is None:
                    continue
                shown = [c for c in text if c not in "\t\n\r" and visible(c) != c]
                if shown:
                    issues.append(
                        Issue(
                            row["_source"],
                            row["_line"],
                            column,
                            f"holds the control character {visible(shown[0])}, which an "
                            "invoice cannot show; remove it",
                        )
                    )
    return relocate(issues, data.positions)  # in YAML, the value's own line


def _any_unshowable(columns: list[str]) -> pl.Expr:
    return pl.any_horizontal(pl.col(c).str.contains(_UNSHOWABLE) for c in columns)


def _unshowable(frame: pl.DataFrame, columns: tuple[str, ...]) -> bool:
    """Whether a text of ``columns`` (those ``frame`` has) holds a character an invoice
    cannot show. Each column's distinct texts are looked at: the lines of a month's
    invoices repeat a few products and descriptions many times."""
    present = [c for c in columns if c in frame.columns]
    return bool(present) and any(
        frame.select(pl.col(c).unique().str.contains(_UNSHOWABLE).any() for c in present).row(0)
    )
