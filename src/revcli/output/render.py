"""Renderers: pure ``Report -> str`` functions, one per output format."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from revcli import __version__
from revcli.decimals import round_half_up
from revcli.output.report import (
    FORMAT_VERSION,
    ColumnKind,
    OutputFormat,
    Report,
    cell,
    group_digits,
    rows,
)

_NUMERIC = {
    ColumnKind.MONEY,
    ColumnKind.SIGNED_MONEY,
    ColumnKind.PERCENT,
    ColumnKind.RATIO,
    ColumnKind.SHARE,
    ColumnKind.COUNT,
    ColumnKind.EXACT,
}

HEAT_STYLES = (
    (Decimal("1.00"), "black on bright_green"),
    (Decimal("0.90"), "black on green"),
    (Decimal("0.75"), "black on bright_yellow"),
    (Decimal("0.50"), "black on yellow"),
    (Decimal(0), "white on red"),
)
"""Background of a ``SHARE`` cell in a table: the first band whose floor the value
reaches (16 standard colours, so any terminal shows the bands)."""


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_csv(report: Report) -> str:
    """One header row, raw values: plain decimals, ISO dates, empty for not set."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report.frame.columns)
    for row in rows(report):
        writer.writerow(_plain(v) for v in row.values())
    return out.getvalue()


_NUMBER = "\x00"
"""Marks a decimal's text inside a JSON string so it can be written as a bare number."""
_MARKED = re.compile(r'"\\u0000([-+0-9.Ee]+)\\u0000"')


def _json_value(value: Any) -> Any:
    # Decimals become JSON numbers with exactly their digits (1234.50, a JPY 1000, a KWD
    # 1.235): through a float they would lose trailing zeros and, past 15 digits, digits.
    return f"{_NUMBER}{value}{_NUMBER}" if isinstance(value, Decimal) else value


def render_json(report: Report) -> str:
    """``{"meta": {...}, "rows": [...]}`` with money as numbers rounded to 2 decimals."""
    doc = {
        "meta": {
            "report": report.name,
            "title": report.title,
            "format_version": FORMAT_VERSION,
            "revcli_version": __version__,
            **{k: _json_value(v) for k, v in report.meta.items()},
            "notes": list(report.notes),
        },
        "rows": [{k: _json_value(v) for k, v in row.items()} for row in rows(report)],
    }
    text = json.dumps(doc, ensure_ascii=False, indent=2, default=str)
    return _MARKED.sub(r"\1", text) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """A GitHub-flavoured table under a heading, for CI job summaries and pull requests."""
    columns = report.frame.columns
    align = ["---:" if report.kind(c) in _NUMERIC else "---" for c in columns]
    lines = [f"### {_md_escape(report.title)}", ""]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("| " + " | ".join(align) + " |")
    for row in rows(report):
        lines.append("| " + " | ".join(_md_escape(_plain(v)) for v in row.values()) + " |")
    if report.totals:
        total = [_md_escape(_plain(cell(report.totals.get(c), report.kind(c)))) for c in columns]
        total[0] = total[0] or "Total"
        lines.append("| " + " | ".join(f"**{t}**" if t else "" for t in total) + " |")
    lines += [f"\n{_md_escape(n)}" for n in report.notes]
    return "\n".join(lines) + "\n"


def heat_style(share: Decimal) -> str:
    """The heat-map style of a share (1 = 100 %)."""
    return next((style for floor, style in HEAT_STYLES if share >= floor), HEAT_STYLES[-1][1])


def _styled(value: Any, kind: ColumnKind) -> Text:
    shown = cell(value, kind)
    if shown is None:
        return Text("")
    if kind is ColumnKind.SHARE:
        exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
        percent = round_half_up(exact * 100, 0)
        # Shaded by the percentage shown, so that a cell reading 90 % is in the 90 % band.
        return Text(f"{percent:,} %", style=heat_style(percent / 100))
    if isinstance(shown, Decimal):
        text = group_digits(shown)
        if kind is ColumnKind.PERCENT:
            text += " %"
        style = ""
        if kind is ColumnKind.SIGNED_MONEY:
            style = "green" if shown > 0 else "red" if shown < 0 else "dim"
        return Text(text, style=style)
    if isinstance(shown, bool):
        return Text("yes" if shown else "no")
    # A Text object is never parsed as markup, so a customer named "[ACME]" stays as is.
    return Text(str(shown))


def render_table(report: Report, width: int | None = None, color: bool = True) -> str:
    """A Rich table: money right-aligned and grouped, movements coloured by sign.

    Numbers are never cut short: the table is as wide as its widest cells need, even when
    that is wider than ``width``.
    """
    columns = list(report.table_columns or report.frame.columns)
    frame = report.frame.select(columns)
    cells = [
        [_styled(v, report.kind(c)) for c, v in zip(columns, row, strict=True)]
        for row in frame.iter_rows()
    ]
    footers: list[Text] = []
    for name in columns:
        total = None if report.totals is None else report.totals.get(name)
        footers.append(_styled(total, report.kind(name)) if total is not None else Text(""))
    if report.totals is not None and not footers[0].plain:
        footers[0] = Text("Total", style="bold")
    table = Table(
        title=report.title,
        box=box.SIMPLE_HEAVY,
        show_footer=report.totals is not None,
        title_justify="left",
    )
    needed = 0
    for i, name in enumerate(columns):
        label = report.labels.get(name, name)
        widest = max([len(label), len(footers[i].plain), *(len(r[i].plain) for r in cells)])
        needed += widest + 3
        table.add_column(
            label,
            justify="right" if report.kind(name) in _NUMERIC else "left",
            footer=footers[i],
            no_wrap=report.kind(name) is not ColumnKind.TEXT,
            min_width=widest if report.kind(name) is not ColumnKind.TEXT else None,
        )
    styles = list(report.row_styles) or [""] * len(cells)
    for row, style in zip(cells, styles, strict=True):
        table.add_row(*row, style=style or None)
    console = Console(
        file=io.StringIO(),
        width=max(width or 100, needed + 2),
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
    )
    console.print(table)
    for note in report.notes:
        console.print(Text(note, style="dim"))
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


RENDERERS: dict[OutputFormat, Callable[[Report], str]] = {
    OutputFormat.CSV: render_csv,
    OutputFormat.JSON: render_json,
    OutputFormat.MARKDOWN: render_markdown,
    OutputFormat.TABLE: render_table,
}


def render(report: Report, fmt: OutputFormat) -> str:
    """Render ``report`` in ``fmt``."""
    return RENDERERS[fmt](report)
