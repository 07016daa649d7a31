"""The options commands share and the parsing of their values (days, months, ``--by``,
``--columns``)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated

import typer

from revcli.cli.console import BadValue
from revcli.errors import UsageError
from revcli.output.report import OutputFormat

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
        help="Only these columns, in this order, comma-separated, in every format; the "
        "names of the CSV header (an unknown name lists them).",
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
    problem = f"is not a date from {FIRST_YEAR} to {LAST_YEAR}"
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", value)
    if match and FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:  # a day the calendar does not have (2026-02-29)
            if not 1 <= int(match[2]) <= 12:
                problem = f"is not a date: there is no month {match[2]}"
            else:
                problem = f"is not a date: {match[1]}-{match[2]} has no day {match[3]}"
    raise BadValue(f"'{value}' {problem}; expected YYYY-MM-DD", param_hint=option)


def parse_month(value: str, option: str) -> dt.date:
    """A ``YYYY-MM`` option value (years 1900 to 2199) as the first day of that month."""
    from revcli.schema import FIRST_YEAR, LAST_YEAR

    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value)
    if not match or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        raise BadValue(
            f"'{value}' is not a month from {FIRST_YEAR} to {LAST_YEAR}; expected YYYY-MM",
            param_hint=option,
        )
    if not 1 <= int(match[2]) <= 12:
        raise BadValue(
            f"'{value}' is not a month: there is no month {match[2]}; expected YYYY-MM",
            param_hint=option,
        )
    return dt.date(int(match[1]), int(match[2]), 1)


def month_span(
    month: str | None,
    first: str | None,
    last: str | None,
    as_of: dt.date,
    *,
    months: int = 12,
    as_of_given: bool = True,
) -> tuple[dt.date, dt.date]:
    """The months a report covers: ``--month``, or ``--from``/``--to``, else the ``months``
    months up to and including the month of ``as_of`` (today's date unless
    ``as_of_given``). ``--to`` defaults to the month of ``as_of``, and an error about it
    says so: the user may never have typed it."""
    from revcli.calendar import shift_month

    if month is not None:
        if first is not None or last is not None:
            raise BadValue("use --month or --from/--to, not both", param_hint="--month")
        one = parse_month(month, "--month")
        return one, one
    end = parse_month(last, "--to") if last else dt.date(as_of.year, as_of.month, 1)
    start = parse_month(first, "--from") if first else shift_month(end, 1 - months)
    if start > end:
        default = ""
        if not last:
            default = " (the default: the month of --as-of" + ("" if as_of_given else ", today")
            default += ")"
        raise BadValue(
            f"--from {start:%Y-%m} is after --to {end:%Y-%m}{default}", param_hint="--from"
        )
    return start, end


def check_by(by: str | None) -> None:
    """``--by`` names a customer column or ``product`` (exit 2 otherwise)."""
    from revcli.schema import CUSTOMERS

    allowed = ("product", *CUSTOMERS.names)
    if by is not None and by not in allowed:
        raise BadValue(
            f"'{by}' is not a customer column or product; expected one of {', '.join(allowed)}",
            param_hint="--by",
        )


def parse_columns(columns: str | None) -> list[str] | None:
    """``--columns a,b,c`` as a list of names (spaces around names ignored); a blank
    value is no names (the report then says which columns it has).

    Raises :class:`UsageError` for an empty name (``a,,b``, a comma at either end) and
    for a name given more than once: either is a slip that would otherwise pass
    unnoticed, as an unknown name does not (:func:`revcli.output.report.select_columns`)."""
    if columns is None:
        return None
    if not columns.strip():
        return []
    names = [name.strip() for name in columns.split(",")]
    if "" in names:
        where = names.index("")
        if where == 0:
            place = "a comma at the start"
        elif where == len(names) - 1:
            place = "a comma at the end"
        else:
            place = "two commas in a row"
        raise UsageError(f"--columns: an empty column name ({place})")
    repeated = {name: names.count(name) for name in names if names.count(name) > 1}
    if repeated:
        times = "twice" if set(repeated.values()) == {2} else "more than once"
        verb = "is" if len(repeated) == 1 else "are"
        raise UsageError(f"--columns: {', '.join(repeated)} {verb} given {times}")
    return names
