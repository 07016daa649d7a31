"""What every command shares: finding and loading the data dir, output and the error boundary.

Loaded on every start (``--help``, shell completion): it imports only Typer, Rich and the
light revcli modules; the data, engine and renderers load inside the functions that use them.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from revcli.cli import MAX_COLUMNS, interrupted
from revcli.cli.console import err, print_issues, stop_progress, working
from revcli.cli.options import State, parse_columns, parse_day
from revcli.cli.streams import stdout_is_terminal, stdout_is_unicode, write_data, write_text
from revcli.errors import CheckFailed, DataError, RevcliError, UsageError
from revcli.output.files import write_atomic
from revcli.output.report import SUFFIXES, OutputFormat

if TYPE_CHECKING:
    from revcli.data.source import Revision
    from revcli.data.validate import DataSet
    from revcli.output.report import Report
    from revcli.settings import Settings


def resolve_data_dir(data: Path | None) -> Path:
    """``--data``/``$REVCLI_DATA``, else the nearest folder upward holding revcli.yaml."""
    from revcli.settings import find_data_dir

    if data is not None:
        if not data.exists():
            raise UsageError(f"data dir {data} does not exist")
        if not data.is_dir():  # a device such as /dev/null (Typer refuses regular files)
            raise UsageError(f"data dir {data} is not a folder")
        return _utf8(data)
    found = find_data_dir(Path.cwd())
    if found is None:
        raise UsageError(
            "no data dir found: pass --data DIR, set REVCLI_DATA, or run inside a folder "
            "holding revcli.yaml (revcli init DIR makes one)"
        )
    return _utf8(Path(os.path.relpath(found)) if found != Path.cwd() else Path())


def _utf8(root: Path) -> Path:
    """``root``, when its path is UTF-8 text: revcli names the data dir's files in every
    message and output (and Polars takes them as UTF-8), so a path with other bytes (a
    folder named in Latin-1) is refused up front instead of failing half-way."""
    try:
        str(root).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(root).decode("utf-8", "backslashreplace")
        raise UsageError(
            f"data dir {shown}: its path is not UTF-8 text; rename the folder (or the folders "
            "above it) with UTF-8 names"
        ) from None
    return root


def revision_of(root: Path, rev: str | None, before: str | None) -> Revision | None:
    """The git revision ``--rev``/``--before`` name, or ``None`` for the working tree."""
    from revcli.data.source import resolve_revision

    if rev is None and before is None:
        return None
    day = parse_day(before, "--before") if before is not None else None
    return resolve_revision(root, rev, day)


def load(data: Path | None, rev: str | None = None, before: str | None = None) -> DataSet:
    """Load and validate the data dir, or with ``rev``/``before`` the data dir as it was at
    that git revision; warnings go to stderr (a spinner on a terminal)."""
    from revcli.checks import load_dataset

    root = resolve_data_dir(data)
    revision = revision_of(root, rev, before)
    where = f"{root} at {revision.label}" if revision else str(root)
    with working(f"Reading and checking {where} …"):
        dataset = load_dataset(root, revision)
    print_issues(list(dataset.warnings))
    return dataset


def unknown_suffix(out: Path, suffixes: list[str]) -> UsageError:
    """The usage error for an ``--out`` whose suffix names no format this command writes."""
    shown = f"'{out.suffix}'" if out.suffix else "no suffix"
    return UsageError(
        f"--out {out}: {shown} is not a format this command writes; use one of "
        f"{', '.join(suffixes)}, or give --format (then any name will do)"
    )


def choose_format(fmt: OutputFormat | None, out: Path | None) -> OutputFormat:
    """Explicit ``--format``; else from ``--out``'s suffix (SPEC §13: an unknown one is a
    usage error); else table on a terminal, csv piped."""
    if fmt is not None:
        return fmt
    if out is not None:
        if out.suffix.lower() not in SUFFIXES:
            raise unknown_suffix(out, list(SUFFIXES))
        return SUFFIXES[out.suffix.lower()]
    return OutputFormat.TABLE if stdout_is_terminal() else OutputFormat.CSV


def at_revision(report: Report, data: DataSet) -> Report:
    """``report`` saying which git revision its data was read from (JSON ``meta`` and a
    note under tables); unchanged for the working tree."""
    if data.revision is None:
        return report
    rev = data.revision
    return replace(
        report,
        meta={**report.meta, "revision": rev.label, "commit": rev.commit},
        notes=(*report.notes, f"Data as of git revision {rev.label} ({rev.commit[:12]})."),
    )


def table_width() -> int | None:
    """The width a table on stdout fits: ``$COLUMNS``, else the terminal's, else none (whole)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isascii() and columns.isdigit() and int(columns) > 0:
        return min(int(columns), MAX_COLUMNS)
    if not stdout_is_terminal():
        return None
    from rich.console import Console

    return Console().width


def refuse_broken_link(out: Path) -> None:
    """A usage error when the folder ``out`` (or one of its parents) is a symbolic link
    to a path that does not exist: revcli does not make folders through a link, and the
    system would only say "File exists"."""
    from revcli.output.files import broken_link

    dangling = broken_link(out)
    if dangling is not None:
        raise UsageError(
            f"--out {out}: {dangling}; create that folder, or pass another --out folder"
        )


