"""The ``revcli risk`` report: a data set's churn-risk table as a :class:`Report`."""

from __future__ import annotations

import datetime as dt

from revcli.data.validate import DataSet
from revcli.decimals import round_half_up
from revcli.errors import raise_if_errors
from revcli.metrics.mrr import Book, money_sum
from revcli.metrics.report import policy_label
from revcli.output.report import ColumnKind, Report
from revcli.renewals.terms import upcoming_renewals
from revcli.risk.scoring import RiskInputs, risk_table
from revcli.risk.settings import SIGNALS, RiskSettings, read_risk_settings
from revcli.risk.signals import parse_signals

RISK_KINDS: dict[str, ColumnKind] = {
    "mrr": ColumnKind.MONEY,
    "arr": ColumnKind.MONEY,
    "score": ColumnKind.COUNT,
    "arr_at_risk": ColumnKind.MONEY,
    **dict.fromkeys(SIGNALS, ColumnKind.COUNT),
}
_TABLE = ("customer_id", "customer_name", "arr", "score", "arr_at_risk", "reasons")
_LABELS = {
    "customer_id": "customer",
    "customer_name": "name",
    "arr": "ARR",
    "arr_at_risk": "ARR at risk",
}


def risk_inputs(data: DataSet, as_of: dt.date) -> RiskInputs:
    """Everything the score reads, from a validated data set: every contract's current
    term end on or after ``as_of`` (SPEC §6), so that a notice deadline inside the
    renewal window is found even when its term ends years later. The score reads no ARR
    of those renewals, so none is computed."""
    book = Book.of(data)
    signals, issues = parse_signals(data.extra, data.settings.base_currency)
    raise_if_errors(issues)
    return RiskInputs(
        book=book,
        customers=data.customers,
        opportunities=data.opportunities,
        signals=signals,
        renewals=upcoming_renewals(
            data.contracts, data.customers, book.schedule, as_of, None, with_arr=False
        ),
        base_currency=data.settings.base_currency,
    )


def risk_settings(data: DataSet) -> RiskSettings:
    """The ``risk:`` settings of a data set (already validated on load)."""
    rules, issues = read_risk_settings(data.settings)
    raise_if_errors(issues)
    return rules


def risk_report(data: DataSet, as_of: dt.date, top: int | None = None) -> Report:
    """Every customer active at ``as_of``, scored for churn risk, by ARR at risk."""
    rules = risk_settings(data)
    inputs = risk_inputs(data, as_of)
    table = risk_table(inputs, rules, as_of)
    scored = table.height
    at_risk = money_sum(table.get_column("arr_at_risk"))
    if top is not None:
        table = table.head(min(top, table.height))  # a top of 10**30 is every customer
    base = data.settings.base_currency
    weights = ", ".join(f"{name} {getattr(rules, name).weight}" for name in SIGNALS)
    notes = [
        f"Score = the sum of the weights of the signals that fired ({weights}), at most 100; "
        f"ARR at risk = score / 100 × ARR, in {base}.",
        f"{scored} active customer{'s' if scored != 1 else ''} (MRR > 0 in {as_of:%Y-%m})"
        + (f"; showing the top {table.height}." if top is not None and top < scored else "."),
    ]
    return Report(
        policy=policy_label(data.settings),
        title=f"Churn risk as of {as_of.isoformat()} ({base})",
        frame=table,
        kinds=RISK_KINDS,
        totals={
            "mrr": money_sum(table.get_column("mrr")),
            "arr": money_sum(table.get_column("arr")),
            "arr_at_risk": money_sum(table.get_column("arr_at_risk")),
        },
        notes=tuple(notes),
        meta={
            "currency": base,
            "as_of": as_of.isoformat(),
            "customers": scored,
            "total_arr_at_risk": round_half_up(at_risk, 2),
            "weights": {name: getattr(rules, name).weight for name in SIGNALS},
        },
        name="risk",
        table_columns=_TABLE,
        labels=_LABELS,
        priority=("customer_id", "customer_name", "arr_at_risk", "score", "reasons"),
    )
