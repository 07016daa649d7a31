"""The reports a dashboard shows, built by the same functions as the CLI's reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from revcli.data.validate import DataSet
from revcli.metrics.cohorts import CohortMetric, cohort_report
from revcli.metrics.options import report_options
from revcli.metrics.pipeline import pipeline_report
from revcli.metrics.report import mrr_report
from revcli.metrics.retention import nrr_report
from revcli.output.report import Report, rows
from revcli.renewals.report import RenewalQuery, renewals_report
from revcli.renewals.terms import parse_window
from revcli.risk.report import risk_report

RENEWAL_WINDOW = "90d"
"""The renewals shown: term ends from the as-of day up to 90 days ahead."""

TOP_RENEWALS = 25
"""The renewals listed and drawn: the 25 with the most ARR, so that the page and the job
summary stay small whatever the data's size; the totals count every renewal."""

TOP_RISKS = 10
"""The churn risks shown: the customers with the most ARR at risk."""

NRR_WINDOW = 12
"""Retention is measured over 12 months, as ``revcli nrr`` does by default."""


@dataclass(frozen=True)
class Tile:
    """A headline number: its label, its value as the CSV writes it, how it is shown."""

    key: str
    label: str
    value: Decimal | int | None
    kind: str  # "money", "count" or "ratio"
    note: str = ""


@dataclass(frozen=True)
class Dashboard:
    """Every report of the dashboard, and the tiles taken from their rows.

    Each report is the one ``revcli mrr|nrr|cohorts|renewals|pipeline|risk`` prints for
    the same arguments: ``mrr`` ``--from/--to``, ``nrr`` the same months (12-month
    window), ``cohorts`` the heat map of the cohorts of those months, ``renewals``
    ``--within 90d`` (only its :data:`TOP_RENEWALS` rows with the most ARR, with a note
    on the rest; its totals and notes count all), ``pipeline`` with no range,
    ``risk --top 10``; the last three as of ``as_of``.
    """

    as_of: dt.date
    first: dt.date
    last: dt.date
    currency: str
    mrr: Report
    nrr: Report
    cohorts: Report
    renewals: Report
    pipeline: Report
    risk: Report

    @property
    def tiles(self) -> list[Tile]:
        """MRR, ARR, customers, NRR, GRR and net new MRR of the last month, and its net
        change beside the month before's (values exactly as the CSV of ``mrr`` and ``nrr``
        writes them)."""
        months = rows(self.mrr)
        now: dict[str, Any] = months[-1] if months else {}
        before: dict[str, Any] = months[-2] if len(months) > 1 else {}
        retention = rows(self.nrr)
        kept: dict[str, Any] = retention[-1] if retention else {}
        month = now.get("month", f"{self.last:%Y-%m}")
        previous = before.get("month")
        return [
            Tile("mrr", f"MRR {month}", now.get("mrr"), "money"),
            Tile("arr", f"ARR {month}", now.get("arr"), "money"),
            Tile("customers", f"Customers {month}", now.get("customers"), "count"),
            Tile("nrr", f"NRR {month}", kept.get("nrr"), "ratio", f"{NRR_WINDOW}-month window"),
            Tile("grr", f"GRR {month}", kept.get("grr"), "ratio", f"{NRR_WINDOW}-month window"),
            Tile("net_new", f"Net new MRR {month}", now.get("net_new"), "money"),
            Tile("net_change", f"Net change {month}", now.get("net_change"), "money"),
            Tile(
                "net_change_before",
                f"Net change {previous or 'month before'}",
                before.get("net_change"),
                "money",
            ),
        ]


def build_dashboard(data: DataSet, as_of: dt.date, first: dt.date, last: dt.date) -> Dashboard:
    """The dashboard of a data set: the CLI's reports for months ``first`` … ``last``
    and the day ``as_of``."""
    return Dashboard(
        as_of=as_of,
        first=first,
        last=last,
        currency=data.settings.base_currency,
        mrr=mrr_report(data, first, last, as_of=as_of),
        nrr=nrr_report(data, first, last, NRR_WINDOW, as_of=as_of),
        cohorts=cohort_report(
            data,
            first,
            last,
            CohortMetric.REVENUE,
            pivot=True,
            min_customers=report_options(data.settings).cohort_min_customers,
            as_of=as_of,
        ),
        renewals=renewals_report(
            data,
            RenewalQuery(as_of=as_of, within=parse_window(RENEWAL_WINDOW)),
            top=TOP_RENEWALS,
        ),
        pipeline=pipeline_report(data, as_of, None, None, None),
        risk=risk_report(data, as_of, TOP_RISKS),
    )
