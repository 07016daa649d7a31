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

from revcli.billing.model import ONE_TIME, RECURRING, InvoiceLine, PriceStep, TaxLine
from revcli.billing.money import from_units, plain, round_half_up


@lru_cache(maxsize=1 << 16)
def decimal_of(mantissa: int) -> Decimal:
    """A ``pl.Decimal(38, 10)`` value from its integer mantissa, without trailing zeros.

    Cached: quantities, discounts, rates and prices repeat across lines, and this is the
    costliest step of turning frame rows into invoice objects.
    """
    return plain(from_units(mantissa, 10))


LINE_FIELDS = (
    "contract_id",
    "period_start",
    "line_id",
    "product",
    "description",
    "price_period",
    "quantity",
    "discount_pct",
    "service_start",
    "service_end",
    "active_days",
    "period_days",
    "tax_rate",
    "amount",
    "places",
    "seg_start",
    "seg_days",
    "seg_prices",
)


def invoice_line(row: tuple[Any, ...]) -> InvoiceLine:
    """An :class:`InvoiceLine` from a row of :data:`LINE_FIELDS` (decimals as their
    mantissas, see :func:`frame_rows`); its money was computed by
    :func:`~revcli.billing.amounts.line_amounts`."""
    (
        _,
        _,
        line_id,
        product,
        description,
        price_period,
        quantity,
        discount,
        service_start,
        service_end,
        active,
        period_days,
        tax_rate,
        amount,
        places,
        seg_start,
        seg_days,
        seg_prices,
    ) = row
    prices = [decimal_of(m) for m in seg_prices]
    steps: tuple[PriceStep, ...] = ()
    if len(prices) > 1:
        ends = [s - dt.timedelta(days=1) for s in seg_start[1:]] + [service_end]
        steps = tuple(
            PriceStep(s, e, d, p)
            for s, e, d, p in zip(seg_start, ends, seg_days, prices, strict=True)
        )
    return InvoiceLine(
        line_id=line_id,
        product=product,
        description=description,
        kind=ONE_TIME if price_period == "once" else RECURRING,
        price_period=price_period,
        quantity=decimal_of(quantity),
        unit_price=prices[0],
        discount_pct=decimal_of(discount),
        service_start=service_start,
        service_end=service_end,
        active_days=active,
        period_days=period_days,
        tax_rate=decimal_of(tax_rate),
        amount=from_units(amount, places),
        steps=steps,
    )


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


def invoice_taxes(
    rows: Sequence[tuple[Decimal, int, int]], places: int, nok_rate: Decimal | None
) -> tuple[tuple[TaxLine, ...], Decimal, Decimal, Decimal | None]:
    """The tax lines of an invoice from its (rate, net, tax) rows in minor units (rates
    ascending), with their sums; the tax of each rate also in NOK (half-up to øre) when
    ``nok_rate`` is given, as :func:`tax_lines` does."""
    taxes = []
    for rate, rate_net, rate_tax in rows:
        money_tax = from_units(rate_tax, places)
        nok = (
            None if nok_rate is None else round_half_up(Fraction(money_tax) * Fraction(nok_rate), 2)
        )
        taxes.append(TaxLine(rate, from_units(rate_net, places), money_tax, nok))
    net = from_units(sum(row[1] for row in rows), places)
    tax = from_units(sum(row[2] for row in rows), places)
    tax_nok = (
        None if nok_rate is None else sum((t.tax_nok or Decimal(0) for t in taxes), Decimal("0.00"))
    )
    return tuple(taxes), net, tax, tax_nok
