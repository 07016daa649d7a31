"""The locale-aware Liquid filters of invoices: ``money``, ``number``, ``percent``, ``date``.

Documented in docs/templates.md; the shared filters and the strict environment are
:mod:`revcli.templating`'s.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent
from liquid import Environment
from liquid.exceptions import FilterArgumentError
from liquid.filter import with_context

from revcli.billing.money import format_money
from revcli.template_filters import FILTERS as SHARED_FILTERS
from revcli.templating.load import environment as shared_environment


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool):
        raise FilterArgumentError(f"{name}: expected a number, found '{value}'", token=None)
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise FilterArgumentError(f"{name}: expected a number, found {value!r}", token=None)
    return number


def _document(context: Any) -> dict[str, Any]:
    document = context.resolve("document")
    return document if isinstance(document, dict) else {}


def _locale(context: Any, name: str) -> Locale:
    """The document's locale; a locale Babel does not know is a filter error naming it."""
    code = str(_document(context).get("locale", "nb_NO"))
    try:
        return _parsed_locale(code)
    except (ValueError, TypeError, UnknownLocaleError):
        raise FilterArgumentError(
            f"{name}: unknown locale '{code}' (the customer's locale; expected e.g. nb_NO "
            "or en_GB)",
            token=None,
        ) from None


@functools.lru_cache(maxsize=64)
def _parsed_locale(code: str) -> Locale:
    """``Locale.parse``, once per code (a run has a few locales; a failure is not kept)."""
    return Locale.parse(code)


def _cannot(what: str, exc: Exception) -> FilterArgumentError:
    """A library failure inside a filter, as an error at the filter's place in the file
    (``decimal``'s errors say only which signal fired: name the problem instead)."""
    detail = "out of range" if isinstance(exc, ArithmeticError) else str(exc)
    return FilterArgumentError(f"{what} ({detail})", token=None)


@with_context
def money_filter(value: object, currency: object = None, *, context: Any) -> str:
    """``{{ amount | money }}`` in the document's currency and locale; ``money: "NOK"``."""
    return _money(value, currency, context, "money", exact=False)


@with_context
def price_filter(value: object, currency: object = None, *, context: Any) -> str:
    """``{{ unit_price | price }}``: like ``money`` but a price with more places than the
    currency keeps all of them (0.125 stays 0.125), so that quantity × price multiplies
    out on the page."""
    return _money(value, currency, context, "price", exact=True)


def _money(value: object, currency: object, context: Any, name: str, *, exact: bool) -> str:
    doc = _document(context)
    code = str(currency or doc.get("currency") or "NOK")
    locale = _locale(context, name)
    # an invoice not in the seller's currency shows the currency code on every amount
    with_code = bool(doc.get("currency_code"))
    try:
        return format_money(_decimal(value, name), code, locale, code=with_code, exact=exact)
    except (KeyError, ValueError, ArithmeticError) as exc:
        raise _cannot(f"{name}: cannot format {value!r} in {code!r}", exc) from None


@with_context
def number_filter(value: object, *, context: Any) -> str:
    """``{{ quantity | number }}``: a decimal with every digit it has, grouped for the locale."""
    locale = _locale(context, "number")
    number = _decimal(value, "number")
    try:
        return format_decimal(number, locale=locale, decimal_quantization=False)
    except (ValueError, ArithmeticError) as exc:
        raise _cannot(f"number: cannot format {value!r}", exc) from None


@with_context
def percent_filter(value: object, *, context: Any) -> str:
    """``{{ 25 | percent }}`` → ``25 %`` (nb_NO) / ``25%`` (en_GB): the value is in percent."""
    locale = _locale(context, "percent")
    number = _decimal(value, "percent")
    try:
        return format_percent(number / 100, locale=locale, decimal_quantization=False)
    except (ValueError, ArithmeticError) as exc:
        raise _cannot(f"percent: cannot format {value!r}", exc) from None


_DATE_STYLES = ("short", "medium", "long", "full")


@with_context
def date_filter(value: object, fmt: object = "medium", *, context: Any) -> str:
    """``{{ day | date }}`` for the document's locale. ``fmt``: ``numeric`` (always a
    four-digit year: ``1.12.2026``, ``01/12/2026``, ``12/1/2026``), ``short``, ``medium``
    (the default), ``long``, ``full``, a CLDR pattern (``"d. MMMM y"``) or, with a ``%``,
    a strftime format (``"%Y-%m-%d"``)."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise FilterArgumentError(
                f"date: '{value}' is not a YYYY-MM-DD date", token=None
            ) from None
    if not isinstance(value, dt.date):
        raise FilterArgumentError(f"date: expected a date, found '{value}'", token=None)
    pattern = str(fmt)
    if "%" in pattern:
        return value.strftime(pattern)
    locale = _locale(context, "date")
    try:
        return _format_date(value, locale, pattern)
    except (ValueError, AttributeError, KeyError) as exc:
        # A CLDR pattern Babel cannot apply to a date (a time field, a bad length).
        raise FilterArgumentError(
            f"date: cannot format a date with the pattern {pattern!r} ({exc})", token=None
        ) from None


@functools.lru_cache(maxsize=4096)
def _format_date(value: dt.date, locale: Locale, pattern: str) -> str:
    """A date in ``locale`` by a CLDR ``pattern`` or ``numeric``, kept per (date, locale,
    pattern): a run's documents share a few dates, and Babel matches the ``numeric``
    skeleton against every pattern of the locale on each call (half of a render's time)."""
    if pattern == "numeric":
        return str(format_skeleton("yMMdd", value, locale=locale))
    return str(format_date(value, pattern, locale=locale))


INVOICE_FILTERS: dict[str, Callable[..., str]] = {
    "money": money_filter,
    "price": price_filter,
    "number": number_filter,
    "percent": percent_filter,
    "date": date_filter,
}
"""The locale-aware filters of invoice templates (``date`` replaces Liquid's own)."""

FILTERS: dict[str, Callable[..., str]] = {**SHARED_FILTERS, **INVOICE_FILTERS}
"""Every filter revcli adds to Liquid's standard ones in an invoice template."""


def environment(folder: Path, *, autoescape: bool) -> Environment:
    """A strict Liquid environment for invoice templates in ``folder``, with revcli's filters."""
    return shared_environment(folder, autoescape=autoescape, filters=INVOICE_FILTERS)
