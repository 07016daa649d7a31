"""The one rounding of revcli (reports, invoices, e-invoices): half away from zero, exact."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from revcli.decimals import round_half_up

D = Decimal


def test_halves_go_away_from_zero_for_every_kind_of_number() -> None:
    assert round_half_up(Fraction(1, 8), 2) == D("0.13")  # 0.125 → 0.13
    assert round_half_up(D("-0.125"), 2) == D("-0.13")
    assert round_half_up(2.5, 0) == D("3")  # Python's round(2.5) is 2
    assert round_half_up(1.005, 2) == D("1.01")  # the float as printed, not 1.00499999…
    assert round_half_up(7, 2) == D("7.00")


def test_exact_beyond_28_digits_and_no_negative_zero() -> None:
    # 10^30 + 0.5 has 31 digits: the default decimal context (28) would round it away.
    assert round_half_up(D(f"{10**30}.5"), 0) == D(10**30 + 1)
    assert str(round_half_up(D("123456789012345678901234567890.125"), 2)) == (
        "123456789012345678901234567890.13"
    )
    assert str(round_half_up(D("-0.001"), 2)) == "0.00"


def test_infinity_passes_through() -> None:
    assert round_half_up(float("inf"), 2) == D("Infinity")


@given(st.integers(-(10**40), 10**40), st.integers(1, 10**6), st.integers(0, 6))
def test_matches_the_definition(num: int, den: int, places: int) -> None:
    # round_half_up(x) = sign(x) · floor(|x| · 10^p + 1/2) / 10^p
    units = (abs(num) * 10**places * 2 + den) // (2 * den)
    got = round_half_up(Fraction(num, den), places)
    assert got == Fraction(units if num >= 0 else -units, 10**places)
    assert got.as_tuple().exponent == -places


@given(
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(10**70), 10**70).map(lambda n: Decimal(n).scaleb(-35)),
    ),
    st.integers(0, 14),
)
def test_decimals_and_floats_match_the_definition(value: Decimal | float, places: int) -> None:
    # Decimals (and floats, at their shortest decimal form) are rounded by decimal's
    # quantize where the result fits 60 digits: it must agree with the definition, from the
    # exact fraction, at every magnitude and number of places (12 and up take the other path).
    exact = Fraction(Decimal(repr(value)) if isinstance(value, float) else value)
    units = (abs(exact.numerator) * 10**places * 2 + exact.denominator) // (2 * exact.denominator)
    got = round_half_up(value, places)
    assert got == Fraction(units if exact >= 0 else -units, 10**places)
    assert got.as_tuple().exponent == -places
    assert not got.is_signed() or got != 0  # no negative zero
