"""Any CRM or spreadsheet export, mapped to a revcli table by a MAP.yaml (SPEC §11).

A map names the target table (customers, contracts, lines, opportunities), the source
name (it names ``source_id`` values and ``contracts/SOURCE.yaml``), the column that
identifies a row, and per target column where its value comes from: a column (renamed),
a constant, a value map (stages, intervals), a date format such as ``DD.MM.YYYY``, a
decimal comma, a factor. Mapped values are then checked by the target table's own
column rules, and every problem names the export's file, row and column.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import polars as pl

from revcli.data.tree import Scalar, Tree
from revcli.errors import Issue
from revcli.importers.records import Batch, Contract, Row, source_id
from revcli.importers.values import decimal_text
from revcli.parsing import parse_table
from revcli.schema import (
    CONTRACTS,
    CUSTOMERS,
    FIRST_YEAR,
    LAST_YEAR,
    LINE,
    LINES,
    OPPORTUNITIES,
    SOURCE,
    Kind,
    TableSpec,
)
from revcli.settings import line_of

TABLES = {
    "customers": CUSTOMERS,
    "contracts": CONTRACTS,
    "lines": LINES,
    "opportunities": OPPORTUNITIES,
}
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TOKENS = (("YYYY", "%Y"), ("MM", "%m"), ("DD", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"))
_COLUMN_KEYS = frozenset({"from", "value", "values", "date_format", "decimal_comma", "multiply"})


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


def strptime_format(pattern: str) -> str:
    """``DD.MM.YYYY`` → ``%d.%m.%Y`` (tokens YYYY MM DD HH mm ss; the rest is literal)."""
    out = pattern.replace("%", "%%")
    for token, code in _TOKENS:
        out = out.replace(token, code)
    return out


class _MapReader:
    def __init__(self, tree: dict[str, Tree], source: str) -> None:
        self.tree = tree
        self.source = source
        self.issues: list[Issue] = []

    def bad(self, node: Tree | None, key: str, message: str) -> None:
        line = line_of(node)
        self.issues.append(Issue(self.source, line, key, message))

    def text(self, tree: dict[str, Tree], key: str) -> str | None:
        node = tree.get(key)
        if node is None:
            return None
        if not isinstance(node, Scalar):
            self.bad(None, key, "expected a single value")
            return None
        return node.value

    def flag(self, tree: dict[str, Tree], key: str, default: bool) -> bool:
        value = self.text(tree, key)
        if value is None:
            return default
        if value.lower() in ("true", "yes", "1"):
            return True
        if value.lower() in ("false", "no", "0"):
            return False
        self.bad(tree.get(key), key, f"'{value}' is not true or false")
        return default

    def rule(self, target: str, node: Tree, defaults: tuple[str | None, bool]) -> ColumnRule:
        if isinstance(node, Scalar):
            return ColumnRule(
                target, column=node.value, date_format=defaults[0], decimal_comma=defaults[1]
            )
        if not isinstance(node, dict):
            self.bad(None, target, "expected a column name or a mapping with from/value")
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
                    self.bad(None, f"{target}.values.{k}", "expected a single value")
        elif mapping is not None:
            self.bad(None, f"{target}.values", "expected a mapping of export value: revcli value")
        factor = self.text(node, "multiply")
        multiply = None
        if factor is not None:
            try:
                multiply = Decimal(factor)
            except InvalidOperation:
                self.bad(node.get("multiply"), f"{target}.multiply", f"'{factor}' is not a number")
        column, constant = self.text(node, "from"), self.text(node, "value")
        if (column is None) == (constant is None):
            self.bad(None, target, "give exactly one of from: (a column) or value: (a constant)")
        return ColumnRule(
            target,
            column=column,
            constant=constant,
            values=tuple(values),
            date_format=self.text(node, "date_format") or defaults[0],
            decimal_comma=self.flag(node, "decimal_comma", defaults[1]),
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
    if id_column is None:
        r.bad(None, "id", "is required: the export's column that identifies a row")
    defaults = (r.text(tree, "date_format"), r.flag(tree, "decimal_comma", False))
    columns = tree.get("columns")
    rules: list[ColumnRule] = []
    if not isinstance(columns, dict):
        r.bad(None, "columns", "is required: target column → export column")
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
                r.bad(None, "columns", f"{col.name} is required for {table}")
    if r.issues:
        return None, r.issues
    return ImportMap(table, name, id_column or "", tuple(rules), r.text(tree, "sheet"), source), []


# Thousands grouping: 1 to 3 digits, then groups of exactly 3, then the decimals.
_GROUPED = {
    ",": re.compile(r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?$"),
    ".": re.compile(r"^[+-]?[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]*)?$"),
}


def _number(text: str, rule: ColumnRule, kind: Kind) -> tuple[str, str | None]:
    """A number as plain decimal text, and a problem when it cannot be read safely.

    Spaces and apostrophes group thousands. The grouping mark (a comma, or a dot with
    ``decimal_comma``) is accepted only as grouping — ``1,234`` or ``1,234,567.50`` —
    since ``12,50`` read as grouping would be 1250: a wrong amount without a word.
    Text that is no number at all is returned as it is, for the column rules to name —
    but a decimal under ``decimal_comma`` is named here, since the rules' hint asks for a
    decimal point.
    """
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text)
    group, mark = (".", ",") if rule.decimal_comma else (",", ".")
    if group in cleaned:
        if not _GROUPED[group].match(cleaned):
            return text, _grouping_problem(text, rule.decimal_comma)
        cleaned = cleaned.replace(group, "")
    try:
        value = Decimal(cleaned.replace(mark, "."))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        if rule.decimal_comma and kind is Kind.DECIMAL:
            return (
                text,
                f"'{text}' is not a number; expected digits with a decimal comma, e.g. 1200,50",
            )
        return text, None
    if rule.multiply is not None:
        value *= rule.multiply
    return decimal_text(value), None


def _grouping_problem(text: str, decimal_comma: bool) -> str:
    if decimal_comma:
        return (
            f"'{text}' has a dot that does not group thousands (1.234 or 1.234.567,50), "
            "and the map says decimal_comma: true; if the export writes decimal points "
            "(12.50, 1,234.50), set decimal_comma: false in the map"
        )
    return (
        f"'{text}' has a comma that does not group thousands (1,234 or 1,234,567.50); "
        "if the export writes decimal commas (12,50, 1.234,50), set decimal_comma: true "
        "in the map"
    )


def _date(text: str, rule: ColumnRule) -> tuple[str, str | None]:
    """A day by the rule's format (else ISO); a time after the day is ignored.

    Text that is no day is returned as it is: without a ``date_format`` for the column
    rules to name (they expect YYYY-MM-DD), with one named here by that format."""
    fmt = rule.date_format
    day_part = re.split(r"[ T]", text, maxsplit=1)[0]
    for candidate in ([strptime_format(fmt)] if fmt else []) + ["%Y-%m-%d"]:
        for value in dict.fromkeys((text, day_part)):
            try:
                # A calendar day, no zone: only the date part is kept.
                day = dt.datetime.strptime(value, candidate).date()  # noqa: DTZ007
            except ValueError:
                continue
            if fmt is None or FIRST_YEAR <= day.year <= LAST_YEAR:
                return day.isoformat(), None
    if fmt is None:
        return text, None
    return text, f"'{text}' is not a date from {FIRST_YEAR} to {LAST_YEAR}; expected {fmt}"


def _convert(text: str | None, rule: ColumnRule, kind: Kind) -> tuple[str | None, str | None]:
    """A cell's value for the target column, and a problem the column rules cannot see."""
    if rule.constant is not None:
        return rule.constant, None
    if text is None:
        return None, None
    if rule.values:
        table = dict(rule.values)
        lowered = {k.lower(): v for k, v in rule.values}
        text = table.get(text, lowered.get(text.lower(), table.get("*", text)))
        if text == "":
            return None, None
    if kind is Kind.DATE:
        return _date(text, rule)
    if kind in (Kind.DECIMAL, Kind.INT):
        return _number(text, rule, kind)
    return text, None


