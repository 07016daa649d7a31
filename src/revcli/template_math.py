"""Liquid's math filters (``abs``, ``plus``, ``times``, ``round``, …) made to take exact
decimals.

revcli hands money to templates as :class:`~decimal.Decimal`. python-liquid's math
filters know only ints, floats and numeric text, and take anything else as 0:
``{{ line.amount | abs }}`` printed ``0`` for an amount of −200.10, with no error. Here a
Decimal value or argument is computed in decimal arithmetic, exactly; every other value
goes to Liquid's own filter unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, DecimalException, InvalidOperation
from typing import Any

from liquid.exceptions import FilterArgumentError

from revcli.decimals import round_half_up


def _number(name: str, value: object) -> Decimal:
    """``value`` as a Decimal for the math filter ``name``: a Decimal as it is, an int
    exactly, a float as it prints, numeric text as written; nothing (nil) is 0, as in
    Liquid; anything else is an error naming the filter."""
    if value is None:
        return Decimal(0)
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise FilterArgumentError(f"{name}: '{value}' is not a number", token=None)
    if number and not -_DIGITS <= number.adjusted() <= _DIGITS:
        raise FilterArgumentError(
            f"{name}: '{value}' is out of range (10^-{_DIGITS} to 10^{_DIGITS})", token=None
        )
    return number


_DIGITS = 28
"""Decimal places ``round`` keeps at most, and the largest power of ten (either way) a
number in template arithmetic may have: money needs far less, and 10^1000000000 would
take the machine's memory and time."""


_LARGEST_WHOLE = 10 ** (_DIGITS + 1)
"""The first whole number beyond the range of template arithmetic (as for decimals, whose
exponent may be at most :data:`_DIGITS`)."""


def _whole(name: str, value: object) -> int:
    number = _number(name, value)
    if number != number.to_integral_value():
        raise FilterArgumentError(f"{name}: '{value}' is not a whole number", token=None)
    return int(number)


def _divided_by(value: Decimal, other: Decimal) -> Decimal:
    if not other:
        raise FilterArgumentError(f"divided_by: can't divide by {other}", token=None)
    return value / other


def _modulo(value: Decimal, other: Decimal) -> Decimal:
    if not other:
        raise FilterArgumentError(f"modulo: can't divide by {other}", token=None)
    return value % other


_ONE_ARGUMENT: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "plus": lambda value, other: value + other,
    "minus": lambda value, other: value - other,
    "times": lambda value, other: value * other,
    "divided_by": _divided_by,
    "modulo": _modulo,
    "at_least": max,
    "at_most": min,
}
_NO_ARGUMENT: dict[str, Callable[[Decimal], Decimal | int]] = {
    "abs": abs,
    "ceil": lambda value: int(value.to_integral_value(ROUND_CEILING)),
    "floor": lambda value: int(value.to_integral_value(ROUND_FLOOR)),
}


def _compute(name: str, value: object, args: tuple[object, ...]) -> Any:
    """The math filter ``name`` on ``value`` and ``args`` in decimal arithmetic."""
    if name == "round":  # half away from zero, as revcli rounds money
        places = _whole(name, args[0]) if args else 0
        if not 0 <= places <= _DIGITS:
            raise FilterArgumentError(
                f"round: the places must be from 0 to {_DIGITS}, found {places}", token=None
            )
        return round_half_up(_number(name, value), places)
    if name in _NO_ARGUMENT:
        if args:
            raise FilterArgumentError(f"{name}: takes no argument", token=None)
        return _NO_ARGUMENT[name](_number(name, value))
    if len(args) != 1:
        raise FilterArgumentError(f"{name}: takes one argument", token=None)
    return _ONE_ARGUMENT[name](_number(name, value), _number(name, args[0]))


def _decimal_aware(name: str, liquid: Callable[..., Any]) -> Callable[..., Any]:
    """Liquid's filter ``name`` (``liquid``), computed in decimals when its value or an
    argument is a Decimal."""

    def run(value: object, *args: object) -> Any:
        if not any(isinstance(v, Decimal) for v in (value, *args)):
            result = liquid(value, *args)
            if isinstance(result, float) and not math.isfinite(result):
                # Liquid reads the text "nan", "inf" or "1e400" as a float and computes on:
                # no template should print "nan" or "inf" for an amount.
                raise FilterArgumentError(f"{name}: the result is not a number", token=None)
            if isinstance(result, int) and abs(result) >= _LARGEST_WHOLE:
                # Whole numbers have the decimals' bound too: squared by assign in a loop
                # they grew past the 4,300 digits Python will print (an internal error).
                raise FilterArgumentError(
                    f"{name}: the result is out of range (10^-{_DIGITS} to 10^{_DIGITS})",
                    token=None,
                )
            return result
        try:
            return _compute(name, value, args)
        except DecimalException as exc:  # beyond decimal's range after all
            raise FilterArgumentError(f"{name}: {type(exc).__name__}", token=None) from None

    run.__name__ = run.__qualname__ = f"decimal_{name}"
    return run


MATH_FILTERS = (*_ONE_ARGUMENT, *_NO_ARGUMENT, "round")
"""Liquid's math filters, each of which takes Decimal values in revcli's templates."""


def with_decimals(filters: dict[str, Callable[..., Any]]) -> None:
    """Make Liquid's math filters among ``filters`` (an environment's) take Decimals."""
    for name in MATH_FILTERS:
        filters[name] = _decimal_aware(name, filters[name])
