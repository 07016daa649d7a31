"""Reading import sources from files: the edge before the pure mapping functions."""

from __future__ import annotations

import json
from pathlib import Path

from revcli.data.csvio import decode, read_csv
from revcli.errors import DataError, Issue, RevcliError
from revcli.extras import install_hint
from revcli.importers.baremetrics import import_baremetrics
from revcli.importers.records import Batch
from revcli.importers.stripe import StripeObject, objects_of


def read_baremetrics(path: Path) -> Batch:
    """A Baremetrics subscription CSV file as a :class:`Batch`."""
    frame, issues = read_csv(path, str(path))
    if frame is None:
        raise DataError(issues)
    return import_baremetrics(frame)


def read_stripe_files(paths: list[Path]) -> list[StripeObject]:
    """Stripe objects saved as JSON: list objects, arrays or single objects."""
    objects: list[StripeObject] = []
    issues: list[Issue] = []
    for path in paths:
        text, problems = decode(path, str(path))
        issues += problems
        if text is None:
            continue
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            issues.append(Issue(str(path), exc.lineno, "", f"not valid JSON: {exc.msg}"))
            continue
        found, problems = objects_of(document, str(path))
        objects += found
        issues += problems
    if issues:
        raise DataError(issues)
    return objects


FETCH_SOURCE = "stripe-api"
"""The name fetched objects carry in messages instead of a file name."""


def fetch_stripe(api_key: str) -> list[StripeObject]:
    """Customers, subscriptions (every status, discounts expanded) and products from the
    Stripe API through the official ``stripe`` package (the ``stripe`` extra)."""
    try:
        import stripe  # optional extra; imported only when --fetch asks for it
    except ImportError:
        raise RevcliError(f"--fetch needs the stripe package: {install_hint('stripe')}") from None
    client = stripe.StripeClient(api_key)
    out = []
    try:
        listings = (
            ("customers", client.v1.customers.list({"limit": 100})),
            (
                "subscriptions",
                client.v1.subscriptions.list(
                    {"limit": 100, "status": "all", "expand": ["data.discounts"]}
                ),
            ),
            ("products", client.v1.products.list({"limit": 100})),
        )
        for name, listing in listings:
            out += [
                StripeObject(obj.to_dict(), f"{FETCH_SOURCE} {name}")
                for obj in listing.auto_paging_iter()
            ]
    except stripe.StripeError as exc:
        raise RevcliError(f"Stripe refused: {exc.user_message or exc}") from None
    return out
