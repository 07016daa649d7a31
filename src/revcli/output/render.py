"""Renderers: the Rich table of the terminal, and each format's pure ``Report -> str``
renderer by :class:`OutputFormat` (:data:`RENDERERS`, :func:`render`)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Collection
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from revcli.decimals import round_half_up
from revcli.output.plain import LINE_BREAK, render_csv, render_json, render_markdown
from revcli.output.report import (
    ALL_COLUMNS,
    NUMERIC_KINDS,
    ColumnKind,
    OutputFormat,
    Report,
    Trend,
    cell,
    group_digits,
)
from revcli.visible import shown_prefix, visible

if TYPE_CHECKING:
    from rich.text import Text

HEAT_STYLES = (
    (Decimal("1.00"), "black on bright_green"),
    (Decimal("0.90"), "black on green"),
    (Decimal("0.75"), "black on bright_yellow"),
    (Decimal("0.50"), "black on yellow"),
    (Decimal(0), "white on red"),
)
"""Background of a ``SHARE`` cell in a table: the first band whose floor the value
reaches (16 standard colours, so any terminal shows the bands)."""


def heat_style(share: Decimal) -> str:
    """The heat-map style of a share (1 = 100 %)."""
    return next((style for floor, style in HEAT_STYLES if share >= floor), HEAT_STYLES[-1][1])


def shown(value: Any, kind: ColumnKind) -> str:
    """A value as the table view shows it: grouped digits, "1.40 %", a share as "97 %", a
    text's control characters by their codes (Rich would drop some of them silently)."""
    return _styled(visible(value) if isinstance(value, str) else value, kind).plain


def _styled(value: Any, kind: ColumnKind) -> Text:
    from rich.text import Text  # Rich loads for tables only, not for CSV or JSON

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


LINE_BREAK_MARK = "↵"
"""What a table cell shows for a line break in its text, so that no row wraps."""

MIN_CUT = 10
"""A text column is cut short with … rather than left out when at least this much fits."""

MAX_CELL = 500
"""The most characters of a text cell a table shows, even printed whole: a longer text
is cut short with … (a name of millions of characters would otherwise take seconds and
hundreds of megabytes to lay out). The machine formats keep every character."""

_SPARKS = "▁▂▃▄▅▆▇█"
_LAST_CODE = re.compile(r"\x1b\[[0-9;]*m\Z")


def _no_trailing_spaces(text: str) -> str:
    """Every line without the spaces at its end, also where colour codes are mixed in
    among them (a padded cell on a colour terminal): the codes stay, the spaces go.
    Line by line from the end, so a cell of 100,000 characters costs one pass (a regex
    over the whole text backtracked over every run of padding)."""
    return "\n".join(_line_without_trailing_spaces(line) for line in text.split("\n"))


def _line_without_trailing_spaces(line: str) -> str:
    codes: list[str] = []
    while True:
        line = line.rstrip(" \t")
        code = _LAST_CODE.search(line, max(0, line.rfind("\x1b")))
        if code is None:
            return line + "".join(reversed(codes))
        codes.append(code.group(0))
        line = line[: code.start()]


def _one_line(value: Any) -> tuple[Any, bool]:
    """A text on one line, and whether it was cut short: each line break shown as
    :data:`LINE_BREAK_MARK`, any other control character by its code (:func:`visible`). A
    text that shows as more than :data:`MAX_CELL` characters (a code counts all of its) is
    cut to its first ones and ``…``, never inside a code, a letter with its marks or an
    emoji (:func:`~revcli.visible.cut_edge`); the table cuts a text wider than
    :data:`MAX_CELL` cells the same way."""
    if not isinstance(value, str):
        return value, False
    one_line = LINE_BREAK.sub(LINE_BREAK_MARK, value[: MAX_CELL + 1])
    text = visible(one_line)
    if len(text) <= MAX_CELL:
        return text, False
    return visible(one_line[: shown_prefix(one_line, MAX_CELL - 1)]) + "…", True


def fit_columns(
    order: list[str],
    widths: dict[str, int],
    text: set[str],
    width: int | None,
    important: Collection[str] = (),
) -> tuple[list[str], dict[str, int]]:
    """The columns a table of ``width`` characters shows, and the text columns cut short.

    ``order`` is most important first; each column takes its widest cell plus 3 (padding
    and the gap). Columns are kept while they fit, and the first that does not fit ends
    the table. A text column leaves room for the number columns after it that are
    ``important`` (the report's priority list): it is cut short to what they leave, but
    to no less than :data:`MIN_CUT` characters, and is left out when not even that fits.
    Room the table does not use goes back to the cut columns, most important first. The
    first column is always shown. Without a width every column is kept.
    """
    if width is None:
        return order, {}
    budget = width
    kept: list[str] = []
    shown: dict[str, int] = {}
    for i, name in enumerate(order):
        take, room = widths[name], budget - 3
        if name in text:
            later = sum(widths[n] + 3 for n in order[i + 1 :] if n in important and n not in text)
            take = min(take, max(room - later, MIN_CUT))
            if take > room and not kept:
                take = max(room, 1)
        if take > room and kept:
            break
        kept.append(name)
        shown[name] = take
        budget -= take + 3
    for name in kept:
        extra = min(max(budget, 0), widths[name] - shown[name])
        shown[name] += extra
        budget -= extra
    return kept, {n: shown[n] for n in kept if shown[n] < widths[n]}


def sparkline(values: list[float]) -> str:
    """One block character per value, from ▁ (the lowest) to █ (the highest)."""
    low, high = min(values), max(values)
    if high == low:
        return _SPARKS[3] * len(values)
    top = len(_SPARKS) - 1
    return "".join(_SPARKS[round((v - low) / (high - low) * top)] for v in values)


