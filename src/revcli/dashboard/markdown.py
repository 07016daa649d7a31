"""The dashboard as a GitHub job summary: tables and Mermaid ``xychart-beta`` charts."""

from __future__ import annotations

from decimal import Decimal

from revcli.dashboard.build import NRR_WINDOW, RENEWAL_WINDOW, TOP_RISKS, Dashboard
from revcli.metrics.mrr import MOVEMENTS
from revcli.output.plain import render_markdown
from revcli.output.report import Report, group_digits, rows, select_columns


def _cell(text: str) -> str:
    # HTML is shown as text (no tag can open): GitHub renders tags in a job summary's Markdown.
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


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


def _values(report: Report, column: str, sign: int = 1) -> list[Decimal]:
    # + 0 turns the -0.00 of a negated zero into 0.00
    return [sign * Decimal(r[column] if r[column] is not None else 0) + 0 for r in rows(report)]


def _list(values: list[Decimal]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


def _chart(
    title: str, report: Report, lines: list[str], from_zero: list[Decimal] | None = None
) -> list[str]:
    """A Mermaid ``xychart-beta`` over the report's months. Mermaid draws a bar up from
    the bottom of the axis, so a bar chart gets an axis from 0 (``from_zero``: its values)."""
    months = ", ".join(f'"{r["month"]}"' for r in rows(report))
    axis = f'    y-axis "{report.meta.get("currency", "")}"'
    if from_zero is not None:
        axis += f" 0 --> {max([*from_zero, Decimal(1)])}"
    return [
        "```mermaid",
        "xychart-beta",
        f'    title "{title}"',
        f"    x-axis [{months}]",
        axis,
        *(f"    {line}" for line in lines),
        "```",
    ]


def _section(report: Report, columns: list[str]) -> list[str]:
    # The report's own Markdown renderer, one heading level down.
    text = render_markdown(select_columns(report, columns))
    return ["#" + text.rstrip("\n")]


def render_summary(dash: Dashboard) -> str:
    """Tiles as a table, the MRR trend as a line, the movement bridge as bars (MRR gained
    and lost per month: the ``uplift`` and ``contraction`` columns of ``mrr``, the loss as
    a positive bar), then the bridge, renewals and risks as tables."""
    base = dash.currency
    span = f"{dash.first:%Y-%m} – {dash.last:%Y-%m}"
    gained = _values(dash.mrr, "uplift")
    lost = _values(dash.mrr, "contraction", -1)
    out = [
        f"## Revenue summary {span} (as of {dash.as_of.isoformat()}, {base})",
        "",
        *_tiles(dash),
        "",
        f"NRR and GRR over a {NRR_WINDOW}-month window.",
        "",
        "### MRR trend",
        "",
        *_chart(f"MRR ({base})", dash.mrr, [f"line {_list(_values(dash.mrr, 'mrr'))}"]),
        "",
        "### Movement bridge",
        "",
        "MRR gained each month (the `uplift` column: new + expansion + upgrade + "
        "reactivation) and MRR lost (the `contraction` column: downgrade + cancellation + "
        "churn, drawn as a positive bar); the table below has every movement and the net change.",
        "",
        # one scale for both, so that the bars compare
        *_chart(f"MRR gained ({base})", dash.mrr, [f"bar {_list(gained)}"], gained + lost),
        "",
        *_chart(f"MRR lost ({base})", dash.mrr, [f"bar {_list(lost)}"], gained + lost),
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
