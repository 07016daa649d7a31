"""The straightforward restatement, kept as the oracle of :func:`revcli.diff.restate.restate`:
every intermediate data set built whole and run through the whole engine, cause by cause
(O(causes × data), the way ``revcli diff`` worked before it went customer by customer)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import polars as pl

from revcli.data.load import RawData
from revcli.diff.changes import (
    _LINE_ID,
    KEY,
    Cause,
    _field_changes,
    _files,
    _root_name,
    _values,
    _with_line_ids,
    apply,
    causes,
    changed_keys,
    flatten,
    keyed,
)
from revcli.diff.restate import Restatement, _align, _change, assembled, figures, tagged
from revcli.schema import SOURCE


def naive_states(old: RawData, new: RawData, first: dt.date, last: dt.date) -> list[pl.DataFrame]:
    """The printed figures after each cause, each state computed whole (the last one too)."""
    found = list(causes(old, new))
    return [figures(apply(old, new, found[: i + 1]), first, last) for i in range(len(found))]


def naive_restate(old: RawData, new: RawData, first: dt.date, last: dt.date) -> Restatement:
    """What :func:`revcli.diff.restate.restate` returns, the slow and obvious way."""
    found = tuple(causes(old, new))
    start = figures(old, first, last)
    end = figures(new, first, last)
    rows: list[pl.DataFrame] = []
    previous = start
    for i, cause in enumerate(found):
        last_one = i == len(found) - 1
        state = end if last_one else figures(apply(old, new, list(found[: i + 1])), first, last)
        a, b, names = _align(previous, state)
        rows.append(tagged(_change(a, b, names), cause, i))
        previous = state
    return assembled(rows, start, end, found)


# What revcli.diff.changes did before it looked records up key by key in partitions: each
# record filtered out of the whole frame (O(causes × records)), kept as the oracle of causes().


def _record(frame: pl.DataFrame, key: str) -> dict[str, str | None]:
    rows = frame.filter(pl.col(KEY) == key).select(_values(frame)).to_dicts()
    return rows[0] if rows else {}


def _file(old: pl.DataFrame, new: pl.DataFrame, key: str, roots: tuple[str, str]) -> str:
    """The file of a record: where it is now, else where it was; inside the data dir."""
    for frame, root in ((new, roots[1]), (old, roots[0])):
        sources = frame.filter(pl.col(KEY) == key).get_column(SOURCE)
        if sources.len():
            return str(sources[0]).removeprefix(root).lstrip("/")
    return ""


def _line_changes(
    old: pl.DataFrame, new: pl.DataFrame, key: str, roots: tuple[str, str]
) -> tuple[list[str], list[str]]:
    """What changed in the lines of contract ``key``, and the files of the lines that
    changed (where each is now, else where it was), in order."""
    before = {r[_LINE_ID]: r for r in old.filter(pl.col(KEY) == key).to_dicts()}
    after = {r[_LINE_ID]: r for r in new.filter(pl.col(KEY) == key).to_dicts()}
    values = _values(old)
    out: list[str] = []
    files: list[str] = []
    for lid in sorted(set(before) | set(after)):
        if lid not in before:
            changes = [f"line {lid} added"]
        elif lid not in after:
            changes = [f"line {lid} removed"]
        else:
            old_row = {c: before[lid].get(c) for c in values}
            new_row = {c: after[lid].get(c) for c in values}
            changes = [f"line {lid} {change}" for change in _field_changes(old_row, new_row)]
        if changes:
            out += changes
            where, root = (after[lid], roots[1]) if lid in after else (before[lid], roots[0])
            files.append(str(where[SOURCE]).removeprefix(root).lstrip("/"))
    return out, files


def naive_causes(old: RawData, new: RawData) -> Iterator[Cause]:
    """Every changed record between ``old`` and ``new``, in the order of application."""
    roots = (_root_name(old), _root_name(new))
    settings = _field_changes(flatten(old.settings.tree), flatten(new.settings.tree))
    if settings:
        yield Cause("settings", "revcli.yaml", "", "; ".join(settings))
    for kind, table in (
        ("fx_rates", "fx_rates"),
        ("customer", "customers"),
        ("contract", "contracts"),
    ):
        before, after = keyed(old, table), keyed(new, table)
        changed = changed_keys(before, after)
        if kind == "contract":
            lines_before = _with_line_ids(keyed(old, "lines"))
            lines_after = _with_line_ids(keyed(new, "lines"))
            line_keys = changed_keys(lines_before, lines_after)
            changed = (
                pl.concat([changed, line_keys.with_columns(pl.lit("edited").alias("state"))])
                .unique(KEY, keep="first", maintain_order=True)
                .sort(KEY)
            )
        for key, state in changed.iter_rows():
            file = _file(before, after, key, roots)
            if state != "edited":
                detail = state
                if kind == "contract":  # a contract comes and goes with its lines
                    _, line_files = _line_changes(lines_before, lines_after, key, roots)
                    file = _files(file, *line_files)
            else:
                parts = _field_changes(_record(before, key), _record(after, key))
                if kind == "contract":
                    lines, line_files = _line_changes(lines_before, lines_after, key, roots)
                    if lines:  # named where the edit is: contract_lines.csv for a CSV
                        file = _files(*([file] if parts else []), *line_files) or file
                    parts += lines
                detail = "; ".join(parts) or "edited"
            yield Cause(kind, file, key, detail)
