"""The settings of ``revcli.yaml`` as read (sections of scalars, each with its line) and
:class:`SettingsReader`, which types their values."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias, TypeVar

from revcli.errors import Issue
from revcli.parsing import parse_value
from revcli.schema import Column

T = TypeVar("T", int, Decimal)


@dataclass(frozen=True)
class Scalar:
    """A YAML scalar as text (``None`` when not set) and the line it stands on."""

    value: str | None
    line: int


Tree: TypeAlias = "dict[str, Tree] | list[Tree] | Scalar"
"""The settings of ``revcli.yaml`` as read (``data/tree.py``): nested sections of scalars."""


class Section(dict[str, Tree]):
    """A mapping of ``revcli.yaml`` as read, with the line of its key (``invoice:``)."""

    def __init__(self, entries: Iterable[tuple[str, Tree]] = (), line: int | None = None) -> None:
        super().__init__(entries)
        self.line = line


class Items(list[Tree]):
    """A list of ``revcli.yaml`` as read, with the line of its key (``formats:``)."""

    def __init__(self, items: Iterable[Tree] = (), line: int | None = None) -> None:
        super().__init__(items)
        self.line = line


def line_of(node: Tree | None) -> int | None:
    """The line a setting stands on, for its messages; ``None`` for a tree built in code."""
    return node.line if isinstance(node, Scalar | Section | Items) else None


def setting_line(tree: dict[str, Tree], key: str) -> int | None:
    """The line of the setting ``key`` (dotted: ``company.iban``) in ``tree``; when it is
    not set, the line of the nearest section that would hold it (``company:``)."""
    line = None
    node: Tree | None = tree
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            break
        line = line_of(node) or line
    return line


class SettingsReader:
    """Reads typed values out of a settings tree, collecting issues instead of raising."""

    def __init__(self, source: str, issues: list[Issue], prefix: str = "") -> None:
        self.source = source
        self.issues = issues
        self.prefix = prefix  # before every key in messages: "invoice." + "template"

    def section(self, tree: dict[str, Tree], key: str) -> dict[str, Tree]:
        node = tree.get(key)
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return {}
        if not isinstance(node, dict):
            self._problem(node, key, "expected a section of settings (key: value)")
            return {}
        return node

    def _problem(self, node: Tree | None, key: str, message: str) -> None:
        line = line_of(node)
        self.issues.append(Issue(self.source, line, f"{self.prefix}{key}", message))

    def text(self, tree: dict[str, Tree], key: str, default: str) -> str:
        node = tree.get(key)
        if node is None:
            return default
        if not isinstance(node, Scalar):
            self._problem(node, key, "expected a single value")
            return default
        return default if node.value is None else node.value

    def integer(
        self,
        tree: dict[str, Tree],
        key: str,
        default: int,
        minimum: int = 0,
        maximum: int | None = None,
    ) -> int:
        node = tree.get(key)
        raw = self.text(tree, key, "")
        if not raw:
            return default
        whole = re.fullmatch(r"([+-]?)([0-9]+)", raw)
        # More than 9 digits (past leading zeros) is beyond any setting: not converted,
        # since a text of thousands of digits would take long to read as a number.
        huge = whole is not None and len(whole.group(2).lstrip("0")) > 9
        if whole is None or (huge and whole.group(1) == "-") or (not huge and int(raw) < minimum):
            self._problem(node, key, f"'{raw}' must be a whole number of at least {minimum}")
            return default
        highest = 999_999_999 if maximum is None else maximum
        if huge or int(raw) > highest:
            self._problem(node, key, f"'{raw}' must be at most {highest}")
            return default
        return int(raw)

    def decimal(self, tree: dict[str, Tree], key: str, default: Decimal) -> Decimal:
        node = tree.get(key)
        raw = self.text(tree, key, "")
        if not raw:
            return default
        # Plain decimals only, as in the data files: no NaN, Infinity or exponents.
        if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", raw):
            self._problem(node, key, f"'{raw}' is not a number; expected e.g. 25 or 12.5")
            return default
        return Decimal(raw)

    def like(self, tree: dict[str, Tree], key: str, default: T, column: Column) -> T:
        """A setting that stands in for a data column (``default_tax_rate`` for
        ``tax_rate``): the same syntax and the same range as a cell of ``column``."""
        node = tree.get(key)
        raw = self.text(tree, key, "").strip()
        if not raw:
            return default
        value, problem = parse_value(column, raw)
        if value is None:
            self._problem(node, key, f"'{raw}' {problem} (as {column.name} in the data)")
            return default
        # As written (25 stays 25, not 25.0000000000); parse_value checked it.
        return Decimal(raw) if isinstance(default, Decimal) else int(raw)

    def boolean(self, tree: dict[str, Tree], key: str, default: bool) -> bool:
        node = tree.get(key)
        raw = self.text(tree, key, "").lower()
        if not raw:
            return default
        if raw in ("true", "yes", "1"):
            return True
        if raw in ("false", "no", "0"):
            return False
        self._problem(node, key, f"'{raw}' is not a boolean; expected true or false")
        return default

    def choice(
        self, tree: dict[str, Tree], key: str, default: str, choices: tuple[str, ...]
    ) -> str:
        node = tree.get(key)
        raw = self.text(tree, key, default).lower()
        if raw not in choices:
            self._problem(node, key, f"'{raw}' is not one of {', '.join(choices)}")
            return default
        return raw

    def check(self, ok: bool, tree: dict[str, Tree], key: str, message: str) -> None:
        if not ok:
            self._problem(tree.get(key), key, message)
