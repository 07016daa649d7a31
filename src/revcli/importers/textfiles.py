"""Data-dir files rewritten record by record: untouched records keep their exact text."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from revcli.data.yamlio import load_records
from revcli.errors import Issue


@dataclass
class CsvTable:
    """A CSV file as header + records, each record with the text it was read from.

    ``texts[i]`` is ``None`` for a record that is new or changed: it is written afresh.
    """

    header: list[str]
    header_text: str | None = None
    order: tuple[str, ...] = ()
    rows: list[dict[str, str]] = field(default_factory=list)
    texts: list[str | None] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

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
        writer = csv.writer(buf, lineterminator="\n")
        width = len(self.header)
        header_text = self.header_text
        old_width = len(next(csv.reader([header_text]))) if header_text else 0
        if header_text is None and self.order:
            rank = {name: i for i, name in enumerate(self.order)}
            self.header.sort(key=lambda n: rank.get(n, len(rank)))
        if header_text is None or old_width != width:
            writer.writerow(self.header)
            header_text = buf.getvalue().removesuffix("\n")
        out = [header_text]
        for values, text in zip(self.rows, self.texts, strict=True):
            if text is not None:
                # An untouched record: its own text, padded for columns added at the end.
                out.append(text + "," * (width - old_width))
            else:
                buf.seek(0)
                buf.truncate()
                writer.writerow([values.get(name, "") for name in self.header])
                out.append(buf.getvalue().removesuffix("\n"))
        return "\n".join(out) + "\n"


def read_csv_table(text: str, source: str) -> tuple[CsvTable, list[Issue]]:
    """Parse CSV text into a :class:`CsvTable` (cells stripped, empty cells absent)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    physical = text.split("\n")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [c.strip() for c in next(reader)]
    except StopIteration:
        return CsvTable(header=[]), []
    except csv.Error as exc:
        return CsvTable(header=[]), [Issue(source, 1, "", f"malformed CSV: {exc}")]
    table = CsvTable(header=header, header_text=physical[0])
    start = reader.line_num
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
                table.texts.append("\n".join(physical[start:end]))
                table.lines.append(start + 1)
            start = end
    except csv.Error as exc:
        return table, [Issue(source, start + 1, "", f"malformed CSV: {exc}")]
    return table, []


@dataclass
class YamlContract:
    """A contract read from a YAML file: its values, its lines' values, and the line
    of the file each value is on."""

    values: dict[str, str]
    lines: list[dict[str, str]]
    value_lines: dict[str, int] = field(default_factory=dict)


def read_yaml_contracts(text: str, source: str) -> tuple[list[YamlContract], list[Issue]]:
    """The contracts of a ``contracts:`` YAML file (values that are not set are dropped)."""
    records, issues = load_records(
        text, source, "contracts", frozenset({"lines"}), allow_single=True
    )
    out = []
    for rec in records:
        values = {k: v for k, v in rec.values.items() if v is not None}
        lines = [
            {k: v for k, v in line.values.items() if v is not None}
            for line in rec.children.get("lines", [])
        ]
        out.append(YamlContract(values, lines, dict(rec.value_lines)))
    return out, issues


def read_yaml_customers(text: str, source: str) -> tuple[list[dict[str, str]], list[Issue]]:
    """The customers of a ``customers:`` YAML file (values that are not set are dropped)."""
    records, issues = load_records(text, source, "customers")
    return [{k: v for k, v in r.values.items() if v is not None} for r in records], issues
