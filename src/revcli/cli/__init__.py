"""The command line: a thin Typer layer over the documented functions of revcli.

Importing this package loads nothing but the standard library: ``revcli --version`` answers
before Typer loads, and :mod:`revcli.cli.root` (the Typer app, every command's options)
loads on first use. Each command imports the code it runs inside its body, so start-up,
``--help`` and shell completion never load Polars, Liquid or the billing code.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from revcli import __version__

if TYPE_CHECKING:
    import typer

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    if sys.argv[1:] == ["--version"]:  # the one answer that needs no Typer
        sys.stdout.write(f"revcli {__version__}\n")
        return
    from revcli.cli.root import app

    app()


def __getattr__(name: str) -> typer.Typer:
    # ``from revcli.cli import app`` builds the Typer app only when asked for.
    if name == "app":
        from revcli.cli.root import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
