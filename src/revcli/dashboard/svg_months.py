"""Line and bar charts over months, on a value axis, with their colours."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from revcli.dashboard.svg import WIDTH, nice_ticks, percent, short_number, svg_chart
from revcli.dashboard.svg import svg_number as _n
from revcli.visible import escape_html as escape

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


@dataclass(frozen=True)
class Series:
    """One named line or bar series."""

    name: str
    values: Sequence[float | None]
    color: str


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
        return svg_chart(40, label, ['<text x="10" y="24" class="axis">No months.</text>'])
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
    return svg_chart(frame.top + frame.height + 26, label, body)


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
        return svg_chart(40, label, ['<text x="10" y="24" class="axis">No months.</text>'])
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
    return svg_chart(frame.top + frame.height + 26, label, body)
