"""Find the files of a data dir and read them into raw string frames, then typed frames."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from revcli.data.files import UnreadableFile
from revcli.data.reader import Positions, RawTable, SourceReader, rows_frame
from revcli.data.source import FolderSource, Source
from revcli.data.tree import load_tree
from revcli.errors import DataError, Issue, Severity, sort_issues
from revcli.schema import (
    CONTRACTS,
    CUSTOMERS,
    FX_RATES,
    LINES,
    OPPORTUNITIES,
    SOURCE,
    TableSpec,
)
from revcli.settings import SETTINGS_FILE, Settings, parse_settings

SIGNAL_TABLES = ("usage", "tickets", "payments")
"""Optional churn-risk signal files, kept as raw strings for the risk feature to type."""
CSV_FILES = (
    "customers.csv",
    "contracts.csv",
    "contract_lines.csv",
    "fx_rates.csv",
    "opportunities.csv",
    *(f"{name}.csv" for name in SIGNAL_TABLES),
)
"""The CSV files of a data dir, in the order they are read."""

DATA_FILES = (
    SETTINGS_FILE,
    "customers.yaml",
    "customers.yml",
    "contracts.yaml",
    "contracts.yml",
    *CSV_FILES,
)
"""The files at the top of a data dir that every run reads."""


def read_as_data(name: str) -> bool:
    """Whether ``name``, a path inside a data dir (parts joined by ``/``), is a file that
    revcli reads there: ``revcli.yaml``, a data file (:data:`DATA_FILES`), a contract file
    of ``contracts/``, or revcli's own state (``.revcli/…``, and ``.revcli-…`` such as an
    import's journal). In any letter case: macOS and Windows do not tell ``Customers.CSV``
    from ``customers.csv``."""
    parts = name.lower().split("/")
    if parts[0] == ".revcli" or parts[0].startswith(".revcli-"):
        return True
    if len(parts) == 1:
        return parts[0] in DATA_FILES
    return len(parts) == 2 and parts[0] == "contracts" and parts[1].endswith((".yaml", ".yml"))


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
    issues: list[Issue]
    """What reading found that did not stop it: warnings, and problems of settings that
    the data checks do not depend on (:data:`DATA_SETTINGS`), reported with the data's."""


def _files(root: Source, *names: str) -> list[str]:
    return [n for n in names if root.exists(n)]


DATA_SETTINGS = ("base_currency", "locale", "company")
"""Settings (and sections) that the data checks read as written: a contract's currency,
a customer's locale and country, the seller for e-invoices. A problem in one of them
stops reading; a problem elsewhere in ``revcli.yaml`` takes its default and is reported
together with every problem of the data files."""


def _stops_reading(issue: Issue) -> bool:
    return issue.is_error and (not issue.column or issue.column.split(".")[0] in DATA_SETTINGS)


def _settings(r: SourceReader, root: Source) -> tuple[Settings, list[Issue]]:
    """The settings, and their problems that need not stop reading (the others go to
    ``r.issues``)."""
    where = r.source(SETTINGS_FILE)
    if not root.exists(SETTINGS_FILE):
        r.issues.append(Issue(where, None, "", "not found; every data dir needs one"))
        return Settings(), []
    text = r.text(SETTINGS_FILE)
    if text is None:
        return Settings(), []
    tree, issues = load_tree(text, where)
    r.issues += issues
    # At a git revision the files the settings name are looked for in its tree, not on disk.
    settings, issues = parse_settings(tree, where, None if isinstance(root, FolderSource) else root)
    r.issues += [i for i in issues if _stops_reading(i)]
    return settings, [i for i in issues if not _stops_reading(i)]


def _customers(r: SourceReader, root: Source) -> RawTable:
    table = RawTable()
    for path in _files(root, "customers.csv"):
        r.csv(path, CUSTOMERS, table)
    for path in _files(root, "customers.yaml", "customers.yml"):
        text = r.yaml_text(path)
        if text is None:
            continue
        found = r.yaml_frames(path, text, "customers", None)
        if found is not None:
            table.frames.append(found.records)
            continue
        records = r.yaml_records(path, text, CUSTOMERS, "customers", False)
        table.frames.append(r.records_frame(records, r.source(path), CUSTOMERS))
    if not _files(root, "customers.csv", "customers.yaml", "customers.yml"):
        r.issues.append(
            Issue(
                r.source("customers.csv"),
                None,
                "",
                "not found; expected customers.csv or customers.yaml",
            )
        )
    return table


def _yaml_contracts(r: SourceReader, paths: list[str], folder: str) -> tuple[RawTable, RawTable]:
    # The rows of every file in one frame per table: a frame per file or per contract
    # costs a few Polars queries each, which is most of the time on a small data dir.
    # A file in the layout revcli writes (an import's) is read into frames directly.
    contract_rows: list[dict[str, str | int | None]] = []
    line_rows: list[dict[str, str | int | None]] = []
    contracts, lines = RawTable(), RawTable()
    for path in paths:
        text = r.yaml_text(path)
        if text is None:
            continue
        found = r.yaml_frames(path, text, "contracts", "lines")
        if found is not None:  # after the rows of the files before it: reading order
            if contract_rows:
                contracts.frames.append(rows_frame(contract_rows))
            if line_rows:
                lines.frames.append(rows_frame(line_rows))
            contract_rows, line_rows = [], []
            contracts.frames.append(found.records)
            lines.frames.append(found.children)
            continue
        single = path.startswith(f"{folder}/")
        records = r.yaml_records(path, text, CONTRACTS, "contracts", single)
        source = r.source(path)
        contract_rows += r.records_rows(records, source, CONTRACTS)
        for rec in records:
            parent = rec.values.get("contract_id")
            children = r.records_rows(rec.children.get("lines", []), source, LINES)
            line_rows += [{**row, "_parent": parent} for row in children]
    if contract_rows:
        contracts.frames.append(rows_frame(contract_rows))
    if line_rows:
        lines.frames.append(rows_frame(line_rows))
    return contracts, lines


