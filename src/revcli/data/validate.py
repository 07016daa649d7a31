"""Raw frames to typed frames: parse every column, apply defaults, check across tables.

Each check is a small vectorised function returning issues as values, so the user sees
every problem at once (beancount's ``ops/validation.py`` is the model).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from revcli.concurrency import side_by_side
from revcli.data.fx import fx_coverage
from revcli.data.ids import lookalike_heads, lookalike_ids
from revcli.data.load import RawData, read_raw, relocate
from revcli.data.reader import Positions
from revcli.data.source import Revision, Source
from revcli.data.tables import (
    lines_with_contracts,
    typed_customers_and_contracts,
    typed_fx_rates,
    typed_line_values,
    typed_opportunities,
)
from revcli.errors import DataError, Issue, sort_issues
from revcli.settings import Settings


@dataclass(frozen=True, eq=False)
class DataSet:
    """A validated data dir: typed frames with defaults applied.

    Compared and hashed by identity: what is derived from it (``metrics.mrr.Book``) is
    kept per data set.

    Every frame keeps ``_source`` and ``_line`` so later checks can point at the record.
    ``extra`` holds the optional signal tables (usage, tickets, payments) as raw strings
    for the features that type them.
    """

    root: Path
    settings: Settings
    customers: pl.DataFrame
    contracts: pl.DataFrame
    lines: pl.DataFrame
    fx_rates: pl.DataFrame
    opportunities: pl.DataFrame
    extra: dict[str, pl.DataFrame] = field(default_factory=dict)
    warnings: tuple[Issue, ...] = ()
    revision: Revision | None = None
    """The git revision the data was read at; ``None`` for the working tree."""
    positions: Positions = field(default_factory=Positions)
    """Where each value of a YAML record is (:func:`~revcli.data.load.relocate`): an issue
    found later, such as a report's, points at the value, not at its record."""


Check = Callable[[DataSet], list[Issue]]
"""A feature's own checks of a typed data set (its columns, files, settings sections)."""


def validate(raw: RawData, checks: Sequence[Check] = ()) -> tuple[DataSet, list[Issue]]:
    """Type and check every table, then run ``checks``; return the data set and all issues.

    The core knows SPEC §1; features that add columns, files or settings pass their own
    checks in (see :mod:`revcli.checks`), so imports keep pointing from features to core.
    """
    # The lines' values are typed while the customers and contracts are checked (that
    # needs neither), and the ids of those two checked for lookalikes while the lines meet
    # their contracts: most of the steps here run on one core each.
    typed_lines, (customers, contracts, issues) = side_by_side(
        lambda: typed_line_values(raw), lambda: typed_customers_and_contracts(raw)
    )
    heads, (lines, more) = side_by_side(
        lambda: lookalike_heads(customers, contracts),
        lambda: lines_with_contracts(typed_lines, contracts),
    )
    issues += more + heads
    fx, more = typed_fx_rates(raw)
    issues += more
    issues += fx_coverage(contracts, lines, fx, raw.settings.base_currency)
    opportunities, more = typed_opportunities(raw, fx)
    issues += more
    issues += lookalike_ids(lines, "line_id", "line_id", scope=["contract_id"])
    issues += lookalike_ids(opportunities, "opportunity_id", "opportunity_id")
    data = DataSet(
        root=raw.root,
        settings=raw.settings,
        customers=customers,
        contracts=contracts,
        lines=lines,
        fx_rates=fx,
        opportunities=opportunities,
        extra=raw.extra,
        positions=raw.positions,
    )
    for check in checks:
        issues += check(data)
    issues = sort_issues(relocate([*raw.issues, *issues], raw.positions))
    warnings = tuple(i for i in issues if not i.is_error)
    return replace(data, warnings=warnings), issues


def load_dataset(root: Path | Source, checks: Sequence[Check] = ()) -> DataSet:
    """Read and validate a data dir; raise :class:`DataError` listing every problem."""
    data, issues = validate(read_raw(root), checks)
    if any(i.is_error for i in issues):
        raise DataError(issues)
    return data


LINE_MRR_LIMIT = 10**12
"""The MRR of one recurring line (base currency, per month) from which the engine refuses
it. Its sums are float64, which keeps cents while the amounts in them stay below about
10^12; one line far above that (a quantity of 10^17 typed by mistake) would leave its
rounding error in every later month's figures, long after the line has ended. Invoices
are exact decimals, but every command refuses such data as ``revcli validate`` does, so
none is invoiced either."""

LINE_MRR_SLACK = 1e-3
"""How far below :data:`LINE_MRR_LIMIT` (a share of it) a float64 MRR must be for its line
to be certainly below the limit. A line's float MRR is within about 2.3e-4 of its exact
value: each cast and operation adds at most 2^-53, except 1 − discount_pct/100, whose
rounding error of about 10^-16 is large beside a factor as small as 10^-12 (a discount
of 99.9999999999 %). Lines within the slack are decided in exact arithmetic."""


def may_reach_line_limit(data: DataSet) -> bool:
    """Whether a line's MRR could reach :data:`LINE_MRR_LIMIT`, by a cheap bound: at most
    its quantity × unit price × the largest fx rate, divided by its months per price
    period (a term of one day is the shortest), in float64 and so with
    :data:`LINE_MRR_SLACK`. Only then must the MRR engine look."""
    largest = data.lines.select(
        (pl.col("quantity").cast(pl.Float64) * pl.col("unit_price").cast(pl.Float64)).max()
    ).item()
    rate = data.fx_rates.select(pl.col("rate").cast(pl.Float64).max()).item()
    shortest = data.contracts.select(pl.col("term_months").min()).item()
    months = min(1.0, shortest) if shortest is not None else 1.0
    bound = (largest or 0.0) * max(1.0, rate or 1.0)
    return not (months > 0 and bound < LINE_MRR_LIMIT * (1 - LINE_MRR_SLACK) * months)
