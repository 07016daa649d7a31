"""The values a YAML data file is read into, shared by the general reader
(:mod:`revcli.data.yamlio`) and the fast one for plain records files
(:mod:`revcli.data.yamlevents`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

NULLS = frozenset({"", "~", "null", "Null", "NULL"})


def scalar_text(node: yaml.ScalarNode) -> str | None:
    """A scalar's text as a data file or the settings read it: ``None`` for a plain
    (unquoted) empty, ``~`` or ``null``, which mean "not set" (a quoted one is text);
    stripped like a CSV cell, so a block scalar keeps no stray newline."""
    if node.style is None and node.value in NULLS:
        return None
    return str(node.value).strip()


@dataclass
class YamlRecord:
    """One mapping of a YAML file: its scalar values as text, with 1-based line numbers.

    Read-only (its mappings are typed so, and no reader assigns its fields): within
    :func:`~revcli.data.yamlio.shared_parses` the records of one text are handed to every
    reader of that text, so no reader may change them — copy what you need
    (``dict(rec.values)``)."""

    line: int
    values: Mapping[str, str | None] = field(default_factory=dict)
    value_lines: Mapping[str, int] = field(default_factory=dict)
    children: Mapping[str, Sequence[YamlRecord]] = field(default_factory=dict)


_SURROGATE = re.compile("[\ud800-\udfff]")
LONE_SURROGATE = (
    "holds a \\u escape of half a character (\\ud800-\\udfff) without its other half; "
    "write the character itself, or as one \\U escape (\\U0001F600)"
)


def joined_surrogates(value: str) -> str | None:
    """``value`` with each pair of UTF-16 surrogate escapes (``\\ud83d\\ude00``, as JSON
    writes an emoji) joined into its character; ``None`` when one stands alone. Text
    without any (nearly all) is returned as it is, at the cost of one check."""
    if value.isascii() or not _SURROGATE.search(value):
        return value
    try:
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        return None


def mark_line(mark: Any) -> int:
    """The 1-based line of a YAML mark (1 where there is none)."""
    return mark.line + 1 if mark is not None else 1


CPARSER: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)
"""libyaml's parser; ``None`` when PyYAML was built without libyaml (pure Python only)."""
