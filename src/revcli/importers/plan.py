"""An import as a plan: the would-be files of the data dir, checked before anything is written.

``plan_import`` reads the data dir, merges the batch, checks the result with the same
validation ``revcli validate`` runs (on a temporary copy), and returns the new file texts,
the counts and the MRR before and after; ``write_plan`` writes the changed files
all or nothing; ``plan_diff`` is the unified diff a dry run shows.
"""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from revcli.data.csvio import decode, decode_exact
from revcli.data.tree import load_tree
from revcli.data.yamlio import shared_parses
from revcli.decimals import round_half_up
from revcli.errors import DataError, Issue, RevcliError, Severity, UsageError
from revcli.importers.merge import (
    Counts,
    Merged,
    merge_contracts,
    merge_fx,
    merge_table,
    render_contracts,
    render_yaml_customers,
)
from revcli.importers.records import Batch
from revcli.importers.textfiles import (
    CsvTable,
    read_csv_table,
    read_yaml_contracts,
    read_yaml_customers,
)
from revcli.output.files import cannot_write
from revcli.output.journal import JOURNAL
from revcli.output.together import Step, write_together
from revcli.scaffold import settings_text
from revcli.schema import CUSTOMERS, FX_RATES, OPPORTUNITIES
from revcli.settings import SETTINGS_FILE, Settings, parse_settings
from revcli.state.journal import import_writes

if TYPE_CHECKING:
    from revcli.data.validate import DataSet

CUSTOMER_FILES = ("customers.csv", "customers.yaml", "customers.yml")


@dataclass
class Plan:
    """The files an import would write (relative path → text) and what it found."""

    root: Path
    source: str
    files: dict[str, str]
    old: dict[str, str | None]
    counts: dict[str, Counts]
    warnings: list[Issue] = field(default_factory=list)
    mrr_before: Decimal | None = None
    mrr_after: Decimal = Decimal(0)
    month: dt.date = dt.date(2000, 1, 1)
    base_currency: str = "NOK"

    @property
    def changed(self) -> list[str]:
        """The files whose text the import changes (or creates), sorted."""
        return sorted(p for p, text in self.files.items() if self.old.get(p) != text)


def _read(root: Path, rel: str) -> str | None:
    """A data-dir file's text, or ``None`` when it does not exist. A CSV file is read as
    written (byte-order mark and line ends kept): the import rewrites it record by record."""
    path = root / rel
    if not path.exists():
        return None
    text, issues = (decode_exact if rel.endswith(".csv") else decode)(path, str(path))
    if text is None:
        raise DataError(issues)
    return text


def _settings(root: Path, text: str) -> Settings:
    source = str(root / SETTINGS_FILE)
    tree, issues = load_tree(text, source)
    settings, more = parse_settings(tree, source)
    if any(i.is_error for i in issues + more):
        raise DataError(issues + more)
    return settings


def _csv(root: Path, rel: str, text: str | None, header: tuple[str, ...]) -> CsvTable:
    if text is None:
        return CsvTable(header=list(header), order=header)
    table, issues = read_csv_table(text, str(root / rel))
    if issues:
        raise DataError(issues)
    if not table.header:
        table.header = list(header)
    return table


def _needed_rates(batch: Batch, fx: CsvTable, base: str, where: str) -> list[Issue]:
    """Days that need an exchange rate dated on or before them: the start of a
    foreign-currency contract with a recurring line (its booking rate) and the expected
    close of an open foreign-currency opportunity."""
    wanted: list[tuple[str, str, str]] = []  # currency, day, what needs it
    for c in batch.contracts:
        if any(x.get("price_period", "month") != "once" for x in c.lines):
            wanted.append(
                (c.values.get("currency", base), c.values.get("start_date", ""), "contracts start")
            )
    for o in batch.opportunities:
        if o.get("status", "open") == "open":
            wanted.append(
                (o.get("currency", base), o.get("expected_close", ""), "open deals close")
            )
    first: dict[str, dict[str, set[str]]] = {}
    for currency, day, what in wanted:
        cur = currency.upper()
        if cur == base or not day:
            continue
        if not any(
            (r.get("currency") or "").upper() == cur and r.get("date", "") <= day for r in fx.rows
        ):
            first.setdefault(cur, {}).setdefault(day, set()).add(what)
    issues = []
    for cur, needs in sorted(first.items()):
        days = sorted(needs)
        listed = ", ".join(days[:5]) + (f" and {len(days) - 5} more" if len(days) > 5 else "")
        whats = " or ".join(sorted(set().union(*needs.values())))
        issues.append(
            Issue(
                where,
                None,
                "currency",
                f"no exchange rate for {cur} on or before {days[0]} ({whats} on {listed}); "
                f"pass --fx-rates FILE with date,currency,rate rows ({cur} in {base}) dated "
                f"on or before {days[0]}",
            )
        )
    return issues