REPEATABLE = {"customers": "customer", "contracts": "contract"}
"""Tables whose rows may repeat an id (a sheet with a row per contract and product): rows
with one id are one record, and must agree."""


def import_mapped(raw: pl.DataFrame, spec_map: ImportMap, source: str) -> Batch:
    """Map an export ``source`` (a frame of strings with ``_source`` and ``_line``) by
    ``spec_map``.

    Every row becomes one record of the target table with ``source_id`` =
    ``SOURCE:id``; values are checked by the table's column rules, and a problem names
    the export's row and column (the target column for constants). For customers and
    contracts, rows that repeat an id are one record: a value one row leaves empty comes
    from another, and two different values are an error naming both rows. For lines and
    opportunities every row is its own record, so an id may not repeat.
    """
    spec = TABLES[spec_map.table]
    batch = Batch(spec_map.source)
    batch.mapped = {spec_map.table: frozenset({r.target for r in spec_map.rules} | {"source_id"})}
    header = [c for c in raw.columns if c not in (SOURCE, LINE)]
    wanted = [spec_map.id_column] + [r.column for r in spec_map.rules if r.column]
    missing = sorted({c for c in wanted if c is not None and c not in header})
    if missing:
        batch.issues += [
            Issue(source, 1, c, "column named in the map is missing from the header")
            for c in missing
        ]
        return batch
    records: dict[str, _Record] = {}
    reported: set[tuple[int, str]] = set()  # (line, target) with a problem already
    rules = [
        (rule, *_converted(raw, rule, spec.column(rule.target).kind)) for rule in spec_map.rules
    ]
    lines = raw.get_column(LINE).cast(pl.Int64).to_list()
    for index, (line, native) in enumerate(
        zip(lines, raw.get_column(spec_map.id_column).to_list(), strict=True)
    ):
        if native is None:
            batch.issues.append(
                Issue(source, line, spec_map.id_column, "is empty; every row needs its id")
            )
            continue
        record = _Record(line)
        for rule, cells, converted, problems in rules:
            cell = cells[index] if cells is not None else None
            record.values[rule.target] = converted[index]
            record.cells[rule.target] = (line, cell or "")
            problem = problems[index]
            if problem is not None:
                batch.issues.append(Issue(source, line, rule.column or rule.target, problem))
                reported.add((line, rule.target))
        first = records.get(native)
        if first is None:
            records[native] = record
        elif spec_map.table in REPEATABLE:
            batch.issues += _take_in(
                first, record, native, spec_map=spec_map, reported=reported, source=source
            )
        else:
            batch.issues.append(
                Issue(
                    source,
                    line,
                    spec_map.id_column,
                    f"'{native}' appears twice; first at line {first.line}"
                    + (
                        "; every row of a lines map is one line, so its id: column must "
                        "differ on every row (a line number or line id)"
                        if spec_map.table == "lines"
                        else ""
                    ),
                )
            )
    rows: list[dict[str, str | None]] = []
    for native, record in records.items():
        rows.append(
            {
                **record.values,
                "source_id": source_id(spec_map.source, native),
                SOURCE: source,
                LINE: str(record.line),
            }
        )
    batch.issues += _checked(rows, spec, spec_map, reported)
    customer = next((r for r in spec_map.rules if r.target == "customer_id"), None)
    for values in rows:
        row: Row = {k: v for k, v in values.items() if v is not None and k not in (SOURCE, LINE)}
        row["_source"], row["_line"] = source, str(values[LINE])
        if customer is not None and customer.column:
            row["_column"] = customer.column
        _place(batch, spec_map.table, row)
    return batch


