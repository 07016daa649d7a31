"""A MAP.yaml parsed and checked: its target table, source name, id column and column rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from revcli.data.tree import Scalar, Tree
from revcli.errors import Issue
from revcli.schema import CONTRACTS, CUSTOMERS, LINES, OPPORTUNITIES
from revcli.settings_tree import line_of

TABLES = {
    "customers": CUSTOMERS,
    "contracts": CONTRACTS,
    "lines": LINES,
    "opportunities": OPPORTUNITIES,
}
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_COLUMN_KEYS = frozenset({"from", "value", "values", "date_format", "decimal_comma", "multiply"})


_FACTORS = (Decimal("1e-9"), Decimal("1e9"))
"""The smallest and largest ``multiply:`` (cents to units is 0.01, a share to a percentage
100); beyond them a factor is a typing error, and an exponent of a billion would make
numbers of a billion digits."""


@dataclass(frozen=True)
class ColumnRule:
    """Where one target column's value comes from and how it is converted."""

    target: str
    column: str | None = None
    constant: str | None = None
    values: tuple[tuple[str, str], ...] = ()
    date_format: str | None = None
    decimal_comma: bool = False
    multiply: Decimal | None = None


@dataclass(frozen=True)
class ImportMap:
    """A parsed MAP.yaml."""

    table: str
    source: str
    id_column: str
    rules: tuple[ColumnRule, ...]
    sheet: str | None = None
    path: str = ""
    lines: dict[str, int] = field(default_factory=dict)


class _MapReader:
    def __init__(self, tree: dict[str, Tree], source: str) -> None:
        self.tree = tree
        self.source = source
        self.issues: list[Issue] = []

    def bad(self, node: Tree | None, key: str, message: str) -> None:
        line = line_of(node)
        self.issues.append(Issue(self.source, line, key, message))

    def text(self, tree: dict[str, Tree], key: str, where: str = "") -> str | None:
        """The value of ``key`` (named ``where`` + ``key`` in messages: ``mrr.from``)."""
        node = tree.get(key)
        if node is None:
            return None
        if not isinstance(node, Scalar):
            self.bad(node, f"{where}{key}", "expected a single value")
            return None
        return node.value

    def flag(self, tree: dict[str, Tree], key: str, default: bool, where: str = "") -> bool:
        value = self.text(tree, key, where)
        if value is None:
            return default
        if value.lower() in ("true", "yes", "1"):
            return True
        if value.lower() in ("false", "no", "0"):
            return False
        self.bad(tree.get(key), f"{where}{key}", f"'{value}' is not true or false")
        return default

    def rule(self, target: str, node: Tree, defaults: tuple[str | None, bool]) -> ColumnRule:
        if isinstance(node, Scalar):
            return ColumnRule(
                target, column=node.value, date_format=defaults[0], decimal_comma=defaults[1]
            )
        if not isinstance(node, dict):
            self.bad(node, target, "expected a column name or a mapping with from/value")
            return ColumnRule(target)
        for key in sorted(set(node) - _COLUMN_KEYS):
            self.bad(
                node[key],
                f"{target}.{key}",
                f"unknown key; expected {', '.join(sorted(_COLUMN_KEYS))}",
            )
        values: list[tuple[str, str]] = []
        mapping = node.get("values")
        if isinstance(mapping, dict):
            for k, v in mapping.items():
                if isinstance(v, Scalar):
                    values.append((k, v.value or ""))
                else:
                    self.bad(v, f"{target}.values.{k}", "expected a single value")
        elif mapping is not None:
            message = "expected a mapping of export value: revcli value"
            self.bad(mapping, f"{target}.values", message)
        where = f"{target}."
        factor = self.text(node, "multiply", where)
        multiply = None
        if factor is not None:
            try:
                multiply = Decimal(factor)
            except InvalidOperation:
                multiply = Decimal("NaN")
            if not (multiply.is_finite() and _FACTORS[0] <= multiply <= _FACTORS[1]):
                self.bad(
                    node.get("multiply"),
                    f"{target}.multiply",
                    f"'{factor}' is not a factor from 0.000000001 to 1000000000 (e.g. 100, 0.01)",
                )
                multiply = None
        column, constant = self.text(node, "from", where), self.text(node, "value", where)
        if (column is None) == (constant is None):
            self.bad(None, target, "give exactly one of from: (a column) or value: (a constant)")
        return ColumnRule(
            target,
            column=column,
            constant=constant,
            values=tuple(values),
            date_format=self.text(node, "date_format", where) or defaults[0],
            decimal_comma=self.flag(node, "decimal_comma", defaults[1], where),
            multiply=multiply,
        )


def parse_map(
    tree: dict[str, Tree], source: str, default_source: str
) -> tuple[ImportMap | None, list[Issue]]:
    """A MAP.yaml tree as an :class:`ImportMap`, or ``None`` and its problems."""
    r = _MapReader(tree, source)
    for key in sorted(
        set(tree) - {"table", "source", "id", "sheet", "date_format", "decimal_comma", "columns"}
    ):
        r.bad(
            tree[key],
            key,
            "unknown key; expected table, source, id, sheet, date_format, decimal_comma, columns",
        )
    table = r.text(tree, "table") or ""
    if table not in TABLES:
        r.bad(tree.get("table"), "table", f"'{table}' is not one of {', '.join(TABLES)}")
    name = (r.text(tree, "source") or default_source).lower()
    if not _SOURCE_NAME.match(name):
        r.bad(
            tree.get("source"),
            "source",
            f"'{name}' is not a source name (lower-case letters, digits, - and _)",
        )
    id_column = r.text(tree, "id")
    if "id" not in tree:
        r.bad(None, "id", "is required: the export's column that identifies a row")
    defaults = (r.text(tree, "date_format"), r.flag(tree, "decimal_comma", False))
    columns = tree.get("columns")
    rules: list[ColumnRule] = []
    if columns is None:
        r.bad(None, "columns", "is required: target column → export column")
    elif not isinstance(columns, dict):
        r.bad(columns, "columns", "expected a mapping of target column: export column")
    elif table in TABLES:
        spec = TABLES[table]
        for target, node in columns.items():
            if target not in spec.names or target == "source_id":
                r.bad(
                    node,
                    f"columns.{target}",
                    f"is not a column of {table}",
                )
                continue
            rules.append(r.rule(target, node, defaults))
        mapped = {rule.target for rule in rules}
        for col in spec.columns:
            if col.required and col.name not in mapped:
                r.bad(columns, "columns", f"{col.name} is required for {table}")
    if r.issues:
        return None, r.issues
    return ImportMap(table, name, id_column or "", tuple(rules), r.text(tree, "sheet"), source), []
