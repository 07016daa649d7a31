"""The filters revcli adds to Liquid's standard ones in every template: ``md``, ``ljust``,
``rjust`` and ``wrap``."""

from __future__ import annotations

import re
from collections.abc import Callable

from liquid.exceptions import FilterArgumentError


def md_filter(value: object) -> str:
    """``{{ text | md }}``: safe inside a Markdown table cell (``|`` escaped, one line)."""
    text = str(value)
    text = re.sub(r"([\\`*_|<>\[\]])", r"\\\1", text)
    return " ".join(text.split())


_MAX_WIDTH = 1000
"""Widest padding ``ljust``/``rjust`` accept: wider is a typo, not a layout."""


def _width(name: str, width: object, what: str = "width") -> int:
    text = str(width).strip()
    if not re.fullmatch(r"[0-9]{1,4}", text) or int(text) > _MAX_WIDTH:
        raise FilterArgumentError(
            f"{name}: the {what} must be a whole number from 0 to {_MAX_WIDTH}, found '{width}'",
            token=None,
        )
    return int(text)


def ljust_filter(value: object, width: object) -> str:
    """``{{ text | ljust: 30 }}``: pad on the right to a width (for plain-text columns)."""
    return str(value).ljust(_width("ljust", width))


def rjust_filter(value: object, width: object) -> str:
    """``{{ amount | money | rjust: 14 }}``: pad on the left to a width."""
    return str(value).rjust(_width("rjust", width))


_SPACES = re.compile(r"[ \t\n\r\f\v]+")
"""What separates words for ``wrap``: ASCII white space only, so that a no-break space
(``25\xa0%``, ``1\u202f000,00\xa0kr``) keeps its amount together, as it is meant to."""


_WITH_NEXT = frozenset({"§", "§§"})
"""Words :func:`wrap_filter` never ends a line with: they go with the word after them."""


def wrap_filter(value: object, width: object, column: object = 0) -> str:
    """``{{ text | wrap: 78, 26 }}``: ``text`` in lines that end by column ``width``,
    broken between words. The first line starts at ``column`` (after what the template
    printed before the filter) and every further line is indented by ``column`` spaces, so
    that it lines up with the first. Runs of white space, line breaks included, become one
    space; a word longer than a line (``width - column``) is cut at its end, never
    overflowing. Characters are counted as code points (``ø`` is one). A section sign
    stays with the number after it (``§ 6-22``), as a law is cited."""
    end = _width("wrap", width)
    start = _width("wrap", column, "column")
    room = end - start
    if room < 1:
        raise FilterArgumentError(
            f"wrap: the column ({start}) must be less than the width ({end})", token=None
        )
    lines: list[str] = []
    current = ""
    words: list[str] = []
    for word in _SPACES.split(str(value)):
        if words and words[-1] in _WITH_NEXT:
            words[-1] += " " + word
        elif word:
            words.append(word)
    for word in words:
        if current and len(current) + 1 + len(word) <= room:
            current += " " + word
            continue
        if current:
            lines.append(current)
        rest = word
        while len(rest) > room:
            lines.append(rest[:room])
            rest = rest[room:]
        current = rest
    if current:
        lines.append(current)
    return ("\n" + " " * start).join(lines)


FILTERS: dict[str, Callable[..., str]] = {
    "md": md_filter,
    "ljust": ljust_filter,
    "rjust": rjust_filter,
    "wrap": wrap_filter,
}
"""The filters revcli adds to Liquid's standard ones in every template."""