def _not_a_folder(root: Source, folder: str) -> str:
    """Why ``folder`` (``contracts``) is there but is no folder to read, or ``""``: a
    symbolic link out of the repository at a git revision, a broken link, or a file."""
    if not root.exists(folder) or root.is_dir(folder):
        return ""
    try:
        root.read(folder)
    except UnreadableFile as exc:
        return str(exc)
    return "is a file; contracts/ must be a folder of YAML files, one per contract"


def _contracts(r: SourceReader, root: Source) -> tuple[RawTable, RawTable]:
    folder = "contracts"
    yaml_paths = _files(root, "contracts.yaml", "contracts.yml")
    if root.is_dir(folder):
        yaml_paths += [p for p in root.listdir(folder) if p.endswith((".yaml", ".yml"))]
    contracts, lines = _yaml_contracts(r, yaml_paths, folder)
    csv_contracts = _files(root, "contracts.csv")
    csv_lines = _files(root, "contract_lines.csv")
    for path in csv_contracts:
        r.csv(path, CONTRACTS, contracts)
    for path in csv_lines:
        r.csv(path, LINES, lines)
    if csv_contracts and not csv_lines:
        r.issues.append(
            Issue(r.source("contract_lines.csv"), None, "", "not found; contracts.csv needs it")
        )
    folder_problem = _not_a_folder(root, folder)
    if folder_problem:
        r.issues.append(Issue(r.source(folder), None, "", folder_problem))
    elif not (yaml_paths or csv_contracts or csv_lines or root.is_dir(folder)):
        r.issues.append(
            Issue(
                r.source("contracts.yaml"),
                None,
                "",
                "not found; expected contracts.yaml, contracts/*.yaml or contracts.csv",
            )
        )
    return contracts, lines


def _single(r: SourceReader, root: Source, name: str, spec: TableSpec) -> RawTable:
    table = RawTable()
    for path in _files(root, name):
        r.csv(path, spec, table)
    return table


def _currencies(table: RawTable) -> set[str]:
    return {
        str(code).strip().upper()
        for frame in table.frames
        if "currency" in frame.columns
        for code in frame.get_column("currency").drop_nulls().unique()
    }


def _without_currency(
    contracts: RawTable, fx: RawTable, opportunities: RawTable, base: str
) -> list[Issue]:
    """A warning for each CSV file of contracts without a ``currency`` column while
    ``fx_rates.csv`` holds rates of currencies that no other contract (in YAML, or in a
    file with the column) and no opportunity is in: every contract of the file is then in
    the base currency, which a column left out of an export makes silently."""
    used = _currencies(contracts) | _currencies(opportunities)
    others = sorted(_currencies(fx) - used - {base, ""})
    if not others:
        return []
    return [
        Issue(
            str(frame.get_column(SOURCE)[0]),
            1,
            "currency",
            f"no such column, so every contract of the file is in {base} (base_currency), "
            f"while fx_rates.csv has rates for {', '.join(others)}; add the column if any "
            "contract is in another currency",
            Severity.WARNING,
        )
        for frame in contracts.frames
        if frame.height
        and "currency" not in frame.columns
        and str(frame.get_column(SOURCE)[0]).endswith(".csv")
    ]


def _signals(r: SourceReader, root: Source) -> dict[str, pl.DataFrame]:
    extra: dict[str, pl.DataFrame] = {}
    for name in SIGNAL_TABLES:
        for path in _files(root, f"{name}.csv"):
            frame = r.csv_frame(path)
            if frame is not None:
                extra[name] = frame
    return extra


def read_raw(root: Path | Source) -> RawData:
    """Read every file of the data dir (a folder, or any :class:`Source` such as a git
    revision) into raw string frames.

    Raises :class:`DataError` when a required file is missing or a file cannot be read
    as a whole; row-level problems are left to validation.
    """
    files = FolderSource(root) if isinstance(root, Path) else root
    r = SourceReader(files)
    with ThreadPoolExecutor(2) as pool:
        r.prefetch(pool, _files(files, *CSV_FILES))
        settings, deferred = _settings(r, files)
        customers = _customers(r, files)
        contracts, lines = _contracts(r, files)
        fx = _single(r, files, "fx_rates.csv", FX_RATES)
        opportunities = _single(r, files, "opportunities.csv", OPPORTUNITIES)
        r.issues += _without_currency(contracts, fx, opportunities, settings.base_currency)
        extra = _signals(r, files)
    if any(i.is_error for i in r.issues):
        raise DataError(sort_issues([*relocate(r.issues, r.positions), *deferred]))
    return RawData(
        root=files.root,
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
        issues=[*relocate(r.issues, r.positions), *deferred],
    )


def relocate(issues: Iterable[Issue], positions: Positions) -> list[Issue]:
    """Move each YAML issue from its record's line to the line of the offending value."""
    issues = list(issues)
    found = positions.lines_of([(i.source, i.line, i.column) for i in issues if i.line is not None])
    return [
        Issue(
            i.source,
            i.line if i.line is None else found.get((i.source, i.line, i.column), i.line),
            i.column,
            i.message,
            i.severity,
        )
        for i in issues
    ]
