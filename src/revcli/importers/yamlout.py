"""YAML written as text that revcli's string-only reader reads back exactly.

Every value is text. A value is written plain only when it is made of characters that
cannot start YAML syntax (letters, digits and a few safe marks); anything else is written
double-quoted with escapes, so ``NO``, ``1200.00``, ``: ``, ``#``, quotes, line breaks and
characters YAML refuses all survive. Values are stripped first, as the reader strips them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

_NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})
_PLAIN_MARKS = frozenset(" _.@/+-")
# Characters a double-quoted YAML scalar must carry as escapes: controls, the C1 range,
# YAML's own line breaks (NEL, LS, PS), surrogates and the non-characters U+FFFE/U+FFFF.
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    if code in (0x2028, 0x2029, 0xFEFF) or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
        return f"\\u{code:04x}"
    return ch


_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]')
"""The characters :func:`_escape_char` changes: any other stands for itself."""


_PLAIN = re.compile(r"[^\W_][\w .@/+-]*")
"""A letter or digit, then letters, digits and :data:`_PLAIN_MARKS` (``\\w`` is
exactly ``str.isalnum`` or ``_``)."""


def _plain_ok(text: str) -> bool:
    return text not in _NULL_WORDS and text.isprintable() and _PLAIN.fullmatch(text) is not None


@functools.lru_cache(maxsize=4096)
def scalar(value: str) -> str:
    """``value`` (stripped) as a YAML scalar the reader returns as exactly that text."""
    text = value.strip()
    if _plain_ok(text):
        return text
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _escape_char(m[0]), text) + '"'


def key(name: str) -> str:
    """A mapping key: plain when safe, else quoted like a value."""
    return scalar(name)


def ordered(values: dict[str, str], order: Sequence[str]) -> list[tuple[str, str]]:
    """The set values of a record: known columns in ``order``, then the rest by name."""
    known = [(k, values[k]) for k in order if k in values]
    rest = sorted((k, v) for k, v in values.items() if k not in order)
    return known + rest


def _mapping(pairs: Iterable[tuple[str, str]], indent: str) -> list[str]:
    out = []
    for i, (name, value) in enumerate(pairs):
        lead = f"{indent}- " if i == 0 else f"{indent}  "
        out.append(f"{lead}{key(name)}: {scalar(value)}")
    return out


def dump_contracts(
    contracts: Iterable[tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]],
    header: str,
) -> str:
    """A ``contracts:`` file: each contract's (ordered) values and its lines' values.

    A contract without lines gets no ``lines:`` key; ``header`` lines become comments.
    """
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    out.append("contracts:")
    empty = True
    for values, lines in contracts:
        empty = False
        out += _mapping(values, "  ") if values else ["  - {}"]
        if lines:
            out.append("    lines:")
            for line in lines:
                out += _mapping(line, "      ") if line else ["      - {}"]
    if empty:
        out[-1] = "contracts: []"
    return "\n".join(out) + "\n"


def dump_records(records: Iterable[list[tuple[str, str]]], list_key: str, header: str) -> str:
    """A ``list_key:`` file of flat records (customers in YAML)."""
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    out.append(f"{list_key}:")
    empty = True
    for values in records:
        empty = False
        out += _mapping(values, "  ") if values else ["  - {}"]
    if empty:
        out[-1] = f"{list_key}: []"
    return "\n".join(out) + "\n"
