"""What every inline SVG chart shares: its width, numbers as SVG text, axis ticks and labels,
and the ``<svg>`` element.

The charts (:mod:`revcli.dashboard.svg_months`, :mod:`revcli.dashboard.svg_rows`) are
drawn from report values: no script, no library, no network. Every chart returns one
``<svg>`` element whose drawn marks (lines, bars, cells, points) carry the class
``mark``; coordinates are rounded to 0.1 so the same numbers always give the same text.
"""

from __future__ import annotations

import math

from revcli.visible import escape_html as escape

WIDTH = 900
"""Width of every chart's coordinate system; the chart scales to its box."""


def svg_number(value: float) -> str:
    """A number as SVG text: rounded to 0.1, without a trailing ``.0``."""
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


def svg_chart(height: float, label: str, body: list[str]) -> str:
    """The ``<svg>`` element of a chart ``height`` high, titled ``label``, around ``body``."""
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {svg_number(height)}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )
