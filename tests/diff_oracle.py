"""The straightforward restatement, kept as the oracle of :func:`revcli.diff.restate.restate`:
every intermediate data set built whole and run through the whole engine, cause by cause
(O(causes × data), the way ``revcli diff`` worked before it went customer by customer)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.data.load import RawData
from revcli.diff.changes import apply, causes
from revcli.diff.restate import _KEYS, CENTS, Restatement, _align, _change, figures
from revcli.metrics.common import MONTH


def naive_states(old: RawData, new: RawData, first: dt.date, last: dt.date) -> list[pl.DataFrame]:
    """The printed figures after each cause, each state computed whole (the last one too)."""
    found = list(causes(old, new))
    return [figures(apply(old, new, found[: i + 1]), first, last) for i in range(len(found))]


def naive_restate(old: RawData, new: RawData, first: dt.date, last: dt.date) -> Restatement:
    """What :func:`revcli.diff.restate.restate` returns, the slow and obvious way."""
    found = tuple(causes(old, new))
    start = figures(old, first, last)
    end = figures(new, first, last)
    rows: list[pl.DataFrame] = []
    previous = start
    for i, cause in enumerate(found):
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
        .filter(effect | (is_total & (~is_total & effect).any().over(MONTH)))
        .sort(MONTH, "_order")
        .select(*_KEYS, *names)
    )
    return Restatement(before, after, effects, tuple(names), found)
