"""Baremetrics' subscription CSV (its bulk-import format) as revcli records (SPEC §11)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import polars as pl

from revcli.errors import Issue, Severity
from revcli.importers.records import Batch, Contract, Row, source_id
from revcli.importers.values import minor_to_text, parse_day, period_of
from revcli.schema import LINE, SOURCE, currency_codes, minor_units

SOURCE_NAME = "baremetrics"
COLUMNS = (
    "plan_oid",
    "plan_name",
    "plan_currency",
    "plan_amount",
    "plan_interval",
    "plan_interval_count",
    "customer_oid",
    "customer_name",
    "customer_email",
    "subscription_oid",
    "subscription_started_at",
    "subscription_canceled_at",
    "subscription_quantity",
)
REQUIRED = (
    "plan_currency",
    "plan_amount",
    "plan_interval",
    "customer_oid",
    "subscription_oid",
    "subscription_started_at",
)
MAPPED = {
    "customers": frozenset({"customer_id", "name", "billing_email", "source_id"}),
    "contracts": frozenset(
        {
            "contract_id",
            "customer_id",
            "start_date",
            "cancelled_on",
            "currency",
            "billing_period",
            "source_id",
        }
    ),
    "lines": frozenset(
        {"line_id", "product", "quantity", "unit_price", "price_period", "source_id"}
    ),
}
_INT = re.compile(r"^[0-9]{1,15}$")
_QUANTITY = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,10})?$")


def _header_issues(columns: list[str], source: str) -> list[Issue]:
    return [
        Issue(source, 1, name, "required column is missing from the header")
        for name in REQUIRED
        if name not in columns
    ]


class _Row:
    """One CSV row being mapped; collects the problems of its cells."""

    def __init__(self, values: dict[str, str | None], source: str, line: int) -> None:
        self.values = values
        self.source = source
        self.line = line
        self.issues: list[Issue] = []
        self.no_service: str | None = None  # why a subscription had no day of service

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def bad(self, column: str, message: str) -> None:
        self.issues.append(Issue(self.source, self.line, column, message))

    def required(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            self.bad(name, "is required")
            return ""
        return value

    def day(self, name: str) -> dt.date | None:
        value = self.get(name)
        if value is None:
            return None
        day = parse_day(value)
        if day is None:
            self.bad(name, f"'{value}' is not a date from 1900 to 2199; expected YYYY-MM-DD")
        return day


def _contract(row: _Row) -> tuple[Row, Contract] | None:
    sub = row.required("subscription_oid")
    cust = row.required("customer_oid")
    currency = row.required("plan_currency").upper()
    if currency and currency not in currency_codes():
        row.bad("plan_currency", f"'{currency}' is not an ISO 4217 currency code")
    amount = row.required("plan_amount")
    if amount and not _INT.match(amount):
        row.bad("plan_amount", f"'{amount}' is not a whole number of minor units (cents)")
    interval = row.required("plan_interval").lower()
    count_text = row.get("plan_interval_count") or "1"
    count = int(count_text) if _INT.match(count_text) else 0
    period = period_of(interval, count)
    if interval and period is None:
        row.bad(
            "plan_interval",
            f"{interval} × {count_text} cannot be expressed; revcli takes month × 1, 3, 6 "
            "or 12 and year × 1",
        )
    quantity = row.get("subscription_quantity") or "1"
    if not _QUANTITY.match(quantity):
        row.bad("subscription_quantity", f"'{quantity}' is not a number of at least 0")
    product = row.get("plan_name") or row.get("plan_oid")
    if product is None:
        row.bad("plan_name", "is required (or plan_oid)")
    start = row.day("subscription_started_at") if row.get("subscription_started_at") else None
    if row.get("subscription_started_at") is None:
        row.required("subscription_started_at")
    ended = row.day("subscription_canceled_at")
    if row.issues or start is None or period is None or product is None:
        return None
    customer: Row = {
        "customer_id": cust,
        "name": row.get("customer_name") or row.get("customer_email") or cust,
        "source_id": source_id(SOURCE_NAME, cust),
    }
    if row.get("customer_email"):
        customer["billing_email"] = row.get("customer_email") or ""
    values: Row = {
        "contract_id": sub,
        "customer_id": cust,
        "start_date": start.isoformat(),
        "currency": currency,
        "billing_period": period,
        "source_id": source_id(SOURCE_NAME, sub),
        "_source": row.source,
        "_line": str(row.line),
    }
    if ended is not None:
        # The subscription has no service on the day it ends.
        last = ended - dt.timedelta(days=1)
        if last < start:
            row.issues.append(
                Issue(
                    row.source,
                    row.line,
                    "subscription_canceled_at",
                    f"ended on {ended} before any day of service (started {start}); skipped",
                    Severity.WARNING,
                )
            )
            row.no_service = f"ended on {ended}, before any day of service (started {start})"
            return None
        values["cancelled_on"] = last.isoformat()
    line: Row = {
        "line_id": sub,
        "product": product,
        "quantity": quantity,
        "unit_price": minor_to_text(Decimal(amount), minor_units(currency)),
        "price_period": period,
        "source_id": source_id(SOURCE_NAME, sub),
    }
    return customer, Contract(values, [line])


def import_baremetrics(raw: pl.DataFrame, source: str) -> Batch:
    """Map a Baremetrics subscription CSV ``source``, read as strings, to a :class:`Batch`.

    In: the frame :func:`revcli.data.csvio.read_csv` returns (every cell a string or
    null, with ``_source`` and ``_line``). One contract per row with one line, both keyed
    by ``subscription_oid``; one customer per ``customer_oid`` (the first row's values,
    a later row that differs is a warning). Problems are ``FILE:ROW: column`` issues; the
    header needs the required columns even when no row follows.
    """
    batch = Batch(SOURCE_NAME, mapped=dict(MAPPED))
    if raw.height == 0 and LINE not in raw.columns:
        return batch
    columns = [c for c in raw.columns if c not in (SOURCE, LINE)]
    batch.issues += _header_issues(columns, source)
    if batch.issues:
        return batch
    batch.covers = frozenset({"customers", "contracts"})
    customers: dict[str, tuple[Row, int]] = {}
    subscriptions: dict[str, int] = {}
    for values in raw.iter_rows(named=True):
        row = _Row(values, str(values[SOURCE]), int(values[LINE]))
        mapped = _contract(row)
        batch.issues += row.issues
        if row.no_service is not None:
            batch.no_service[source_id(SOURCE_NAME, row.required("subscription_oid"))] = (
                row.no_service
            )
        if mapped is None:
            continue
        customer, contract = mapped
        sub = contract.values["contract_id"]
        if sub in subscriptions:
            batch.issues.append(
                Issue(
                    row.source,
                    row.line,
                    "subscription_oid",
                    f"'{sub}' appears twice; first at line {subscriptions[sub]}",
                )
            )
            continue
        subscriptions[sub] = row.line
        first = customers.get(customer["customer_id"])
        if first is None:
            customers[customer["customer_id"]] = (customer, row.line)
        elif first[0] != customer:
            batch.issues.append(
                Issue(
                    row.source,
                    row.line,
                    "customer_name",
                    f"customer '{customer['customer_id']}' differs from line {first[1]}; "
                    "the first row's name and e-mail are used",
                    Severity.WARNING,
                )
            )
        batch.contracts.append(contract)
    batch.customers = [c for c, _ in sorted(customers.values(), key=lambda c: c[0]["customer_id"])]
    return batch