def refuse_register_folder(out: Path, *, folder: bool = False) -> None:
    """A usage error when ``out`` (a file, or with ``folder`` the folder written into)
    lies in a folder that holds an invoice register: a report there would replace the
    register, its HEAD or an issued document, and any other file in it is one that
    ``invoice check`` names as left over."""
    from revcli.billing.layout import REGISTER_FILE

    place = out if folder else out.parent
    try:
        holds = (place.resolve() / REGISTER_FILE).is_file()
    except (OSError, RuntimeError):  # a loop of symlinks (RuntimeError before Python
        return  # 3.13): the write itself reports it
    if holds:
        raise UsageError(
            f"--out {out}: {place} holds the invoice register and the issued documents, "
            "and nothing else may be written there; write it to another folder"
        )


def templates_of(settings: Settings) -> list[str]:
    """The templates ``revcli.yaml`` names (or their defaults), relative to the data dir."""
    from revcli.renewals.config import parse_reminder_settings

    reminders, _ = parse_reminder_settings(settings)
    return [settings.invoice.template, reminders.template_text, reminders.template_html]


def refuse_data_file(out: Path, root: Path, templates: Collection[str] = ()) -> None:
    """A usage error when ``out`` would replace a file that revcli reads in the data dir
    ``root``, or make one the next run reads: ``revcli.yaml``, a data file, a contract
    file, revcli's state (:func:`~revcli.data.load.read_as_data`) or a template named in
    ``revcli.yaml`` (``templates``); also through a symbolic link that such a file is."""
    from revcli.data.load import DATA_FILES, read_as_data

    try:
        place = out.parent.resolve() / out.name  # a link at ``out`` is replaced, not followed
        base = root.resolve()
        name = place.relative_to(base).as_posix() if place.is_relative_to(base) else None
        read = {(base / t).resolve() for t in templates}
        contracts = base / "contracts"
        files = [base / f for f in DATA_FILES]
        files += contracts.iterdir() if contracts.is_dir() else []
        read |= {f.resolve() for f in files if f.is_symlink()}
        # contracts/ may be a link to a folder elsewhere: a YAML file there is a contract too
        contract = place.parent == contracts.resolve() and read_as_data(f"contracts/{out.name}")
    except (OSError, RuntimeError):  # a loop of symlinks: the write itself reports it
        return
    if (name is not None and read_as_data(name)) or place in read or contract:
        raise UsageError(
            f"--out {out}: revcli reads that file in the data dir {root} (its data, settings, "
            "templates or state), and a report there would replace it or be read as data "
            "by the next run; write it outside the data dir, or to another name"
        )


def emit(
    report: Report,
    fmt: OutputFormat | None,
    out: Path | None,
    columns: str | None = None,
    *,
    data_dir: Path | None = None,
    templates: Collection[str] = (),
) -> None:
    """Render ``report`` (only ``columns``, when given) and write it to ``out`` atomically,
    or to stdout; an ``out`` that is a file revcli reads in ``data_dir`` is refused
    (:func:`refuse_data_file`)."""
    if out is not None and data_dir is not None:
        refuse_data_file(out, data_dir, templates)
    from revcli.output.render import render, render_table
    from revcli.output.report import select_columns

    chosen = choose_format(fmt, out)
    names = parse_columns(columns)
    if names is not None:
        report = select_columns(report, names)
    data: str | bytes
    if chosen is OutputFormat.TABLE:
        tty = out is None and stdout_is_terminal()
        data = render_table(
            report,
            width=table_width() if out is None else None,
            color=tty and "NO_COLOR" not in os.environ,
            ascii_only=out is None and not stdout_is_unicode(),
        )
    else:
        data = render(report, chosen, raw_csv=State.raw_csv)
    if out is None:
        if isinstance(data, bytes) and stdout_is_terminal():
            raise UsageError(
                f"{chosen.value} is binary: pass --out FILE.{chosen.value} or redirect stdout"
            )
        if chosen is OutputFormat.TABLE:
            write_text(str(data))
        else:
            write_data(data)
    else:
        refuse_register_folder(out)
        write_atomic(out, data, stream=True)
        err.print(f"wrote {out}", style="dim", markup=False)


def emit_data(
    report: Report,
    dataset: DataSet,
    fmt: OutputFormat | None,
    out: Path | None,
    columns: str | None = None,
) -> None:
    """:func:`emit` of a report on ``dataset``: saying which git revision it was read at
    (:func:`at_revision`), and never written over a file revcli reads in its data dir."""
    emit(
        at_revision(report, dataset),
        fmt,
        out,
        columns,
        data_dir=dataset.root,
        templates=templates_of(dataset.settings) if out is not None else (),
    )


@contextmanager
def error_boundary() -> Iterator[None]:
    """Turn revcli errors into messages and exit codes (0 ok, 1 data/check, 2 usage, 130
    Ctrl-C, 143 SIGTERM); a progress bar still on the screen goes first."""
    try:
        try:
            yield
        finally:
            stop_progress()
    except DataError as exc:
        print_issues(exc.issues)
        errors = sum(1 for i in exc.issues if i.is_error)
        err.print(f"{errors} problem{'s' if errors != 1 else ''} found; nothing was done.")
        raise typer.Exit(1) from None
    except CheckFailed as exc:
        err.print(f"check failed: {exc}", markup=False)
        raise typer.Exit(1) from None
    except UsageError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except RevcliError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort, typer.BadParameter):
        raise
    except OSError as exc:  # the system refused (permissions, disk, a vanished file): no bug
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"error: {where}{exc.strerror or exc}", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (revcli.cli.Terminated)
        message, code = interrupted(exc)
        err.print(message)
        raise typer.Exit(code) from None
    except BaseException as exc:  # also a Rust panic in Polars, which is no Exception
        if State.debug or isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        err.print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in revcli; run again with --debug for the traceback and report it.",
            markup=False,
        )
        raise typer.Exit(1) from None
