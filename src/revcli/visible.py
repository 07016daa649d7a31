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
"""The most characters of a message line shown whole (counted as shown: a control
character takes the eight of its code). A longer line (a message quoting a value of
100,000 characters, say) keeps its first :data:`MESSAGE_HEAD` characters, where the place
and the start of the value are, and its last :data:`MESSAGE_TAIL`, where the advice is,
and says how many characters of the text it leaves out between them."""
MESSAGE_HEAD = 600
MESSAGE_TAIL = 300
_HEAD_LINES, _TAIL_LINES = 40, 10
MESSAGE_LINES = _HEAD_LINES + 1 + _TAIL_LINES
"""The most lines of a message shown whole (51); a longer one keeps its first 40 and last
10, and says in a line between them how many it leaves out."""
_WIDEST_CODE = len("<U+E0041>")
"""The most characters one character of a text takes when shown (as a code)."""


def message_text(text: str, *, keep: str = "") -> str:
    """``text`` for a message about a problem: every control, direction-formatting and
    other invisible format character shown by its code (``visible(every_format=True)``,
    except the characters of ``keep``); a line that would show more than
    :data:`MESSAGE_LINE` characters cut in the middle, never inside a letter with its marks
    nor inside a code; with ``"\n"`` in ``keep``, at most :data:`MESSAGE_LINES` lines."""
    if "\n" not in keep:
        return _message_line(text, keep)
    lines, left_out = _fewer_lines(text)
    shown = [_message_line(line, keep) for line in lines]
    if left_out:
        shown.insert(_HEAD_LINES, f"… ({left_out:,} lines left out) …")
    return "\n".join(shown)


def _fewer_lines(text: str) -> tuple[list[str], int]:
    """The lines of ``text``, or of a text of more than :data:`MESSAGE_LINES` lines its
    first and last ones and how many lines it leaves out between them (found without
    splitting a text of millions of lines)."""
    breaks = text.count("\n")
    if breaks < MESSAGE_LINES:  # at most MESSAGE_LINES lines
        return text.split("\n"), 0
    head_end = -1
    for _ in range(_HEAD_LINES):
        head_end = text.index("\n", head_end + 1)
    tail_start = len(text)
    for _ in range(_TAIL_LINES):
        tail_start = text.rindex("\n", 0, tail_start)
    lines = text[:head_end].split("\n") + text[tail_start + 1 :].split("\n")
    return lines, breaks + 1 - _HEAD_LINES - _TAIL_LINES


def _message_line(line: str, keep: str) -> str:
    if len(line) <= MESSAGE_LINE * _WIDEST_CODE:  # else it shows too long whatever it holds
        shown = visible(line, keep=keep, every_format=True)
        if len(shown) <= MESSAGE_LINE:
            return shown
    head = shown_prefix(line, MESSAGE_HEAD, keep=keep, every_format=True)
    tail = max(head, shown_suffix(line, MESSAGE_TAIL, keep=keep, every_format=True))
    return (
        visible(line[:head], keep=keep, every_format=True)
        + f" … ({tail - head:,} characters left out) … "
        + visible(line[tail:], keep=keep, every_format=True)
    )


def _shown_length(char: str, keep: str, every_format: bool) -> int:
    return len(visible(char, keep=keep, every_format=every_format))


def shown_prefix(text: str, most: int, *, keep: str = "", every_format: bool = False) -> int:
    """How many characters of ``text`` to keep so that they show as at most ``most``
    characters (:func:`visible`), ending where a text may be cut (:func:`cut_edge`)."""
    total = end = 0
    for char in text[:most]:
        total += _shown_length(char, keep, every_format)
        if total > most:
            break
        end += 1
    return cut_edge(text, end)


def shown_suffix(text: str, most: int, *, keep: str = "", every_format: bool = False) -> int:
    """Where the end of ``text`` that shows as at most ``most`` characters starts, at a
    place where a text may be cut (:func:`cut_edge`)."""
    total, start = 0, len(text)
    for char in reversed(text[len(text) - most :]):
        total += _shown_length(char, keep, every_format)
        if total > most:
            break
        start -= 1
    return cut_edge(text, start, forward=True)


_ZWJ = "\u200d"
_CUT_REACH = 32
"""How far :func:`cut_edge` moves a cut at most (a run of marks longer than any letter's)."""


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _joined(text: str, at: int) -> bool:
    """Whether ``text[at]`` belongs with the character before it: a combining mark or
    variation selector, a skin-tone modifier, a tag character, a zero-width joiner or the
    character after one, or the second of a pair of regional indicators (a flag)."""
    if at <= 0 or at >= len(text):
        return False
    char, before = text[at], text[at - 1]
    if unicodedata.category(char)[0] == "M" or _ZWJ in (char, before):
        return True
    if "\U0001f3fb" <= char <= "\U0001f3ff" or "\U000e0020" <= char <= "\U000e007f":
        return True
    if _regional(char) and _regional(before):
        run = 0
        while at - 1 - run >= 0 and _regional(text[at - 1 - run]):
            run += 1
        return run % 2 == 1
    return False


def cut_edge(text: str, at: int, *, forward: bool = False) -> int:
    """``at`` moved to where ``text`` may be cut: not between a letter and its marks, inside
    an emoji sequence or between the two halves of a flag; back (or ``forward``) by at
    most 32 characters, beyond which it is cut where it is."""
    step = 1 if forward else -1
    moved = at
    for _ in range(_CUT_REACH):
        if not _joined(text, moved):
            return moved
        moved += step
    return at


def escape_html(text: str) -> str:
    """``text`` for an HTML page: its control and direction-formatting characters shown
    by their codes (a right-to-left override would reverse a name in the browser) and
    ``& < > " '`` escaped."""
    from html import escape  # html.entities costs every command ~2 ms; only pages need it

    return escape(visible(text, keep="\t\n"))
