"""Reading a data dir's files: text, CSV frames, YAML rows with the line of each value, problems."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from revcli.data.csvio import decode_bytes, parse_csv
from revcli.data.files import UnreadableFile
from revcli.data.source import FolderSource, Source
from revcli.data.yamlframes import RecordFrames, plain_frames
from revcli.data.yamlio import load_records
from revcli.data.yamlrecord import YamlRecord
from revcli.errors import Issue, Severity
from revcli.schema import (
    CONTRACTS,
    CUSTOMERS,
    LINE,
    LINES,
    SOURCE,
    TableSpec,
    missing_required,
    unknown_columns,
)


class Positions:
    """Where each value of a YAML record is: (source, record line, column) → line of the
    value. Records read one by one add their values here one by one; a file read into
    frames (:mod:`revcli.data.yamlframes`) adds one frame, looked up only for the few
    issues :func:`~revcli.data.load.relocate` moves."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, int, str], int] = {}
        self._frames: list[pl.DataFrame] = []

    def __setitem__(self, key: tuple[str, int, str], line: int) -> None:
        self._lines[key] = line

    def add_frame(self, frame: pl.DataFrame) -> None:
        """Add a frame of ``_source``, ``record``, ``column`` and ``line``."""
        self._frames.append(frame.select(SOURCE, "record", "column", "line"))

    def lines_of(self, keys: list[tuple[str, int, str]]) -> dict[tuple[str, int, str], int]:
        """The lines of those ``keys`` that are known."""
        found = {k: self._lines[k] for k in keys if k in self._lines}
        if self._frames and keys:
            wanted = pl.DataFrame(
                keys,
                schema={SOURCE: pl.String, "record": pl.Int64, "column": pl.String},
                orient="row",
            )
            wanted = wanted.unique()
            for frame in self._frames:
                hits = frame.join(wanted, on=[SOURCE, "record", "column"])
                found.update({(s, r, c): n for s, r, c, n in hits.iter_rows()})
        return found


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


FRAME_CHARS = 100_000
"""YAML files from this size on are tried as frames (:meth:`SourceReader.yaml_frames`): a
smaller one, such as one contract of a ``contracts/`` folder, is read faster record by
record. Measured on an import's file (best of 7): 56,000 characters 16 ms as frames
against 9 ms from libyaml's events (plus their rows, about as long again); 224,000
characters 27 ms against 33 ms; 933,000 characters 76 ms against 180 ms."""

PARALLEL_BYTES = 4 * 1024 * 1024
"""CSV files from this size on are read and parsed on worker threads, side by side."""

Parsed = tuple[pl.DataFrame | None, list[Issue]]


def _parse_file(files: Source, name: str) -> Parsed:
    """A CSV file of the data dir as a frame of strings, or ``None`` and the problems."""
    try:
        data = files.read(name)
    except UnreadableFile as exc:
        return None, [Issue(files.where(name), None, "", str(exc))]
    return parse_csv(data, files.where(name))


