"""How a line's amount arises, in numbers a reader can multiply out.

One rule for every face (HTML, PDF, Markdown, text) and for the e-invoice (Peppol R120):
the shown quantity × the shown unit price is the shown amount before discount, or the
line says how the amount arises — the months billed, the prorated share of days, the
prices of the pieces when a renewal uplift starts inside the period — and that the result
was rounded to the currency's minor unit.

A price for a longer or shorter period than the one billed is folded into a price per
billed period when that price is an exact decimal of at most ten places (100 a month
billed quarterly shows 300 a quarter); otherwise the months billed are a separate factor
(1,000 a year billed monthly: 1,000 × 1 of 12 months). A term's length is whole months
plus days counted 1/30.4375 month each (docs/rules.md), and is written so: a term of 6
months and 15 days is ``(6 + 15/30.4375)`` months.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from revcli.decimals import round_half_up
from revcli.einvoice.model import ONCE, Line, PriceStep

PERIOD_WORDS = {Fraction(1): "month", Fraction(3): "quarter", Fraction(6): "half-year"}
PERIOD_WORDS[Fraction(12)] = "year"
MAX_PLACES = 10
DAY_OF_A_MONTH = "30.4375"
"""The days of an average month: a day of a term counts 1/30.4375 month (docs/rules.md)."""


@dataclass(frozen=True)
class Terms:
    """A line's shown numbers, all positive (a credit note's are those of its lines).

    ``gross = round(quantity × unit_price × months × share)`` (or the sum over ``steps``)
    and ``net = gross − discount`` = the line's amount. ``multiplies`` is true when
    ``quantity × unit_price = gross`` exactly and there is nothing else to show;
    otherwise ``months`` (billed months ÷ the price's months, when not 1; ``month_counts``
    holds the two), ``share`` (active days, days of the period) or ``steps`` say how
    ``gross`` arises, and ``rounded`` whether the exact product had more places than the
    currency.
    """

    quantity: Decimal
    unit_price: Decimal
    per: str
    gross: Decimal
    discount: Decimal
    net: Decimal
    multiplies: bool
    months: Fraction | None = None
    share: tuple[int, int] | None = None
    steps: tuple[PriceStep, ...] = ()
    rounded: bool = False
    month_counts: tuple[Fraction, Fraction] | None = None

    @property
    def exact(self) -> Fraction:
        """The unrounded amount before discount, from the shown numbers."""
        if self.steps:
            assert self.share is not None
            price = sum((Fraction(s.unit_price) * s.days for s in self.steps), Fraction(0))
            value = Fraction(self.quantity) * price / self.share[1]
        else:
            value = Fraction(self.quantity) * Fraction(self.unit_price)
            if self.share is not None:
                value *= Fraction(self.share[0], self.share[1])
        return value * (self.months if self.months is not None else 1)


def finite_decimal(value: Fraction, max_places: int = MAX_PLACES) -> Decimal | None:
    """``value`` as an exact Decimal of at most ``max_places`` places, else None."""
    scaled = value * 10**max_places
    if scaled.denominator != 1:
        return None
    normal = Decimal(scaled.numerator).scaleb(-max_places).normalize()
    return Decimal(format(normal, "f")) if normal != 0 else Decimal(0)


def _places(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _word(months: Fraction, fallback: str) -> str:
    return PERIOD_WORDS.get(months, fallback)


def line_terms(line: Line) -> Terms:
    """The shown numbers of ``line`` (see :class:`Terms`)."""
    places = _places(line.amount)
    net = abs(line.amount)
    quantity = abs(line.quantity)
    price = line.unit_price
    per = line.price_period
    months: Fraction | None = None
    share: tuple[int, int] | None = None
    steps: tuple[PriceStep, ...] = ()
    counts: tuple[Fraction, Fraction] | None = None
    if line.price_period != ONCE:
        ratio = line.period_months / line.price_months
        if len(line.steps) > 1:
            steps = line.steps
            share = (line.active_days, line.period_days)
        elif line.active_days < line.period_days:
            share = (line.active_days, line.period_days)
        if ratio != 1:
            folded = None if steps else finite_decimal(Fraction(price) * ratio)
            if folded is None:
                months = ratio
                counts = (line.period_months, line.price_months)
            else:
                price = folded
                per = _word(line.period_months, "term")
    shown = Terms(quantity, price, per, Decimal(0), Decimal(0), net, False, months, share, steps)
    exact = shown.exact
    gross = round_half_up(exact, places)
    if line.discount_pct == 0:
        # The register's amount is the truth; the shown numbers explain it.
        gross = net
    simple = months is None and share is None and not steps
    product = Fraction(quantity) * Fraction(price)
    return Terms(
        quantity=quantity,
        unit_price=price,
        per=per,
        gross=gross,
        discount=gross - net,
        net=net,
        multiplies=simple and product == Fraction(gross),
        months=months,
        share=share,
        steps=steps,
        rounded=exact != Fraction(gross),
        month_counts=counts,
    )


def whole_months_and_days(value: Fraction) -> tuple[int, int] | None:
    """``value`` months as ``(m, d)`` when it is ``m + d/30.4375`` with ``d`` at most 30
    (how a term's length is counted), else None."""
    parts = value * 487
    if value < 0 or parts.denominator != 1:
        return None
    whole, rest = divmod(parts.numerator, 487)
    return (whole, rest // 16) if rest % 16 == 0 else None


def month_count(value: Fraction, number: Callable[[Fraction], str], day: str) -> str:
    """A number of months as a reader multiplies it: ``12``, a term of whole months and days
    as ``(6 + 15/30.4375)``, one under a month as ``(15/30.4375)``; in parentheses unless
    whole, so that it divides as one number. ``number`` writes a number, ``day`` is
    30.4375 in the reader's notation."""
    parts = whole_months_and_days(value)
    if parts is None:
        shown = number(value)
        return shown if value.denominator == 1 else f"({shown})"
    whole, days = parts
    if days == 0:
        return number(Fraction(whole))
    if whole == 0:
        return f"({days}/{day})"
    return f"({whole} + {days}/{day})"


def month_factor(
    counts: tuple[Fraction, Fraction],
    number: Callable[[Fraction], str],
    words: Mapping[str, str],
) -> str:
    """``× 3 months`` for a price per month, ``× 1 of 12 months`` for a period shorter than
    the price's, ``× 12 months ÷ 3 months`` for a longer one; ``words`` gives ``month``,
    ``months``, ``of``, ``divide`` and ``day`` (30.4375) in the reader's language."""
    billed, priced = counts

    def count(value: Fraction) -> str:
        unit = words["month"] if value == 1 else words["months"]
        return f"{month_count(value, number, words['day'])} {unit}"

    if priced == 1:
        return f"× {count(billed)}"
    if billed < priced:
        return f"× {month_count(billed, number, words['day'])} {words['of']} {count(priced)}"
    return f"× {count(billed)} {words['divide']} {count(priced)}"


ENGLISH = {
    "month": "month",
    "months": "months",
    "of": "of",
    "divide": "÷",
    "day": DAY_OF_A_MONTH,
}
"""The words of :func:`month_factor` in the e-invoice's line notes."""


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _span(step: PriceStep) -> str:
    if step.start == step.end:
        return step.start.isoformat()
    return f"{step.start.isoformat()} to {step.end.isoformat()}"


def how(terms: Terms, currency: str) -> str:
    """How the amount arises, in plain English for the e-invoice line note; empty when
    quantity × unit price is the amount. Every number a reader needs is shown, so that
    multiplying them out gives the amount: ``2 × 1000 NOK per year × 1 of 12 months ×
    22 of 31 days, rounded to 118.28``."""
    if terms.multiplies:
        return ""
    if terms.steps:
        pieces = " + ".join(f"{_days(s.days)} ({_span(s)}) at {s.unit_price}" for s in terms.steps)
        assert terms.share is not None
        text = f"{terms.quantity} × ({pieces}) {currency} per {terms.per} ÷ {_days(terms.share[1])}"
    else:
        # A one-time fee is no price per period: "1 × 999.995 NOK one-time", not "per once".
        every = "one-time" if terms.per == ONCE else f"per {terms.per}"
        text = f"{terms.quantity} × {terms.unit_price} {currency} {every}"
    if terms.month_counts is not None:
        text += " " + month_factor(terms.month_counts, _fraction, ENGLISH)
    if terms.share is not None and not terms.steps:
        text += f" × {terms.share[0]} of {_days(terms.share[1])}"
    if terms.rounded:
        text += f", rounded to {terms.gross}"
    else:
        text += f" = {terms.gross}"
    return text


def _fraction(value: Fraction) -> str:
    exact = finite_decimal(value, 4)
    if exact is not None:
        return str(exact)
    return f"{value.numerator}/{value.denominator}"
