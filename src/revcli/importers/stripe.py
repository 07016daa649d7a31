"""Stripe API objects (customers, subscriptions) as revcli records (SPEC §11).

Accepts the shapes of several API versions: ``current_period_end`` on the subscription
or on its items (2025-03-31.basil moved it), a discount's coupon as ``discount.coupon``
or ``discount.source.coupon`` (2025-09-30.clover), expanded objects in ``discounts``,
and the legacy ``plan`` of an item. What revcli's model cannot express is reported per
object (id and field) and skipped, never dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from revcli.errors import Issue, Severity
from revcli.importers.records import Batch, Contract, Row, source_id
from revcli.importers.stripe_objects import SOURCE_NAME, At, Ctx, StripeObject, stripped_text
from revcli.importers.stripe_prices import discounts_of, item_line
from revcli.schema import currency_codes

UNPAID = frozenset({"past_due", "unpaid", "paused"})
"""Statuses imported as running; a ``cancelled_on`` set by hand is kept for them."""

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
        {
            "line_id",
            "product",
            "quantity",
            "unit_price",
            "price_period",
            "discount_pct",
            "source_id",
        }
    ),
}


def _id(obj: StripeObject, index: int, ctx: Ctx) -> str | None:
    oid = stripped_text(obj.data.get("id"))
    if oid is None:
        At(ctx, obj, f"{obj.data.get('object')}[{index}]").error("id", "is required")
    return oid


def _customer(obj: StripeObject, oid: str) -> Row:
    data = obj.data
    row: Row = {
        "customer_id": oid,
        "name": stripped_text(data.get("name")) or stripped_text(data.get("description")) or oid,
        "source_id": source_id(SOURCE_NAME, oid),
    }
    email = stripped_text(data.get("email"))
    if email:
        row["billing_email"] = email
    address = data.get("address")
    country = stripped_text(address.get("country")) if isinstance(address, dict) else None
    if country:
        row["country"] = country.upper()
    return row


def _period_end(data: Mapping[str, Any], items: list[Any]) -> Any:
    """``current_period_end`` of the subscription, or (API ≥ 2025-03-31) of its items."""
    if data.get("current_period_end") is not None:
        return data["current_period_end"]
    ends = [i.get("current_period_end") for i in items if isinstance(i, dict)]
    numbers = [e for e in ends if isinstance(e, int) and not isinstance(e, bool)]
    return max(numbers) if numbers else None


def _last_day(data: Mapping[str, Any], items: list[Any], at: At) -> tuple[bool, dt.date | None]:
    """The last day of service: the day before ``ended_at``, else before ``cancel_at``,
    else (with ``cancel_at_period_end``) before the current period's end. Returns
    (ok, day); ``canceled_at`` — when the cancellation was asked for — is not used."""
    for name in ("ended_at", "cancel_at"):
        if data.get(name) is not None:
            day = at.ctx.day(data.get(name))
            if day is None:
                at.error(name, "is not a Unix timestamp")
                return False, None
            return True, day - dt.timedelta(days=1)
    if data.get("cancel_at_period_end") is True:
        end = at.ctx.day(_period_end(data, items))
        if end is None:
            at.error(
                "current_period_end",
                "is required with cancel_at_period_end (on the subscription or its items)",
            )
            return False, None
        return True, end - dt.timedelta(days=1)
    return True, None


def _first_day(data: Mapping[str, Any], at: At) -> dt.date | None:
    """``start_date``, or the day the trial ended when a trial ran."""
    start = at.ctx.day(data.get("start_date"))
    if start is None:
        at.error("start_date", "is required: a Unix timestamp")
        return None
    if data.get("trial_end") is None:
        return start
    trial_end = at.ctx.day(data.get("trial_end"))
    if trial_end is None:
        at.error("trial_end", "is not a Unix timestamp")
        return None
    return max(start, trial_end)


def _header(data: Mapping[str, Any], at: At) -> tuple[str, str, list[Any]] | None:
    """Customer id, currency and items of a subscription, or ``None`` (reported)."""
    customer = data.get("customer")
    cid = stripped_text(customer.get("id") if isinstance(customer, dict) else customer)
    if cid is None:
        at.error("customer", "is required")
    currency = (stripped_text(data.get("currency")) or "").upper()
    if currency not in currency_codes():
        at.error("currency", f"'{data.get('currency')}' is not an ISO 4217 code")
    items_obj = data.get("items")
    items = items_obj.get("data") if isinstance(items_obj, dict) else items_obj
    if not isinstance(items, list):
        at.error("items.data", "is required: the subscription's items")
    elif isinstance(items_obj, dict) and items_obj.get("has_more") is True:
        # Stripe lists a subscription's first items only: the rest would be left out of its
        # MRR without a word.
        at.error(
            "items.has_more",
            f"the subscription lists {len(items)} of its items and says it has more; save it "
            "with every item (Stripe's subscription items, listed in full)",
        )
        items = None
    if cid is None or currency not in currency_codes() or not isinstance(items, list):
        return None
    return cid, currency, items


def _subscription(at: At) -> Contract | None:
    data = at.obj.data
    status = data.get("status")
    if status in ("incomplete", "incomplete_expired"):
        at.skip("status", f"an {status} subscription never started; skipped")
        return None
    header = _header(data, at)
    start = _first_day(data, at)
    ok, last = _last_day(data, header[2] if header else [], at)
    if header is None or start is None or not ok:
        return None
    if status == "canceled" and last is None:
        at.error("ended_at", "is required for a canceled subscription (a Unix timestamp)")
        return None
    cid, currency, items = header
    sub_discounts = discounts_of(data, "", at)
    lines = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            at.error(f"items.data[{i}]", "is not a subscription item")
        elif (line := item_line(item, f"items.data[{i}]", currency, at, sub_discounts)) is not None:
            lines.append(line)
    if not lines:
        at.skip("items.data", "no item revcli can express; the subscription is skipped")
        return None
    if last is not None and last < start:
        at.skip(
            "ended_at" if data.get("ended_at") else "cancel_at",
            f"ended before its first paid day ({start}); skipped",
        )
        at.ctx.no_service[source_id(SOURCE_NAME, at.oid)] = (
            f"ended on {last + dt.timedelta(days=1)}, before its first paid day ({start})"
        )
        return None
    order = ["month", "quarter", "half-year", "year"]
    values: Row = {
        "contract_id": at.oid,
        "customer_id": cid,
        "start_date": start.isoformat(),
        "currency": currency,
        "billing_period": min((x["price_period"] for x in lines), key=order.index),
        "source_id": source_id(SOURCE_NAME, at.oid),
        "_source": at.obj.source,
        "_column": f"{at.oid}: customer",
    }
    if last is not None:
        values["cancelled_on"] = last.isoformat()
    # revcli keeps no payment state: whether an unpaid subscription has stopped for good
    # is a person's call, written as cancelled_on by hand, and a re-import keeps it.
    keeps = frozenset({"cancelled_on"}) if last is None and status in UNPAID else frozenset()
    return Contract(values, lines, keeps)


def _embedded_customer(obj: StripeObject) -> Row | None:
    customer = obj.data.get("customer")
    if isinstance(customer, dict) and stripped_text(customer.get("id")):
        return _customer(StripeObject(customer, obj.source), str(stripped_text(customer.get("id"))))
    return None


def _ignored(objs: list[StripeObject]) -> list[Issue]:
    counts: dict[tuple[str, str], int] = {}
    for obj in objs:
        kind = str(obj.data.get("object"))
        if kind not in ("customer", "subscription", "product"):
            counts[(obj.source, kind)] = counts.get((obj.source, kind), 0) + 1
    return [
        Issue(
            source,
            None,
            "object",
            f"{count} '{kind}' object(s) ignored; revcli imports customers, subscriptions "
            "and products",
            Severity.WARNING,
        )
        for (source, kind), count in sorted(counts.items())
    ]


def import_stripe(objects: Iterable[StripeObject], tz: dt.tzinfo | None = None) -> Batch:
    """Map Stripe customers and subscriptions to a :class:`Batch` (SPEC §11).

    Timestamps become days in ``tz`` (UTC by default). Products in the input (or
    expanded on a price) give lines their product name; otherwise the product id is
    the product. Other object types are ignored with a warning.
    """
    ctx = Ctx(tz or ZoneInfo("UTC"))
    objs = list(objects)
    for obj in objs:
        pid, name = stripped_text(obj.data.get("id")), stripped_text(obj.data.get("name"))
        if obj.data.get("object") == "product" and pid and name:
            ctx.products[pid] = name
    customers: dict[str, Row] = {}
    contracts: dict[str, Contract] = {}
    for index, obj in enumerate(objs):
        kind = obj.data.get("object")
        oid = _id(obj, index, ctx) if kind in ("customer", "subscription") else None
        if oid is None:
            continue
        at = At(ctx, obj, oid)
        if kind == "customer":
            if obj.data.get("deleted") is not True:
                customers[oid] = _customer(obj, oid)
        elif oid in contracts:
            at.error("id", "the subscription appears twice")
        elif (contract := _subscription(at)) is not None:
            contracts[oid] = contract
            embedded = _embedded_customer(obj)
            if embedded is not None:
                customers.setdefault(embedded["customer_id"], embedded)
    ctx.issues += _ignored(objs)
    kinds = {obj.data.get("object") for obj in objs}
    return Batch(
        SOURCE_NAME,
        customers=[customers[k] for k in sorted(customers)],
        contracts=[contracts[k] for k in sorted(contracts)],
        mapped=dict(MAPPED),
        issues=ctx.issues,
        # Customers and subscriptions are saved (and fetched) as separate lists: an input
        # holds a table in full only when it holds objects of its kind.
        covers=frozenset(
            table
            for table, kind in (("customers", "customer"), ("contracts", "subscription"))
            if kind in kinds
        ),
        no_service=ctx.no_service,
    )
