"""The ``diff`` command: how the figures of ``revcli mrr`` changed between git revisions."""

from __future__ import annotations

from typing import Annotated

import typer

from revcli.cli.common import (
    choose_format,
    emit,
    error_boundary,
    resolve_data_dir,
    revision_of,
    templates_of,
)
from revcli.cli.console import BadValue, print_issues
from revcli.cli.options import (
    AsOfOption,
    DataOption,
    FormatOption,
    FromOption,
    OutOption,
    ToOption,
    month_span,
    parse_day,
)
from revcli.errors import CheckFailed
from revcli.output.report import OutputFormat

DEFAULT_MONTHS = 24
"""Months shown without --from: the 24 up to the as-of month (SPEC §12)."""

BeforeOption = Annotated[
    str | None,
    typer.Option(
        "--before",
        help="The earlier side: the last commit made on or before this day, YYYY-MM-DD "
        "(in OLD's history, default HEAD).",
        show_default=False,
    ),
]
"""``diff`` has no ``--rev``: its ``--before`` searches the history of OLD."""


def diff(
    old: Annotated[
        str | None,
        typer.Argument(
            help="The earlier revision: a tag, HEAD~3 or a hash (or give --before DATE).",
            show_default=False,
        ),
    ] = None,
    new: Annotated[
        str | None,
        typer.Argument(help="The later revision (default: the working tree).", show_default=False),
    ] = None,
    data: DataOption = None,
    first: FromOption = None,
    last: ToOption = None,
    before: BeforeOption = None,
    as_of: AsOfOption = None,
    fail_on_restatement: Annotated[
        bool,
        typer.Option(
            "--fail-on-restatement",
            help="Exit 1 when any month before the as-of month changed (a CI gate on "
            "closed months).",
        ),
    ] = False,
    fmt: FormatOption = None,
    out: OutOption = None,
) -> None:
    """Explain how every figure of revcli mrr changed between two git revisions.

    Each changed record (revcli.yaml, an fx rate, a customer, a contract with its lines)
    is one cause, applied in that order; a cause's effect is the figures after it minus
    before, in cents, so the causes of a month add up to its change. Exit 0 even when
    numbers changed, unless --fail-on-restatement.

    Example: [bold]revcli diff HEAD --data sample_data --from 2026-01 --to 2026-09[/]
    """
    with error_boundary():
        from revcli.checks import read_checked
        from revcli.data.source import resolve_revision
        from revcli.diff.report import DiffSides, diff_report, diff_table
        from revcli.diff.restate import restate

        day = parse_day(as_of, "--as-of")
        start, end = month_span(
            None, first, last, day, months=DEFAULT_MONTHS, as_of_given=as_of is not None
        )
        if old is None and before is None:
            raise BadValue("name the earlier revision, or give --before DATE")
        root = resolve_data_dir(data)
        old_rev = revision_of(root, old, before)
        new_rev = resolve_revision(root, new) if new is not None else None
        assert old_rev is not None
        old_raw, warnings = read_checked(root, old_rev)
        new_raw, more = read_checked(root, new_rev)
        print_issues([*warnings, *more])
        result = restate(old_raw, new_raw, start, end)
        sides = DiffSides(
            old=old_rev.label,
            new=new_rev.label if new_rev else "working tree",
            old_settings=old_raw.settings,
            new_settings=new_raw.settings,
        )
        chosen = choose_format(fmt, out)
        build = diff_table if chosen is OutputFormat.TABLE else diff_report
        emit(
            build(result, sides, start, end),
            chosen,
            out,
            data_dir=root,
            templates=templates_of(new_raw.settings),
        )
        closed = [m for m in result.changed_months() if m < day.replace(day=1)]
        if fail_on_restatement and closed:
            months = ", ".join(f"{m:%Y-%m}" for m in closed)
            raise CheckFailed(
                f"{len(closed)} closed month{'s' if len(closed) != 1 else ''} restated: {months}"
            )


def register(app: typer.Typer) -> None:
    """Add the ``diff`` command to ``app``."""
    app.command()(diff)
