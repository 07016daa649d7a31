"""Merging an import into the records a data dir already holds (pure: text in, text out).

The source wins for the fields it maps; every other field keeps what a person wrote;
records without a ``source_id`` — and records another source owns — are never touched.
A record the source no longer sends is kept, with a warning: deleting is a person's call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from revcli.errors import Issue, Severity
from revcli.importers.records import Row
from revcli.importers.textfiles import CsvTable
from revcli.importers.yamlout import dump_records, ordered
from revcli.schema import CUSTOMERS

SOURCE_ID = "source_id"


@dataclass
class Counts:
    """Records of one table an import added, changed, or found as they were."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0

    def count(self, old: dict[str, str] | None, new: dict[str, str]) -> None:
        if old is None:
            self.added += 1
        elif old == new:
            self.unchanged += 1
        else:
            self.changed += 1


@dataclass
class Merged:
    """Counts per table and the warnings of a merge."""

    counts: dict[str, Counts] = field(
        default_factory=lambda: {
            t: Counts() for t in ("customers", "contracts", "lines", "opportunities", "fx_rates")
        }
    )
    issues: list[Issue] = field(default_factory=list)


def public(row: Row) -> dict[str, str]:
    """A record without the importer's bookkeeping keys (``_source``, ``_line``)."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


def merge_values(old: dict[str, str], new: Row, mapped: Iterable[str]) -> dict[str, str]:
    """``old`` with every ``mapped`` field taken from ``new`` (absent there = not set).

    A field ``new`` carries that is not mapped (a Stripe customer's country) only fills
    a gap: what a person wrote there stays.
    """
    out = dict(old)
    owned = set(mapped)
    for name in owned:
        if name in new:
            out[name] = new[name]
        else:
            out.pop(name, None)
    for name, value in new.items():
        if name not in owned:
            out.setdefault(name, value)
    return out


def gone_warning(where: str, line: int | None, what: str, sid: str) -> Issue:
    """A record of the source (at ``where``:``line``) that the import no longer sends."""
    return Issue(
        where,
        line or None,
        SOURCE_ID,
        f"{what} {sid} is no longer in the import; kept as it is (delete it by hand if it ended)",
        Severity.WARNING,
    )


def merge_table(
    table: CsvTable,
    incoming: list[Row],
    *,
    mapped: frozenset[str],
    id_column: str,
    where: str,
    merged: Merged,
    what: str,
    other_ids: frozenset[str] = frozenset(),
    fill: dict[str, str] | None = None,
    covered: str = "",
) -> None:
    """Merge ``incoming`` records into a CSV table keyed by ``source_id``.

    An incoming record whose ``id_column`` value belongs to a record without this
    ``source_id`` (hand-written, or another source's, or in ``other_ids``: another file)
    is left out with a warning. ``fill`` gives values for fields a record lacks.
    ``covered`` is the source's name when the import holds this table in full: each of
    the source's records it does not send is then reported as gone (and kept).
    """
    counts = merged.counts[what]
    table.add_column(SOURCE_ID)
    by_sid = {r.get(SOURCE_ID): i for i, r in enumerate(table.rows) if r.get(SOURCE_ID)}
    by_id = {r.get(id_column): i for i, r in enumerate(table.rows) if r.get(id_column)}
    seen: set[str] = set()
    fresh: list[dict[str, str]] = []
    for row in incoming:
        values = public(row)
        sid = values[SOURCE_ID]
        seen.add(sid)
        native = values.get(id_column, "")
        if sid in by_sid:
            index = by_sid[sid]
            old = table.rows[index]
            new = merge_values(old, values, mapped)
        elif native in by_id or native in other_ids:
            merged.issues.append(
                Issue(
                    row.get("_source", where),
                    int(row["_line"]) if "_line" in row else None,
                    id_column,
                    f"'{native}' already exists without {sid} as its source_id; "
                    "the existing record is kept and this one is not imported",
                    Severity.WARNING,
                )
            )
            continue
        else:
            old, new = None, values
        for name, value in (fill or {}).items():
            new.setdefault(name, value)
        for name in new:
            table.add_column(name)
        counts.count(old, new)
        if old is None:
            fresh.append(new)
        elif old != new:
            table.set_row(by_sid[sid], new)
    for r, line in zip(table.rows, table.lines, strict=True):
        sid = r.get(SOURCE_ID, "")
        if covered and sid.startswith(f"{covered}:") and sid not in seen:
            merged.issues.append(gone_warning(where, line, what.rstrip("s"), sid))
    for new in sorted(fresh, key=lambda r: (r.get(id_column, ""), r[SOURCE_ID])):
        table.append(new)


def render_yaml_customers(rows: list[dict[str, str]]) -> str:
    """The text of a ``customers.yaml`` rewritten by an import."""
    return dump_records((ordered(r, CUSTOMERS.names) for r in rows), "customers", "")


def merge_fx(
    table: CsvTable, given: CsvTable, given_source: str, where: str, merged: Merged
) -> list[Issue]:
    """Add the rows of an ``--fx-rates`` file to ``fx_rates.csv``.

    A row for a (date, currency) already present — in ``fx_rates.csv`` or on an earlier
    row of the given file — with the same rate changes nothing; a different rate is an
    error naming the row it differs from (two rates for one day are invalid, and which
    is right is a person's call).
    """
    errors = []
    for name in ("date", "currency", "rate"):
        table.add_column(name)
    # (date, CURRENCY) -> (rate, file, row) of the first row that gave it
    have = {
        _fx_key(r): (r.get("rate", "0"), where, line)
        for r, line in zip(table.rows, table.lines, strict=True)
    }
    fresh = []
    for row, line in zip(given.rows, given.lines, strict=True):
        key = _fx_key(row)
        values: dict[str, str] = {k: row[k] for k in ("date", "currency", "rate") if k in row}
        values["currency"] = key[1]
        rate = values.get("rate", "0")
        if key not in have:
            have[key] = (rate, given_source, line)
            merged.counts["fx_rates"].added += 1
            fresh.append(values)
            continue
        old_rate, old_file, old_line = have[key]
        if _rate(old_rate) == _rate(rate):
            if old_file == where:
                merged.counts["fx_rates"].unchanged += 1
        else:
            errors.append(
                Issue(
                    given_source,
                    line,
                    "rate",
                    f"{rate} for {key[1]} on {key[0]} differs from {old_rate} at "
                    f"{old_file}:{old_line}; correct one of them",
                )
            )
    for values in sorted(fresh, key=lambda r: (r.get("date", ""), r.get("currency", ""))):
        table.append(values)
    return errors


def _rate(text: str) -> Decimal | str:
    """A rate to compare: its number, or its text when it is none (reported elsewhere)."""
    try:
        return Decimal(text)
    except ArithmeticError:
        return text.strip()


def _fx_key(row: dict[str, str]) -> tuple[str, str]:
    """A rate's (date, CURRENCY): one rate per currency and day."""
    return row.get("date", ""), (row.get("currency") or "").upper()
