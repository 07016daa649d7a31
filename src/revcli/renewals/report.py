"""The ``revcli renewals`` report: upcoming term ends of a data set as a :class:`Report`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from revcli.data.validate import DataSet
from revcli.decimals import round_half_up
from revcli.metrics.mrr import money_sum
from revcli.metrics.report import schedule_of
from revcli.output.report import ColumnKind, Report, group_digits
from revcli.renewals.terms import RENEWAL_COLUMNS, STATUSES, Window, upcoming_renewals

REPORT_COLUMNS = tuple(c for c in RENEWAL_COLUMNS if c != "notice_rule")
"""Machine-format columns: SPEC §9's, then the recorded decision."""

GROUPS = ("owner", "segment", "region")
"""What ``--by`` accepts."""

URGENT_DAYS = 14
"""A notice deadline this many days away or less stands out in the table."""

KINDS: dict[str, ColumnKind] = {
    "term_end": ColumnKind.DATE,
    "days_left": ColumnKind.COUNT,
    "notice_deadline": ColumnKind.DATE,
    "days_to_notice": ColumnKind.COUNT,
    "auto_renew": ColumnKind.BOOL,
    "arr": ColumnKind.MONEY,
    "renewal_decided_on": ColumnKind.DATE,
}

_TABLE = (
    "contract_id",
    "customer_name",
    "term_end",
    "days_left",
    "notice_deadline",
    "days_to_notice",
    "auto_renew",
    "arr",
    "owner",
    "status",
    "renewal_decision",
)
_PRIORITY = (
    "contract_id",
    "term_end",
    "notice_deadline",
    "status",
    "customer_name",
    "arr",
    "days_to_notice",
    "days_left",
)
"""What a narrow table keeps first: which contract, when notice is due, and its status."""

_LABELS = {
    "contract_id": "contract",
    "customer_name": "customer",
    "term_end": "term end",
    "days_left": "days",
    "notice_deadline": "notice by",
    "days_to_notice": "notice in",
    "auto_renew": "auto",
    "arr": "ARR",
    "renewal_decision": "decision",
}
_STYLES = {"locked-in": "dim", "cancelled": "dim strike"}
_URGENT_STYLE = "bold red"


@dataclass(frozen=True)
class RenewalQuery:
    """What ``revcli renewals`` asks for: a window from a day, and optional filters."""

    as_of: dt.date
    within: Window | None = None
    owner: str | None = None
    status: str | None = None
    by: str | None = None

    @property
    def until(self) -> dt.date | None:
        return None if self.within is None else self.within.end(self.as_of)


def upcoming_of(data: DataSet, as_of: dt.date) -> pl.DataFrame:
    """Every contract's current term end on or after ``as_of``
    (:func:`upcoming_renewals` without an upper bound). Computed once per run, it serves
    the report, the calendar and the ``--fail-on`` check alike."""
    return upcoming_renewals(data.contracts, data.customers, schedule_of(data), as_of, None)


def unknown_owner(data: DataSet, owner: str) -> str | None:
    """Why ``--owner`` names no one: ``None`` when a contract or customer of ``data`` has
    that owner (case-insensitively, as :func:`select_renewals` matches), else a message
    listing the owners there are. A typo must not give an empty report that looks like
    "nothing due" (or a ``--fail-on`` check that can never fail)."""
    wanted = owner.strip().lower()
    owners = pl.concat(
        [data.contracts.get_column("owner"), data.customers.get_column("owner")]
    ).drop_nulls()
    if owners.str.to_lowercase().eq(wanted).any():
        return None
    known = sorted(owners.unique().to_list())
    listed = ", ".join(known[:10]) + (f" and {len(known) - 10:,} more" if len(known) > 10 else "")
    return f"--owner: no contract or customer has the owner '{owner}'; " + (
        f"the owners are {listed}" if known else "no owner is set in the data"
    )