def _trend_line(trend: Trend, width: int | None) -> str:
    months, values = list(trend.months), [float(v) for v in trend.values]
    if len(values) < 2:  # one month is no trend: its one bar would say nothing
        return ""
    if width is not None:
        # label, two months and three spaces around the sparkline; keep the latest months,
        # and no line when not even two fit (a label cut short would name another month)
        room = width - len(trend.label) - len(months[0]) - len(months[-1]) - 3
        if room < min(2, len(values)):
            return ""
        months, values = months[-room:], values[-room:]
    return f"{trend.label} {months[0]} {sparkline(values)} {months[-1]}"


def _left_out_note(dropped: list[str], cut: list[str], width: int | None, see_all: str) -> str:
    parts = []
    if dropped:
        parts.append(f"Not shown at {width} characters wide: {', '.join(dropped)}. {see_all}")
    if cut:
        parts.append(f"Cut short with …: {', '.join(cut)}.")
    return " ".join(parts)


def render_table(
    report: Report, width: int | None = None, color: bool = True, ascii_only: bool = False
) -> str:
    """A Rich table: money right-aligned and grouped, movements coloured by sign.

    Numbers are never cut short and no row wraps (a line break in a text shows as
    :data:`LINE_BREAK_MARK`). With a ``width`` the table keeps the report's most
    important columns that fit (:func:`fit_columns`) and says which it left out or cut
    short; without one it is printed whole. No line ends in spaces. With ``ascii_only``
    (a terminal that is not UTF-8) its rules are drawn with ``-``.
    """
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    order = report.shown_columns()
    frame = report.frame.select(order)
    cells: dict[str, list[Text]] = {}
    cut_short: set[str] = set()
    for name in order:
        one_line = [_one_line(v) for v in frame.get_column(name).to_list()]
        cells[name] = [_styled(v, report.kind(name)) for v, _ in one_line]
        if any(cut for _, cut in one_line):
            cut_short.add(name)
    footers: dict[str, Text] = {}
    for name in order:
        total = None if report.totals is None else report.totals.get(name)
        footers[name] = _styled(total, report.kind(name)) if total is not None else Text("")
    # Widths in terminal cells, as Rich lays them out: a CJK letter takes two, a
    # combining mark none.
    widths = {
        name: max(
            [cell_len(report.labels.get(name, name)), footers[name].cell_len]
            + [t.cell_len for t in cells[name]]
        )
        for name in order
    }
    text = {n for n in order if report.kind(n) is ColumnKind.TEXT}
    long = {n: min(widths[n], MAX_CELL) for n in text if widths[n] > MAX_CELL or n in cut_short}
    widths.update(long)
    kept, cut = fit_columns(order, widths, text, width, set(report.priority))
    cut = {**{n: w for n, w in long.items() if n in kept}, **cut}
    table_order = list(report.table_columns or report.frame.columns)
    columns = [c for c in table_order if c in kept]
    if report.totals is not None and not footers[columns[0]].plain:
        footers[columns[0]] = Text("Total", style="bold")
    # SIMPLE_HEAVY drawn with "-": the same layout on a terminal that has no "━".
    ascii_rules = box.Box("    \n    \n -- \n    \n    \n -- \n    \n    \n", ascii=True)
    rules = ascii_rules if ascii_only else box.SIMPLE_HEAVY
    table = Table(box=rules, show_footer=report.totals is not None)
    needed = 1
    for name in columns:
        shown = cut.get(name, widths[name])
        needed += shown + 3
        table.add_column(
            visible(report.labels.get(name, name)),
            justify="right" if report.kind(name) in NUMERIC_KINDS else "left",
            footer=footers[name],
            no_wrap=True,
            overflow="ellipsis",
            min_width=shown,
            max_width=shown,
        )
    styles = list(report.row_styles) or [""] * frame.height
    for i, style in enumerate(styles):
        table.add_row(*(cells[name][i] for name in columns), style=style or None)
    notes = [*report.footer, *([ALL_COLUMNS] if report.hides_columns else [])]
    dropped = [c for c in order if c not in kept]
    if dropped or cut:
        notes.append(
            _left_out_note(dropped, [c for c in columns if c in cut], width, report.see_all)
        )
    # Without a width nothing wraps: the table, its title and its notes print whole.
    whole = max([needed + 1, len(report.title), *(len(n) for n in notes)])
    console = Console(
        file=io.StringIO(),
        width=width if width is not None else whole,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
    )
    # The title above, not in, the table: a narrow table would wrap it.
    console.print(Text(visible(report.title), style="table.title"))
    console.print(table)
    for note in notes:
        console.print(Text(visible(note, keep="\n"), style="dim"))
    trend = _trend_line(report.trend, width) if report.trend is not None else ""
    if trend:
        console.print(Text(trend), no_wrap=True, crop=False)
    out = console.file
    assert isinstance(out, io.StringIO)
    return _no_trailing_spaces(out.getvalue())


RENDERERS: dict[OutputFormat, Callable[[Report], str]] = {
    OutputFormat.CSV: render_csv,
    OutputFormat.JSON: render_json,
    OutputFormat.MARKDOWN: render_markdown,
    OutputFormat.TABLE: render_table,
}


def render(report: Report, fmt: OutputFormat, *, raw_csv: bool = False) -> str | bytes:
    """Render ``report`` in ``fmt``: text, or the bytes of an Excel workbook
    (``raw_csv``: CSV text cells exactly as they are)."""
    if fmt is OutputFormat.XLSX:
        from revcli.output.xlsx import render_xlsx  # XlsxWriter is loaded only when asked for

        return render_xlsx(report)
    if fmt is OutputFormat.CSV:
        return render_csv(report, raw=raw_csv)
    return RENDERERS[fmt](report)
