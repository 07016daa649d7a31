"""Retention commands: ``nrr`` and ``cohorts``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from revcli.cli.common import choose_format, emit_data, error_boundary, load
from revcli.cli.options import (
    AsOfOption,
    BeforeOption,
    ByOption,
    ColumnsOption,
    DataOption,
    FormatOption,
    FromOption,
    MonthOption,
    OutOption,
    RevOption,
    ToOption,
    check_by,
    month_span,
    parse_day,
)
from revcli.output.report import OutputFormat

MAX_WINDOW = 1200
"""A hundred years: far past any real history, short of date arithmetic overflow."""


class Metric(StrEnum):
    """``--metric`` of ``cohorts``: the choices of ``metrics.cohorts.CohortMetric``, named here
    so that the command line loads without the engine."""

    REVENUE = "revenue"
    LOGOS = "logos"


def nrr(
    data: DataOption = None,
    rev: RevOption = None,
    before: BeforeOption = None,
    month: MonthOption = None,
    first: FromOption = None,
    last: ToOption = None,
    window: Annotated[
        int,
        typer.Option(
            "--window",
            min=1,
            max=MAX_WINDOW,
            help="Months between the starting cohort and the month measured.",
        ),
    ] = 12,
    by: ByOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    out: OutOption = None,
    columns: ColumnsOption = None,
) -> None:
    """Net and gross revenue retention and logo retention, one row per month.

    The cohort of month M is every customer active at the end of month M minus the
    window; NRR = their MRR in M / their MRR then. Without --month or --from/--to: the
    12 months up to and including the current one.

    Example: [bold]revcli nrr --data sample_data --month 2026-11 --window 12[/]
    """
    with error_boundary():
        from revcli.metrics.retention import nrr_report

        day = parse_day(as_of, "--as-of")
        start, end = month_span(month, first, last, day, as_of_given=as_of is not None)
        check_by(by)
        dataset = load(data, rev, before)
        report = nrr_report(dataset, start, end, window, by, as_of=day)
        emit_data(report, dataset, fmt, out, columns)


def cohorts(
    data: DataOption = None,
    rev: RevOption = None,
    before: BeforeOption = None,
    metric: Annotated[
        Metric,
        typer.Option(
            "--metric",
            case_sensitive=False,
            help="Share shown in the table: revenue (MRR retained) or logos (customers).",
        ),
    ] = Metric.REVENUE,
    first: Annotated[
        str | None, typer.Option("--from", help="First cohort month, YYYY-MM.")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last cohort month and last month shown, YYYY-MM.")
    ] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    out: OutOption = None,
    columns: ColumnsOption = None,
) -> None:
    """The cohort table: customers by month first active, retained month by month.

    On a terminal a heat map (rows: cohort month; columns: months since; cells: the share
    retained); csv/json/markdown give every cell's numbers. Without --from/--to: the
    cohorts of the 12 months up to and including the current one.

    Example: [bold]revcli cohorts --data sample_data --from 2025-12 --to 2026-11[/]
    """
    with error_boundary():
        from revcli.metrics.cohorts import CohortMetric, cohort_report
        from revcli.metrics.options import report_options

        day = parse_day(as_of, "--as-of")
        start, end = month_span(None, first, last, day, as_of_given=as_of is not None)
        dataset = load(data, rev, before)
        pivot = choose_format(fmt, out) is OutputFormat.TABLE
        options = report_options(dataset.settings)
        report = cohort_report(
            dataset,
            start,
            end,
            CohortMetric(metric.value),
            pivot=pivot,
            min_customers=options.cohort_min_customers,
            as_of=day,
        )
        emit_data(report, dataset, fmt, out, columns)


def register(app: typer.Typer) -> None:
    """Add the retention commands to ``app``."""
    app.command()(nrr)
    app.command()(cohorts)