def select_renewals(
    data: DataSet, query: RenewalQuery, upcoming: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The :func:`upcoming_renewals` rows of ``data`` that ``query`` selects.

    ``upcoming``: :func:`upcoming_of` as of ``query.as_of`` when already computed.
    ``owner`` matches the row's owner case-insensitively; ``status`` one of
    :data:`STATUSES`; ``by`` (one of :data:`GROUPS`) adds a leading group column (empty
    when not set) and sorts by it first, then in SPEC §6 order.
    """
    until = query.until
    if upcoming is None:
        frame = upcoming_renewals(
            data.contracts, data.customers, schedule_of(data), query.as_of, until
        )
    else:
        frame = upcoming if until is None else upcoming.filter(pl.col("term_end") <= until)
    if query.owner is not None:
        frame = frame.filter(pl.col("owner").str.to_lowercase() == query.owner.strip().lower())
    if query.status is not None:
        frame = frame.filter(pl.col("status") == query.status)
    if query.by is None:
        return frame
    if query.by == "owner":
        group = pl.col("owner").fill_null("")
    else:
        attrs = data.customers.select("customer_id", pl.col(query.by).alias("_attr")).unique(
            "customer_id", keep="first"
        )
        frame = frame.join(attrs, on="customer_id", how="left", maintain_order="left")
        group = pl.col("_attr").fill_null("")
    return (
        frame.with_columns(group.alias("_group"))
        .sort("_group", maintain_order=True)
        .select(pl.col("_group").alias(query.by), pl.exclude("_group", "_attr", query.by))
    )


def urgent(days: int = URGENT_DAYS) -> pl.Expr:
    """Auto-renewing rows whose notice deadline is ``days`` away or less."""
    return (pl.col("status") == "auto-renews") & (pl.col("days_to_notice") <= days)


def arr_by_status(frame: pl.DataFrame) -> dict[str, Decimal | float | int]:
    """Unrounded ARR summed exactly per status, every status present (0 when none)."""
    arr = frame.get_column("arr")
    return {s: money_sum(arr.filter(frame.get_column("status") == s)) for s in STATUSES}


def _money(value: Decimal | float | int) -> str:
    return group_digits(round_half_up(value, 2))


def _command(query: RenewalQuery) -> str:
    """The ``revcli renewals`` command that lists every row of ``query``."""
    args = [f"--as-of {query.as_of:%Y-%m-%d}"]
    args += [f"--within {query.within}"] if query.within else []
    args += [f"--owner {query.owner}"] if query.owner else []
    args += [f"--status {query.status}"] if query.status else []
    args += [f"--by {query.by}"] if query.by else []
    return "revcli renewals " + " ".join(args)


def _left_out(frame: pl.DataFrame, rest: pl.DataFrame, query: RenewalQuery, base: str) -> str:
    """The note under a report of only the rows with the most ARR: what it leaves out."""
    shown = frame.height - rest.height
    return (
        f"… and {rest.height:,} more renewals worth ARR {_money(money_sum(rest['arr']))} "
        f"{base}: run `{_command(query)}` for all. Shown: the {shown} with the most ARR; "
        f"totals and ARR per status count all {frame.height:,}."
    )


def _top(frame: pl.DataFrame, top: int) -> pl.Series:
    """Which rows of ``frame`` are its ``top`` rows by ARR (ties: the earlier row; a row
    without ARR last)."""
    rank = frame.select(pl.col("arr").rank("ordinal", descending=True)).to_series()
    return rank.fill_null(frame.height + 1) <= top


def _notes(
    frame: pl.DataFrame, query: RenewalQuery, base: str, top: int | None = None
) -> list[str]:
    totals = arr_by_status(frame)
    notes = [
        f"ARR up for renewal ({base}): "
        + " · ".join(f"{s} {_money(v)}" for s, v in totals.items())
        + f"; total {_money(sum(totals.values()))}."
    ]
    if query.by is not None:
        per_group = frame.group_by(query.by).agg(pl.col("arr").sum()).sort(query.by)
        notes.append(
            f"ARR by {query.by}: "
            + " · ".join(f"{g or '(none)'} {_money(v)}" for g, v in per_group.iter_rows())
            + "."
        )
    soon = frame.filter(urgent()).sort("notice_deadline", "contract_id")
    if soon.height:
        listed = soon if top is None else soon.head(top)
        items = ", ".join(
            f"{c} ({d:%Y-%m-%d}" + (f", decided: {dec})" if dec else ")")
            for c, d, dec in listed.select(
                "contract_id", "notice_deadline", "renewal_decision"
            ).iter_rows()
        )
        if listed.height < soon.height:
            items += f" and {soon.height - listed.height:,} more"
        notes.append(f"Notice deadline within {URGENT_DAYS} days: {items}.")
    notes.append(f"ARR = 12 × the contract's MRR on its term end, in {base}.")
    return notes


def _row_styles(frame: pl.DataFrame) -> list[str]:
    style = (
        pl.when(urgent())
        .then(pl.lit(_URGENT_STYLE))
        .otherwise(pl.col("status").replace_strict(_STYLES, default=""))
    )
    return frame.select(style.alias("style")).get_column("style").to_list()


def renewals_report(
    data: DataSet,
    query: RenewalQuery,
    upcoming: pl.DataFrame | None = None,
    *,
    top: int | None = None,
) -> Report:
    """Contracts whose term ends within the window, SPEC §6 and §9 columns.

    Totals: ARR; notes: ARR per status (and per group with ``by``) and the contracts
    whose notice deadline is within :data:`URGENT_DAYS` days. ``upcoming``: as for
    :func:`select_renewals`. ``top``: only the ``top`` rows with the most ARR (in the
    report's order), at most ``top`` urgent contracts named, and a first note saying how
    many more renewals there are and their ARR; totals and notes still count every row.
    """
    frame = select_renewals(data, query, upcoming)
    base = data.settings.base_currency
    until = query.until
    span = f"{query.as_of:%Y-%m-%d} – {until:%Y-%m-%d}" if until else f"from {query.as_of}"
    filters = [f"owner {query.owner}"] if query.owner else []
    filters += [f"status {query.status}"] if query.status else []
    title = f"Renewals {span}" + (f" ({', '.join(filters)})" if filters else "")
    title += f" by {query.by}" if query.by else ""
    lead = [query.by] if query.by else []
    meta: dict[str, Any] = {
        "currency": base,
        "as_of": query.as_of.isoformat(),
        "within": str(query.within) if query.within else None,
        "until": until.isoformat() if until else None,
        "owner": query.owner,
        "status": query.status,
        "by": query.by,
        "arr_by_status": {s: round_half_up(v, 2) for s, v in arr_by_status(frame).items()},
    }
    notes = _notes(frame, query, base, top)
    if frame.is_empty():  # say why the table is empty (also on the dashboard: no options)
        which = f" ({', '.join(filters)})" if filters else ""
        notes.insert(0, f"No contract{which} has a term end in {span}.")
    shown = frame
    if top is not None and frame.height > top:
        kept = _top(frame, top)
        shown = frame.filter(kept)
        notes.insert(0, _left_out(frame, frame.filter(~kept), query, base))
        meta["left_out"] = frame.height - shown.height
    return Report(
        title=title,
        frame=shown.select(*lead, *(c for c in REPORT_COLUMNS if c not in lead)),
        kinds=KINDS,
        totals={"arr": money_sum(frame.get_column("arr"))},
        notes=notes,
        meta=meta,
        name="renewals",
        table_columns=[*lead, *(c for c in _TABLE if c not in lead)],
        labels=_LABELS,
        row_styles=_row_styles(shown),
        priority=[*lead, *(c for c in _PRIORITY if c not in lead)],
    )
