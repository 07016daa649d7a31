"""The churn-risk signal files (usage, tickets, payments): their columns and validation."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from revcli.errors import Issue, Severity
from revcli.parsing import parse_table
from revcli.risk.settings import read_risk_settings
from revcli.rowchecks import RowCheck, any_repeated, frame_issues, row_issues
from revcli.schema import LINE, SOURCE, Column, Kind, TableSpec, missing_required, unknown_columns
from revcli.settings import Settings

SEVERITIES = ("low", "normal", "high", "urgent")

USAGE = TableSpec(
    "usage",
    (
        Column("customer_id", required=True),
        Column("month", Kind.MONTH, required=True),
        Column("metric"),
        Column("value", Kind.DECIMAL, required=True, minimum=0),
    ),
)

TICKETS = TableSpec(
    "tickets",
    (
        Column("ticket_id"),
        Column("customer_id", required=True),
        Column("opened_on", Kind.DATE, required=True),
        Column("severity", Kind.ENUM, choices=SEVERITIES),
        Column("subject"),
    ),
)

PAYMENTS = TableSpec(
    "payments",
    (
        Column("invoice_number", required=True),
        Column("customer_id", required=True),
        Column("due_date", Kind.DATE, required=True),
        Column("paid_on", Kind.DATE),
        Column("amount", Kind.DECIMAL, minimum=0),
        Column("currency", Kind.CURRENCY),
    ),
)

SPECS = {"usage": USAGE, "tickets": TICKETS, "payments": PAYMENTS}
"""Signal tables by the name of their file (``usage.csv``, …)."""

DEFAULT_METRIC = "usage"


@dataclass(frozen=True)
class Signals:
    """Typed signal tables with defaults applied; ``None`` where the file is absent.

    ``usage``: customer_id, month (first day), metric, value (Decimal).
    ``tickets``: ticket_id, customer_id, opened_on, severity, subject.
    ``payments``: invoice_number, customer_id, due_date, paid_on, amount, currency.
    Every frame keeps ``_source`` and ``_line``.
    """

    usage: pl.DataFrame | None = None
    tickets: pl.DataFrame | None = None
    payments: pl.DataFrame | None = None


def _typed(name: str, raw: pl.DataFrame, base_currency: str) -> tuple[pl.DataFrame, list[Issue]]:
    spec = SPECS[name]
    source = str(raw.get_column(SOURCE)[0]) if raw.height else name
    columns = [c for c in raw.columns if c not in (SOURCE, LINE)]
    missing = missing_required(columns, spec, source)
    issues = unknown_columns(columns, spec, source) + missing
    frame, more = parse_table(raw, spec, [(source, i.column) for i in missing])
    issues += more
    match name:
        case "usage":
            frame = frame.with_columns(pl.col("metric").fill_null(DEFAULT_METRIC))
        case "tickets":
            frame = frame.with_columns(pl.col("severity").fill_null("normal"))
        case _:
            frame = frame.with_columns(pl.col("currency").fill_null(base_currency))
    return frame, issues


def parse_signals(
    extra: dict[str, pl.DataFrame], base_currency: str
) -> tuple[Signals, list[Issue]]:
    """Type the signal files present in ``extra`` (raw string frames by table name)."""
    typed: dict[str, pl.DataFrame] = {}
    issues: list[Issue] = []
    for name in SPECS:
        if name in extra:
            typed[name], more = _typed(name, extra[name], base_currency)
            issues += more
    return Signals(**typed), issues


def _duplicates(frame: pl.DataFrame, keys: list[str], column: str, what: str) -> list[Issue]:
    if not any_repeated(frame, keys):
        return []
    where = pl.col(SOURCE) + ":" + pl.col(LINE).cast(pl.String)
    ranked = frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys)).with_columns(
        _first=where.first().over(keys, order_by=LINE),
        _rank=pl.int_range(pl.len()).over(keys, order_by=LINE),
    )
    parts = [pl.col(k).dt.strftime("%Y-%m") if k == "month" else pl.col(k) for k in keys]
    label = pl.concat_str(parts, separator="/")
    return frame_issues(
        ranked,
        pl.col("_rank") > 0,
        column,
        pl.lit(f"{what} '") + label + "' appears twice; first at " + pl.col("_first"),
    )


def _unknown_customers(frame: pl.DataFrame, known: pl.Series) -> list[Issue]:
    unknown = RowCheck(
        pl.col("customer_id").is_not_null() & ~pl.col("customer_id").is_in(known.implode()),
        "customer_id",
        pl.lit("customer '")
        + pl.col("customer_id")
        + "' is not in the customers file; the row is ignored",
        Severity.WARNING,
    )
    return row_issues(frame, [unknown])


def signal_issues(
    extra: dict[str, pl.DataFrame], customers: pl.DataFrame, settings: Settings
) -> list[Issue]:
    """Every problem in the signal files and in the ``risk:`` settings.

    Errors: a missing required column or value, a value that does not parse (month,
    date, number, severity, currency), a negative ``value`` or ``amount``, a repeated
    (customer_id, month, metric) in usage, a repeated ``invoice_number`` or
    ``ticket_id``. Warnings: an unknown column, a ``customer_id`` that is not a
    customer (such rows are ignored: usage and ticket exports often hold trial
    accounts), and unknown keys under ``risk:``.
    """
    signals, issues = parse_signals(extra, settings.base_currency)
    known = customers.get_column("customer_id").drop_nulls()
    if signals.usage is not None:
        issues += _duplicates(
            signals.usage, ["customer_id", "month", "metric"], "month", "usage of"
        )
        issues += _unknown_customers(signals.usage, known)
    if signals.tickets is not None:
        issues += _duplicates(signals.tickets, ["ticket_id"], "ticket_id", "ticket_id")
        issues += _unknown_customers(signals.tickets, known)
    if signals.payments is not None:
        issues += _duplicates(
            signals.payments, ["invoice_number"], "invoice_number", "invoice_number"
        )
        issues += _unknown_customers(signals.payments, known)
    issues += read_risk_settings(settings)[1]
    return issues
