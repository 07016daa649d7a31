"""A report: a frame plus what its columns mean, built once and rendered many ways."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from revcli.decimals import round_half_up
from revcli.errors import RevcliError, UsageError

if TYPE_CHECKING:  # the CLI imports OutputFormat on every start; Polars loads with a Report
    import polars as pl

FORMAT_VERSION = 1
"""Version of the JSON output layout; bumped when a field changes meaning."""


class OutputFormat(StrEnum):
    """Report formats of SPEC §9."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"
    XLSX = "xlsx"


SUFFIXES: dict[str, OutputFormat] = {
    ".csv": OutputFormat.CSV,
    ".json": OutputFormat.JSON,
    ".md": OutputFormat.MARKDOWN,
    ".xlsx": OutputFormat.XLSX,
}
"""What ``--out FILE`` of a report means without ``--format`` (SPEC §13)."""


class ColumnKind(StrEnum):
    """How a column's values are shown."""

    TEXT = "text"
    MONEY = "money"  # base currency, 2 decimals, half away from zero
    SIGNED_MONEY = "signed_money"  # a movement: coloured by sign in a table
    PERCENT = "percent"  # 2 decimals
    RATIO = "ratio"  # 4 decimals (1.0651)
    SHARE = "share"  # a ratio that a table shows as a whole percentage, shaded like a heat map
    COUNT = "count"
    DATE = "date"
    MONTH = "month"
    BOOL = "bool"
    EXACT = "exact"  # an exact decimal shown as written: invoice money in its own currency


@dataclass(frozen=True)
class Trend:
    """A series the table view draws as a one-line sparkline under the table."""

    label: str
    months: Sequence[str]
    values: Sequence[float]


@dataclass(frozen=True)
class PolicyLabel:
    """The metric policy a report's numbers follow (SPEC §12): shown in JSON ``meta``,
    under tables and in document properties, never as a CSV column."""

    name: str
    version: str

    def __str__(self) -> str:
        return f"Metric policy: {self.name}, version {self.version}."


NUMERIC_KINDS = frozenset(
    {
        ColumnKind.MONEY,
        ColumnKind.SIGNED_MONEY,
        ColumnKind.PERCENT,
        ColumnKind.RATIO,
        ColumnKind.SHARE,
        ColumnKind.COUNT,
        ColumnKind.EXACT,
    }
)
"""Kinds shown right-aligned, as numbers, in a table and on the dashboard."""


@dataclass(frozen=True)
class Report:
    """What a command prints, independent of format.

    ``frame`` holds unrounded values; ``kinds`` tells renderers how to show each column
    (missing columns are text). ``totals`` is an optional summary row for the table view,
    keyed by column. ``notes`` are printed under a table and carried in JSON ``meta``.
    ``row_styles`` optionally gives each row of ``frame`` a Rich style for the table view
    (``""`` for none, e.g. ``"bold red"`` for an urgent row); other formats ignore it.
    ``priority`` lists the table's columns most important first: a table narrower than the
    whole keeps those and drops the rest (columns not listed come last, in table order).
    ``trend`` is drawn as a sparkline under the table.
    ``policy`` names the metric policy of reports built on MRR movements.
    ``see_all`` tells a reader of a table too narrow for every column how to see them all,
    in the words of the command that prints it (the default: for one that takes
    ``--columns`` and ``--format csv``).
    """

    title: str
    frame: pl.DataFrame
    kinds: Mapping[str, ColumnKind] = field(default_factory=dict)
    totals: Mapping[str, Any] | None = None
    notes: Sequence[str] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    name: str = "report"
    table_columns: Sequence[str] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    row_styles: Sequence[str] = ()
    priority: Sequence[str] = ()
    trend: Trend | None = None
    policy: PolicyLabel | None = None
    see_all: str = "Choose columns with --columns NAME,NAME,… or see all with --format csv."

    def __post_init__(self) -> None:
        import polars as pl

        floats = [c for c, t in self.frame.schema.items() if t.is_float()]
        if (
            floats
            and not self.frame.select(pl.all_horizontal(pl.col(floats).is_finite().all())).item()
        ):
            bad = next(c for c in floats if not self.frame.get_column(c).is_finite().all())
            raise RevcliError(
                f"{self.title}: {bad} is too large to compute (it overflows); "
                "check prices, quantities, renewal uplifts and dates"
            )

    def kind(self, column: str) -> ColumnKind:
        return self.kinds.get(column, ColumnKind.TEXT)

    @property
    def footer(self) -> list[str]:
        """What a person reads under the table: the notes, then the metric policy."""
        return [*self.notes, *([str(self.policy)] if self.policy else [])]

    @property
    def hides_columns(self) -> bool:
        """Whether the table view leaves out columns that the other formats hold."""
        return self.table_columns is not None and set(self.table_columns) < set(self.frame.columns)

    def shown_columns(self) -> list[str]:
        """The table view's columns, most important first."""
        table = list(self.table_columns or self.frame.columns)
        first = [c for c in self.priority if c in table]
        return first + [c for c in table if c not in first]


