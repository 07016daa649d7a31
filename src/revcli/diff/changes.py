"""The edits between two revisions of a data dir, one cause per changed record (SPEC §12).

Records are compared as the user wrote them (raw text, every column), so a record moved
to another file unchanged is no edit, and a detail reads ``unit_price: 1000 → 1500``.
Causes come in the order they are applied: ``revcli.yaml`` (``settings``), ``fx_rates.csv``
(``fx_rates``, by currency and date), customers (``customer``, by ``customer_id``), then
contracts with their lines (``contract``, by ``contract_id``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl

from revcli.data.load import RawData
from revcli.data.reader import Positions
from revcli.schema import LINE, SOURCE
from revcli.settings import SETTINGS_FILE
from revcli.settings_tree import Scalar, Tree

CAUSE_ORDER = ("settings", "fx_rates", "customer", "contract")
"""Kinds of cause in the order they are applied."""

KEY = "_key"
"""The record key column of a raw frame: what a cause replaces."""

_LINE_ID = "_lid"
_NONE = "(empty)"


@dataclass(frozen=True)
class Cause:
    """One changed record: its kind, file (inside the data dir), id and what changed."""

    kind: str
    file: str
    id: str
    detail: str


def keyed(raw: RawData, table: str) -> pl.DataFrame:
    """The raw frame of ``table`` (``fx_rates``, ``customers``, ``contracts``, ``lines``)
    with its record key in :data:`KEY`: a contract's lines carry the contract's id."""
    if table == "fx_rates":
        frame = raw.fx_rates
        key = pl.concat_str(
            pl.col("currency").str.to_uppercase().fill_null(""),
            pl.col("date").fill_null(""),
            separator=" ",
        )
    elif table == "customers":
        frame, key = raw.customers, pl.col("customer_id")
    elif table == "contracts":
        frame, key = raw.contracts, pl.col("contract_id")
    else:
        frame, key = raw.lines, pl.coalesce("contract_id", "_parent")
    return frame.with_columns(key.fill_null("").alias(KEY))


_NOT_VALUES = (SOURCE, LINE, KEY, "_parent", _LINE_ID, "contract_id")
"""Columns that are no value of a record: where it was written, and its key (a line's
``contract_id`` is filled in a CSV and empty under its contract in YAML; :data:`KEY`
holds it either way)."""


def _values(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in _NOT_VALUES]


_MARKS = ("\x00", "\x1e", "\x1f")
"""What the plain fingerprint writes for a missing value (NUL) and between rows (U+001E)
and values (U+001F): it tells records apart only where no value holds one of them."""


def _holds_marks(frame: pl.DataFrame, columns: list[str]) -> bool:
    """Whether a value of ``frame``'s ``columns`` holds one of :data:`_MARKS`."""
    if not columns or not frame.height:
        return False
    found = pl.any_horizontal(pl.col(c).str.contains_any(list(_MARKS)).any() for c in columns)
    return bool(frame.select(found).item())


def _framed(text: pl.Expr) -> pl.Expr:
    """``text`` as ``LENGTH:TEXT``, a missing value as ``-``: texts framed so are joined
    without a separator and still tell apart ("a" then "bc" from "ab" then "c"), whatever
    characters the data holds."""
    length = text.str.len_bytes().cast(pl.String)
    return (
        pl.when(text.is_null())
        .then(pl.lit("-"))
        .otherwise(pl.concat_str(length, pl.lit(":"), text))
    )


def _fingerprints(frame: pl.DataFrame, columns: list[str], *, framed: bool) -> pl.DataFrame:
    """Per key: every row's values as one text, rows sorted, so that equal records match
    wherever they were written, and records that differ never do. Values are joined with
    :data:`_MARKS`; where a value holds one of them (``framed``), each value is written
    with its length instead (:func:`_framed`: twice the work, so only then)."""
    if framed:
        row = _framed(pl.concat_str([_framed(pl.col(c)) for c in columns] or [pl.lit("")]))
        return frame.group_by(KEY).agg(row.sort().str.join("").alias("_print"))
    missing, rows, values = _MARKS
    row = pl.concat_str(
        [pl.col(c).fill_null(missing) for c in columns] or [pl.lit("")], separator=values
    )
    return frame.group_by(KEY).agg(row.sort().str.join(rows).alias("_print"))


