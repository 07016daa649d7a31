"""The one rounding revcli has: half away from zero, exactly, to a number of decimals.

Reports and invoices round the same way (docs/rules.md): 2.5 → 3, -0.125 → -0.13.
Python's ``decimal``, Polars and Babel all round half to even by default.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction

_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation])
"""Where :meth:`Decimal.quantize` rounds exactly: a result of up to 60 digits (past that,
quantize refuses and the integer arithmetic below takes over)."""
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(13)}


def round_half_up(value: Fraction | Decimal | float | int, places: int) -> Decimal:
    """``value`` rounded once to ``places`` decimals, halves away from zero.

    Exact for a ``Fraction``, ``Decimal`` or ``int`` (integer arithmetic, at any
    magnitude); a float is taken at its shortest decimal form, so that 1.005 (as
    printed) rounds to 1.01 as a person reading it expects. The result has exactly
    ``places`` decimals and no negative zero; infinity and NaN are returned as they are.
    """
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            return value
        quantum = _QUANTA.get(places)
        if quantum is not None:  # the same rounding by decimal's own (C) arithmetic: faster
            try:
                rounded = value.quantize(quantum, context=_CONTEXT)
            except InvalidOperation:  # more than 60 digits
                pass
            else:
                return rounded.copy_abs() if rounded.is_zero() else rounded
    num, den = value.as_integer_ratio()
    units = (2 * abs(num) * 10**places + den) // (2 * den)
    return Decimal(f"{units if num >= 0 else -units}E-{places}")
