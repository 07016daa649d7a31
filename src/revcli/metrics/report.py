"""The ``revcli mrr`` report: the MRR table of a data set as a :class:`Report`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from revcli.calendar import shift_month
from revcli.data.validate import DataSet
from revcli.metrics.mrr import MOVEMENTS, Book, money_sum
from revcli.output.report import ColumnKind, PolicyLabel, Report, Trend
from revcli.settings import Settings

MRR_KINDS: dict[str, ColumnKind] = {
    "month": ColumnKind.MONTH,
    "mrr": ColumnKind.MONEY,
    "arr": ColumnKind.MONEY,
    "customers": ColumnKind.COUNT,
    **dict.fromkeys(MOVEMENTS, ColumnKind.SIGNED_MONEY),
    "fx": ColumnKind.SIGNED_MONEY,
    "uplift": ColumnKind.SIGNED_MONEY,
    "contraction": ColumnKind.SIGNED_MONEY,
    "net_change": ColumnKind.SIGNED_MONEY,
    "net_new": ColumnKind.SIGNED_MONEY,
    "growth_pct": ColumnKind.PERCENT,
    "new_customers": ColumnKind.COUNT,
    "churned_customers": ColumnKind.COUNT,
    "reactivated_customers": ColumnKind.COUNT,
    "arpa": ColumnKind.MONEY,
}

_FLOWS = (
    *MOVEMENTS,
    "uplift",
    "contraction",
    "net_change",
    "net_new",
    "new_customers",
    "churned_customers",
    "reactivated_customers",
)


_TABLE = (
    "month",
    "mrr",
    "arr",
    "customers",
    *MOVEMENTS,
    "net_change",
    "growth_pct",
)
_PRIORITY = (
    "month",
    "mrr",
    "net_change",
    "arr",
    "customers",
    "growth_pct",
    "new",
    "churn",
    "expansion",
    "downgrade",
    "cancellation",
    "upgrade",
    "reactivation",
)
"""What a narrow table keeps first: the month's MRR and its change, then the movements."""

_LABELS = {
    "mrr": "MRR",
    "arr": "ARR",
    "customers": "cust.",
    "expansion": "expans.",
    "reactivation": "reactiv.",
    "downgrade": "downgr.",
    "cancellation": "cancel.",
    "net_change": "net change",
    "growth_pct": "growth",
}


def schedule_of(data: DataSet) -> pl.DataFrame:
    """The recurring-line schedule of a data set, booked at each contract's start rate
    (its :class:`Book`'s, computed once)."""
    return Book.of(data).schedule


def _table_columns(table: pl.DataFrame) -> list[str]:
    columns = list(_TABLE)
    if "fx" in table.columns:  # fx: month_end — the currency effect, after the movements
        columns.insert(columns.index("churn") + 1, "fx")
    return columns


def policy_label(settings: Settings) -> PolicyLabel:
    """The metric policy of ``revcli.yaml`` as reports show it."""
    return PolicyLabel(settings.metrics.name, settings.metrics.version)


def _totals(table: pl.DataFrame) -> dict[str, Any]:
    """The Totals row of an ungrouped ``mrr`` table: flows summed over the period; stocks
    (MRR, ARR, customers, ARPA) as at its last month; growth over the whole period. Money
    is summed as exact decimals (each cell is the float nearest its exact value)."""
    flows = [*_FLOWS, *(["fx"] if "fx" in table.columns else [])]

    def total(frame: pl.DataFrame, column: str) -> Any:
        return money_sum(frame.get_column(column))

    totals: dict[str, Any] = {c: total(table, c) for c in flows}
    last = table.filter(pl.col("month") == pl.col("month").max())
    totals["mrr"] = total(last, "mrr")
    totals["arr"] = total(last, "arr")
    if table.height:
        opening = total(table.head(1), "mrr") - total(table.head(1), "net_change")
        totals["customers"] = last.get_column("customers").sum()
        totals["arpa"] = last.get_column("arpa")[0]
        if opening:
            totals["growth_pct"] = 100 * (totals["mrr"] - opening) / opening
    return totals


def mrr_trend(table: pl.DataFrame) -> Trend:
    """The total MRR of each month of an ``mrr`` table (summed over groups with ``--by``)."""
    per_month = table.group_by("month").agg(pl.col("mrr").sum()).sort("month")
    return Trend(
        label="MRR",
        months=[f"{m:%Y-%m}" for m in per_month.get_column("month").to_list()],
        values=per_month.get_column("mrr").to_list(),
    )


def mrr_frame(data: DataSet, first: dt.date, last: dt.date, by: str | None = None) -> pl.DataFrame:
    """The unrounded ``revcli mrr`` table of a data set under its metric policy."""
    return Book.of(data).mrr_table(first, last, by)


def unfinished(first: dt.date, last: dt.date, as_of: dt.date | None) -> tuple[dict[str, Any], str]:
    """Whether the months ``first`` … ``last`` reach past the as-of day: JSON meta
    (``as_of``, ``partial``, ``partial_month``) and the footnote a table prints ("" when
    every month shown has ended).

    A month's figures are taken at its last day; until that day has come they count the
    contracts known on the as-of day and can still change. The running month (the one
    holding ``as_of``, unless ``as_of`` is its last day) is marked; later months are
    named as the contracts known today.
    """
    if as_of is None:
        return {}, ""
    running = as_of.replace(day=1)
    ended = shift_month(running, 1) - dt.timedelta(days=1) == as_of
    first_open = shift_month(running, 1) if ended else running
    meta: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "partial": last >= first_open,
        "partial_month": f"{first_open:%Y-%m}" if last >= first_open else None,
    }
    if last < first_open:
        return meta, ""
    shown = max(first_open, first)
    if shown == running:
        note = (
            f"{running:%Y-%m} is not over: its figures are as of {as_of.isoformat()} (the "
            "contracts known today, taken at the month's end) and can still change."
        )
        if last > running:
            note += " Later months: the contracts known today, run forward."
    else:
        note = (
            f"Months from {shown:%Y-%m} have not begun: the contracts known on "
            f"{as_of.isoformat()}, run forward."
        )
    return meta, note


def mrr_report(
    data: DataSet,
    first: dt.date,
    last: dt.date,
    by: str | None = None,
    *,
    as_of: dt.date | None = None,
) -> Report:
    """MRR, ARR and every movement per month from ``first`` to ``last`` (SPEC §4, §9);
    months not over on ``as_of`` are marked (:func:`unfinished`)."""
    table = mrr_frame(data, first, last, by)
    # The Totals row is the data set's as a whole: with --by product a customer with two
    # products is one customer, and one new customer, not two (docs/rules.md).
    whole = table if by is None else mrr_frame(data, first, last)
    span = first.strftime("%Y-%m") if first == last else f"{first:%Y-%m} – {last:%Y-%m}"
    base = data.settings.base_currency
    title = f"MRR {span} ({base})" + (f" by {by}" if by else "")
    status, footnote = unfinished(first, last, as_of)
    return Report(
        title=title,
        frame=table,
        kinds=MRR_KINDS,
        totals=_totals(whole),
        notes=(
            f"Money in {base}; ARR = 12 × MRR; movements are signed.",
            *([footnote] if footnote else []),
        ),
        meta={
            "currency": base,
            "from": f"{first:%Y-%m}",
            "to": f"{last:%Y-%m}",
            "by": by,
            **status,
        },
        name="mrr",
        table_columns=[*([by] if by else []), *_table_columns(table)],
        labels=_LABELS,
        priority=[*([by] if by else []), *_PRIORITY],
        trend=mrr_trend(table),
        policy=policy_label(data.settings),
    )