def changed_keys(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Keys whose records differ: ``_key`` and ``state`` (added, removed or edited)."""
    columns = sorted(set(_values(old)) | set(_values(new)))
    for c in columns:
        old = old if c in old.columns else old.with_columns(pl.lit(None, pl.String).alias(c))
        new = new if c in new.columns else new.with_columns(pl.lit(None, pl.String).alias(c))
    framed = _holds_marks(old, columns) or _holds_marks(new, columns)  # one way for both
    joined = _fingerprints(old, columns, framed=framed).join(
        _fingerprints(new, columns, framed=framed), on=KEY, how="full", suffix="_new", coalesce=True
    )
    state = (
        pl.when(pl.col("_print").is_null())
        .then(pl.lit("added"))
        .when(pl.col("_print_new").is_null())
        .then(pl.lit("removed"))
        .when(pl.col("_print") != pl.col("_print_new"))
        .then(pl.lit("edited"))
    )
    return joined.select(KEY, state.alias("state")).drop_nulls("state").sort(KEY)


def _text(value: str | None) -> str:
    return _NONE if value is None else value


def _field_changes(old: dict[str, str | None], new: dict[str, str | None]) -> list[str]:
    return [
        f"{name}: {_text(old.get(name))} → {_text(new.get(name))}"
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]


class _Rows:
    """The rows (as dicts) of a keyed frame whose key is one of ``keys``, found by key:
    read out of the frame once, instead of filtering the whole frame for every changed
    record (O(causes × records))."""

    def __init__(self, frame: pl.DataFrame, keys: pl.Series) -> None:
        self.values = _values(frame)
        self.parts: dict[str, list[dict[str, Any]]] = {}
        for row in frame.filter(pl.col(KEY).is_in(keys.implode())).iter_rows(named=True):
            self.parts.setdefault(row[KEY], []).append(row)

    def of(self, key: str) -> list[dict[str, Any]]:
        """The rows of ``key``, in the frame's order."""
        return self.parts.get(key, [])


def _record(rows: _Rows, key: str) -> dict[str, str | None]:
    found = rows.of(key)
    return {c: found[0][c] for c in rows.values} if found else {}


def _file(old: _Rows, new: _Rows, key: str, roots: tuple[str, str]) -> str:
    """The file of a record: where it is now, else where it was; inside the data dir."""
    for rows, root in ((new, roots[1]), (old, roots[0])):
        found = rows.of(key)
        if found:
            return str(found[0][SOURCE]).removeprefix(root).lstrip("/")
    return ""


def _with_line_ids(lines: pl.DataFrame) -> pl.DataFrame:
    """A line's identity inside its contract: its ``line_id``, else its position."""
    position = (pl.int_range(pl.len()).over(KEY) + 1).cast(pl.String)
    return lines.with_columns(pl.coalesce("line_id", position).alias(_LINE_ID))


def _line_changes(
    old: _Rows, new: _Rows, key: str, roots: tuple[str, str]
) -> tuple[list[str], list[str]]:
    """What changed in the lines of contract ``key``, and the files of the lines that
    changed (where each is now, else where it was), in order."""
    before = {r[_LINE_ID]: r for r in old.of(key)}
    after = {r[_LINE_ID]: r for r in new.of(key)}
    values = old.values
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


def flatten(tree: dict[str, Tree], prefix: str = "") -> dict[str, str | None]:
    """``revcli.yaml`` as ``section.key`` → text (a list as ``[a, b]``)."""
    out: dict[str, str | None] = {}
    for key, node in tree.items():
        name = f"{prefix}{key}"
        if isinstance(node, dict):
            out.update(flatten(node, f"{name}."))
        elif isinstance(node, list):
            items = [n.value if isinstance(n, Scalar) else "…" for n in node]
            out[name] = "[" + ", ".join(str(i) for i in items) + "]"
        else:
            out[name] = node.value
    return out


def _root_name(raw: RawData) -> str:
    """What the loader put before a file name inside the data dir (``data/``, ``v1:data/``)."""
    return raw.settings.source.removesuffix(SETTINGS_FILE)


def causes(old: RawData, new: RawData) -> Iterator[Cause]:
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
        lines_before = lines_after = before.clear()
        if kind == "contract":
            lines_before = _with_line_ids(keyed(old, "lines"))
            lines_after = _with_line_ids(keyed(new, "lines"))
            line_keys = changed_keys(lines_before, lines_after)
            changed = (
                pl.concat([changed, line_keys.with_columns(pl.lit("edited").alias("state"))])
                .unique(KEY, keep="first", maintain_order=True)
                .sort(KEY)
            )
        keys = changed.get_column(KEY)
        rows_before, rows_after = _Rows(before, keys), _Rows(after, keys)
        # Only a contract's: empty for the other kinds.
        line_rows = (_Rows(lines_before, keys), _Rows(lines_after, keys))
        for key, state in changed.iter_rows():
            file = _file(rows_before, rows_after, key, roots)
            if state != "edited":
                detail = state
                if kind == "contract":  # a contract comes and goes with its lines
                    _, line_files = _line_changes(*line_rows, key, roots)
                    file = _files(file, *line_files)
            else:
                parts = _field_changes(_record(rows_before, key), _record(rows_after, key))
                if kind == "contract":
                    lines, line_files = _line_changes(*line_rows, key, roots)
                    if lines:  # named where the edit is: contract_lines.csv for a CSV
                        file = _files(*([file] if parts else []), *line_files) or file
                    parts += lines
                detail = "; ".join(parts) or "edited"
            yield Cause(kind, file, key, detail)


def _files(*names: str) -> str:
    """The files of a cause, each once, in order (a contract and its lines are two files
    in CSV, one in YAML)."""
    return ", ".join(dict.fromkeys(name for name in names if name))


def apply(old: RawData, new: RawData, done: list[Cause]) -> RawData:
    """``old`` with the causes in ``done`` applied: their records as in ``new``."""
    applied: dict[str, set[str]] = {kind: set() for kind in CAUSE_ORDER}
    for cause in done:
        applied[cause.kind].add(cause.id)

    def mix(table: str, kind: str) -> pl.DataFrame:
        ids = pl.Series(sorted(applied[kind]), dtype=pl.String)
        keep = keyed(old, table).filter(~pl.col(KEY).is_in(ids.implode()))
        take = keyed(new, table).filter(pl.col(KEY).is_in(ids.implode()))
        return pl.concat([keep, take], how="diagonal_relaxed").drop(KEY)

    return RawData(
        root=new.root,
        settings=new.settings if applied["settings"] else old.settings,
        customers=mix("customers", "customer"),
        contracts=mix("contracts", "contract"),
        lines=mix("lines", "contract"),
        fx_rates=mix("fx_rates", "fx_rates"),
        opportunities=old.opportunities,
        extra=old.extra,
        missing=new.missing,
        positions=Positions(),
        issues=[],
    )
