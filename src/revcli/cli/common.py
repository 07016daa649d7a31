"""What every command shares: finding the data dir, options, output and the error boundary.

Loaded on every start (``--help``, shell completion): it imports only Typer, Rich and the
light revcli modules; the data, engine and renderers load inside the functions that use them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from revcli.cli import MAX_COLUMNS, interrupted
from revcli.cli.streams import stdout_is_terminal, stdout_is_unicode, write_data, write_text
from revcli.errors import CheckFailed, DataError, Issue, RevcliError, UsageError
from revcli.output.files import write_atomic
from revcli.output.report import SUFFIXES, OutputFormat
from revcli.visible import message_text

if TYPE_CHECKING:
    from rich.console import Console

    from revcli.data.source import Revision
    from revcli.data.validate import DataSet
    from revcli.output.report import Report


class _Stderr:
    """A Rich console on stderr, made on first use: shell completion never loads Rich."""

    @cached_property
    def _console(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._console, name)

    def print(
        self, *objects: Any, style: str | None = None, markup: bool | None = None, **rich: Any
    ) -> None:
        """Rich's ``print`` (its other options in ``rich``); a line of text off a terminal
        is written without Rich. Text is a message (:func:`_message`): the control and
        invisible characters of the paths and values it names are shown by their codes
        (a folder named with an escape sequence must not retitle the terminal).

        Rich writes such a line as it is there too (no colour, and no wrapping: the
        console soft-wraps), so ``wrote FILE`` after a report needs no Rich loaded. Once
        the console is made (a progress bar, a spinner), everything goes through it."""
        objects = tuple(_message(o) if isinstance(o, str) else o for o in objects)
        if (
            "_console" not in self.__dict__
            and not rich
            and len(objects) == 1
            and isinstance(objects[0], str)
            and not markup
            and not stderr_is_terminal()
        ):
            sys.stderr.write(f"{objects[0]}\n")
            return
        self._console.print(*objects, style=style, markup=markup, **rich)

    # Rich's Live (a Progress bar) enters its console: special methods skip __getattr__.
    def __enter__(self) -> Console:
        return self._console.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._console.__exit__(*exc)


if TYPE_CHECKING:
    err: Console
else:
    err = _Stderr()
"""Messages to stderr. Never markup or emoji codes: paths and values from the user
(``--out '[/x].csv'``, a file named ``:smile:.csv``, a customer named ``[ACME]``) are
printed as they are."""


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner on stderr while a long step runs, on a terminal only (nothing when piped).
    Its message shows at once, however short the step (Rich draws its first frame only at
    the first refresh tick otherwise)."""
    if not stderr_is_terminal():
        yield
        return
    with err.status(_message(message), spinner="dots") as status:  # a path's codes shown
        status.update(spinner="dots")  # draws now
        yield


def stderr_is_terminal() -> bool:
    """Rich's ``err.is_terminal``, answered without loading Rich where Rich's answer can
    only be no: stderr is no terminal and neither TTY_COMPATIBLE=1 nor FORCE_COLOR asks
    Rich to treat it as one (the piped run of a report never loads Rich)."""
    environ = os.environ
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        maybe = isatty is not None and isatty()
    except ValueError:  # closed
        maybe = False
    if not (maybe or environ.get("TTY_COMPATIBLE") == "1" or environ.get("FORCE_COLOR")):
        return False
    return err.is_terminal


DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        "-d",
        help="Data dir (default: $REVCLI_DATA, else the nearest folder upward with revcli.yaml).",
        envvar="REVCLI_DATA",
        file_okay=False,
        show_default=False,
    ),
]
FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format (default: table on a terminal, else csv; or from --out's suffix).",
        case_sensitive=False,
        show_default=False,
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write to FILE atomically instead of stdout.", dir_okay=False),
]
ColumnsOption = Annotated[
    str | None,
    typer.Option(
        "--columns",
        help="Only these columns, in this order, comma-separated, in every format "
        "(e.g. month,mrr,net_change).",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Report as of this day, YYYY-MM-DD (default: today).", show_default=False
    ),
]

MonthOption = Annotated[
    str | None, typer.Option("--month", "-m", help="One month, YYYY-MM.", show_default=False)
]
FromOption = Annotated[
    str | None, typer.Option("--from", help="First month, YYYY-MM.", show_default=False)
]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Last month, YYYY-MM.", show_default=False)
]
RevOption = Annotated[
    str | None,
    typer.Option(
        "--rev",
        help="Report the data dir as it was at this git revision (a tag, HEAD~3, a hash), "
        "read from git objects; the working tree is not touched.",
        show_default=False,
    ),
]
BeforeOption = Annotated[
    str | None,
    typer.Option(
        "--before",
        help="The last commit made on or before this day, YYYY-MM-DD (of --rev's history, "
        "default HEAD).",
        show_default=False,
    ),
]
ByOption = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="Group by a customer column (segment, region, owner, country, …) or product.",
        show_default=False,
    ),
]


