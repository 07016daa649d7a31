"""Text from the data made safe to show: control characters written as ``<U+001B>``.

A CSV or YAML file may hold any character, and an export from a CRM or a paste from a
word processor brings some that a person cannot see: an escape (U+001B) starts a
terminal control sequence (colours, the window title, the clipboard), a right-to-left
override (U+202E) reverses the text after it. revcli shows such a character by its code
wherever it prints the data for a person: tables, Markdown, CSV for a spreadsheet and
the messages about problems. Files meant for programs (``--raw`` CSV, JSON, the data
itself) keep every character.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""The characters that change the order in which the text around them is shown (Unicode's
bidirectional formatting characters, the "Trojan Source" ones among them)."""


def _shown(char: str, every_format: bool) -> str:
    category = unicodedata.category(char)
    if category == "Cc" or char in BIDI_CONTROLS or (every_format and category == "Cf"):
        return f"<U+{ord(char):04X}>"
    return char


def visible(text: str, *, keep: str = "", every_format: bool = False) -> str:
    """``text`` with each control character (Unicode category Cc: U+0000-U+001F and
    U+007F-U+009F) and each bidirectional formatting character written as ``<U+XXXX>``,
    except the characters in ``keep`` (such as ``"\\n"``). With ``every_format`` every
    format character (Cf: zero-width spaces and joiners, soft hyphens) is written so too,
    for messages about a value that must show what an editor hides.

    Text without any of them (nearly all) is returned as it is after one quick test."""
    if text.isprintable():
        return text
    return "".join(c if c in keep else _shown(c, every_format) for c in text)
