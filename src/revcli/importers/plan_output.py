"""A checked plan written all or nothing, shown as a unified diff, and summarised."""

from __future__ import annotations

import difflib
from decimal import Decimal
from pathlib import Path

from revcli.decimals import round_half_up
from revcli.importers.plan import Plan
from revcli.output.journal import JOURNAL
from revcli.output.together import Step, write_together
from revcli.state.journal import import_writes


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
