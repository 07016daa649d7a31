"""Charts as inline SVG, drawn from report values: no script, no library, no network.

Every function returns one ``<svg>`` element whose drawn marks (lines, bars, cells,
points) carry the class ``mark``; coordinates are rounded to 0.1 so the same numbers
always give the same text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from revcli.visible import escape_html as escape

WIDTH = 900
"""Width of every chart's coordinate system; the chart scales to its box."""

COLORS = {
    "new": "#2e7d32",
    "expansion": "#66bb6a",
    "upgrade": "#a5d6a7",
    "reactivation": "#00897b",
    "downgrade": "#ffb74d",
    "cancellation": "#f57c00",
    "churn": "#c62828",
}
"""The movement colours: gains in greens, losses from orange to red."""

SERIES = ("#1f5fa8", "#e07b00", "#6a3d9a", "#2e7d32")
"""Line and bar colours in the order series are given."""

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


@dataclass(frozen=True)
class Series:
    """One named line or bar series."""

    name: str
    values: Sequence[float | None]
    color: str


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis values (1, 2 or 5 × a power of ten apart) covering ``low`` … ``high``."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    n = round((last - first) / step)
    return [first + i * step for i in range(n + 1)]


def short_number(value: float) -> str:
    """An axis label: 4 200 000 → 4.2M, 35 000 → 35k."""
    size = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            text = f"{value / limit:.2f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def percent(value: float) -> str:
    """An axis label of a fraction: 0.95 → 95 %."""
    return f"{value * 100:.0f} %"


