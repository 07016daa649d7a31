"""Find the files of a data dir and read them into raw string frames, then typed frames."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from revcli.data.csvio import decode, read_csv
from revcli.data.tree import load_tree
from revcli.data.yamlio import YamlRecord, load_records
from revcli.errors import DataError, Issue, Severity
from revcli.schema import (
    CONTRACTS,
    CUSTOMERS,
    FX_RATES,
    LINE,
    LINES,
    OPPORTUNITIES,
    SOURCE,
    TableSpec,
    missing_required,
    unknown_columns,
)
from revcli.settings import SETTINGS_FILE, Settings, parse_settings

Positions = dict[tuple[str, int, str], int]
"""(source, record line, column) → line of the value, for YAML records."""

SIGNAL_TABLES = ("usage", "tickets", "payments")
"""Optional churn-risk signal files, kept as raw strings for the risk feature to type."""


@dataclass
class RawTable:
    """Raw string frames of one table gathered from all its files."""

    frames: list[pl.DataFrame] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)

    def frame(self, spec: TableSpec, extra: tuple[str, ...] = ()) -> pl.DataFrame:
        names = (*spec.names, *extra)
        schema = {**dict.fromkeys(names, pl.String), SOURCE: pl.String, LINE: pl.Int64}
        parts = [pl.DataFrame(schema=schema)]
        parts += [f.select([c for c in f.columns if c in schema]) for f in self.frames]
        return pl.concat(parts, how="diagonal_relaxed")


@dataclass(frozen=True)
class RawData:
    """Everything read from a data dir before typing: settings and raw string frames."""

    root: Path
    settings: Settings
    customers: pl.DataFrame
    contracts: pl.DataFrame
    lines: pl.DataFrame
    fx_rates: pl.DataFrame
    opportunities: pl.DataFrame
    extra: dict[str, pl.DataFrame]
    missing: dict[str, list[tuple[str, str]]]
    positions: Positions
    warnings: list[Issue]


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.issues: list[Issue] = []
        self.positions: Positions = {}

    def source(self, path: Path) -> str:
        return str(self.root / path.relative_to(self.root))

    def csv(self, path: Path, spec: TableSpec, table: RawTable) -> None:
        source = self.source(path)
        frame, issues = read_csv(path, source)
        self.issues += issues
        if frame is None:
            return
        columns = [c for c in frame.columns if c not in (SOURCE, LINE)]
        self.issues += unknown_columns(columns, spec, source)
        missing = missing_required(columns, spec, source)
        self.issues += missing
        table.missing += [(source, i.column) for i in missing]
        table.frames.append(frame)

    def yaml(
        self, path: Path, spec: TableSpec, list_key: str, *, single: bool = False
    ) -> list[YamlRecord]:
        source = self.source(path)
        text, issues = decode(path, source)
        self.issues += issues
        if text is None:
            return []
        if not text.strip():
            self.issues.append(Issue(source, None, "", "file is empty"))
            return []
        children = frozenset({"lines"}) if spec is CONTRACTS else frozenset()
        records, issues = load_records(text, source, list_key, children, allow_single=single)
        self.issues += issues
        return records

    def records_frame(
        self, records: Iterable[YamlRecord], source: str, spec: TableSpec
    ) -> pl.DataFrame:
        rows: list[dict[str, str | int | None]] = []
        known = set(spec.names) | set(spec.extra_known) | {"lines"}
        for rec in records:
            row: dict[str, str | int | None] = {**rec.values, SOURCE: source, LINE: rec.line}
            rows.append(row)
            for key, line in rec.value_lines.items():
                self.positions[(source, rec.line, key)] = line
                if key not in known:
                    self.issues += [
                        Issue(source, line, i.column, i.message, Severity.WARNING)
                        for i in unknown_columns([key], spec, source)
                    ]
        schema: dict[str, pl.DataType] = {SOURCE: pl.String(), LINE: pl.Int64()}
        for row in rows:
            for key in row:
                schema.setdefault(key, pl.String())
        return (
            pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
        )


def _files(root: Path, *names: str) -> list[Path]:
    # lexists: a broken or self-referencing symlink is reported when read, not ignored.
    return [root / n for n in names if os.path.lexists(root / n)]


def _settings(r: _Reader, root: Path) -> Settings:
    path = root / SETTINGS_FILE
    if not os.path.lexists(path):
        r.issues.append(Issue(str(path), None, "", "not found; every data dir needs one"))
        return Settings()
    text, issues = decode(path, str(path))
    r.issues += issues
    if text is None:
        return Settings()
    tree, issues = load_tree(text, str(path))
    r.issues += issues
    settings, issues = parse_settings(tree, str(path))
    r.issues += issues
    return settings


def _customers(r: _Reader, root: Path) -> RawTable:
    table = RawTable()
    for path in _files(root, "customers.csv"):
        r.csv(path, CUSTOMERS, table)
    for path in _files(root, "customers.yaml", "customers.yml"):
        records = r.yaml(path, CUSTOMERS, "customers")
        table.frames.append(r.records_frame(records, r.source(path), CUSTOMERS))
    if not _files(root, "customers.csv", "customers.yaml", "customers.yml"):
        r.issues.append(
            Issue(
                str(root / "customers.csv"),
                None,
                "",
                "not found; expected customers.csv or customers.yaml",
            )
        )
    return table


def _yaml_contracts(r: _Reader, paths: list[Path], folder: Path) -> tuple[RawTable, RawTable]:
    contracts, lines = RawTable(), RawTable()
    for path in paths:
        records = r.yaml(path, CONTRACTS, "contracts", single=path.parent == folder)
        source = r.source(path)
        contracts.frames.append(r.records_frame(records, source, CONTRACTS))
        for rec in records:
            frame = r.records_frame(rec.children.get("lines", []), source, LINES)
            if frame.height:
                parent = rec.values.get("contract_id")
                lines.frames.append(frame.with_columns(pl.lit(parent, pl.String).alias("_parent")))
    return contracts, lines


def _contracts(r: _Reader, root: Path) -> tuple[RawTable, RawTable]:
    folder = root / "contracts"
    yaml_paths = _files(root, "contracts.yaml", "contracts.yml")
    if folder.is_dir():
        yaml_paths += sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    contracts, lines = _yaml_contracts(r, yaml_paths, folder)
    csv_contracts = _files(root, "contracts.csv")
    csv_lines = _files(root, "contract_lines.csv")
    for path in csv_contracts:
        r.csv(path, CONTRACTS, contracts)
    for path in csv_lines:
        r.csv(path, LINES, lines)
    if csv_contracts and not csv_lines:
        r.issues.append(
            Issue(str(root / "contract_lines.csv"), None, "", "not found; contracts.csv needs it")
        )
    if not (yaml_paths or csv_contracts or csv_lines or folder.is_dir()):
        r.issues.append(
            Issue(
                str(root / "contracts.yaml"),
                None,
                "",
                "not found; expected contracts.yaml, contracts/*.yaml or contracts.csv",
            )
        )
    return contracts, lines


def _single(r: _Reader, root: Path, name: str, spec: TableSpec) -> RawTable:
    table = RawTable()
    for path in _files(root, name):
        r.csv(path, spec, table)
    return table


def _signals(r: _Reader, root: Path) -> dict[str, pl.DataFrame]:
    extra: dict[str, pl.DataFrame] = {}
    for name in SIGNAL_TABLES:
        for path in _files(root, f"{name}.csv"):
            frame, issues = read_csv(path, r.source(path))
            r.issues += issues
            if frame is not None:
                extra[name] = frame
    return extra


def read_raw(root: Path) -> RawData:
    """Read every file of the data dir into raw string frames.

    Raises :class:`DataError` when a required file is missing or a file cannot be read
    as a whole; row-level problems are left to validation.
    """
    r = _Reader(root)
    settings = _settings(r, root)
    customers = _customers(r, root)
    contracts, lines = _contracts(r, root)
    fx = _single(r, root, "fx_rates.csv", FX_RATES)
    opportunities = _single(r, root, "opportunities.csv", OPPORTUNITIES)
    extra = _signals(r, root)
    if any(i.is_error for i in r.issues):
        raise DataError(relocate(r.issues, r.positions))
    return RawData(
        root=root,
        settings=settings,
        customers=customers.frame(CUSTOMERS),
        contracts=contracts.frame(CONTRACTS),
        lines=lines.frame(LINES, extra=("_parent",)),
        fx_rates=fx.frame(FX_RATES),
        opportunities=opportunities.frame(OPPORTUNITIES),
        extra=extra,
        missing={
            "customers": customers.missing,
            "contracts": contracts.missing,
            "lines": lines.missing,
            "fx_rates": fx.missing,
            "opportunities": opportunities.missing,
        },
        positions=r.positions,
        warnings=relocate(r.issues, r.positions),
    )


def relocate(issues: Iterable[Issue], positions: Positions) -> list[Issue]:
    """Move each YAML issue from its record's line to the line of the offending value."""
    out = []
    for i in issues:
        line = i.line
        if line is not None:
            line = positions.get((i.source, line, i.column), line)
        out.append(Issue(i.source, line, i.column, i.message, i.severity))
    return out
