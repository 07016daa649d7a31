"""The filters every revcli template has: revcli's own (``md``, ``ljust``, ``rjust``,
``wrap``) and
Liquid's math filters made to take exact decimals.

revcli hands money to templates as :class:`~decimal.Decimal`. python-liquid's math
filters (``abs``, ``plus``, ``times``, ``round``, …) know only ints, floats and numeric
text, and take anything else as 0: ``{{ line.amount | abs }}`` printed ``0`` for an
amount of −200.10, with no error. Here a Decimal value or argument is computed in
decimal arithmetic, exactly; every other value goes to Liquid's own filter unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, DecimalException, InvalidOperation
from typing import Any

from liquid.exceptions import FilterArgumentError

from revcli.decimals import round_half_up


def md_filter(value: object) -> str:
    """``{{ text | md }}``: safe inside a Markdown table cell (``|`` escaped, one line)."""
    text = str(value)
    text = re.sub(r"([\\`*_|<>\[\]])", r"\\\1", text)
    return " ".join(text.split())


_MAX_WIDTH = 1000
"""Widest padding ``ljust``/``rjust`` accept: wider is a typo, not a layout."""


def _width(name: str, width: object, what: str = "width") -> int:
    text = str(width).strip()
    if not re.fullmatch(r"[0-9]{1,4}", text) or int(text) > _MAX_WIDTH:
        raise FilterArgumentError(
            f"{name}: the {what} must be a whole number from 0 to {_MAX_WIDTH}, found '{width}'",
            token=None,
        )
    return int(text)


def ljust_filter(value: object, width: object) -> str:
    """``{{ text | ljust: 30 }}``: pad on the right to a width (for plain-text columns)."""
    return str(value).ljust(_width("ljust", width))


def rjust_filter(value: object, width: object) -> str:
    """``{{ amount | money | rjust: 14 }}``: pad on the left to a width."""
    return str(value).rjust(_width("rjust", width))


_SPACES = re.compile(r"[ \t\n\r\f\v]+")
"""What separates words for ``wrap``: ASCII white space only, so that a no-break space
(``25\xa0%``, ``1\u202f000,00\xa0kr``) keeps its amount together, as it is meant to."""


_WITH_NEXT = frozenset({"§", "§§"})
"""Words :func:`wrap_filter` never ends a line with: they go with the word after them."""


def wrap_filter(value: object, width: object, column: object = 0) -> str:
    """``{{ text | wrap: 78, 26 }}``: ``text`` in lines that end by column ``width``,
    broken between words. The first line starts at ``column`` (after what the template
    printed before the filter) and every further line is indented by ``column`` spaces, so
    that it lines up with the first. Runs of white space, line breaks included, become one
    space; a word longer than a line (``width - column``) is cut at its end, never
    overflowing. Characters are counted as code points (``ø`` is one). A section sign
    stays with the number after it (``§ 6-22``), as a law is cited."""
    end = _width("wrap", width)
    start = _width("wrap", column, "column")
    room = end - start
    if room < 1:
        raise FilterArgumentError(
            f"wrap: the column ({start}) must be less than the width ({end})", token=None
        )
    lines: list[str] = []
    current = ""
    words: list[str] = []
    for word in _SPACES.split(str(value)):
        if words and words[-1] in _WITH_NEXT:
            words[-1] += " " + word
        elif word:
            words.append(word)
    for word in words:
        if current and len(current) + 1 + len(word) <= room:
            current += " " + word
            continue
        if current:
            lines.append(current)
        rest = word
        while len(rest) > room:
            lines.append(rest[:room])
            rest = rest[room:]
        current = rest
    if current:
        lines.append(current)
    return ("\n" + " " * start).join(lines)


# --- Liquid's math filters on decimals -------------------------------------------------------


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
            return liquid(value, *args)
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


FILTERS: dict[str, Callable[..., str]] = {
    "md": md_filter,
    "ljust": ljust_filter,
    "rjust": rjust_filter,
    "wrap": wrap_filter,
}
"""The filters revcli adds to Liquid's standard ones in every template."""
