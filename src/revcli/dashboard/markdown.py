"""The dashboard as a GitHub job summary: tables and Mermaid ``xychart-beta`` charts."""

from __future__ import annotations

from decimal import Decimal

from revcli.dashboard.build import NRR_WINDOW, RENEWAL_WINDOW, TOP_RISKS, Dashboard
from revcli.metrics.mrr import MOVEMENTS
from revcli.output.render import render_markdown
from revcli.output.report import Report, group_digits, rows, select_columns


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _tiles(dash: Dashboard) -> list[str]:
    labels, values = [], []
    for tile in dash.tiles:
        labels.append(_cell(tile.label))
        if tile.value is None:
            values.append("–")
        elif tile.kind == "ratio":
            values.append(f"{Decimal(tile.value) * 100:.2f} %")
        else:
            values.append(group_digits(Decimal(tile.value)))
    return [
        "| " + " | ".join(labels) + " |",
        "| " + " | ".join("---:" for _ in labels) + " |",
        "| " + " | ".join(values) + " |",
    ]


def _series(report: Report, column: str) -> str:
    return (
        "[" + ", ".join(str(r[column] if r[column] is not None else 0) for r in rows(report)) + "]"
    )


def _chart(title: str, report: Report, lines: list[str]) -> list[str]:
    months = ", ".join(f'"{r["month"]}"' for r in rows(report))
    return [
        "```mermaid",
        "xychart-beta",
        f'    title "{title}"',
        f"    x-axis [{months}]",
        f'    y-axis "{report.meta.get("currency", "")}"',
        *(f"    {line}" for line in lines),
        "```",
    ]


def _section(report: Report, columns: list[str]) -> list[str]:
    # The report's own Markdown renderer, one heading level down.
    text = render_markdown(select_columns(report, columns))
    return ["#" + text.rstrip("\n")]


def render_summary(dash: Dashboard) -> str:
    """Tiles as a table, the MRR trend as a line, the movement bridge as bars (gains and
    losses per month, the ``uplift`` and ``contraction`` columns of ``mrr``) with the net
    change as a line, then the bridge, renewals and risks as tables."""
    base = dash.currency
    span = f"{dash.first:%Y-%m} – {dash.last:%Y-%m}"
    out = [
        f"## Revenue summary {span} (as of {dash.as_of.isoformat()}, {base})",
        "",
        *_tiles(dash),
        "",
        f"NRR and GRR over a {NRR_WINDOW}-month window.",
        "",
        "### MRR trend",
        "",
        *_chart(f"MRR ({base})", dash.mrr, [f"line {_series(dash.mrr, 'mrr')}"]),
        "",
        "### Movement bridge",
        "",
        "Bars: MRR gained (new, expansion, upgrade, reactivation) above zero and lost "
        "(downgrade, cancellation, churn) below; line: net change.",
        "",
        *_chart(
            f"MRR movements ({base})",
            dash.mrr,
            [
                f"bar {_series(dash.mrr, 'uplift')}",
                f"bar {_series(dash.mrr, 'contraction')}",
                f"line {_series(dash.mrr, 'net_change')}",
            ],
        ),
        "",
        *_section(dash.mrr, ["month", "mrr", *MOVEMENTS, "net_change"]),
        "",
        f"### Renewals in the next {RENEWAL_WINDOW.removesuffix('d')} days",
        "",
        *_section(
            dash.renewals,
            [
                "contract_id",
                "customer_name",
                "term_end",
                "notice_deadline",
                "days_to_notice",
                "status",
                "arr",
            ],
        ),
        "",
        f"### Top {TOP_RISKS} churn risks",
        "",
        *_section(dash.risk, ["customer_id", "customer_name", "score", "arr_at_risk", "reasons"]),
    ]
    return "\n".join(out) + "\n"