def _customers(
    root: Path,
    batch: Batch,
    texts: dict[str, str | None],
    merged: Merged,
    country: str,
) -> tuple[dict[str, str], set[str]]:
    present = [name for name in CUSTOMER_FILES if texts.get(name) is not None]
    target = "customers.csv" if "customers.csv" in present or not present else present[0]
    others: set[str] = set()
    for name in present:
        if name == target:
            continue
        text = texts[name] or ""
        if name.endswith(".csv"):
            others |= {r.get("customer_id", "") for r in _csv(root, name, text, ()).rows}
        else:
            rows, _ = read_yaml_customers(text, str(root / name))
            others |= {r.get("customer_id", "") for r in rows}
    where = str(root / target)
    if target.endswith(".csv"):
        table = _csv(root, target, texts.get(target), CUSTOMERS.names)
        if texts.get(target) is None:
            table.header = ["customer_id", "name", "country"]
    else:
        rows, issues = read_yaml_customers(texts.get(target) or "", where)
        if any(i.is_error for i in issues):
            raise DataError(issues)
        table = CsvTable(header=[], rows=rows, texts=[None] * len(rows), lines=[0] * len(rows))
    merge_table(
        table,
        batch.customers,
        mapped=batch.mapped.get("customers", frozenset()),
        id_column="customer_id",
        where=where,
        merged=merged,
        what="customers",
        other_ids=frozenset(others),
        fill={"country": country},
    )
    ids = others | {r.get("customer_id", "") for r in table.rows}
    if not batch.customers:
        return {}, ids
    if target.endswith(".csv"):
        return {target: table.render()}, ids
    return {target: render_yaml_customers(table.rows)}, ids


def plan_import(
    root: Path,
    batch: Batch,
    *,
    today: dt.date,
    base_currency: str | None = None,
    country: str | None = None,
    fx_file: Path | None = None,
) -> Plan:
    """Merge ``batch`` into the data dir at ``root`` (which may not exist yet) and check it.

    Raises :class:`DataError` with every problem — of the input, of the FX rates it needs,
    or of the would-be data dir — so that nothing is written; :class:`UsageError` when
    ``--base-currency`` contradicts an existing data dir.

    The data dir's YAML files are parsed once for the merge and the MRR before it
    (:func:`~revcli.data.yamlio.shared_parses`); the would-be data dir is read afresh.
    """
    errors = [i for i in batch.issues if i.is_error]
    if errors:
        raise DataError(batch.issues)
    with shared_parses():
        plan = _merged_plan(
            root, batch, today=today, base_currency=base_currency, country=country, fx_file=fx_file
        )
        if (root / SETTINGS_FILE).exists():
            plan.mrr_before = _mrr(root, plan.month)
    _check(plan)
    return plan


