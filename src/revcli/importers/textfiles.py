"""Data-dir files rewritten record by record: untouched records keep their exact text."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from revcli.data.yamlio import load_records
from revcli.errors import Issue
from revcli.output.csvrows import csv_line, has_carriage_return

_LINE_END = re.compile(r"(\r\n|\r|\n)")


@dataclass
class CsvTable:
    """A CSV file as header + records, each record with the text it was read from.

    ``texts[i]`` is ``None`` for a record that is new or changed: it is written afresh.
    A kept text includes its own line end; ``newline`` (the header's line end) ends new
    records, and ``bom`` is the byte-order mark the file began with, so that a rewritten
    file keeps its style and untouched records keep their bytes.
    """

    header: list[str]
    header_text: str | None = None
    order: tuple[str, ...] = ()
    rows: list[dict[str, str]] = field(default_factory=list)
    texts: list[str | None] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    newline: str = "\n"
    bom: str = ""

    def add_column(self, name: str) -> None:
        if name not in self.header:
            self.header.append(name)

    def set_row(self, index: int, values: dict[str, str]) -> None:
        self.rows[index] = values
        self.texts[index] = None

    def append(self, values: dict[str, str]) -> None:
        self.rows.append(values)
        self.texts.append(None)
        self.lines.append(0)

    def render(self) -> str:
        """The file's text: the original header and records where nothing changed."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator=self.newline)
        width = len(self.header)
        header_text = self.header_text
        old_width = (
            len(next(csv.reader(io.StringIO(_split_end(header_text)[0])))) if header_text else 0
        )
        if header_text is None and self.order:
            rank = {name: i for i, name in enumerate(self.order)}
            self.header.sort(key=lambda n: rank.get(n, len(rank)))
        if header_text is None or old_width != width:
            writer.writerow(self.header)
            header_text = buf.getvalue()
        body, end = _split_end(header_text)
        out = [self.bom, body, end or self.newline]
        for values, text in zip(self.rows, self.texts, strict=True):
            if text is not None:
                # An untouched record: its own text, padded for columns added at the end.
                body, end = _split_end(text)
                out.append(body + "," * (width - old_width) + (end or self.newline))
            else:
                fields = [values.get(name, "") for name in self.header]
                if has_carriage_return(fields):  # quoted, or it would read as two records
                    out.append(csv_line(fields, self.newline))
                    continue
                buf.seek(0)
                buf.truncate()
                writer.writerow(fields)
                out.append(buf.getvalue())
        return "".join(out)


def _split_end(text: str) -> tuple[str, str]:
    """A record's text and its line end (empty on a last line without one)."""
    for end in ("\r\n", "\n", "\r"):
        if text.endswith(end):
            return text.removesuffix(end), end
    return text, ""


def read_csv_table(text: str, source: str) -> tuple[CsvTable, list[Issue]]:
    """Parse CSV text into a :class:`CsvTable` (cells stripped, empty cells absent).

    ``text`` is the file as written: a byte-order mark and ``\\r\\n`` line ends are
    remembered, and each record keeps its exact text.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    pieces = _LINE_END.split(text.removeprefix(bom))
    physical, ends = pieces[0::2], [*pieces[1::2], ""]
    reader = csv.reader(io.StringIO("\n".join(physical)))
    try:
        header = [c.strip() for c in next(reader)]
    except StopIteration:
        return CsvTable(header=[], bom=bom), []
    except csv.Error as exc:
        return CsvTable(header=[]), [Issue(source, 1, "", f"malformed CSV: {exc}")]
    start = reader.line_num

    def exact(first: int, last: int) -> str:
        return "".join(physical[i] + ends[i] for i in range(first, last))

    table = CsvTable(header=header, header_text=exact(0, start), newline=ends[0] or "\n", bom=bom)
    try:
        for row in reader:
            end = reader.line_num
            if row and any(cell.strip() for cell in row):
                if len(row) != len(header):
                    return table, [
                        Issue(
                            source,
                            start + 1,
                            "",
                            f"row has {len(row)} fields, the header has {len(header)}",
                        )
                    ]
                table.rows.append(
                    {h: c.strip() for h, c in zip(header, row, strict=True) if c.strip()}
                )
                table.texts.append(exact(start, end))
                table.lines.append(start + 1)
            start = end
    except csv.Error as exc:
        return table, [Issue(source, start + 1, "", f"malformed CSV: {exc}")]
    return table, []


@dataclass
class YamlContract:
    """A contract read from a YAML file: its values, its lines' values, the line of the
    file each value is on, and the line each of its lines starts on."""

    values: dict[str, str]
    lines: list[dict[str, str]]
    value_lines: dict[str, int] = field(default_factory=dict)
    line_starts: list[int] = field(default_factory=list)


def read_yaml_contracts(text: str, source: str) -> tuple[list[YamlContract], list[Issue]]:
    """The contracts of a ``contracts:`` YAML file (values that are not set are dropped)."""
    records, issues = load_records(
        text, source, "contracts", frozenset({"lines"}), allow_single=True
    )
    out = []
    for rec in records:
        values = {k: v for k, v in rec.values.items() if v is not None}
        children = rec.children.get("lines", [])
        lines = [{k: v for k, v in line.values.items() if v is not None} for line in children]
        starts = [line.line for line in children]
        out.append(YamlContract(values, lines, dict(rec.value_lines), starts))
    return out, issues


def read_yaml_customers(text: str, source: str) -> tuple[list[dict[str, str]], list[Issue]]:
    """The customers of a ``customers:`` YAML file (values that are not set are dropped)."""
    records, issues = load_records(text, source, "customers")
    return [{k: v for k, v in r.values.items() if v is not None} for r in records], issues
