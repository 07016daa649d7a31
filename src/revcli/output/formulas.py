"""Text cells that a spreadsheet will not run as formulas (CSV injection, OWASP)."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
(a customer named ``=HYPERLINK(...)`` or ``+cmd|' /C calc'!A0``)."""


def spreadsheet_safe(text: str) -> str:
    """``text`` with a ``'`` in front when it starts like a formula, as OWASP recommends:
    the spreadsheet shows the text as it is instead of evaluating it. Meant for text cells
    only; numbers (``-12.50``) must stay numbers and are not passed here."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
