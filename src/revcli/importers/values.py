"""Small value conversions every importer shares: amounts, intervals and days."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from revcli.parsing import DECIMAL_TOO_LARGE, DECIMAL_TOO_PRECISE
from revcli.schema import FIRST_YEAR, LAST_YEAR

_PERIODS = {
    ("month", 1): "month",
    ("month", 3): "quarter",
    ("month", 6): "half-year",
    ("month", 12): "year",
    ("year", 1): "year",
}


def period_of(interval: str, count: int) -> str | None:
    """``price_period`` of a recurring interval: month×1, ×3, ×6, ×12 and year×1; else None."""
    return _PERIODS.get((interval, count))


def decimal_text(value: Decimal, places: int = 0) -> str:
    """A decimal as plain text with at least ``places`` decimals and no exponent.

    Exact for any number of digits: no context rounding (``normalize`` would round to
    28 significant digits).
    """
    whole, _, frac = format(value, "f").partition(".")
    frac = frac.rstrip("0").ljust(places, "0")
    return f"{whole}.{frac}" if frac else whole


def decimal_problem(value: Decimal) -> str | None:
    """What keeps a finite decimal read from a source out of a data file (more than 28
    whole digits or 10 decimal places, the data files' own limits), or ``None``.

    Judged from its digits and exponent alone, before :func:`decimal_text` writes it out:
    ``1e999999999`` written out is a billion digits.
    """
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "finite decimals only"
    kept = len("".join(map(str, digits)).rstrip("0"))
    if kept == 0:  # zero, whatever its exponent
        return None
    if value.adjusted() >= 28:
        return DECIMAL_TOO_LARGE
    if exponent + len(digits) - kept < -10:
        return DECIMAL_TOO_PRECISE
    return None


def shift(value: Decimal, digits: int) -> Decimal:
    """``value`` ÷ 10^digits, exactly (``scaleb`` would round to the context)."""
    sign, numerals, exponent = value.as_tuple()
    assert isinstance(exponent, int), "finite decimals only"
    return Decimal((sign, numerals, exponent - digits))


def minor_to_text(amount: Decimal, digits: int) -> str:
    """An amount in minor units as major units: 4900 with 2 digits → ``49.00``."""
    return decimal_text(shift(amount, digits), digits)


_DAY = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ].*)?$")


def parse_day(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` (a time after it is ignored) from 1900 to 2199, else ``None``."""
    match = _DAY.match(text.strip())
    if not match:
        return None
    try:
        day = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None
