"""Stripe API objects (customers, subscriptions) as revcli records (SPEC §11).

Accepts the shapes of several API versions: ``current_period_end`` on the subscription
or on its items (2025-03-31.basil moved it), a discount's coupon as ``discount.coupon``
or ``discount.source.coupon`` (2025-09-30.clover), expanded objects in ``discounts``,
and the legacy ``plan`` of an item. What revcli's model cannot express is reported per
object (id and field) and skipped, never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from revcli.errors import Issue, Severity
from revcli.importers.records import Batch, Contract, Row, source_id
from revcli.importers.values import decimal_text, period_of, shift
from revcli.schema import currency_codes

SOURCE_NAME = "stripe"

# Stripe's own minor units (docs.stripe.com/currencies), which differ from ISO 4217:
# zero-decimal currencies, and three-decimal ones; every other currency has two
# (ISK, HUF and TWD included, which the API sends as two-decimal amounts).
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
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


def stripe_digits(currency: str) -> int:
    """Digits of Stripe's minor unit for ``currency`` (upper case)."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


@dataclass
class StripeObject:
    """One API object and the file it came from."""

    data: Mapping[str, Any]
    source: str


@dataclass
class _Ctx:
    """Problems found while mapping, and the product names the input carries."""

    tz: dt.tzinfo
    products: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def day(self, value: Any) -> dt.date | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        try:
            return dt.datetime.fromtimestamp(value, self.tz).date()
        except (OverflowError, OSError, ValueError):
            return None


@dataclass
class _At:
    """Reports about one object: ``FILE: id: field: message``."""

    ctx: _Ctx
    obj: StripeObject
    oid: str

    def error(self, where: str, message: str) -> None:
        self.ctx.issues.append(Issue(self.obj.source, None, f"{self.oid}: {where}", message))

    def skip(self, where: str, message: str) -> None:
        self.ctx.issues.append(
            Issue(self.obj.source, None, f"{self.oid}: {where}", message, Severity.WARNING)
        )


def objects_of(document: Any, source: str) -> tuple[list[StripeObject], list[Issue]]:
    """The objects of one saved JSON document: a list object, an array, or one object."""
    if isinstance(document, dict) and document.get("object") in ("list", "search_result"):
        document = document.get("data")
    elif isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        return [], [Issue(source, None, "data", "expected a list of Stripe objects")]
    out, issues = [], []
    for i, item in enumerate(document):
        if not isinstance(item, dict) or not isinstance(item.get("object"), str):
            issues.append(Issue(source, None, f"data[{i}]", "is not a Stripe object"))
        else:
            out.append(StripeObject(item, source))
    return out, issues


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _id(obj: StripeObject, index: int, ctx: _Ctx) -> str | None:
    oid = _text(obj.data.get("id"))
    if oid is None:
        _At(ctx, obj, f"{obj.data.get('object')}[{index}]").error("id", "is required")
    return oid


def _customer(obj: StripeObject, oid: str) -> Row:
    data = obj.data
    row: Row = {
        "customer_id": oid,
        "name": _text(data.get("name")) or _text(data.get("description")) or oid,
        "source_id": source_id(SOURCE_NAME, oid),
    }
    email = _text(data.get("email"))
    if email:
        row["billing_email"] = email
    address = data.get("address")
    country = _text(address.get("country")) if isinstance(address, dict) else None
    if country:
        row["country"] = country.upper()
    return row


def _coupon(discount: Mapping[str, Any]) -> Any:
    coupon = discount.get("coupon")
    if coupon is None and isinstance(discount.get("source"), dict):
        coupon = discount["source"].get("coupon")
    return coupon


def _found_discounts(holder: Mapping[str, Any], where: str, at: _At) -> list[tuple[str, Any]]:
    """Expanded discounts of a subscription or item: the singular ``discount`` (API
    before 2025-03-31) and the objects in ``discounts``; ids that are not expanded are
    reported."""
    found: list[tuple[str, Any]] = []
    if isinstance(holder.get("discount"), dict):
        found.append((f"{where}discount", holder["discount"]))
    expanded = {d.get("id") for _, d in found}
    discounts = holder.get("discounts")
    if discounts is not None and not isinstance(discounts, list):
        at.skip(f"{where}discounts", f"{_json(discounts)} is not a list of discounts; skipped")
        return found
    for i, d in enumerate(discounts or []):
        if isinstance(d, dict) and (d.get("id") is None or d.get("id") not in expanded):
            found.append((f"{where}discounts[{i}]", d))
        elif isinstance(d, str) and d not in expanded:
            at.skip(
                f"{where}discounts[{i}]",
                f"discount {d} is not expanded; save the subscriptions with "
                "expand[]=data.discounts to import it",
            )
        elif not isinstance(d, (dict, str)):
            at.skip(
                f"{where}discounts[{i}]",
                f"{_json(d)} is neither a discount object nor a discount id; skipped",
            )
    return found


