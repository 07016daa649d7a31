"""From the frames of a billing run to invoice objects: lines, steps and tax lines.

Decimals arrive as the integer mantissas of ``pl.Decimal(38, 10)`` columns and money as
minor units (:mod:`.amounts` computed them); here they become exact ``Decimal``s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

import polars as pl

from revcli.billing.model import ONE_TIME, RECURRING, InvoiceLine, PriceStep
from revcli.billing.money import from_units, plain, round_half_up


@lru_cache(maxsize=1 << 16)
def decimal_of(mantissa: int) -> Decimal:
    """A ``pl.Decimal(38, 10)`` value from its integer mantissa, without trailing zeros.

    Cached: quantities, discounts, rates and prices repeat across lines, and this is the
    costliest step of turning frame rows into invoice objects.
    """
    return plain(from_units(mantissa, 10))


def _plain_texts(mantissas: pl.Expr) -> pl.Expr:
    """``pl.Decimal(38, 10)`` mantissas as texts ``Decimal`` reads as :func:`decimal_of`
    makes them: ``M×10^-k E-(10-k)`` with ``k`` the trailing zeros dropped (at most 10)."""
    zeros = sum(
        ((mantissas % pl.lit(10**j, dtype=pl.Int128)) == 0).cast(pl.Int32) for j in range(1, 11)
    )
    shifted = pl.lit(0, dtype=pl.Int128)
    for k in range(11):
        shifted = (
            pl.when(zeros == k).then(mantissas // pl.lit(10**k, dtype=pl.Int128)).otherwise(shifted)
        )
    return pl.format("{}E-{}", shifted, pl.lit(10) - zeros)


def decimals(series: pl.Series) -> list[Decimal | None]:
    """The values of a ``pl.Decimal(38, 10)`` column (or of its ``Int128`` mantissas) as
    plain ``Decimal``s, equal to :func:`decimal_of`'s; each distinct value converted once,
    its text built by Polars."""
    values = (series.to_physical() if isinstance(series.dtype, pl.Decimal) else series).cast(
        pl.Int128
    )
    distinct = values.drop_nulls().unique().to_frame("m")
    texts = distinct.select(pl.col("m"), _plain_texts(pl.col("m")).alias("t"))
    table = {
        m: Decimal(t)
        for m, t in zip(
            texts.get_column("m").to_list(), texts.get_column("t").to_list(), strict=True
        )
    }
    return [None if m is None else table[m] for m in values.to_list()]


def money_of(frame: pl.DataFrame, units: str, places: str = "places") -> list[Decimal]:
    """The exact amounts of a column of minor ``units`` with ``places`` decimals each (as
    :func:`~.money.from_units`; the texts are built by Polars, in one go)."""
    texts = frame.select(pl.format("{}E-{}", pl.col(units), pl.col(places))).to_series()
    return [Decimal(t) for t in texts.to_list()]


def invoice_lines(frame: pl.DataFrame) -> list[InvoiceLine]:
    """An :class:`InvoiceLine` per row of priced lines (:func:`~.amounts.line_amounts`, with
    ``tax_rate``), in order: the money was computed there; here decimals, amounts and the
    price steps of a line that a renewal splits become objects, column by column."""
    prices = frame.get_column("seg_prices")
    counts = prices.list.len()
    assert frame.height == 0 or counts.min() >= 1, "every line has a price"  # type: ignore[operator]
    flat = decimals(prices.explode())
    firsts = decimals(prices.list.first())
    split = frame.with_row_index("_i").filter(counts > 1)
    steps_of: dict[int, tuple[PriceStep, ...]] = {}
    offsets = (counts.cum_sum() - counts).to_list()
    for i, starts, days, end in frame_rows(split, ("_i", "seg_start", "seg_days", "service_end")):
        at = offsets[i]
        ends = [s - dt.timedelta(days=1) for s in starts[1:]] + [end]
        steps_of[i] = tuple(
            PriceStep(s, e, d, p)  # type: ignore[arg-type]
            for s, e, d, p in zip(starts, ends, days, flat[at : at + len(starts)], strict=True)
        )
    columns = (
        "line_id",
        "product",
        "description",
        "price_period",
        "service_start",
        "service_end",
        "active_days",
        "period_days",
    )
    return [
        InvoiceLine(
            line_id=line_id,
            product=product,
            description=description,
            kind=ONE_TIME if price_period == "once" else RECURRING,
            price_period=price_period,
            quantity=quantity,
            unit_price=unit_price,
            discount_pct=discount,
            service_start=service_start,
            service_end=service_end,
            active_days=active,
            period_days=period_days,
            tax_rate=tax_rate,
            amount=amount,
            steps=steps_of.get(i, ()),
        )
        for i, (
            (
                line_id,
                product,
                description,
                price_period,
                service_start,
                service_end,
                active,
                period_days,
            ),
            quantity,
            discount,
            tax_rate,
            unit_price,
            amount,
        ) in enumerate(
            zip(
                frame_rows(frame, columns),
                decimals(frame.get_column("quantity")),
                decimals(frame.get_column("discount_pct")),
                decimals(frame.get_column("tax_rate")),
                firsts,
                money_of(frame, "amount"),
                strict=True,
            )
        )
    ]


def frame_rows(frame: pl.DataFrame, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``columns``, decimals as their integer mantissas (column-wise: faster
    than ``iter_rows``, and ints convert faster than ``Decimal``s)."""
    lists = [
        (
            frame.get_column(c).to_physical()
            if isinstance(frame.schema[c], pl.Decimal)
            else frame.get_column(c)
        ).to_list()
        for c in columns
    ]
    return zip(*lists, strict=True)


def nok_tax(tax: Decimal, nok_rate: Decimal) -> Decimal:
    """The tax of one rate in NOK, half-up to øre, as :func:`~.model.tax_lines` does."""
    return round_half_up(Fraction(tax) * Fraction(nok_rate), 2)
