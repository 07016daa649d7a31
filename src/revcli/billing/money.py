"""Money on invoices: exact decimals, rounding half-up to the currency's minor unit, formatting.

Amounts are ``Decimal`` in the currency's ISO 4217 minor units, never floats; they are
rounded once, half away from zero (:func:`revcli.decimals.round_half_up`, the one
rounding revcli has).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction
from functools import cache

from babel import Locale
from babel.numbers import parse_pattern

from revcli.decimals import round_half_up
from revcli.schema import minor_units

__all__ = [
    "format_money",
    "from_units",
    "money",
    "places_of",
    "plain",
    "round_half_up",
    "to_decimal",
]


def to_decimal(value: Fraction, max_places: int = 10) -> Decimal:
    """``value`` as an exact Decimal when it has a finite expansion of at most
    ``max_places`` decimals, else rounded half-up to ``max_places``; no trailing zeros."""
    return plain(round_half_up(value, max_places))


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (25.000 → 25, 1E+1 → 10).

    Exact at any length (``Decimal.normalize`` would round to the context's 28 digits).
    """
    if value == 0:
        return Decimal(0)
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "a finite decimal"
    kept = list(digits)
    while exponent < 0 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    if exponent > 0:
        kept += [0] * exponent
        exponent = 0
    return Decimal((sign, tuple(kept), exponent))


@cache
def places_of(currency: str) -> int:
    """Minor-unit places of a currency (ISO 4217), looked up once."""
    return minor_units(currency)


def money(value: Decimal, currency: str) -> Decimal:
    """A money amount with exactly the currency's minor-unit places (JPY 0, NOK 2, KWD 3)."""
    return round_half_up(value, places_of(currency))


def from_units(units: int, places: int) -> Decimal:
    """An exact amount of ``units`` minor units with exactly ``places`` decimals."""
    return Decimal(f"{units}E-{places}")


def format_money(
    value: Decimal, currency: str, locale: str | Locale, *, code: bool = False, exact: bool = False
) -> str:
    """``value`` in ``currency`` for ``locale``, with exactly the currency's ISO 4217 minor
    units, rounded half-up first (Babel alone would round half-even, and use CLDR digits).

    nb_NO: ``12 345,50 kr``; en_GB: ``£12,345.50``; JPY has no decimals, KWD three. With
    ``code`` the ISO code stands before the number (``EUR 12 345,50``: an invoice not in
    the seller's currency shows it on every amount); with ``exact`` a value with more
    places than the currency keeps them (a unit price of 0.125), never rounded.
    """
    places = minor_units(currency)
    if exact:
        exponent = value.normalize().as_tuple().exponent
        places = max(places, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    parsed = Locale.parse(locale)
    source = parsed.decimal_formats[None] if code else parsed.currency_formats["standard"]
    pattern = copy.copy(parse_pattern(source.pattern))
    pattern.frac_prec = (places, places)
    amount = round_half_up(value, places)
    if code:
        number: str = pattern.apply(amount, parsed)
        return f"{currency} {number}"
    text: str = pattern.apply(amount, parsed, currency=currency, currency_digits=False)
    return text