Converted = tuple[list[str | None] | None, list[str | None], list[str | None]]
"""A rule's cells (``None`` for a constant), and per row its value and problem."""


def _converted(raw: pl.DataFrame, rule: ColumnRule, kind: Kind) -> Converted:
    """:func:`_convert` for every row of ``raw`` by ``rule``: each distinct cell is
    converted once (an export repeats its dates, periods, products and prices), and the
    results are spread over the rows by Polars."""
    if rule.column is None:
        value, problem = _convert(None, rule, kind)
        return None, [value] * raw.height, [problem] * raw.height
    column = raw.get_column(rule.column).cast(pl.String)
    distinct = column.drop_nulls().unique(maintain_order=True)
    found = [_convert(text, rule, kind) for text in distinct.to_list()]
    empty = _convert(None, rule, kind)  # an empty cell

    def spread(at: int) -> list[str | None]:
        if distinct.is_empty():
            return [empty[at]] * raw.height
        return column.replace_strict(
            distinct, [f[at] for f in found], default=empty[at], return_dtype=pl.String
        ).to_list()

    return column.to_list(), spread(0), spread(1)


@dataclass
class _Record:
    """One record of a mapped export: its values by target column, and for each the
    export row and cell text it came from (for messages)."""

    line: int
    values: dict[str, str | None] = field(default_factory=dict)
    cells: dict[str, tuple[int, str]] = field(default_factory=dict)