class SourceReader:
    def __init__(self, files: Source) -> None:
        self.files = files
        self.issues: list[Issue] = []
        self.positions = Positions()
        self.parsed: dict[str, Future[Parsed]] = {}

    def prefetch(self, pool: ThreadPoolExecutor, names: Iterable[str]) -> None:
        """Start reading the large CSV files among ``names`` on ``pool``'s threads.

        Polars parses without holding Python's lock, so one file is parsed while the
        bytes of another are scanned; files are still taken up (and their problems
        reported) in the order of the sequential reading. Only a folder on disk is read
        so: a git revision is read through one ``git cat-file`` process."""
        if not isinstance(self.files, FolderSource):
            return
        for name in names:
            try:
                size = (self.files.root / name).stat().st_size
            except OSError:
                continue  # reported when the file is read
            if size >= PARALLEL_BYTES:
                self.parsed[name] = pool.submit(_parse_file, self.files, name)

    def source(self, name: str) -> str:
        return self.files.where(name)

    def bytes(self, name: str) -> bytes | None:
        """The file's bytes, or ``None`` with the problem recorded."""
        try:
            return self.files.read(name)
        except UnreadableFile as exc:
            self.issues.append(Issue(self.source(name), None, "", str(exc)))
            return None

    def text(self, name: str) -> str | None:
        """The file as UTF-8 text, or ``None`` with the problem recorded."""
        data = self.bytes(name)
        if data is None:
            return None
        text, issues = decode_bytes(data, self.source(name))
        self.issues += issues
        return text

    def csv_frame(self, name: str) -> pl.DataFrame | None:
        started = self.parsed.pop(name, None)
        frame, issues = _parse_file(self.files, name) if started is None else started.result()
        self.issues += issues
        return frame

    def csv(self, name: str, spec: TableSpec, table: RawTable) -> None:
        source = self.source(name)
        frame = self.csv_frame(name)
        if frame is None:
            return
        columns = [c for c in frame.columns if c not in (SOURCE, LINE)]
        self.issues += unknown_columns(columns, spec, source)
        missing = missing_required(columns, spec, source)
        self.issues += missing
        table.missing += [(source, i.column) for i in missing]
        table.frames.append(frame)

    def yaml_text(self, name: str) -> str | None:
        """A YAML file's text, or ``None`` with the problem recorded (also when empty)."""
        text = self.text(name)
        if text is not None and not text.strip():
            self.issues.append(Issue(self.source(name), None, "", "file is empty"))
            return None
        return text

    def yaml(
        self, name: str, spec: TableSpec, list_key: str, *, single: bool = False
    ) -> list[YamlRecord]:
        text = self.yaml_text(name)
        return [] if text is None else self.yaml_records(name, text, spec, list_key, single)

    def yaml_records(
        self, name: str, text: str, spec: TableSpec, list_key: str, single: bool
    ) -> list[YamlRecord]:
        children = frozenset({"lines"}) if spec is CONTRACTS else frozenset()
        records, issues = load_records(
            text, self.source(name), list_key, children, allow_single=single
        )
        self.issues += issues
        return records

    def yaml_frames(
        self, name: str, text: str, list_key: str, child_key: str | None
    ) -> RecordFrames | None:
        """The records of a file in the layout revcli writes, read into frames (their
        positions kept; a key a table does not know warned of and left out), or ``None``
        for any other text (read with :meth:`yaml_records` then)."""
        if len(text) < FRAME_CHARS:
            return None
        spec = CONTRACTS if child_key else CUSTOMERS
        found = plain_frames(
            text, self.source(name), list_key, child_key, (_known(spec), _known(LINES))
        )
        if found is None:
            return None
        self.positions.add_frame(found.positions)
        unknown = found.positions.filter(
            pl.when(pl.col("child"))
            .then(~pl.col("column").is_in(_known(LINES)))
            .otherwise(~pl.col("column").is_in(_known(spec)))
        )
        for source, _, key, line, child in unknown.iter_rows():  # warnings only
            self.issues += _unknown_key(source, line, key, LINES if child else spec)
        return found

    def records_rows(
        self, records: Iterable[YamlRecord], source: str, spec: TableSpec
    ) -> list[dict[str, str | int | None]]:
        """One row per record (its values, source and line); each value's line is kept for
        the issues, and a key the table does not know is a warning."""
        rows: list[dict[str, str | int | None]] = []
        known = set(_known(spec))
        for rec in records:
            # A key no table knows is warned of and left out: a file of thousands of
            # made-up keys would otherwise make a frame of as many columns.
            row: dict[str, str | int | None] = {k: v for k, v in rec.values.items() if k in known}
            row |= {SOURCE: source, LINE: rec.line}
            rows.append(row)
            for key, line in rec.value_lines.items():
                self.positions[(source, rec.line, key)] = line
                if key not in known:
                    self.issues += _unknown_key(source, line, key, spec)
        return rows

    def records_frame(
        self, records: Iterable[YamlRecord], source: str, spec: TableSpec
    ) -> pl.DataFrame:
        return rows_frame(self.records_rows(records, source, spec))


def _unknown_key(source: str, line: int, key: str, spec: TableSpec) -> list[Issue]:
    """The warning for a YAML value whose key ``spec``'s table does not know, at its line."""
    return [
        Issue(source, line, i.column, i.message, Severity.WARNING)
        for i in unknown_columns([key], spec, source)
    ]


def _known(spec: TableSpec) -> list[str]:
    """The keys a record of ``spec`` may have without a warning."""
    return sorted({*spec.names, *spec.extra_known, "lines"})


def rows_frame(rows: list[dict[str, str | int | None]]) -> pl.DataFrame:
    """The rows as one frame of text columns (every key any row has), with source and line."""
    schema: dict[str, pl.DataType] = {SOURCE: pl.String(), LINE: pl.Int64()}
    for row in rows:
        for key in row:
            schema.setdefault(key, pl.String())
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
