"""Text cells that a spreadsheet will not run as formulas (CSV injection, OWASP).

The rule, one regular expression (:data:`FORMULA_START`) that Python's ``re`` and Polars
both read, so that a single cell (:func:`spreadsheet_safe`) and a whole column
(:func:`spreadsheet_safe_expr`) are judged alike: a text cell gets a ``'`` in front when

- it starts with a tab or a carriage return (OWASP's list), or
- its first character that is not a space or an invisible character
  (:data:`SKIPPED`) is a formula character (:data:`FORMULA_CHARACTERS`).

Only text goes through it: a number column's ``-12.50`` is never escaped, while a text
cell that holds a negative number (a segment named ``-5``) is text and gets the ``'``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

FORMULA_CHARACTERS = "=+\\-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b"
"""The characters a formula starts with, as the inside of a ``[...]`` class:

- ``=``, ``+``, ``-``, ``@``: Excel, LibreOffice and Google Sheets read a formula
  (``=HYPERLINK(…)``, ``+cmd|' /C calc'!A0``, ``@SUM(…)``);
- full-width ``＝ ＋ － ＠`` (U+FF1D, U+FF0B, U+FF0D, U+FF20): Excel in East-Asian locales
  can turn them into the ASCII ones before it reads the cell;
- small ``﹦ ﹢ ﹣ ﹫`` (U+FE66, U+FE62, U+FE63, U+FE6B): the same characters from Chinese
  encodings, which such a width conversion can map the same way.

Not formula characters: the minus sign ``−`` (U+2212), dashes, and superscript or
subscript ``⁺ ⁼ ₊ ₌``: no spreadsheet reads them as an operator, and a name may start
with a dash."""

SKIPPED = (
    "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    "\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
"""The characters looked past before the first one is judged, as the inside of a
``[...]`` class; each can be gone by the time a spreadsheet decides:

- spaces: ASCII ``' '``, no-break space U+00A0, ideographic space U+3000 and the other
  Unicode spaces (U+1680, U+2000-U+200A, U+202F, U+205F): an import or a paste that trims
  the cell drops them (LibreOffice's "Trim spaces" option, Google Sheets' paste), and a
  width conversion turns U+3000 into a plain space;
- line breaks ``\\n``, vertical tab, form feed, U+0085, U+2028, U+2029 and tab and carriage
  return (escaped anyway when first): whitespace to every trim, and a quoted CSV cell may
  start with a line break;
- U+001C-U+001F: whitespace to Python's ``str.strip()``, which a script that cleans the
  file before a spreadsheet opens it uses;
- the invisible characters (Unicode's Default_Ignorable_Code_Point): zero-width space
  U+200B, the joiners U+200C-U+200D, word joiner U+2060, soft hyphen U+00AD, the
  direction marks, variation selectors, Hangul fillers, tags: nothing shows them, and
  cleaning steps drop them; a byte order mark U+FEFF that begins the file is taken for
  the file's encoding mark and dropped, so the first header cell would start with what
  follows it.

(:func:`revcli.visible.visible` writes the control characters and direction marks
among them as codes, ``<U+000B>``, before a CSV cell is judged: such a cell then starts
with ``<``.)"""

FORMULA_START = f"^(?:[\t\r]|[{SKIPPED}]*[{FORMULA_CHARACTERS}])"
"""Where a text cell starts like a formula (see the module's docstring)."""

_FORMULA_START = re.compile(FORMULA_START)


def spreadsheet_safe(text: str) -> str:
    """``text`` with a ``'`` in front when it starts like a formula (:data:`FORMULA_START`),
    as OWASP recommends: the spreadsheet shows the text as it is instead of evaluating
    it. Meant for text cells only; numbers (``-12.50``) must stay numbers and are not
    passed here."""
    return f"'{text}" if _FORMULA_START.match(text) else text


def spreadsheet_safe_expr(text: pl.Expr) -> pl.Expr:
    """:func:`spreadsheet_safe` of every value of a text column, as one Polars expression
    named like ``text`` (a null stays null)."""
    import polars as pl  # loaded already: the caller holds a frame

    starts = text.str.contains(FORMULA_START)
    return pl.when(starts).then(pl.lit("'") + text).otherwise(text).name.keep()
