"""The one rounding revcli has: half away from zero, exactly, to a number of decimals.

Reports and invoices round the same way (docs/rules.md): 2.5 → 3, -0.125 → -0.13.
Python's ``decimal``, Polars and Babel all round half to even by default.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def round_half_up(value: Fraction | Decimal | float | int, places: int) -> Decimal:
    """``value`` rounded once to ``places`` decimals, halves away from zero.

    Exact for a ``Fraction``, ``Decimal`` or ``int`` (integer arithmetic, at any
    magnitude); a float is taken at its shortest decimal form, so that 1.005 (as
    printed) rounds to 1.01 as a person reading it expects. The result has exactly
    ``places`` decimals and no negative zero; infinity and NaN are returned as they are.
    """
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal) and not value.is_finite():
        return value
    num, den = value.as_integer_ratio()
    units = (2 * abs(num) * 10**places + den) // (2 * den)
    return Decimal(f"{units if num >= 0 else -units}E-{places}")
