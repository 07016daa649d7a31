"""The Stripe source's name, its API objects as read, and where problems with them are reported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from revcli.errors import Issue, Severity

SOURCE_NAME = "stripe"


@dataclass
class StripeObject:
    """One API object and the file it came from."""

    data: Mapping[str, Any]
    source: str


@dataclass
class Ctx:
    """Problems found while mapping, and the product names the input carries."""

    tz: dt.tzinfo
    products: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    no_service: dict[str, str] = field(default_factory=dict)

    def day(self, value: Any) -> dt.date | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        try:
            return dt.datetime.fromtimestamp(value, self.tz).date()
        except (OverflowError, OSError, ValueError):
            return None


@dataclass
class At:
    """Reports about one object: ``FILE: id: field: message``."""

    ctx: Ctx
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


def stripped_text(value: Any) -> str | None:
    """A text value of an API object without surrounding blanks, ``None`` when it is
    empty or not text."""
    return value.strip() or None if isinstance(value, str) else None
