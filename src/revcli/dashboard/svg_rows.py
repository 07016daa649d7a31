"""Charts of one row per item: the cohort heat map, the renewals timeline and horizontal
bars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from revcli.dashboard.svg import WIDTH, nice_ticks, short_number, svg_chart
from revcli.dashboard.svg import svg_number as _n
from revcli.visible import escape_html as escape

STATUS_COLORS = {
    "expires": "#c62828",
    "auto-renews": "#1f5fa8",
    "locked-in": "#2e7d32",
    "cancelled": "#757575",
}

HEAT = (
    (1.0, "#2e7d32", "#fff"),
    (0.9, "#81c784", "#000"),
    (0.75, "#fff176", "#000"),
    (0.5, "#ffcc80", "#000"),
    (0.0, "#e57373", "#000"),
)
"""Heat-map bands (floor of the share, fill, text), as in the terminal's heat map."""


def heat_map(
    label: str,
    rows: Sequence[str],
    columns: Sequence[str],
    percents: Sequence[Sequence[int | None]],
) -> str:
    """One cell per (row, column) with its share in whole per cent, coloured by the band
    of the per cent shown (a cell reading 100 is in the 100 % band)."""
    if not rows or not columns:
        return svg_chart(40, label, ['<text x="10" y="24" class="axis">No cohorts.</text>'])
    left, top, cell_h = 70, 24, 24
    cell_w = (WIDTH - left - 10) / len(columns)
    body = [
        f'<text x="{_n(left + cell_w * (j + 0.5))}" y="16" class="axis" '
        f'text-anchor="middle">{escape(c)}</text>'
        for j, c in enumerate(columns)
    ]
    for i, (name, line) in enumerate(zip(rows, percents, strict=True)):
        y = top + i * cell_h
        body.append(
            f'<text x="{left - 6}" y="{_n(y + cell_h / 2 + 4)}" class="axis" '
            f'text-anchor="end">{escape(name)}</text>'
        )
        for j, share in enumerate(line):
            if share is None:
                continue
            fill, ink = next((f, t) for floor, f, t in HEAT if share >= floor * 100)
            x = left + j * cell_w
            body.append(
                f'<rect x="{_n(x + 1)}" y="{_n(y + 1)}" width="{_n(cell_w - 2)}" '
                f'height="{cell_h - 2}" fill="{fill}" class="mark"></rect>'
                f'<text x="{_n(x + cell_w / 2)}" y="{_n(y + cell_h / 2 + 4)}" '
                f'style="fill:{ink}" class="cell" text-anchor="middle">{share}</text>'
            )
    return svg_chart(top + len(rows) * cell_h + 4, label, body)


@dataclass(frozen=True)
class Renewal:
    """One contract on the renewals timeline (days counted from the as-of day)."""

    name: str
    term_end_days: int
    notice_days: int | None
    status: str


def timeline(label: str, items: Sequence[Renewal], horizon: int) -> str:
    """One row per contract: a diamond at its notice deadline, a dot at its term end
    coloured by status, a bar between them; a line marks the as-of day (day 0)."""
    if not items:
        return svg_chart(40, label, ['<text x="10" y="24" class="axis">No renewals.</text>'])
    left, top, row_h = 200, 28, 16
    earliest = min([0, *(r.notice_days for r in items if r.notice_days is not None)])
    frame_w = WIDTH - left - 16
    span = max(horizon - earliest, 1)

    def x(day: int) -> float:
        return left + frame_w * (day - earliest) / span

    ticks = nice_ticks(earliest, horizon, 6)
    body = []
    height = top + len(items) * row_h + 8
    for tick in ticks:
        if earliest <= tick <= horizon:
            body.append(
                f'<line x1="{_n(x(int(tick)))}" x2="{_n(x(int(tick)))}" y1="{top - 6}" '
                f'y2="{_n(height - 6)}" class="grid"></line>'
                f'<text x="{_n(x(int(tick)))}" y="{top - 10}" class="axis" '
                f'text-anchor="middle">{int(tick):+d} d</text>'
            )
    body.append(
        f'<line x1="{_n(x(0))}" x2="{_n(x(0))}" y1="{top - 6}" y2="{_n(height - 6)}" '
        f'class="today"></line>'
    )
    for i, item in enumerate(items):
        y = top + i * row_h + row_h / 2
        color = STATUS_COLORS.get(item.status, "#555")
        name = item.name if len(item.name) <= 30 else item.name[:29] + "…"
        body.append(
            f'<text x="{left - 6}" y="{_n(y + 4)}" class="axis" text-anchor="end">'
            f"{escape(name)}</text>"
        )
        end = x(item.term_end_days)
        if item.notice_days is not None:
            notice = x(item.notice_days)
            body.append(
                f'<line x1="{_n(notice)}" x2="{_n(end)}" y1="{_n(y)}" y2="{_n(y)}" '
                f'stroke="{color}" stroke-opacity="0.35" stroke-width="4"></line>'
                f'<path d="M{_n(notice)},{_n(y - 5)} l5,5 l-5,5 l-5,-5 z" fill="#fff" '
                f'stroke="{color}" stroke-width="1.5" class="mark"></path>'
            )
        body.append(
            f'<circle cx="{_n(end)}" cy="{_n(y)}" r="5" fill="{color}" class="mark"></circle>'
        )
    return svg_chart(height, label, body)


def hbar_chart(label: str, names: Sequence[str], values: Sequence[float], color: str) -> str:
    """Horizontal bars, one per name, longest = the largest value."""
    if not names:
        return svg_chart(40, label, ['<text x="10" y="24" class="axis">Nothing to show.</text>'])
    left, top, row_h = 230, 10, 22
    width = WIDTH - left - 90
    high = max(values) or 1.0
    body = []
    for i, (name, value) in enumerate(zip(names, values, strict=True)):
        y = top + i * row_h
        shown = name if len(name) <= 34 else name[:33] + "…"
        length = max(width * value / high, 1.0)
        body.append(
            f'<text x="{left - 6}" y="{_n(y + 15)}" class="axis" text-anchor="end">'
            f"{escape(shown)}</text>"
            f'<rect x="{left}" y="{_n(y + 4)}" width="{_n(length)}" height="{row_h - 6}" '
            f'fill="{color}" class="mark"></rect>'
            f'<text x="{_n(left + length + 6)}" y="{_n(y + 15)}" class="axis">'
            f"{escape(short_number(value))}</text>"
        )
    return svg_chart(top + len(names) * row_h + 6, label, body)
