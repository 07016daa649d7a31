"""An import as a plan: the would-be files of the data dir, checked before anything is written.

``plan_import`` reads the data dir, merges the batch (file by file:
:mod:`revcli.importers.plan_files`), checks the result with the same validation
``revcli validate`` runs (on a temporary copy), and returns the new file texts, the counts
and the MRR before and after; :mod:`revcli.importers.plan_output` writes the changed files
all or nothing, and shows the diff and summary of a plan.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from revcli.data.tree import load_tree
from revcli.data.yamlio import shared_parses
from revcli.decimals import round_half_up
from revcli.errors import DataError, Issue, RevcliError, Severity, UsageError
from revcli.importers.merge import Counts, Merged
from revcli.importers.plan_files import (
    CUSTOMER_FILES,
    EMPTY_CONTRACTS,
    contracts_file,
    customers_file,
    file_text,
    fx_rates_file,
    has_contracts,
    needed_rates,
    opportunities_file,
    unknown_customers,
)
from revcli.importers.records import Batch
from revcli.output.files import cannot_write
from revcli.output.journal import JOURNAL
from revcli.scaffold import settings_text
from revcli.settings import SETTINGS_FILE, Settings, parse_settings

if TYPE_CHECKING:
    from revcli.data.validate import DataSet


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


def _settings(root: Path, text: str) -> Settings:
    source = str(root / SETTINGS_FILE)
    tree, issues = load_tree(text, source)
    settings, more = parse_settings(tree, source)
    if any(i.is_error for i in issues + more):
        raise DataError(issues + more)
    return settings


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
    settings_raw = file_text(root, SETTINGS_FILE)
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
        texts[name] = file_text(root, name)
    written, customer_ids = customers_file(
        root, batch, texts, merged, country or settings.company.country
    )
    files.update(written)
    merged.issues += unknown_customers(batch, customer_ids)

    files.update(contracts_file(root, batch, texts, merged))
    files.update(opportunities_file(root, batch, texts, merged))
    problems = [i for i in merged.issues if i.is_error]
    fx, fx_files, fx_problems = fx_rates_file(root, fx_file, texts, merged)
    files.update(fx_files)
    problems += fx_problems
    problems += needed_rates(batch, fx, settings.base_currency, batch.source)
    if problems:
        raise DataError(problems)

    if not any(p.startswith("contracts") for p in files) and not has_contracts(root):
        files["contracts.yaml"] = EMPTY_CONTRACTS
    if not any(p in files or (root / p).exists() for p in CUSTOMER_FILES):
        files["customers.csv"] = "customer_id,name,country\n"
    old = {p: (texts[p] if p in texts else file_text(root, p)) for p in files}
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
