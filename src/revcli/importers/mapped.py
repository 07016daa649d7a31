"""Any CRM or spreadsheet export, mapped to a revcli table by a MAP.yaml (SPEC §11).

A map names the target table (customers, contracts, lines, opportunities), the source
name (it names ``source_id`` values and ``contracts/SOURCE.yaml``), the column that
identifies a row, and per target column where its value comes from: a column (renamed),
a constant, a value map (stages, intervals), a date format such as ``DD.MM.YYYY``, a
decimal comma, a factor. Mapped values are then checked by the target table's own
column rules, and every problem names the export's file, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from revcli.errors import Issue
from revcli.importers.import_map import TABLES, ImportMap
from revcli.importers.mapped_values import converted_column
from revcli.importers.records import Batch, Contract, Row, source_id
from revcli.parsing import parse_table
from revcli.schema import LINE, SOURCE, TableSpec

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
    batch = Batch(spec_map.source, covers=frozenset({spec_map.table}))
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
        (rule, *converted_column(raw, rule, spec.column(rule.target).kind))
        for rule in spec_map.rules
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
