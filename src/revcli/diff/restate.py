"""Effects of each cause on the monthly figures: apply the causes one at a time (SPEC §12).

The figures of every intermediate state are rounded to cents before they are compared, so
the effect of a cause is a difference of printed numbers and the causes of a month add up
exactly to its change: the sum telescopes from the old revision's figures to the new one's.

The figures are sums over customers of what each customer's own records make (its row,
its contracts and their lines, under the settings and fx rates), added up as exact
decimals; so a customer or contract cause changes a month's exact figures by what it
changes in the customers it touches. :func:`restate` runs the engine once over the
touched customers, each as it stands before and after each cause touching it (a copy
under an id of its own), and adds those changes to the exact figures of the state before
the first such cause: the same numbers as building and running every intermediate data
set whole, at the cost of one run over the touched customers instead of one run over
everything per cause.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from revcli.data.load import RawData
from revcli.diff.changes import Cause, apply, causes
from revcli.diff.figures import CENTS, FIGURES, FX, exact_figures, figures, printed
from revcli.diff.versions import customer_states
from revcli.metrics.mrr import MONTH
from revcli.metrics.states import watching_fixed_points

__all__ = ["CENTS", "FIGURES", "FX", "Restatement", "figures", "restate"]

_KEYS = ("month", "cause", "file", "id", "detail")


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


def tagged(frame: pl.DataFrame, cause: Cause, order: int) -> pl.DataFrame:
    return frame.with_columns(
        pl.lit(cause.kind).alias("cause"),
        pl.lit(cause.file).alias("file"),
        pl.lit(cause.id).alias("id"),
        pl.lit(cause.detail).alias("detail"),
        pl.lit(order).alias("_order"),
    )


_GLOBAL = ("settings", "fx_rates")
"""Kinds of cause that change every customer's figures: each is applied to the whole data."""


def restate(old: RawData, new: RawData, first: dt.date, last: dt.date) -> Restatement:
    """How the figures of ``first``…``last`` changed from ``old`` to ``new``, by cause.

    The ``settings`` and ``fx_rates`` causes (always first) are applied to the whole data,
    one at a time. The customer and contract causes after them are worked out customer by
    customer (:func:`customer_states`); where that is not shown to give the same figures
    (a contract id on two contracts, a contract or customer without an id, a contract
    without a customer id, sums so large that the engine's fixed point could lose places,
    or an engine error on the versions) each of their states is built and run whole.
    """
    found = tuple(causes(old, new))
    end = figures(new, first, last)
    head = 0
    while head < len(found) and found[head].kind in _GLOBAL:
        head += 1

    exact: pl.DataFrame | None = None
    seen: list[tuple[int, int | None]] = []

    def whole(i: int) -> pl.DataFrame:
        """The figures after cause ``i`` (-1: none), the data built and run whole. The
        state the customer and contract causes start from (after cause ``head - 1``) is
        run for its exact figures (:data:`exact`), which print as :func:`figures` would."""
        nonlocal exact
        if i >= 0 and i == len(found) - 1:  # the new revision itself: effects add up to it
            return end
        data = old if i < 0 else apply(old, new, list(found[: i + 1]))
        if i != head - 1:
            return figures(data, first, last)
        with watching_fixed_points() as noted:
            exact = exact_figures(data, first, last)
        seen.extend(noted)
        return printed(exact)

    start = whole(-1)
    previous = start
    rows: list[pl.DataFrame] = []
    for i in range(head):
        state = whole(i)
        a, b, names = _align(previous, state)
        rows.append(tagged(_change(a, b, names), found[i], i))
        previous = state
    if head < len(found):
        assert exact is not None  # whole(head - 1) has run: start, or the last loop
        stepped = customer_states(
            old, new, found, head=head, exact=exact, seen=seen, months=(first, last)
        )
        if stepped is not None and stepped.columns[1:] == end.columns:
            rows.append(_stepped_effects(stepped, previous, end, found, head))
        else:
            for i in range(head, len(found)):
                state = whole(i)
                a, b, names = _align(previous, state)
                rows.append(tagged(_change(a, b, names), found[i], i))
                previous = state
    return assembled(rows, start, end, found)


def assembled(
    rows: list[pl.DataFrame], start: pl.DataFrame, end: pl.DataFrame, found: tuple[Cause, ...]
) -> Restatement:
    """The :class:`Restatement` of the effect rows of the causes ``found`` (each tagged
    by :func:`tagged`), the figures ``start`` of the old revision and ``end`` of the new:
    a ``total`` row per month, the rows without any effect left out."""
    before, after, names = _align(start, end)
    total = tagged(_change(before, after, names), Cause("total", "", "", ""), len(found))
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


def _stepped_effects(
    stepped: pl.DataFrame,
    previous: pl.DataFrame,
    end: pl.DataFrame,
    found: tuple[Cause, ...],
    head: int,
) -> pl.DataFrame:
    """The effect rows of the causes ``found[head:]`` from the figures after each
    (``stepped``, of :func:`customer_states`): each state less the one before, the first
    less ``previous``, and the last state the new revision's figures ``end``."""
    states = pl.concat(
        [
            previous.with_columns(pl.lit(head - 1, pl.Int64).alias("_order")),
            stepped.filter(pl.col("_order") < len(found) - 1).select(*previous.columns, "_order"),
            end.with_columns(pl.lit(len(found) - 1, pl.Int64).alias("_order")),
        ],
        how="vertical_relaxed",
    )
    names = [c for c in end.columns if c != MONTH]
    changes = (
        states.sort(MONTH, "_order")
        .select(
            MONTH,
            *((pl.col(n) - pl.col(n).shift(1).over(MONTH)).alias(n) for n in names),
            "_order",
        )
        .filter(pl.col("_order") >= head)
    )
    tags = pl.DataFrame(
        {
            "cause": [c.kind for c in found[head:]],
            "file": [c.file for c in found[head:]],
            "id": [c.id for c in found[head:]],
            "detail": [c.detail for c in found[head:]],
            "_order": list(range(head, len(found))),
        },
        schema_overrides={"_order": pl.Int64},
    )
    return changes.join(tags, on="_order", how="left")