ALL_COLUMNS = "All columns: --format csv|json|markdown."
"""The last note of a table that shows only some of its report's columns (the usual ones,
:attr:`Report.table_columns`); the other formats hold them all."""


def select_columns(report: Report, names: Sequence[str]) -> Report:
    """``report`` with only the columns ``names``, in that order, in every format.

    Raises :class:`UsageError` naming the columns there are when one is unknown.
    """
    unknown = [n for n in names if n not in report.frame.columns]
    if unknown or not names:
        verb = "is not a column" if len(unknown) == 1 else "are not columns"
        what = f"{', '.join(unknown)} {verb} of this report" if unknown else "names no column"
        raise UsageError(f"--columns: {what}; its columns are {', '.join(report.frame.columns)}")
    chosen = list(dict.fromkeys(names))
    return replace(
        report,
        frame=report.frame.select(chosen),
        totals=None
        if report.totals is None
        else {k: v for k, v in report.totals.items() if k in chosen},
        table_columns=chosen,
        priority=chosen,
    )


_PLACES = {
    ColumnKind.MONEY: 2,
    ColumnKind.SIGNED_MONEY: 2,
    ColumnKind.PERCENT: 2,
    ColumnKind.RATIO: 4,
    ColumnKind.SHARE: 4,
}


def group_digits(value: Decimal) -> str:
    """12345.50 → '12,345.50': thousands grouped, as the table view and messages show money."""
    return f"{value:,}"


def cell(value: Any, kind: ColumnKind) -> Any:
    """A value as machine formats carry it: rounded decimals, ISO dates, months YYYY-MM."""
    if value is None:
        return None
    if kind in _PLACES:
        return round_half_up(value, _PLACES[kind])
    if kind is ColumnKind.EXACT:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind is ColumnKind.MONTH and isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def column_cells(series: pl.Series, kind: ColumnKind) -> list[Any]:
    """:func:`cell` of every value of one column, the conversion chosen once for the column:
    a report of 100,000 customers does not pay a dispatch on the kind for every cell."""
    values = series.to_list()
    places = _PLACES.get(kind)
    if places is not None:
        return [None if v is None else round_half_up(v, places) for v in values]
    if kind is ColumnKind.EXACT or series.dtype.is_temporal():
        return [cell(v, kind) for v in values]
    return values  # text, whole numbers and flags: cell() returns them as they are


def columns(report: Report) -> list[list[Any]]:
    """The report's columns, each a list of its cells rounded and formatted once."""
    return [column_cells(s, report.kind(s.name)) for s in report.frame.get_columns()]


def rows(report: Report) -> list[dict[str, Any]]:
    """The report's rows with every cell rounded and formatted once."""
    names = report.frame.columns
    return [dict(zip(names, row, strict=True)) for row in zip(*columns(report), strict=True)]
