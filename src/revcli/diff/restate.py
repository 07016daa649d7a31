"""Effects of each cause on the monthly figures: apply the causes one at a time (SPEC §12).

The figures of every intermediate state are rounded to cents before they are compared, so
the effect of a cause is a difference of printed numbers and the causes of a month add up
exactly to its change: the sum telescopes from the old revision's figures to the new one's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from revcli.data.load import RawData
from revcli.data.validate import validate
from revcli.diff.changes import Cause, apply, causes
from revcli.metrics.mrr import MONTH, MOVEMENTS
from revcli.metrics.report import mrr_frame

FIGURES = ("mrr", *MOVEMENTS)
"""The figures of ``revcli mrr`` a restatement explains."""
FX = "fx"
"""The currency-effect movement, present when a revision values lines at month-end rates."""
CENTS = pl.Decimal(38, 2)

_KEYS = ("month", "cause", "file", "id", "detail")


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


def _align(a: pl.DataFrame, b: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    names = [*FIGURES, *([FX] if FX in a.columns or FX in b.columns else [])]
    zero = pl.lit(0).cast(CENTS)
    a = a.with_columns(zero.alias(n) for n in names if n not in a.columns)
    b = b.with_columns(zero.alias(n) for n in names if n not in b.columns)
    return a.select(MONTH, *names), b.select(MONTH, *names), names


def _change(before: pl.DataFrame, after: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    joined = after.join(before, on=MONTH, how="left", suffix="_was")
    return joined.select(MONTH, *((pl.col(n) - pl.col(f"{n}_was")).alias(n) for n in names))


@dataclass(frozen=True)
class Restatement:
    """Figures before and after (``month`` + figures, cents) and the effect rows.

    ``effects``: ``month, cause, file, id, detail`` and one column per figure — one row
    per (month, cause) with any effect, then a ``total`` row for each month that changed
    or has causes (which may cancel out).
    """

    before: pl.DataFrame
    after: pl.DataFrame
    effects: pl.DataFrame
    figures: tuple[str, ...]
    causes: tuple[Cause, ...]

    def changed_months(self) -> list[dt.date]:
        """Months whose figures changed (causes that cancel out change nothing)."""
        changed = pl.any_horizontal(pl.col(n) != 0 for n in self.figures)
        totals = self.effects.filter((pl.col("cause") == "total") & changed)
        return sorted(totals.get_column(MONTH).to_list())

    def explained_months(self) -> list[dt.date]:
        """Months with any cause: those that changed, and those whose causes cancel out."""
        totals = self.effects.filter(pl.col("cause") == "total")
        return sorted(totals.get_column(MONTH).to_list())


def restate(old: RawData, new: RawData, first: dt.date, last: dt.date) -> Restatement:
    """How the figures of ``first``…``last`` changed from ``old`` to ``new``, by cause."""
    found = tuple(causes(old, new))
    start = figures(old, first, last)
    end = figures(new, first, last)
    rows: list[pl.DataFrame] = []
    previous = start
    for i, cause in enumerate(found):
        # The last state is the new revision itself, so the effects add up to its figures.
        last_one = i == len(found) - 1
        state = end if last_one else figures(apply(old, new, list(found[: i + 1])), first, last)
        a, b, names = _align(previous, state)
        rows.append(
            _change(a, b, names).with_columns(
                pl.lit(cause.kind).alias("cause"),
                pl.lit(cause.file).alias("file"),
                pl.lit(cause.id).alias("id"),
                pl.lit(cause.detail).alias("detail"),
                pl.lit(i).alias("_order"),
            )
        )
        previous = state
    before, after, names = _align(start, end)
    total = _change(before, after, names).with_columns(
        pl.lit("total").alias("cause"),
        pl.lit("").alias("file"),
        pl.lit("").alias("id"),
        pl.lit("").alias("detail"),
        pl.lit(len(found)).alias("_order"),
    )
    effects = pl.concat([*rows, total], how="diagonal_relaxed")
    effect = pl.any_horizontal(pl.col(n) != 0 for n in names)
    is_total = pl.col("cause") == "total"
    effects = (
        effects.with_columns(pl.col(n).fill_null(pl.lit(0).cast(CENTS)) for n in names)
        # A month's total stays beside its causes even when they cancel out.
        .filter(effect | (is_total & (~is_total & effect).any().over(MONTH)))
        .sort(MONTH, "_order")
        .select(*_KEYS, *names)
    )
    return Restatement(before, after, effects, tuple(names), found)
