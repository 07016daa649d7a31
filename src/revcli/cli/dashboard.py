"""``revcli dashboard``: the headline reports as one HTML page or a Markdown job summary."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from revcli.cli.common import (
    error_boundary,
    load,
    refuse_data_file,
    templates_of,
    unknown_suffix,
)
from revcli.cli.console import err
from revcli.cli.options import AsOfOption, DataOption, FromOption, ToOption, month_span, parse_day
from revcli.cli.streams import write_data
from revcli.output.files import write_atomic


class DashboardFormat(StrEnum):
    """What the dashboard is written as."""

    HTML = "html"
    MARKDOWN = "markdown"


_SUFFIXES = {".html": DashboardFormat.HTML, ".md": DashboardFormat.MARKDOWN}


def _format(fmt: DashboardFormat | None, out: Path | None) -> DashboardFormat:
    if fmt is not None:
        return fmt
    if out is None:
        return DashboardFormat.MARKDOWN
    if out.suffix.lower() not in _SUFFIXES:
        raise unknown_suffix(out, list(_SUFFIXES))
    return _SUFFIXES[out.suffix.lower()]


def dashboard(
    data: DataOption = None,
    first: FromOption = None,
    last: ToOption = None,
    as_of: AsOfOption = None,
    fmt: Annotated[
        DashboardFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="html (one self-contained page) or markdown (a CI job summary); default: "
            "from --out's suffix (.html, .md), else markdown.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write to FILE atomically instead of stdout.", dir_okay=False
        ),
    ] = None,
) -> None:
    """Tiles, MRR trend, movement bridge, retention, cohorts, renewals, pipeline and risks.

    Every number is the one the matching report prints (mrr and nrr over --from/--to,
    cohorts of those months, renewals of the next 90 days, pipeline, risk --top 10).
    Without --from/--to: the 12 months up to and including the month of --as-of.

    Example: [bold]revcli dashboard --data sample_data --as-of 2026-11-23 --out dashboard.html[/]
    """
    with error_boundary():
        day = parse_day(as_of, "--as-of")
        start, end = month_span(None, first, last, day, as_of_given=as_of is not None)
        chosen = _format(fmt, out)
        dataset = load(data)
        from revcli.dashboard.build import build_dashboard

        dash = build_dashboard(dataset, day, start, end)
        if chosen is DashboardFormat.HTML:
            from revcli.dashboard.html import render_html

            text = render_html(dash)
        else:
            from revcli.dashboard.markdown import render_summary

            text = render_summary(dash)
        if out is None:
            write_data(text)
        else:
            refuse_data_file(out, dataset.root, templates_of(dataset.settings))
            write_atomic(out, text, stream=True)
            err.print(f"wrote {out}", style="dim", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``revcli dashboard`` to ``app``."""
    app.command()(dashboard)
