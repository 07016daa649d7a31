"""Errors of the command line in revcli's one style: a plain ``error: MESSAGE`` line on
stderr, then ``Try 'revcli COMMAND -h' for help.``, exit code 2.

Typer prints what it finds wrong while parsing (an unknown option, a value it cannot
convert, a missing argument) as a usage line and a Rich box; revcli prints the usage
errors it finds after parsing (:class:`revcli.errors.UsageError`) as one ``error:`` line.
:class:`RootGroup` runs the app so that both look alike: grep-able in a CI log, nothing
that wraps in a narrow terminal, no colour. The usage line is left out: the message names
the option or argument, and the ``Try`` line names the help that shows them all.

Loaded on every start with the app: the standard library and Typer only; the console
that prints loads on an error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from typer._click.exceptions import ClickException, UsageError
from typer.exceptions import Abort

from revcli.cli.helptext import HelpGroup


def error_text(exc: ClickException) -> str:
    """What revcli prints for Typer's error ``exc``: ``error: MESSAGE`` and, for a usage
    error of a command with help, the line naming that help (without a newline at the end)."""
    text = f"error: {exc.format_message()}"
    ctx = exc.ctx if isinstance(exc, UsageError) else None
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        text += f"\nTry '{ctx.command_path} {ctx.help_option_names[0]}' for help."
    return text


def _show(exc: ClickException) -> NoReturn:
    """Print ``exc`` as :func:`error_text` and exit with its code (2 for a usage error)."""
    from revcli.cli.console import err

    # A group run without a command (``revcli invoice``) raises NoArgsIsHelpError once it
    # has printed its help: there is nothing more to say.
    if type(exc).__name__ != "NoArgsIsHelpError":
        err.print(error_text(exc), markup=False)
    sys.exit(exc.exit_code)


def _name_the_command(command: Any) -> None:
    """Make a usage error raised while ``command`` parses its arguments carry the
    command's context: Click's parser raises some without one (``-m`` with no value, a
    flag given a value), and without it no ``Try`` line could name the command's help.
    Recurses into the commands of a group."""
    parse = command.parse_args

    def parse_args(ctx: Any, args: list[str]) -> list[str]:
        try:
            result: list[str] = parse(ctx, args)
        except UsageError as exc:
            if exc.ctx is None:
                exc.ctx, exc.cmd = ctx, command
            raise
        return result

    command.parse_args = parse_args
    for sub in getattr(command, "commands", {}).values():
        _name_the_command(sub)


class RootGroup(HelpGroup):
    """The root group: :class:`HelpGroup`'s help, and Typer's errors printed in revcli's
    style (:func:`error_text`) instead of a usage line and a Rich box."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _name_the_command(self)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the app as Typer does (shell completion, ``--help``, ``typer.Exit`` codes
        and a broken pipe unchanged), but with Typer's errors left to revcli to print.

        Typer's own "standalone mode" prints them; without it Typer raises them, and
        returns the code of a ``typer.Exit`` (revcli's commands return nothing, so a
        number returned is always that code)."""
        if not standalone_mode:  # the caller handles errors itself
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except ClickException as exc:
            _show(exc)
        except Abort:  # end of input at a prompt (revcli has none), as Typer words it
            from revcli.cli.console import err

            err.print("Aborted.")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