def _merged_plan(
    root: Path,
    batch: Batch,
    *,
    today: dt.date,
    base_currency: str | None,
    country: str | None,
    fx_file: Path | None,
) -> Plan:
    """:func:`plan_import` before its checks: the merged files, counts and warnings."""
    merged = Merged()
    merged.issues += batch.issues
    texts: dict[str, str | None] = {}
    settings_raw = _read(root, SETTINGS_FILE)
    files: dict[str, str] = {}
    if settings_raw is None:
        settings_raw = settings_text((base_currency or "NOK").upper())
        files[SETTINGS_FILE] = settings_raw
    settings = _settings(root, settings_raw)
    if base_currency and base_currency.upper() != settings.base_currency:
        raise UsageError(
            f"{root} already has base_currency {settings.base_currency}; "
            "--base-currency only applies to a new data dir"
        )
    if country is None and any("country" not in c for c in batch.customers):
        merged.issues.append(
            Issue(
                "--country",
                None,
                "",
                f"customers without a country get the seller's, {settings.company.country}; "
                "pass --country to choose",
                Severity.WARNING,
            )
        )
    for name in CUSTOMER_FILES:
        texts[name] = _read(root, name)
    written, customer_ids = _customers(
        root, batch, texts, merged, country or settings.company.country
    )
    files.update(written)
    merged.issues += _unknown_customers(batch, customer_ids)

    files.update(_contracts_file(root, batch, texts, merged))
    files.update(_opportunities_file(root, batch, texts, merged))
    problems = [i for i in merged.issues if i.is_error]
    fx, fx_files, fx_problems = _fx_file(root, fx_file, texts, merged)
    files.update(fx_files)
    problems += fx_problems
    problems += _needed_rates(batch, fx, settings.base_currency, batch.source)
    if problems:
        raise DataError(problems)

    if not any(p.startswith("contracts") for p in files) and not _has_contracts(root):
        files["contracts.yaml"] = EMPTY_CONTRACTS
    if not any(p in files or (root / p).exists() for p in CUSTOMER_FILES):
        files["customers.csv"] = "customer_id,name,country\n"
    old = {p: (texts[p] if p in texts else _read(root, p)) for p in files}
    return Plan(
        root=root,
        source=batch.source,
        files=files,
        old=old,
        counts=merged.counts,
        warnings=[i for i in merged.issues if not i.is_error],
        month=dt.date(today.year, today.month, 1),
        base_currency=settings.base_currency,
    )


EMPTY_CONTRACTS = """\
# Contracts written by hand (or put one contract per file in contracts/*.yaml).
contracts: []
"""


def _has_contracts(root: Path) -> bool:
    names = ("contracts.yaml", "contracts.yml", "contracts.csv", "contract_lines.csv")
    return (root / "contracts").is_dir() or any((root / n).exists() for n in names)


def _contracts_file(
    root: Path, batch: Batch, texts: dict[str, str | None], merged: Merged
) -> dict[str, str]:
    """``contracts/SOURCE.yaml`` after the import (the source's contracts file)."""
    rel = f"contracts/{batch.source}.yaml"
    if not (batch.contracts or batch.lines):
        return {}
    texts[rel] = _read(root, rel)
    existing, issues = read_yaml_contracts(texts[rel] or "", str(root / rel))
    if any(i.is_error for i in issues):
        raise DataError(issues)
    others = _other_contract_ids(root, rel)
    result = merge_contracts(existing, batch, str(root / rel), merged, others)
    return {rel: render_contracts(result, batch.source)}


def _other_contract_ids(root: Path, own: str) -> frozenset[str]:
    """The ``contract_id`` of every contract in the data dir's other contract files (the
    hand-written ones and other sources'): an import never adds a second contract of an
    id (a file that cannot be read is left to validation, which reports it)."""
    names = [n for n in ("contracts.yaml", "contracts.yml") if (root / n).is_file()]
    if (root / "contracts").is_dir():
        names += sorted(
            f"contracts/{p.name}"
            for p in (root / "contracts").iterdir()
            if p.suffix in (".yaml", ".yml") and f"contracts/{p.name}" != own
        )
    ids: set[str] = set()
    for name in names:
        text = _read(root, name)
        contracts, _ = read_yaml_contracts(text or "", str(root / name))
        ids |= {c.values.get("contract_id", "") for c in contracts}
    if (root / "contracts.csv").is_file():
        table = _csv(root, "contracts.csv", _read(root, "contracts.csv"), ())
        ids |= {r.get("contract_id", "") for r in table.rows}
    return frozenset(ids - {""})


