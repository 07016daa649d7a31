"""Stripe subscription items as revcli lines: prices, minor units and forever percent coupons."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from revcli.importers.records import Row, source_id
from revcli.importers.stripe_objects import SOURCE_NAME, At, Ctx, stripped_text
from revcli.importers.values import decimal_problem, decimal_text, period_of, shift

# Stripe's own minor units (docs.stripe.com/currencies), which differ from ISO 4217:
# zero-decimal currencies, and three-decimal ones; every other currency has two
# (ISK, HUF and TWD included, which the API sends as two-decimal amounts).
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def stripe_digits(currency: str) -> int:
    """Digits of Stripe's minor unit for ``currency`` (upper case)."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def _coupon(discount: Mapping[str, Any]) -> Any:
    coupon = discount.get("coupon")
    if coupon is None and isinstance(discount.get("source"), dict):
        coupon = discount["source"].get("coupon")
    return coupon


def _found_discounts(holder: Mapping[str, Any], where: str, at: At) -> list[tuple[str, Any]]:
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


def _percent(path: str, discount: Any, at: At) -> _Discount | None:
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
    if not value.is_finite() or not 0 <= value <= 100:
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


def discounts_of(holder: Mapping[str, Any], where: str, at: At) -> list[_Discount]:
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
    return stripped_text(product.get("id")) if isinstance(product, dict) else stripped_text(product)


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


def _product(price: Mapping[str, Any], ctx: Ctx) -> str | None:
    product = price.get("product")
    if isinstance(product, dict):
        return stripped_text(product.get("name")) or stripped_text(product.get("id"))
    pid = stripped_text(product)
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


def _amount_text(price: Mapping[str, Any], currency: str, where: str, at: At) -> str | None:
    price_currency = stripped_text(price.get("currency"))
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
    problem = decimal_problem(amount)
    if problem is not None:
        at.error(f"{where}.price.unit_amount_decimal", f"{amount} {problem}")
        return None
    return decimal_text(amount, stripe_digits(currency))


def item_line(
    item: Mapping[str, Any], where: str, currency: str, at: At, sub_discounts: list[_Discount]
) -> Row | None:
    iid = stripped_text(item.get("id"))
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
    discounts = sub_discounts + discounts_of(item, f"{where}.", at)
    percents = [d.percent for d in discounts if d.applies_to(pid)]
    if percents:
        row["discount_pct"] = decimal_text(_combined(percents))
    return row