class State:
    """Global options of the invocation."""

    debug = False
    raw_csv = False


def today() -> dt.date:
    """The clock, read only here at the edge."""
    return dt.datetime.now().astimezone().date()


def parse_day(value: str | None, option: str) -> dt.date:
    """A ``YYYY-MM-DD`` option value (years 1900 to 2199, as in the data), or today."""
    from revcli.schema import FIRST_YEAR, LAST_YEAR

    if value is None:
        return today()
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError
        day = dt.date.fromisoformat(value)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError
    except ValueError:
        raise BadValue(
            f"'{value}' is not a date from {FIRST_YEAR} to {LAST_YEAR}; expected YYYY-MM-DD",
            param_hint=option,
        ) from None
    return day


def parse_month(value: str, option: str) -> dt.date:
    """A ``YYYY-MM`` option value (years 1900 to 2199) as the first day of that month."""
    from revcli.schema import FIRST_YEAR, LAST_YEAR

    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value)
    if not match or not 1 <= int(match[2]) <= 12 or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        raise BadValue(
            f"'{value}' is not a month from {FIRST_YEAR} to {LAST_YEAR}; expected YYYY-MM",
            param_hint=option,
        )
    return dt.date(int(match[1]), int(match[2]), 1)


def month_span(
    month: str | None, first: str | None, last: str | None, as_of: dt.date
) -> tuple[dt.date, dt.date]:
    """The months a report covers: ``--month``, or ``--from``/``--to``, else the 12 months
    up to and including the month of ``as_of``."""
    from revcli.calendar import shift_month

    if month is not None:
        if first is not None or last is not None:
            raise BadValue("use --month or --from/--to, not both", param_hint="--month")
        one = parse_month(month, "--month")
        return one, one
    end = parse_month(last, "--to") if last else dt.date(as_of.year, as_of.month, 1)
    start = parse_month(first, "--from") if first else shift_month(end, -11)
    if start > end:
        raise BadValue(f"--from {start:%Y-%m} is after --to {end:%Y-%m}", param_hint="--from")
    return start, end


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


def check_by(by: str | None) -> None:
    """``--by`` names a customer column or ``product`` (exit 2 otherwise)."""
    from revcli.schema import CUSTOMERS

    allowed = ("product", *CUSTOMERS.names)
    if by is not None and by not in allowed:
        raise BadValue(
            f"'{by}' is not a customer column or product; expected one of {', '.join(allowed)}",
            param_hint="--by",
        )


def print_issues(issues: list[Issue], *, to_stdout: bool = False) -> None:
    """Every problem as ``FILE:ROW: column: message``, one per line, unstyled."""
    lines = "".join(f"{issue}\n" for issue in issues)
    if to_stdout:
        if lines:
            write_text(lines)
    else:
        sys.stderr.write(lines)


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


def parse_columns(columns: str | None) -> list[str] | None:
    """``--columns a,b,c`` as a list of names (spaces around names ignored)."""
    if columns is None:
        return None
    return [name.strip() for name in columns.split(",") if name.strip()]


def emit(
    report: Report,
    fmt: OutputFormat | None,
    out: Path | None,
    columns: str | None = None,
) -> None:
    """Render ``report`` (only ``columns``, when given) and write it to ``out`` atomically,
    or to stdout."""
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
        write_atomic(out, data, stream=True)
        err.print(f"wrote {out}", style="dim", markup=False)


def _message(text: str) -> str:
    """An error message with the control, direction and other invisible characters of the
    values it quotes shown by their codes, and a line of more than 1,000 characters cut in
    the middle (:func:`revcli.visible.message_text`); its line breaks kept."""
    return message_text(text, keep="\n")


class BadValue(typer.BadParameter):
    """Typer's ``BadParameter`` (the parser prints it: ``Invalid value for --by: …``) with
    the control and invisible characters of the value it quotes shown by their codes."""

    def __init__(self, message: str, **options: Any) -> None:
        super().__init__(_message(message), **options)


@contextmanager
def error_boundary() -> Iterator[None]:
    """Turn revcli errors into messages and exit codes (0 ok, 1 data/check, 2 usage, 130
    Ctrl-C, 143 SIGTERM)."""
    try:
        yield
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


def progress_bar(total_hint: str) -> Any:
    """A progress callback: a bar on a terminal, nothing when piped or in CI."""
    import os

    if not err.is_terminal or os.environ.get("CI"):
        return None
    from rich.progress import Progress

    bar = Progress(console=err, transient=True)
    task = bar.add_task(total_hint, total=None)
    bar.start()

    def step(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)
        if done >= total:
            bar.stop()

    return step
