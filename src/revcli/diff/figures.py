"""The figures a restatement explains: those of ``revcli mrr``, per month, in cents as
reports print them (:func:`figures`), or as the exact decimals the engine sums
(:func:`exact_figures`) and printed from them (:func:`printed`)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.data.load import RawData
from revcli.data.validate import validate
from revcli.metrics.money import MONEY
from revcli.metrics.mrr import MONTH, MOVEMENTS, Book
from revcli.metrics.report import mrr_frame

FIGURES = ("mrr", *MOVEMENTS)
"""The figures of ``revcli mrr`` a restatement explains."""
FX = "fx"
"""The currency-effect movement, present when a revision values lines at month-end rates."""
CENTS = pl.Decimal(38, 2)


def cents(column: str) -> pl.Expr:
    """A float column rounded to cents half away from zero, exactly as reports print it:
    from the shortest decimal text of each float (1.005 → 1.01), as an exact decimal."""
    text = pl.col(column).cast(pl.String)
    exact = text.str.to_decimal(scale=20)
    return exact.round(2, mode="half_away_from_zero").cast(CENTS).alias(column)


def figures(raw: RawData, first: dt.date, last: dt.date) -> pl.DataFrame:
    """``month`` and the figures (in cents, exact decimals) of the data in ``raw``.

    Intermediate states may be invalid as a whole (a customer removed before the contracts
    that name it); their figures are what the engine makes of them.
    """
    data, _ = validate(raw)
    table = mrr_frame(data, first, last)
    names = [*FIGURES, *([FX] if FX in table.columns else [])]
    return table.select(MONTH, *(cents(c) for c in names))


def exact_figures(raw: RawData, first: dt.date, last: dt.date) -> pl.DataFrame:
    """``month`` and the figures of the data in ``raw`` as exact :data:`MONEY` decimals:
    the sums the engine makes floats of (:func:`figures` prints those floats)."""
    data, _ = validate(raw)
    table = Book.of(data).mrr_table(first, last, exact=True)
    names = [*FIGURES, *([FX] if FX in table.columns else [])]
    return table.select(MONTH, *(pl.col(n).cast(MONEY) for n in names))


def printed(exact: pl.DataFrame) -> pl.DataFrame:
    """Exact figures as :func:`figures` gives them: made the floats the engine outputs
    (the nearest to each), then rounded to cents as reports print them."""
    names = [c for c in exact.columns if c != MONTH]
    floats = exact.with_columns(pl.col(n).cast(MONEY).cast(pl.Float64) for n in names)
    return floats.select(MONTH, *(cents(n) for n in names))