def _json(value: Any) -> str:
    """A JSON value as the input wrote it (``5``, ``null``, ``true``), cut short."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:59] + "…"


@dataclass(frozen=True)
class _Discount:
    """A forever percent coupon, and the products it is limited to (``None``: all)."""

    percent: Decimal
    products: frozenset[str] | None = None

    def applies_to(self, product_id: str | None) -> bool:
        return self.products is None or product_id in self.products


def _percent(path: str, discount: Any, at: _At) -> _Discount | None:
    """A forever percent coupon; anything else reported and skipped."""
    coupon = _coupon(discount) if isinstance(discount, dict) else None
    if not isinstance(coupon, dict):
        at.skip(f"{path}.source.coupon", "the coupon is not expanded; skipped")
        return None
    percent = coupon.get("percent_off")
    duration = coupon.get("duration")
    if percent is None:
        at.skip(
            f"{path}.coupon.amount_off",
            "an amount-off coupon cannot be expressed as a discount_pct; skipped",
        )
        return None
    if duration != "forever":
        at.skip(
            f"{path}.coupon.duration", f"a {duration} coupon does not lower MRR for good; skipped"
        )
        return None
    try:
        value = Decimal(str(percent))
    except InvalidOperation:
        value = Decimal(-1)
    if not 0 <= value <= 100:
        at.error(f"{path}.coupon.percent_off", f"'{percent}' is not a percentage from 0 to 100")
        return None
    applies_to = coupon.get("applies_to")
    if applies_to is None:
        return _Discount(value)
    products = applies_to.get("products") if isinstance(applies_to, dict) else None
    ids = [_product_id(p) for p in products] if isinstance(products, list) else [None]
    if None in ids:
        at.error(
            f"{path}.coupon.applies_to.products",
            f"{_json(products)} is not a list of product ids",
        )
        return None
    return _Discount(value, frozenset(i for i in ids if i is not None))


def _discounts(holder: Mapping[str, Any], where: str, at: _At) -> list[_Discount]:
    """Forever percent coupons of a subscription or item; the rest reported as skipped."""
    values = (_percent(path, d, at) for path, d in _found_discounts(holder, where, at))
    return [v for v in values if v is not None]


def _combined(percents: Iterable[Decimal]) -> Decimal:
    """Percent discounts applied one after the other: 1 − Π(1 − p/100), in percent."""
    remaining = Decimal(1)
    for p in percents:
        remaining *= 1 - p / 100
    return (1 - remaining) * 100


def _product_id(product: Any) -> str | None:
    """A product's id: the id itself, or the ``id`` of an expanded product object."""
    return _text(product.get("id")) if isinstance(product, dict) else _text(product)


def _price(item: Mapping[str, Any]) -> Mapping[str, Any] | None:
    price = item.get("price")
    if isinstance(price, dict):
        return price
    plan = item.get("plan")
    if isinstance(plan, dict):  # the legacy Plan object of old API versions
        return {
            "id": plan.get("id"),
            "currency": plan.get("currency"),
            "unit_amount": plan.get("amount"),
            "unit_amount_decimal": plan.get("amount_decimal"),
            "billing_scheme": plan.get("billing_scheme"),
            "product": plan.get("product"),
            "recurring": {
                "interval": plan.get("interval"),
                "interval_count": plan.get("interval_count"),
                "usage_type": plan.get("usage_type"),
            },
        }
    return None


def _product(price: Mapping[str, Any], ctx: _Ctx) -> str | None:
    product = price.get("product")
    if isinstance(product, dict):
        return _text(product.get("name")) or _text(product.get("id"))
    pid = _text(product)
    return ctx.products.get(pid, pid) if pid else None


def _amount(price: Mapping[str, Any], currency: str) -> Decimal | None:
    raw = price.get("unit_amount_decimal")
    if raw is None:
        raw = price.get("unit_amount")
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    return shift(value, stripe_digits(currency)) if value.is_finite() and value >= 0 else None


def _unsupported(price: Mapping[str, Any]) -> tuple[str, str] | None:
    """Why a price cannot be a revcli line (the field and the reason), or ``None``."""
    recurring = price.get("recurring")
    if not isinstance(recurring, dict):
        return "recurring", "a one-time price is not a subscription line; skipped"
    if recurring.get("usage_type") == "metered":
        return "recurring.usage_type", "a metered price has no fixed MRR; skipped"
    if price.get("billing_scheme") == "tiered":
        return "billing_scheme", "a tiered price cannot be expressed as a unit price; skipped"
    if price.get("transform_quantity"):
        return (
            "transform_quantity",
            "package pricing cannot be expressed as a unit price; skipped",
        )
    interval = recurring.get("interval")
    count = recurring.get("interval_count") or 1
    if not isinstance(count, int) or period_of(str(interval), count) is None:
        return (
            "recurring.interval",
            f"{interval} × {count} cannot be expressed; revcli takes month × 1, 3, 6 or 12 "
            "and year × 1; skipped",
        )
    return None


