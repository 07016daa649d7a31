"""Weights and thresholds of the churn-risk signals, read from the ``risk:`` section."""

from __future__ import annotations

from dataclasses import Field, dataclass, field, fields
from decimal import Decimal
from typing import Any

from revcli.errors import Issue
from revcli.rowchecks import range_rule
from revcli.settings import Settings, unknown_settings
from revcli.settings_tree import SettingsReader, Tree

SECTION = "risk"

MAX_DAYS = 3650
"""Longest day window (ten years): longer ones reach outside the calendar."""
MAX_MONTHS = 120
"""Longest month window (ten years)."""
MAX_WEIGHT = 100
"""A weight above the score's cap of 100 means nothing more."""
MAX_COUNT = 1_000_000
"""Largest count threshold (tickets, late invoices)."""


def _num(default: float, low: float = 0, high: float | None = None, *, above: bool = False) -> Any:
    """A decimal setting with its allowed range (``above``: strictly greater than ``low``)."""
    return field(default=default, metadata={"low": low, "high": high, "above": above})


def _int(default: int, low: int, high: int) -> Any:
    """A whole-number setting from ``low`` to ``high``."""
    return field(default=default, metadata={"low": low, "high": high})


def _weight(default: int) -> Any:
    """Points a signal adds to the score when it fires (a whole number, 0 switches it off)."""
    return _int(default, 0, MAX_WEIGHT)


def _days(default: int, low: int = 1) -> Any:
    """A window or threshold in days."""
    return _int(default, low, MAX_DAYS)


def _months(default: int) -> Any:
    """A window in months."""
    return _int(default, 1, MAX_MONTHS)


def _count(default: int) -> Any:
    """A minimum number of events."""
    return _int(default, 1, MAX_COUNT)


@dataclass(frozen=True)
class UsageRule:
    """Usage fell by at least ``min_decline_pct`` % over the last ``months`` complete
    months compared with the ``months`` before them (worst metric counts)."""

    weight: int = _weight(25)
    months: int = _months(3)
    min_decline_pct: float = _num(20, 0, 100, above=True)


@dataclass(frozen=True)
class TicketRule:
    """At least ``min_tickets`` tickets in the last ``window_days`` days, and at least
    ``min_ratio`` times the customer's usual rate over the ``baseline_days`` before."""

    weight: int = _weight(15)
    window_days: int = _days(30)
    baseline_days: int = _days(180)
    min_ratio: float = _num(2, 0, above=True)
    min_tickets: int = _count(3)


@dataclass(frozen=True)
class OverdueRule:
    """An invoice unpaid at least ``min_days_overdue`` days after its due date."""

    weight: int = _weight(20)
    min_days_overdue: int = _days(14)


@dataclass(frozen=True)
class LatePaymentRule:
    """At least ``min_count`` invoices due in the last ``lookback_days`` days were paid
    ``min_days_late`` or more days after their due date."""

    weight: int = _weight(10)
    lookback_days: int = _days(180)
    min_days_late: int = _days(14)
    min_count: int = _count(2)


@dataclass(frozen=True)
class RenewalRule:
    """A term end (contract that expires or was cancelled) or a notice deadline
    (auto-renewal) within ``within_days`` days, and no open renewal opportunity."""

    weight: int = _weight(20)
    within_days: int = _days(90, low=0)


@dataclass(frozen=True)
class DowngradeRule:
    """Downgrades and cancellations in the last ``months`` movement months (the as-of
    month included) removed at least ``min_pct`` % of the customer's MRR."""

    weight: int = _weight(10)
    months: int = _months(3)
    min_pct: float = _num(10, 0, 100, above=True)


@dataclass(frozen=True)
class RiskSettings:
    """Every rule of the churn-risk score; the score is the sum of the weights that fire."""

    usage: UsageRule = field(default_factory=UsageRule)
    tickets: TicketRule = field(default_factory=TicketRule)
    overdue: OverdueRule = field(default_factory=OverdueRule)
    late_payments: LatePaymentRule = field(default_factory=LatePaymentRule)
    renewal: RenewalRule = field(default_factory=RenewalRule)
    downgrade: DowngradeRule = field(default_factory=DowngradeRule)


SIGNALS = tuple(f.name for f in fields(RiskSettings))
"""Signal names in report order; each is a key of ``risk:`` and a column of the report."""

_RULES: dict[str, type[Any]] = {
    f.name: type(getattr(RiskSettings(), f.name)) for f in fields(RiskSettings)
}


def _whole_number(r: SettingsReader, section: dict[str, Tree], f: Field[Any], default: int) -> int:
    """A whole number within the field's bounds (``risk.tickets.window_days: 30``)."""
    return r.integer(
        section, f.name, default, minimum=f.metadata["low"], maximum=f.metadata["high"]
    )


def _plain_decimal(
    r: SettingsReader, section: dict[str, Tree], f: Field[Any], default: float
) -> float:
    """A plain decimal (the reader refuses NaN, Infinity and exponents) within the field's
    range (``risk.usage.min_decline_pct: 12.5``)."""
    low, high, above = f.metadata["low"], f.metadata["high"], f.metadata["above"]
    value = r.decimal(section, f.name, Decimal(str(default)))
    if not ((value > low if above else value >= low) and (high is None or value <= high)):
        r.check(False, section, f.name, f"'{value}' {range_rule(low, high, low_exclusive=above)}")
        return float(default)
    return float(value)


def _rule(r: SettingsReader, section: dict[str, Tree], rule: type[Any], where: str) -> Any:
    """Read one rule's values; problems name the full key (``risk.usage.weight``)."""
    default = rule()
    first_new = len(r.issues)
    values: dict[str, Any] = {}
    for f in fields(rule):
        read = _whole_number if f.type in (int, "int") else _plain_decimal
        values[f.name] = read(r, section, f, getattr(default, f.name))
    r.issues[first_new:] = [
        Issue(i.source, i.line, f"{where}.{i.column}", i.message, i.severity)
        for i in r.issues[first_new:]
    ]
    return rule(**values)


def read_risk_settings(settings: Settings) -> tuple[RiskSettings, list[Issue]]:
    """The ``risk:`` section of ``revcli.yaml``; every value not given takes its default.

    ``risk: {usage: {weight: 30, min_decline_pct: 25}, tickets: {weight: 0}}`` changes
    two usage values and switches the ticket signal off. Unknown keys are warnings.
    """
    issues: list[Issue] = []
    r = SettingsReader(settings.source, issues)
    top = r.section(settings.tree, SECTION)
    issues += unknown_settings(top, SIGNALS, SECTION, settings.source)
    rules = {}
    for name in SIGNALS:
        section = r.section(top, name)
        rule = _RULES[name]
        issues += unknown_settings(
            section, tuple(f.name for f in fields(rule)), f"{SECTION}.{name}", settings.source
        )
        rules[name] = _rule(r, section, rule, f"{SECTION}.{name}")
    return RiskSettings(**rules), issues
