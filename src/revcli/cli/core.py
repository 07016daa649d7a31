"""Core commands: ``mrr``, ``validate`` and ``init``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from revcli.cli.common import emit_data, error_boundary, load, resolve_data_dir
from revcli.cli.console import err, print_issues
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
from revcli.errors import UsageError


def mrr(
    data: DataOption = None,
    rev: RevOption = None,
    before: BeforeOption = None,
    month: MonthOption = None,
    first: FromOption = None,
    last: ToOption = None,
    by: ByOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = None,
    out: OutOption = None,
    columns: ColumnsOption = None,
) -> None:
    """MRR, ARR and every movement per month.

    Without --month or --from/--to: the 12 months up to and including the current one.

    Example: [bold]revcli mrr --data sample_data --from 2025-12 --to 2026-11 --by segment[/]
    """
    with error_boundary():
        from revcli.metrics.report import mrr_report

        day = parse_day(as_of, "--as-of")
        start, end = month_span(month, first, last, day, as_of_given=as_of is not None)
        check_by(by)
        dataset = load(data, rev, before)
        if by == "product" and dataset.settings.metrics.grain == "customer":
            raise UsageError(
                "--by product needs movements per product; the metric policy in revcli.yaml "
                "has grain: customer"
            )
        report = mrr_report(dataset, start, end, by, as_of=day)
        emit_data(report, dataset, fmt, out, columns)


def validate_command(data: DataOption = None) -> None:
    """Check the whole data dir; print every problem as FILE:ROW: column: message.

    Silent with exit code 0 when the data is clean; exit code 1 on any problem. Meant as
    the CI gate of a contracts repository.

    Example: [bold]revcli validate --data sample_data[/]
    """
    with error_boundary():
        from revcli.checks import check_data_dir

        issues = check_data_dir(resolve_data_dir(data))
        print_issues(issues, to_stdout=True)
        errors = sum(1 for i in issues if i.is_error)
        warnings = len(issues) - errors
        if errors:
            err.print(
                f"{errors} problem{'s' if errors != 1 else ''}"
                + (f" and {warnings} warning{'s' if warnings != 1 else ''}" if warnings else "")
                + " found."
            )
            raise typer.Exit(1)


def init(
    folder: Annotated[
        Path, typer.Argument(help="Folder to create the data dir in.", file_okay=False)
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
) -> None:
    """Scaffold a data dir: revcli.yaml, customers, one YAML contract and a README.

    Example: [bold]revcli init my-revenue && revcli mrr --data my-revenue[/]
    """
    with error_boundary():
        from revcli.scaffold import scaffold

        written = scaffold(folder, force=force)
        if written is None:
            raise UsageError(f"{folder} already holds revcli files; use --force to overwrite them")
        from revcli.visible import message_text

        for path, replaced in written:  # a line break in the folder's name shown by its code
            err.print(message_text(f"{'replaced' if replaced else 'created'} {path}"), markup=False)
        import shlex

        here = shlex.quote(str(folder))  # a line to paste into a shell, spaces and all
        err.print(f"Next: revcli validate --data {here} && revcli mrr --data {here}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the core commands to ``app``."""
    app.command()(mrr)
    app.command("validate")(validate_command)
    app.command()(init)