def _amount_text(price: Mapping[str, Any], currency: str, where: str, at: _At) -> str | None:
    price_currency = _text(price.get("currency"))
    if price_currency and price_currency.upper() != currency:
        at.error(
            f"{where}.price.currency",
            f"{price_currency.upper()} differs from the subscription's {currency}",
        )
        return None
    amount = _amount(price, currency)
    if amount is None:
        at.error(f"{where}.price.unit_amount", "is required: a number of at least 0")
        return None
    if len(decimal_text(amount).partition(".")[2]) > 10:
        at.error(f"{where}.price.unit_amount_decimal", f"{amount} has more than 10 decimals")
        return None
    return decimal_text(amount, stripe_digits(currency))


def _line(
    item: Mapping[str, Any], where: str, currency: str, at: _At, sub_discounts: list[_Discount]
) -> Row | None:
    iid = _text(item.get("id"))
    price = _price(item)
    if iid is None or price is None:
        at.error(f"{where}.{'id' if iid is None else 'price'}", "is required")
        return None
    problem = _unsupported(price)
    if problem is not None:
        at.skip(f"{where}.price.{problem[0]}", problem[1])
        return None
    unit_price = _amount_text(price, currency, where, at)
    quantity = item.get("quantity")
    quantity = 1 if quantity is None else quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        at.error(f"{where}.quantity", f"'{quantity}' is not a whole number of at least 0")
        return None
    product = _product(price, at.ctx)
    if product is None:
        at.error(f"{where}.price.product", "is required")
    if unit_price is None or product is None:
        return None
    recurring = price["recurring"]
    row: Row = {
        "line_id": iid,
        "product": product,
        "quantity": str(quantity),
        "unit_price": unit_price,
        "price_period": period_of(recurring["interval"], recurring.get("interval_count") or 1)
        or "",
        "source_id": source_id(SOURCE_NAME, iid),
    }
    # A coupon limited to some products (applies_to) lowers only their items.
    pid = _product_id(price.get("product"))
    discounts = sub_discounts + _discounts(item, f"{where}.", at)
    percents = [d.percent for d in discounts if d.applies_to(pid)]
    if percents:
        row["discount_pct"] = decimal_text(_combined(percents))
    return row


def _period_end(data: Mapping[str, Any], items: list[Any]) -> Any:
    """``current_period_end`` of the subscription, or (API ≥ 2025-03-31) of its items."""
    if data.get("current_period_end") is not None:
        return data["current_period_end"]
    ends = [i.get("current_period_end") for i in items if isinstance(i, dict)]
    numbers = [e for e in ends if isinstance(e, int) and not isinstance(e, bool)]
    return max(numbers) if numbers else None


def _last_day(data: Mapping[str, Any], items: list[Any], at: _At) -> tuple[bool, dt.date | None]:
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


def _first_day(data: Mapping[str, Any], at: _At) -> dt.date | None:
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


def _header(data: Mapping[str, Any], at: _At) -> tuple[str, str, list[Any]] | None:
    """Customer id, currency and items of a subscription, or ``None`` (reported)."""
    customer = data.get("customer")
    cid = _text(customer.get("id") if isinstance(customer, dict) else customer)
    if cid is None:
        at.error("customer", "is required")
    currency = (_text(data.get("currency")) or "").upper()
    if currency not in currency_codes():
        at.error("currency", f"'{data.get('currency')}' is not an ISO 4217 code")
    items_obj = data.get("items")
    items = items_obj.get("data") if isinstance(items_obj, dict) else items_obj
    if not isinstance(items, list):
        at.error("items.data", "is required: the subscription's items")
    if cid is None or currency not in currency_codes() or not isinstance(items, list):
        return None
    return cid, currency, items


def _subscription(at: _At) -> Contract | None:
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
    sub_discounts = _discounts(data, "", at)
    lines = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            at.error(f"items.data[{i}]", "is not a subscription item")
        elif (line := _line(item, f"items.data[{i}]", currency, at, sub_discounts)) is not None:
            lines.append(line)
    if not lines:
        at.skip("items.data", "no item revcli can express; the subscription is skipped")
        return None
    if last is not None and last < start:
        at.skip(
            "ended_at" if data.get("ended_at") else "cancel_at",
            f"ended before its first paid day ({start}); skipped",
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
    if isinstance(customer, dict) and _text(customer.get("id")):
        return _customer(StripeObject(customer, obj.source), str(_text(customer.get("id"))))
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
    ctx = _Ctx(tz or ZoneInfo("UTC"))
    objs = list(objects)
    for obj in objs:
        pid, name = _text(obj.data.get("id")), _text(obj.data.get("name"))
        if obj.data.get("object") == "product" and pid and name:
            ctx.products[pid] = name
    customers: dict[str, Row] = {}
    contracts: dict[str, Contract] = {}
    for index, obj in enumerate(objs):
        kind = obj.data.get("object")
        oid = _id(obj, index, ctx) if kind in ("customer", "subscription") else None
        if oid is None:
            continue
        at = _At(ctx, obj, oid)
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
    return Batch(
        SOURCE_NAME,
        customers=[customers[k] for k in sorted(customers)],
        contracts=[contracts[k] for k in sorted(contracts)],
        mapped=dict(MAPPED),
        issues=ctx.issues,
    )
