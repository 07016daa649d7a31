"""Exact integers of any size, vectorised in Polars: what invoice money is computed with.

An exact invoice amount can need more digits than any fixed-width type holds (a price with
10 decimals times a quantity with 10 decimals times a discount with 10 decimals already has
32 decimals; a 2.5 % uplift compounded 71 times has 213). A :class:`Nat` is a non-negative
integer of any size held as *limbs*: ``Int128`` expressions, each a base 10^18 digit, least
significant first. :class:`Exact` builds the products, sums and the one final half-up
division as Polars expressions over all rows at once. Python loops here run over limbs and
bits while the expressions are *built* (their counts come from bounds known beforehand),
never over rows.

Every limb carries an exact upper bound (a Python int) so that no ``Int128`` operation can
overflow: a product of two limbs is below 10^36 and at most :data:`MAX_TERMS` of them are
ever summed before the carries are propagated (2^127 ≈ 1.7 × 10^38).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

import polars as pl

BASE_DIGITS = 18
BASE = 10**BASE_DIGITS
INT = pl.Int128
INT_MAX = 2**127 - 1
MAX_TERMS = 150
"""Most limb products summed into one ``Int128`` (each < 10^36): 1.5 × 10^38 < 2^127."""
MAX_DIVISOR = 10**20
"""Divisors of :meth:`Exact.round_div` stay below this: remainder × 10^18 fits ``Int128``."""


def lit(value: int) -> pl.Expr:
    """An ``Int128`` literal."""
    return pl.lit(value, dtype=INT)


@dataclass(frozen=True)
class Nat:
    """A non-negative integer: ``Σ limbs[k] × 10^(18k)``, with ``0 ≤ limbs[k] ≤ bounds[k]``.

    Normalized limbs are below 10^18. A limb whose bound is 0 is known to be zero (a
    constant's zero digits) and is skipped in products.
    """

    limbs: tuple[pl.Expr, ...]
    bounds: tuple[int, ...]
    is_one: bool = False

    @property
    def bound(self) -> int:
        """An upper bound of the value."""
        return sum(b * BASE**k for k, b in enumerate(self.bounds))

    def shifted(self, places: int) -> Nat:
        """The value × 10^(18 × places): ``places`` zero limbs in front."""
        return Nat((lit(0),) * places + self.limbs, (0,) * places + self.bounds)


def constant(value: int) -> Nat:
    """A constant (no column needed)."""
    assert value >= 0
    digits = []
    while True:
        value, digit = divmod(value, BASE)
        digits.append(digit)
        if not value:
            break
    return Nat(tuple(lit(d) for d in digits), tuple(digits), is_one=digits == [1])


class Exact:
    """Builds exact integer arithmetic on the rows of ``frame`` (see the module docstring).

    Each operation adds its result limbs as columns (named ``{prefix}N``) to
    :attr:`frame`, a lazy frame; collect it, or keep building, when done.
    """

    def __init__(self, frame: pl.DataFrame | pl.LazyFrame, prefix: str = "_x") -> None:
        self.frame = frame.lazy()
        self._prefix = prefix
        self._names = count()

    def _name(self) -> str:
        return f"{self._prefix}{next(self._names)}"

    def _add_columns(self, exprs: Sequence[pl.Expr]) -> tuple[pl.Expr, ...]:
        names = [self._name() for _ in exprs]
        self.frame = self.frame.with_columns(e.alias(n) for e, n in zip(exprs, names, strict=True))
        return tuple(pl.col(n) for n in names)

    def of(self, expr: pl.Expr, bound: int) -> Nat:
        """An integer column or expression with ``0 ≤ value ≤ bound`` (bound < 2^127)."""
        assert 0 <= bound <= INT_MAX
        value = expr.cast(INT)
        size = len(constant(bound).bounds)
        parts = [value if size == 1 else value % lit(BASE)]
        parts += [(value // lit(BASE**k)) % lit(BASE) for k in range(1, size)]
        bounds = [min(bound, BASE - 1)] * (size - 1) + [bound // BASE ** (size - 1)]
        return Nat(self._add_columns(parts), tuple(bounds))

    def carry(self, raw: Sequence[pl.Expr], bounds: Sequence[int]) -> Nat:
        """Normalize ``Σ raw[k] × 10^(18k)`` (each ``0 ≤ raw[k] ≤ bounds[k] < 2^127``).

        Carries ripple from the least significant limb up; a limb whose bound (with the
        carry it can receive) is below 10^18 needs no division.
        """
        raw = list(self._add_columns(raw))
        bounds = list(bounds)
        limbs: list[pl.Expr] = []
        out: list[int] = []
        carry: pl.Expr | None = None
        carry_bound = 0
        k = 0
        while k < len(raw) or carry_bound:
            total = raw[k] if k < len(raw) else lit(0)
            total_bound = (bounds[k] if k < len(raw) else 0) + carry_bound
            assert total_bound <= INT_MAX
            if carry is not None:
                total = total + carry
            if total_bound < BASE:
                if carry is not None:
                    (total,) = self._add_columns([total])
                limbs.append(total)
                out.append(total_bound)
                carry, carry_bound = None, 0
            else:
                limb, carry_col = self._name(), self._name()
                self.frame = self.frame.with_columns(
                    (total % lit(BASE)).alias(limb), (total // lit(BASE)).alias(carry_col)
                )
                limbs.append(pl.col(limb))
                out.append(BASE - 1)
                carry, carry_bound = pl.col(carry_col), total_bound // BASE
            k += 1
        while len(out) > 1 and out[-1] == 0:  # limbs known to be zero on top
            limbs.pop()
            out.pop()
        return Nat(tuple(limbs), tuple(out))

    def add(self, a: Nat, b: Nat) -> Nat:
        """``a + b``."""
        size = max(len(a.bounds), len(b.bounds))
        raw, bounds = [], []
        for k in range(size):
            terms = [(n.limbs[k], n.bounds[k]) for n in (a, b) if k < len(n.bounds) and n.bounds[k]]
            raw.append(sum((t for t, _ in terms[1:]), terms[0][0]) if terms else lit(0))
            bounds.append(sum(b for _, b in terms))
        return self.carry(raw, bounds)

    def mul(self, a: Nat, b: Nat) -> Nat:
        """``a × b`` (schoolbook; split when a limb would sum too many products)."""
        if len(a.bounds) < len(b.bounds):
            a, b = b, a
        if b.is_one:
            return a
        if a.is_one:
            return b
        if sum(1 for x in b.bounds if x) > MAX_TERMS:
            half = len(b.bounds) // 2
            low = Nat(b.limbs[:half], b.bounds[:half])
            high = Nat(b.limbs[half:], b.bounds[half:])
            return self.add(self.mul(a, low), self.mul(a, high).shifted(half))
        size = len(a.bounds) + len(b.bounds) - 1
        raw: list[pl.Expr] = []
        bounds: list[int] = []
        for k in range(size):
            terms = [
                (a.limbs[i] * b.limbs[k - i], a.bounds[i] * b.bounds[k - i])
                for i in range(max(0, k - len(b.bounds) + 1), min(k, len(a.bounds) - 1) + 1)
                if a.bounds[i] and b.bounds[k - i]
            ]
            raw.append(sum((t for t, _ in terms[1:]), terms[0][0]) if terms else lit(0))
            bounds.append(sum(b for _, b in terms))
        return self.carry(raw, bounds)

    def choose(self, condition: pl.Expr, a: Nat, b: Nat) -> Nat:
        """``a`` where ``condition`` holds, else ``b``."""
        size = max(len(a.bounds), len(b.bounds))
        zero = lit(0)
        parts = [
            pl.when(condition)
            .then(a.limbs[k] if k < len(a.bounds) else zero)
            .otherwise(b.limbs[k] if k < len(b.bounds) else zero)
            for k in range(size)
        ]
        bounds = [max(n.bounds[k] if k < len(n.bounds) else 0 for n in (a, b)) for k in range(size)]
        return Nat(self._add_columns(parts), tuple(bounds))

    def value(self, n: Nat) -> pl.Expr:
        """``n`` as one ``Int128`` expression (its bound must be below 2^127)."""
        assert n.bound <= INT_MAX
        terms = [limb * lit(BASE**k) for k, limb in enumerate(n.limbs) if n.bounds[k]]
        return sum(terms[1:], terms[0]) if terms else lit(0)

    def round_div(
        self, z: Nat, exponent: int, divisor: pl.Expr, divisor_bound: int
    ) -> tuple[pl.Expr, pl.Expr]:
        """``z / (10^exponent × divisor)`` rounded half-up, as an ``Int128`` expression, and
        a boolean expression that is true where the result does not fit (10^36 or more:
        the value is then meaningless).

        ``z`` must be normalized; ``1 ≤ divisor ≤ divisor_bound < 10^20``. With
        ``H = z // 10^exponent`` (limbs shifted), ``L = z mod 10^exponent`` and
        ``H = a × divisor + r``, the exact quotient is ``a + (r + L/10^exponent) / divisor``
        and rounds up iff ``2r + 2L/10^exponent ≥ divisor``. As ``2r`` and ``divisor`` are
        integers and ``0 ≤ 2L/10^exponent < 2``, that is ``2r ≥ divisor``, or
        ``2r + 1 = divisor`` and ``L ≥ 10^exponent / 2`` — i.e. the digit of ``z`` at
        position ``exponent − 1`` is 5 or more. No rational is ever approximated.
        """
        assert all(b < BASE for b in z.bounds), "round_div needs normalized limbs"
        assert 1 <= divisor_bound < MAX_DIVISOR
        whole, digits = divmod(exponent, BASE_DIGITS)
        # the digit at position exponent - 1 decides a remainder of exactly half a unit
        if exponent == 0:
            half = pl.lit(value=False)
        else:
            at, place = divmod(exponent - 1, BASE_DIGITS)
            limb = z.limbs[at] if at < len(z.limbs) else lit(0)
            half = (limb // lit(10**place)) % lit(10) >= lit(5)
        # H = z // 10^exponent
        high_limbs: list[pl.Expr] = []
        high_bounds: list[int] = []
        for i in range(whole, len(z.bounds)):
            if not digits:
                high_limbs.append(z.limbs[i])
                high_bounds.append(z.bounds[i])
                continue
            part = z.limbs[i] // lit(10**digits)
            bound = z.bounds[i] // 10**digits
            if i + 1 < len(z.bounds) and z.bounds[i + 1]:
                part = part + (z.limbs[i + 1] % lit(10**digits)) * lit(10 ** (BASE_DIGITS - digits))
                bound = BASE - 1
            high_limbs.append(part)
            high_bounds.append(bound)
        if not high_limbs:
            high_limbs, high_bounds = [lit(0)], [0]
        high = Nat(self._add_columns(high_limbs), tuple(high_bounds))
        # long division of H by the divisor, most significant limb first
        divisor = divisor.cast(INT)
        rest: pl.Expr = lit(0)
        quotient: list[pl.Expr] = [lit(0)] * len(high.limbs)
        quotient_bounds = [0] * len(high.limbs)
        for i in reversed(range(len(high.limbs))):
            current = rest * lit(BASE) + high.limbs[i]
            q, r = self._name(), self._name()
            self.frame = self.frame.with_columns(
                (current // divisor).alias(q), (current % divisor).alias(r)
            )
            quotient[i], rest = pl.col(q), pl.col(r)
            quotient_bounds[i] = min(high.bound // BASE**i, BASE - 1)
        low = Nat(tuple(quotient[:2]), tuple(quotient_bounds[:2]))
        too_large = [
            q > lit(0) for q, b in zip(quotient[2:], quotient_bounds[2:], strict=True) if b
        ]
        up = (2 * rest >= divisor) | ((2 * rest + 1 == divisor) & half)
        return (
            self.value(low) + up.cast(INT),
            pl.any_horizontal(too_large) if too_large else pl.lit(value=False),
        )