def _svg(height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {_n(height)}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def _legend(items: Sequence[tuple[str, str]], y: float, x0: float = 70) -> list[str]:
    out, x = [], x0
    for name, color in items:
        out.append(
            f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" fill="{color}"></rect>'
            f'<text x="{_n(x + 14)}" y="{_n(y)}" class="legend">{escape(name)}</text>'
        )
        x += 26 + 7.4 * len(name)
    return out


@dataclass(frozen=True)
class _Frame:
    """The plot area and its value scale."""

    left: float
    top: float
    width: float
    height: float
    low: float
    high: float

    def y(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.top + self.height * (1 - (value - self.low) / span)


def _axes(
    frame: _Frame,
    ticks: list[float],
    labels: Sequence[str],
    x_of: list[float],
    *,
    fmt: str = "number",
    right: float | None = None,
) -> list[str]:
    out = []
    show = percent if fmt == "percent" else short_number
    for tick in ticks:
        y = frame.y(tick)
        out.append(
            f'<line x1="{_n(frame.left)}" x2="{_n(frame.left + frame.width)}" '
            f'y1="{_n(y)}" y2="{_n(y)}" class="grid"></line>'
            f'<text x="{_n(frame.left - 6)}" y="{_n(y + 4)}" class="axis" '
            f'text-anchor="end">{escape(show(tick))}</text>'
        )
        if right is not None:
            out.append(
                f'<text x="{_n(frame.left + frame.width + 6)}" y="{_n(y + 4)}" '
                f'class="axis">{escape(short_number(tick * right))}</text>'
            )
    every = max(1, math.ceil(len(labels) / 12))
    for i, (label, x) in enumerate(zip(labels, x_of, strict=True)):
        if i % every == 0 or i == len(labels) - 1:
            out.append(
                f'<text x="{_n(x)}" y="{_n(frame.top + frame.height + 16)}" class="axis" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return out


def line_chart(
    label: str,
    months: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: str = "number",
    right_factor: float | None = None,
    right_label: str = "",
) -> str:
    """Lines over months, one per series, with points; a second axis on the right shows
    each value × ``right_factor`` (ARR = 12 × MRR shares the line of MRR)."""
    values = [v for s in series for v in s.values if v is not None]
    if not values or not months:
        return _svg(40, label, ['<text x="10" y="24" class="axis">No months.</text>'])
    ticks = nice_ticks(min(values), max(values))
    frame = _Frame(70, 26, WIDTH - 70 - (70 if right_factor else 20), 200, ticks[0], ticks[-1])
    step = frame.width / max(len(months), 1)
    xs = [frame.left + step * (i + 0.5) for i in range(len(months))]
    body = _axes(frame, ticks, months, xs, fmt=fmt, right=right_factor)
    if right_label:
        body.append(
            f'<text x="{_n(WIDTH - 4)}" y="14" class="axis" text-anchor="end">'
            f"{escape(right_label)}</text>"
        )
    for s in series:
        points = [(x, frame.y(v)) for x, v in zip(xs, s.values, strict=True) if v is not None]
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{_n(x)},{_n(y)}" for i, (x, y) in enumerate(points)
        )
        body.append(
            f'<path d="{path}" fill="none" stroke="{s.color}" stroke-width="2.5" '
            f'class="mark"></path>'
        )
        body += [
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{s.color}" class="mark"></circle>'
            for x, y in points
        ]
    body += _legend([(s.name, s.color) for s in series], 14)
    return _svg(frame.top + frame.height + 26, label, body)


def bar_chart(
    label: str,
    months: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool,
    net: Series | None = None,
) -> str:
    """Bars per month: side by side, or ``stacked`` (gains upward from 0, losses
    downward); ``net`` is drawn as a marker on each month (the net change)."""
    if not months:
        return _svg(40, label, ['<text x="10" y="24" class="axis">No months.</text>'])
    if stacked:
        ups = [sum(max(s.values[i] or 0, 0) for s in series) for i in range(len(months))]
        downs = [sum(min(s.values[i] or 0, 0) for s in series) for i in range(len(months))]
        extent = [*ups, *downs, 0.0]
    else:
        extent = [v or 0 for s in series for v in s.values] + [0.0]
    if net is not None:
        extent += [v or 0 for v in net.values]
    ticks = nice_ticks(min(extent), max(extent))
    frame = _Frame(70, 26, WIDTH - 90, 220, ticks[0], ticks[-1])
    step = frame.width / len(months)
    xs = [frame.left + step * (i + 0.5) for i in range(len(months))]
    body = _axes(frame, ticks, months, xs)
    zero = frame.y(0)
    body.append(
        f'<line x1="{_n(frame.left)}" x2="{_n(frame.left + frame.width)}" y1="{_n(zero)}" '
        f'y2="{_n(zero)}" class="zero"></line>'
    )
    bar = step * (0.7 if stacked else 0.8 / max(len(series), 1))
    for i, x in enumerate(xs):
        up, down = 0.0, 0.0
        for k, s in enumerate(series):
            value = s.values[i] or 0.0
            if value == 0:
                continue
            if stacked:
                start = up if value > 0 else down
                end = start + value
                if value > 0:
                    up = end
                else:
                    down = end
                left = x - bar / 2
            else:
                start, end = 0.0, value
                left = x - step * 0.4 + k * bar
            y1, y2 = sorted((frame.y(start), frame.y(end)))
            body.append(
                f'<rect x="{_n(left)}" y="{_n(y1)}" width="{_n(bar)}" '
                f'height="{_n(max(y2 - y1, 0.5))}" fill="{s.color}" class="mark">'
                f"<title>{escape(s.name)} {escape(months[i])}: {value:,.2f}</title></rect>"
            )
        if net is not None and net.values[i] is not None:
            y = frame.y(net.values[i] or 0.0)
            body.append(
                f'<line x1="{_n(x - bar / 2 - 3)}" x2="{_n(x + bar / 2 + 3)}" y1="{_n(y)}" '
                f'y2="{_n(y)}" stroke="{net.color}" stroke-width="3" class="mark"></line>'
            )
    legend = [(s.name, s.color) for s in series] + ([(net.name, net.color)] if net else [])
    body += _legend(legend, 14)
    return _svg(frame.top + frame.height + 26, label, body)


def heat_map(
    label: str,
    rows: Sequence[str],
    columns: Sequence[str],
    percents: Sequence[Sequence[int | None]],
) -> str:
    """One cell per (row, column) with its share in whole per cent, coloured by the band
    of the per cent shown (a cell reading 100 is in the 100 % band)."""
    if not rows or not columns:
        return _svg(40, label, ['<text x="10" y="24" class="axis">No cohorts.</text>'])
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
    return _svg(top + len(rows) * cell_h + 4, label, body)


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
        return _svg(40, label, ['<text x="10" y="24" class="axis">No renewals.</text>'])
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
    return _svg(height, label, body)


def hbar_chart(label: str, names: Sequence[str], values: Sequence[float], color: str) -> str:
    """Horizontal bars, one per name, longest = the largest value."""
    if not names:
        return _svg(40, label, ['<text x="10" y="24" class="axis">Nothing to show.</text>'])
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
    return _svg(top + len(names) * row_h + 6, label, body)