def _opportunities_file(
    root: Path, batch: Batch, texts: dict[str, str | None], merged: Merged
) -> dict[str, str]:
    """``opportunities.csv`` after the import."""
    if not batch.opportunities:
        return {}
    rel = "opportunities.csv"
    texts[rel] = _read(root, rel)
    table = _csv(root, rel, texts[rel], OPPORTUNITIES.names)
    merge_table(
        table,
        batch.opportunities,
        mapped=batch.mapped.get("opportunities", frozenset()),
        id_column="opportunity_id",
        where=str(root / rel),
        merged=merged,
        what="opportunities",
    )
    return {rel: table.render()}


def _fx_file(
    root: Path, fx_file: Path | None, texts: dict[str, str | None], merged: Merged
) -> tuple[CsvTable, dict[str, str], list[Issue]]:
    """``fx_rates.csv`` with the rows of ``--fx-rates`` merged in, and its problems."""
    rel = "fx_rates.csv"
    texts[rel] = _read(root, rel)
    fx = _csv(root, rel, texts[rel], FX_RATES.names)
    if fx_file is None:
        return fx, {}, []
    given_text, issues = decode(fx_file, str(fx_file))
    if given_text is None:
        raise DataError(issues)
    given = _csv(fx_file.parent, fx_file.name, given_text, FX_RATES.names)
    problems = _given_fx_issues(given, str(fx_file))
    problems += merge_fx(fx, given, str(fx_file), str(root / rel), merged)
    return fx, ({rel: fx.render()} if merged.counts["fx_rates"].added else {}), problems


def _unknown_customers(batch: Batch, known: set[str]) -> list[Issue]:
    """Every imported contract needs its customer: imported now or already in the data dir."""
    return [
        Issue(
            c.values.get("_source", batch.source),
            int(c.values["_line"]) if "_line" in c.values else None,
            c.values.get("_column", "customer_id"),
            f"customer '{c.values.get('customer_id')}' is neither in the import nor in the "
            "data dir's customers; import the customers too",
        )
        for c in batch.contracts
        if c.values.get("customer_id") not in known
    ]


def _given_fx_issues(given: CsvTable, source: str) -> list[Issue]:
    """Rows of an ``--fx-rates`` file must be complete: date, currency and rate."""
    issues = [
        Issue(source, 1, name, "required column is missing from the header")
        for name in ("date", "currency", "rate")
        if name not in given.header
    ]
    if issues:
        return issues
    for row, line in zip(given.rows, given.lines, strict=True):
        issues += [
            Issue(source, line, name, "is required")
            for name in ("date", "currency", "rate")
            if name not in row
        ]
        try:
            if "rate" in row and not Decimal(row["rate"]).is_finite():
                raise ArithmeticError
        except ArithmeticError:
            issues.append(Issue(source, line, "rate", f"'{row['rate']}' is not a number"))
    return issues


def _relocate(issues: list[Issue], tmp: Path, root: Path) -> list[Issue]:
    out = []
    for i in issues:
        source = i.source
        if source.startswith(str(tmp)):
            source = str(root / Path(source).relative_to(tmp))
        message = i.message.replace(str(tmp), str(root))
        out.append(Issue(source, i.line, i.column, message, i.severity))
    return out


def _check(plan: Plan) -> None:
    """Validate the would-be data dir in a temporary copy; fill in the MRR after.

    The copy is read and validated once: the MRR after the import is computed from the
    data set the validation built."""
    from revcli.checks import check_and_load  # the full validation of `revcli validate`

    with tempfile.TemporaryDirectory(prefix="revcli-import-") as name:
        tmp = Path(name) / "data"
        if plan.root.exists():
            # Not an interrupted import's journal: the copy is checked, never completed.
            skip = shutil.ignore_patterns(".git", JOURNAL)
            shutil.copytree(plan.root, tmp, ignore=skip, symlinks=True)
        for rel, text in plan.files.items():
            try:
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                (tmp / rel).write_bytes(text.encode("utf-8"))
            except OSError as exc:  # the copy has the data dir's files and folders
                reason = cannot_write(tmp / rel, exc).replace(str(tmp), str(plan.root))
                raise RevcliError(f"{reason}; nothing was changed") from None
        found, data = check_and_load(tmp)
        issues = _relocate(found, tmp, plan.root)
        if data is None:  # some issue is an error
            raise DataError(
                [
                    Issue(
                        "import",
                        None,
                        "",
                        "the data dir would be invalid after this import; nothing was written",
                    ),
                    *issues,
                ]
            )
        # What validate would warn of in the files the import writes (a text with a
        # control character, say) is said now, not at the next validate.
        written = {str(plan.root / rel) for rel in plan.files}
        plan.warnings += [i for i in issues if i.source in written]
        plan.mrr_after = _month_mrr(data, plan.month)


