"""Pipeline, churn-risk and forecast commands: ``pipeline``, ``risk`` and ``forecast``."""

from __future__ import annotations

from typing import Annotated

import typer

from revcli.cli.common import emit_data, error_boundary, load
from revcli.cli.console import BadValue, err
from revcli.cli.options import (
    AsOfOption,
    BeforeOption,
    ColumnsOption,
    DataOption,
    FormatOption,
    FromOption,
    OutOption,
    RevOption,
    ToOption,
    parse_day,
    parse_month,
)


def pipeline(
    data: DataOption = None,
    rev: RevOption = None,
    before: BeforeOption = None,
    first: FromOption = None,
    last: ToOption = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Group by the opportunity's type, owner or stage.")
    ] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    out: OutOption = None,
    columns: ColumnsOption = None,
) -> None:
    """Pipeline MRR and weighted pipeline MRR per expected-close month.

    Without --from/--to: every month from the earliest to the latest expected close of
    an open opportunity (the 12 months from the as-of month when there is none).

    Example: [bold]revcli pipeline --data sample_data --from 2026-12 --to 2027-05 --by type[/]
    """
    with error_boundary():
        from revcli.metrics.pipeline import BY_CHOICES, past_due_warning, pipeline_report

        start = parse_month(first, "--from") if first else None
        end = parse_month(last, "--to") if last else None
        if start and end and start > end:
            raise BadValue(f"--from {first} is after --to {last}", param_hint="--from")
        if by is not None and by not in BY_CHOICES:
            raise BadValue(
                f"'{by}' is not allowed; expected one of {', '.join(BY_CHOICES)}", param_hint="--by"
            )
        day = parse_day(as_of, "--as-of")
        dataset = load(data, rev, before)
        report = pipeline_report(dataset, day, start, end, by)
        warning = past_due_warning(report)
        if warning:
            err.print(f"warning: {warning}", markup=False)
        emit_data(report, dataset, fmt, out, columns)


def risk(
    data: DataOption = None,
    rev: RevOption = None,
    before: BeforeOption = None,
    as_of: AsOfOption = None,
    top: Annotated[
        int | None,
        typer.Option("--top", "-n", min=1, help="Show only the N customers most at risk."),
    ] = None,
    fmt: FormatOption = None,
    out: OutOption = None,
    columns: ColumnsOption = None,
) -> None:
    """Every active customer scored for churn risk, by ARR at risk, with the reasons.

    Signals: declining usage, ticket spikes, overdue and late payments, a term end or
    notice deadline with no open renewal opportunity, recent downgrades. Weights and
    thresholds: the risk: section of revcli.yaml (see docs/risk.md).

    Example: [bold]revcli risk --data sample_data --as-of 2026-11-23 --top 10[/]
    """
    with error_boundary():
        from revcli.risk.report import risk_report

        day = parse_day(as_of, "--as-of")
        dataset = load(data, rev, before)
        emit_data(risk_report(dataset, day, top), dataset, fmt, out, columns)


def forecast(
    data: DataOption = None,
    rev: RevOption = None,
    before: BeforeOption = None,
    months: Annotated[
        int,
        typer.Option("--months", min=1, max=120, help="Months to forecast after the as-of month."),
    ] = 12,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    out: OutOption = None,
    columns: ColumnsOption = None,
) -> None:
    """Contracted MRR going forward, plus weighted pipeline, minus expected churn.

    Each part is its own column, so what is signed and what is hoped for stay apart.

    Example: [bold]revcli forecast --data sample_data --months 12 --as-of 2026-11-23[/]
    """
    with error_boundary():
        from revcli.forecast import forecast_report
        from revcli.metrics.options import report_options

        day = parse_day(as_of, "--as-of")
        dataset = load(data, rev, before)
        report = forecast_report(
            dataset, day, months, run_rate_months=report_options(dataset.settings).run_rate_months
        )
        emit_data(report, dataset, fmt, out, columns)


def register(app: typer.Typer) -> None:
    """Add the pipeline, risk and forecast commands to ``app``."""
    app.command()(pipeline)
    app.command()(risk)
    app.command()(forecast)
