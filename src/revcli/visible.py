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

import re
import unicodedata
from functools import cache

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""The characters that change the order in which the text around them is shown (Unicode's
bidirectional formatting characters, the "Trojan Source" ones among them)."""

NONCHARACTERS = "\ufffe\uffff"
"""The two characters of the first plane that XML cannot hold (an e-invoice drops them)."""

CONTROL_CLASS = r"\x00-\x1f\x7f-\x9f" + BIDI_CONTROLS + NONCHARACTERS
"""Every character :func:`visible` writes as a code, as the inside of a ``[...]`` class
that Python's and Polars' regular expressions both read."""


@cache
def codes_pattern(keep: str = "") -> re.Pattern[str]:
    """The characters :func:`visible` writes as codes, less those of ``keep``."""
    kept = "".join(re.escape(c) for c in sorted(set(keep)))
    return re.compile(f"(?![{kept}])[{CONTROL_CLASS}]" if kept else f"[{CONTROL_CLASS}]")


def _code(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def visible(text: str, *, keep: str = "", every_format: bool = False) -> str:
    """``text`` with each control character (Unicode category Cc: U+0000-U+001F and
    U+007F-U+009F), each bidirectional formatting character and U+FFFE and U+FFFF
    written as ``<U+XXXX>``, except the characters in ``keep`` (such as ``"\\n"``). With
    ``every_format`` every format character (Cf: zero-width spaces and joiners, soft
    hyphens) is written so too, for messages about a value that must show what an editor
    hides."""
    shown = codes_pattern(keep).sub(_code, text)
    if every_format and not shown.isprintable():
        return "".join(f"<U+{ord(c):04X}>" if unicodedata.category(c) == "Cf" else c for c in shown)
    return shown


MESSAGE_LINE = 1_000
"""The most characters of a message line shown whole: a longer line (a message quoting a
value of 100,000 characters, say) keeps its first :data:`MESSAGE_HEAD` characters, where
the place and the start of the value are, and its last :data:`MESSAGE_TAIL`, where the
advice is, and says how many it leaves out between them."""
MESSAGE_HEAD = 600
MESSAGE_TAIL = 300


def message_text(text: str, *, keep: str = "") -> str:
    """``text`` for a message about a problem: every control, direction-formatting and
    other invisible format character shown by its code (``visible(every_format=True)``,
    except the characters of ``keep``), and each line of more than :data:`MESSAGE_LINE`
    characters cut in the middle, never between a letter and its accent."""
    lines = text.split("\n") if "\n" in keep else [text]
    return "\n".join(_message_line(line, keep) for line in lines)


def _message_line(line: str, keep: str) -> str:
    if len(line) <= MESSAGE_LINE:
        return visible(line, keep=keep, every_format=True)
    head = MESSAGE_HEAD
    while head and unicodedata.combining(line[head]):
        head -= 1
    tail = len(line) - MESSAGE_TAIL
    while tail < len(line) and unicodedata.combining(line[tail]):
        tail += 1
    return (
        visible(line[:head], keep=keep, every_format=True)
        + f" … ({tail - head:,} characters left out) … "
        + visible(line[tail:], keep=keep, every_format=True)
    )


def escape_html(text: str) -> str:
    """``text`` for an HTML page: its control and direction-formatting characters shown
    by their codes (a right-to-left override would reverse a name in the browser) and
    ``& < > " '`` escaped."""
    from html import escape  # html.entities costs every command ~2 ms; only pages need it

    return escape(visible(text, keep="\t\n"))