def _mrr(root: Path, month: dt.date) -> Decimal | None:
    """MRR of ``month`` in the base currency, or ``None`` when the data dir is invalid."""
    from revcli.data.validate import load_dataset

    try:
        data = load_dataset(root)
    except DataError:
        return None
    return _month_mrr(data, month)


def _month_mrr(data: DataSet, month: dt.date) -> Decimal:
    """MRR of ``month`` of a valid data set in the base currency, each contract booked at
    its start rate."""
    from revcli.metrics.mrr import mrr_table
    from revcli.metrics.report import schedule_of

    table = mrr_table(schedule_of(data), data.customers, month, month)
    value = table.get_column("mrr")[0] if table.height else None
    return Decimal(0) if value is None else round_half_up(value, 10)


def write_plan(plan: Plan, on_step: Step | None = None) -> list[Path]:
    """Write the files the import changes, all or nothing; return their paths.

    A data dir with some files of an import and not the others would fail validation,
    so either every file is replaced or (raising :class:`RevcliError`) none is; a process
    killed between two renames leaves the journal ``.revcli-import-journal`` in the data
    dir, from which the next run completes the import
    (:func:`revcli.state.journal.finish_interrupted_import`). ``on_step``: see
    :func:`~revcli.output.together.write_together` (tests kill a run with it).
    """
    strays = [rel for rel in plan.changed if not import_writes(rel)]
    if strays:  # recovering the journal would refuse them: IMPORT_FILES must name each
        raise RuntimeError(f"an import writes {strays}, which IMPORT_FILES does not name")
    files = {plan.root / rel: plan.files[rel] for rel in plan.changed}
    if files:
        write_together(files, journal=plan.root / JOURNAL, on_step=on_step)
    return list(files)


def plan_diff(plan: Plan) -> str:
    """The unified diff of every file the import would change."""
    out: list[str] = []
    for rel in plan.changed:
        old = plan.old.get(rel)
        out += difflib.unified_diff(
            _file_lines(old or ""),
            _file_lines(plan.files[rel]),
            fromfile="/dev/null" if old is None else f"a/{rel}",
            tofile=f"b/{rel}",
        )
    return "".join(out)


def _file_lines(text: str) -> list[str]:
    """The lines of a file as a CSV or YAML reader sees them, each with its line end: at
    ``\n`` only (:meth:`str.splitlines` would also break a name at a vertical tab, U+0085
    or U+2028, characters of a cell)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def summary(plan: Plan) -> list[str]:
    """The lines of the import summary: counts per table and MRR before and after."""
    lines = [f"{plan.source} import into {plan.root}:"]
    for table in ("customers", "contracts", "lines", "opportunities", "fx_rates"):
        c = plan.counts[table]
        if table in ("opportunities", "fx_rates") and not (c.added or c.changed or c.unchanged):
            continue
        label = table.replace("_", " ")
        lines.append(f"  {label:<13} {c.added} added, {c.changed} changed, {c.unchanged} unchanged")
    before = "n/a" if plan.mrr_before is None else _money(plan.mrr_before)
    lines.append(
        f"  MRR {plan.month:%Y-%m}: {before} → {_money(plan.mrr_after)} {plan.base_currency}"
    )
    return lines


def _money(value: Decimal) -> str:
    return f"{round_half_up(value, 2):,.2f}"
