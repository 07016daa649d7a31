"""The Typer app: the root options and every command's registration (loaded by ``main``)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Annotated

import typer
from typer.main import get_command_name

from revcli import __version__
from revcli.cli import (
    coercion,
    core,
    dashboard,
    diff,
    importing,
    invoice,
    renewals,
    retention,
    risk,
)
from revcli.cli.options import State
from revcli.cli.usage import RootGroup

coercion.install()  # option values converted without Pydantic (see cli/coercion.py)

app = typer.Typer(
    cls=RootGroup,
    name="revcli",
    help="MRR, ARR, renewals and invoices from a folder of contract files.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"revcli {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the Python traceback of an internal error.")
    ] = False,
    raw_csv: Annotated[
        bool,
        typer.Option(
            "--raw-csv",
            envvar="REVCLI_RAW_CSV",
            help="CSV text exactly as it is: no ' before cells that start like a spreadsheet "
            "formula (=, +, -, @).",
        ),
    ] = False,
) -> None:
    """revcli turns a folder of contract files into MRR, renewals and invoices.

    Exit codes: 0 success, 1 invalid data or a failed check, 2 a wrong command line.
    """
    _ = version
    State.debug = debug
    State.raw_csv = raw_csv


core.register(app)
retention.register(app)
renewals.register(app)
risk.register(app)
dashboard.register(app)
invoice.register(app)
importing.register(app)
diff.register(app)


def app_for(args: Sequence[str]) -> typer.Typer:
    """The app that runs ``revcli ARGS``: where ``ARGS`` start with a command's (or a command
    group's) name, the app with that one command, which is all Typer then needs to build
    (building every command's options takes longer than a report's own work on a small
    data dir); else the whole app (``--help``, shell completion, root options, a typo).
    ``tests/test_cli_app_for.py`` checks that each command runs and answers the same."""
    if not args:
        return app
    commands = [
        c
        for c in app.registered_commands
        if c.callback is not None and (c.name or get_command_name(c.callback.__name__)) == args[0]
    ]
    groups = [
        g
        for g in app.registered_groups
        if (g.name or (g.typer_instance.info.name if g.typer_instance else None)) == args[0]
    ]
    if len(commands) + len(groups) != 1:
        return app
    only = copy.copy(app)
    only.registered_commands = commands
    only.registered_groups = groups
    return only