def _take_in(
    first: _Record,
    again: _Record,
    native: str,
    *,
    spec_map: ImportMap,
    reported: set[tuple[int, str]],
    source: str,
) -> list[Issue]:
    """A later row with the same id: it fills values ``first`` lacks, and each value it
    carries must equal the one already taken (compared after conversion, so
    ``01.02.2026`` and ``2026-02-01`` agree)."""
    issues = []
    for rule in spec_map.rules:
        target = rule.target
        value = again.values.get(target)
        if value is None or (again.line, target) in reported:
            continue
        have = first.values.get(target)
        if have is None:
            first.values[target] = value
            first.cells[target] = again.cells[target]
        elif have != value and (first.cells[target][0], target) not in reported:
            then_line, then_cell = first.cells[target]
            issues.append(
                Issue(
                    source,
                    again.line,
                    rule.column or target,
                    f"'{again.cells[target][1]}' differs from '{then_cell}' on line "
                    f"{then_line}; rows with {spec_map.id_column} '{native}' are one "
                    f"{REPEATABLE[spec_map.table]} and must agree",
                )
            )
    return issues


def _checked(
    records: list[dict[str, str | None]],
    spec: TableSpec,
    spec_map: ImportMap,
    reported: set[tuple[int, str]],
) -> list[Issue]:
    """The target table's column rules on the mapped values, named by export column;
    ``reported`` (line, target column) pairs already have a problem and get no second."""
    names = [*spec.names]
    frame = pl.DataFrame(
        {
            **{n: [r.get(n) for r in records] for n in names},
            SOURCE: [r[SOURCE] for r in records],
            LINE: [int(r[LINE] or 0) for r in records],
        },
        schema={**dict.fromkeys(names, pl.String), SOURCE: pl.String, LINE: pl.Int64},
    )
    _, issues = parse_table(frame, spec)
    column_of = {r.target: r.column or r.target for r in spec_map.rules}
    out = []
    for i in issues:
        if (i.line or 0, i.column) in reported or (
            spec_map.table == "lines"
            and i.column == "contract_id"
            and "contract_id" not in column_of
        ):
            continue
        out.append(
            Issue(i.source, i.line, column_of.get(i.column, i.column), i.message, i.severity)
        )
    return out


def _place(batch: Batch, table: str, row: Row) -> None:
    if table == "customers":
        batch.customers.append(row)
    elif table == "contracts":
        batch.contracts.append(Contract(row))
    elif table == "lines":
        batch.lines.append(row)
    else:
        batch.opportunities.append(row)
