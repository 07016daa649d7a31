"""The command line: a thin Typer layer over the documented functions of revcli.

Importing this package loads nothing but the standard library: ``revcli --version`` answers
before Typer loads, and :mod:`revcli.cli.root` (the Typer app, every command's options)
loads on first use. Each command imports the code it runs inside its body, so start-up,
``--help`` and shell completion never load Polars, Liquid or the billing code.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING

from revcli import __version__

if TYPE_CHECKING:
    import typer

__all__ = ["Terminated", "app", "interrupted", "main"]


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI job cancelled or timed out, ``kill``), raised where the run is, so that
    every clean-up Ctrl-C runs runs too: an import's files get their old bytes back, a
    half-written register record is cut off, temporary files are removed."""


def _terminated(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM never cuts clean-up short
    raise Terminated


def interrupted(exc: KeyboardInterrupt) -> tuple[str, int]:
    """The message and exit code of a run stopped by Ctrl-C (130) or SIGTERM (143)."""
    if isinstance(exc, Terminated):
        return "interrupted (SIGTERM)", 128 + signal.SIGTERM
    return "interrupted", 128 + signal.SIGINT


def main() -> None:
    """Console-script entry point."""
    from revcli.cli.streams import STDOUT_CLOSED, settle_streams

    settle_streams()  # a closed stderr drops messages (``2>&-``)
    if sys.argv[1:] == ["--version"]:  # the one answer that needs no Typer
        if sys.stdout is None:
            sys.stderr.write(f"error: {STDOUT_CLOSED}\n")
            raise SystemExit(1)
        sys.stdout.write(f"revcli {__version__}\n")
        return
    try:
        signal.signal(signal.SIGTERM, _terminated)
        _run()
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM while Typer and the command load
        message, code = interrupted(exc)
        sys.stderr.write(f"{message}\n")
        raise SystemExit(code) from None


def _run() -> None:
    """Load Typer and the named command, and run it (a command's own errors, Ctrl-C
    included, are handled by its error boundary once it runs)."""
    _sane_columns()
    _tune_allocator()
    import gc

    # A command is one short process: importing Typer, Polars and revcli makes a few
    # hundred thousand objects that live until it exits, and with Python's default the
    # collector scans them again and again (about 55 ms of a 0.45 s report on sample_data/).
    # Reference counting frees everything else as before; only cycles wait a little longer.
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, middle, old)
    from revcli.cli.root import app_for

    try:
        app_for(sys.argv[1:])()
    finally:
        # Python's exit ends with one more full pass of the collector over every object
        # (about 70 ms of a report); the command is done and its output written, so the
        # objects alive now are frozen out of that pass: the process's memory goes back
        # to the system whole as it ends.
        gc.freeze()


MAX_COLUMNS = 1000
"""The widest ``$COLUMNS`` revcli draws for: Rich lays out help boxes (and tables) at
that width, and a width of 10^11 would exhaust memory or hang."""


def _sane_columns() -> None:
    """``$COLUMNS`` capped at :data:`MAX_COLUMNS`; a value that is no width is dropped."""
    columns = os.environ.get("COLUMNS")
    if columns is None:
        return
    if columns.isascii() and columns.isdigit() and int(columns) > 0:
        os.environ["COLUMNS"] = str(min(int(columns), MAX_COLUMNS))
    else:
        del os.environ["COLUMNS"]


GC_YOUNG = 50_000
"""New objects between two collections of Python's cycle collector (Python's default: 700)."""

ALLOCATOR = "_RJEM_MALLOC_CONF"
"""The environment variable Polars' allocator (jemalloc) reads its options from when Polars
loads; Polars adds its own before the ones found there."""

CPUS_PER_ARENA = 8
"""Processors per memory arena of Polars' allocator in a command (jemalloc's default is
four arenas per processor)."""


def allocator_options(cpus: int, given: str | None) -> str:
    """Options for Polars' allocator in one command, on ``cpus`` processors; ``given`` (the
    user's own :data:`ALLOCATOR` value) comes last, so each of its options wins.

    A command frees most of what it allocates within a second (the text of each file once
    typed, each step's frame once the next is made) and allocates as much again. Memory
    freed in one of jemalloc's arenas is reused only by the threads of that arena, and
    blocks of 8 MiB and more (a column of a million rows) are handed back to the system
    at once; a fresh page costs a page fault. With one arena per :data:`CPUS_PER_ARENA`
    processors and large blocks kept in the arenas (for Polars' decay of 0.5 s), a step
    reuses what the one before freed: on the benchmark's 1M many-customer data about
    a sixth fewer page faults at the same peak memory (bench/results.md)."""
    arenas = max(1, -(-cpus // CPUS_PER_ARENA))
    ours = f"narenas:{arenas},oversize_threshold:0"
    if given and f",{ours}," in f",{given},":
        return given  # set before, in this process or the one that started it
    return f"{ours},{given}" if given else ours


def _tune_allocator() -> None:
    """Set :func:`allocator_options` for Polars, which the command loads later (once Polars
    is loaded, its allocator no longer reads them)."""
    if "polars" in sys.modules:
        return
    from revcli.concurrency import usable_cores

    os.environ[ALLOCATOR] = allocator_options(usable_cores(), os.environ.get(ALLOCATOR))


def __getattr__(name: str) -> typer.Typer:
    # ``from revcli.cli import app`` builds the Typer app only when asked for.
    if name == "app":
        from revcli.cli.root import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
