"""The dashboard as one self-contained HTML page: inline CSS and SVG, no script, no URL."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from revcli import __version__
from revcli.dashboard.build import (
    NRR_WINDOW,
    RENEWAL_WINDOW,
    TOP_RENEWALS,
    TOP_RISKS,
    Dashboard,
    Tile,
)
from revcli.dashboard.svg_months import COLORS, SERIES, Series, bar_chart, line_chart
from revcli.dashboard.svg_rows import STATUS_COLORS, Renewal, hbar_chart, heat_map, timeline
from revcli.decimals import round_half_up
from revcli.metrics.mrr import MOVEMENTS
from revcli.output.render import shown
from revcli.output.report import (
    NUMERIC_KINDS,
    ColumnKind,
    Report,
    group_digits,
    rows,
)
from revcli.visible import escape_html as escape

CSS = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d9dde5; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 8px; }
header p, .notes { color: var(--muted); }
.notes { font-size: 12px; margin: 6px 0 0; }
.tiles { display: grid; gap: 12px; margin: 20px 0 28px;
  grid-template-columns: repeat(auto-fit, minmax(max(175px, calc((100% - 36px) / 4)), 1fr)); }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.tile .label { font-size: 12px; color: var(--muted); }
.tile .value { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.tile .value.neg { color: #b71c1c; } .tile .value.pos { color: #1b5e20; }
.tile .note { font-size: 11px; color: var(--muted); }
section { margin: 0 0 32px; }
figure { margin: 0 0 10px; }
svg.chart { display: block; width: 100%; height: auto; max-width: 100%; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  fill: var(--ink); }
svg .axis { fill: var(--muted); } svg .legend { font-size: 12px; }
svg .cell { font-size: 11px; }
svg .grid { stroke: #eceef2; stroke-width: 1; }
svg .zero { stroke: #8a93a6; stroke-width: 1; }
svg .today { stroke: #1d2330; stroke-width: 1.5; stroke-dasharray: 4 3; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 12px;
  font-variant-numeric: tabular-nums; }
caption { text-align: left; font-size: 12px; color: var(--muted); padding: 4px 0; }
th, td { padding: 3px 6px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
th { font-weight: 600; background: #f5f6f8; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; overflow-wrap: normal; }
td.day { white-space: nowrap; overflow-wrap: normal; }
tfoot td { font-weight: 600; }
.key { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted);
  margin: 4px 0 8px; }
.key span::before { content: ""; display: inline-block; width: 10px; height: 10px;
  margin-right: 4px; background: var(--c); vertical-align: -1px; }
footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
  padding-top: 8px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .scroll { overflow: visible; }
  .tiles { grid-template-columns: repeat(4, 1fr); gap: 6px; }
  .tile { padding: 4px 6px; }
  .tile .value { font-size: 11pt; }
  table { font-size: 7pt; }
  th, td { padding: 1px 3px; }
  figure, .tile, tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""


def _cell_class(kind: ColumnKind) -> str:
    if kind in NUMERIC_KINDS:
        return ' class="num"'
    return ' class="day"' if kind in (ColumnKind.DATE, ColumnKind.MONTH) else ""


WORD_CHUNK = 30
"""Characters of a run without white space after which a table cell may break the line."""

_RUN = re.compile(rf"\S{{{WORD_CHUNK + 1},}}")


def cell_text(text: str) -> str:
    """``text`` escaped for a table cell, with a line-break opportunity (``<wbr>``) after
    every :data:`WORD_CHUNK` characters of a longer run without white space: a browser
    widens a table column to its longest unbreakable word, so one 10,000-character name
    would push every other column a hundred thousand pixels to the right. Names of
    ordinary length are left alone; the text shown and copied is unchanged."""
    parts, done = [], 0
    for run in _RUN.finditer(text):
        word = run.group()
        chunks = (word[i : i + WORD_CHUNK] for i in range(0, len(word), WORD_CHUNK))
        parts += [escape(text[done : run.start()]), "<wbr>".join(escape(c) for c in chunks)]
        done = run.end()
    return "".join([*parts, escape(text[done:])])


def data_table(report: Report, columns: Sequence[str], caption: str) -> str:
    """The report's rows in ``columns``, each value as the table view prints it."""
    head = "".join(
        f'<th{_cell_class(report.kind(c))} scope="col">{escape(report.labels.get(c, c))}</th>'
        for c in columns
    )
    body = []
    for row in report.frame.select(columns).iter_rows():
        cells = "".join(
            f"<td{_cell_class(report.kind(c))}>{cell_text(shown(v, report.kind(c)))}</td>"
            for c, v in zip(columns, row, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    foot = ""
    if report.totals:
        totals = [report.totals.get(c) for c in columns]
        texts = [
            shown(t, report.kind(c)) if t is not None else ""
            for c, t in zip(columns, totals, strict=True)
        ]
        texts[0] = texts[0] or "Total"
        foot = (
            "<tfoot><tr>"
            + "".join(
                f"<td{_cell_class(report.kind(c))}>{cell_text(t)}</td>"
                for c, t in zip(columns, texts, strict=True)
            )
            + "</tr></tfoot>"
        )
    notes = "".join(f'<p class="notes">{escape(n)}</p>' for n in report.notes)
    return (
        f'<div class="scroll"><table><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>{foot}</table></div>"
        f"{notes}"
    )


def _tile(tile: Tile) -> str:
    value: Any = tile.value
    if value is None:
        text, raw, sign = "–", "", ""
    elif tile.kind == "ratio":
        text, raw = f"{Decimal(value) * 100:.2f} %", str(value)
        sign = ""
    else:
        text, raw = group_digits(Decimal(value)), str(value)
        sign = (
            ""
            if tile.key not in ("net_new", "net_change", "net_change_before")
            else (" neg" if value < 0 else " pos" if value > 0 else "")
        )
    note = f'<div class="note">{escape(tile.note)}</div>' if tile.note else ""
    return (
        f'<div class="tile" data-key="{tile.key}" data-value="{escape(raw)}">'
        f'<div class="label">{escape(tile.label)}</div>'
        f'<div class="value{sign}">{escape(text)}</div>{note}</div>'
    )


def _floats(report: Report, column: str) -> list[float | None]:
    return [None if r[column] is None else float(r[column]) for r in rows(report)]


def _months(report: Report) -> list[str]:
    return [str(r["month"]) for r in rows(report)]


def _key(items: Sequence[tuple[str, str]]) -> str:
    return (
        '<div class="key">'
        + "".join(f'<span style="--c:{color}">{escape(name)}</span>' for name, color in items)
        + "</div>"
    )


def _section(ident: str, title: str, chart: str, table: str, extra: str = "") -> str:
    return (
        f'<section id="{ident}"><h2>{escape(title)}</h2>'
        f"<figure>{chart}{extra}</figure>{table}</section>"
    )


def render_html(dash: Dashboard) -> str:
    """The whole page: tiles, then each chart with its data table under it."""
    base = dash.currency
    mrr, nrr = dash.mrr, dash.nrr
    months = _months(mrr)
    trend = line_chart(
        f"MRR and ARR per month ({base})",
        months,
        [Series("MRR (left axis); ARR = 12 × MRR (right axis)", _floats(mrr, "mrr"), SERIES[0])],
        right_factor=12,
        right_label="ARR",
    )
    bridge = bar_chart(
        f"MRR movements per month ({base})",
        months,
        [Series(m, _floats(mrr, m), COLORS[m]) for m in MOVEMENTS],
        stacked=True,
        net=Series("net change", _floats(mrr, "net_change"), "#1d2330"),
    )
    retention = line_chart(
        f"Retention over {NRR_WINDOW} months",
        _months(nrr),
        [
            Series("NRR", _floats(nrr, "nrr"), SERIES[0]),
            Series("GRR", _floats(nrr, "grr"), SERIES[1]),
            Series("logo retention", _floats(nrr, "logo_retention"), SERIES[2]),
        ],
        fmt="percent",
    )
    cohorts = dash.cohorts
    ages = [c for c in cohorts.frame.columns if c.startswith("age_")]
    cohort_rows = rows(cohorts)
    heat = heat_map(
        "MRR retained by cohort (%), by months since first active",
        [str(r.get("cohort_label") or r["cohort"]) for r in cohort_rows],
        [a.removeprefix("age_") for a in ages],
        [
            [None if r[a] is None else int(round_half_up(r[a] * 100, 0)) for a in ages]
            for r in cohort_rows
        ],
    )
    renewal_rows = rows(dash.renewals)
    horizon = int(RENEWAL_WINDOW.removesuffix("d"))
    most = f", the {TOP_RENEWALS} with the most ARR" if dash.renewals.meta.get("left_out") else ""
    renewals = timeline(
        f"Renewals of the next {horizon} days{most}: notice deadline (◇) and term end (●)",
        [
            Renewal(
                f"{r['contract_id']} {r['customer_name'] or ''}".strip(),
                int(r["days_left"]),
                None if r["days_to_notice"] is None else int(r["days_to_notice"]),
                str(r["status"]),
            )
            for r in renewal_rows
        ],
        horizon,
    )
    pipe = dash.pipeline
    pipeline = bar_chart(
        f"Open pipeline MRR by expected close month ({base})",
        _months(pipe),
        [
            Series("pipeline MRR", _floats(pipe, "pipeline_mrr"), SERIES[0]),
            Series("weighted by probability", _floats(pipe, "weighted_pipeline_mrr"), SERIES[1]),
        ],
        stacked=False,
    )
    risk_rows = rows(dash.risk)
    risks = hbar_chart(
        f"ARR at risk ({base}), top {TOP_RISKS}",
        [f"{r['customer_id']} {r['customer_name'] or ''}".strip() for r in risk_rows],
        [float(r["arr_at_risk"]) for r in risk_rows],
        "#c62828",
    )
    span = f"{dash.first:%Y-%m} – {dash.last:%Y-%m}"
    sections = [
        _section(
            "trend",
            "MRR and ARR",
            trend,
            data_table(
                mrr, ["month", "mrr", "arr", "customers", "net_change", "growth_pct"], mrr.title
            ),
        ),
        _section(
            "bridge",
            "Movement bridge",
            bridge,
            data_table(mrr, ["month", *MOVEMENTS, "net_change"], mrr.title),
        ),
        _section(
            "retention",
            "Retention",
            retention,
            data_table(
                nrr,
                [
                    "month",
                    "start_month",
                    "cohort_customers",
                    "retained_customers",
                    "nrr",
                    "grr",
                    "logo_retention",
                ],
                nrr.title,
            ),
        ),
        _section(
            "cohorts",
            "Cohorts",
            heat,
            data_table(
                cohorts, list(cohorts.table_columns or cohorts.frame.columns), cohorts.title
            ),
        ),
        _section(
            "renewals",
            f"Renewals in the next {horizon} days",
            renewals,
            data_table(
                dash.renewals,
                [
                    "contract_id",
                    "customer_name",
                    "term_end",
                    "days_left",
                    "notice_deadline",
                    "days_to_notice",
                    "status",
                    "arr",
                ],
                dash.renewals.title,
            ),
            _key([(s, c) for s, c in STATUS_COLORS.items()]),
        ),
        _section(
            "pipeline",
            "Pipeline",
            pipeline,
            data_table(pipe, list(pipe.table_columns or pipe.frame.columns), pipe.title),
        ),
        _section(
            "risk",
            "Top churn risks",
            risks,
            data_table(
                dash.risk,
                ["customer_id", "customer_name", "score", "arr_at_risk", "reasons"],
                dash.risk.title,
            ),
        ),
    ]
    tiles = "".join(_tile(t) for t in dash.tiles)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Revenue dashboard {escape(span)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>Revenue dashboard</h1><p>Months {escape(span)} · as of "
        f"{dash.as_of.isoformat()} · money in {escape(base)}</p></header>"
        f'<div class="tiles">{tiles}</div>'
        + "".join(sections)
        + f"<footer>Made by revcli {escape(__version__)} from the same reports as "
        "<code>revcli mrr</code>, <code>nrr</code>, <code>cohorts</code>, "
        "<code>renewals</code>, <code>pipeline</code> and <code>risk</code>.</footer>"
        "</body></html>\n"
    )
