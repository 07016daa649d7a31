"""MRR states: the running MRR after each month with events, per key, summed exactly."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl

from revcli.metrics.common import MONTH, ROUND_DIGITS


def states(events: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """MRR after each month with events, per ``keys``: ``keys, month, prev, cur``.

    ``cur`` is the MRR at the end of ``month`` (and every later month up to the next
    row); ``prev`` the MRR at the end of the month before. ``cur`` is the exact sum of the
    group's changes so far, rounded once to :data:`ROUND_DIGITS` digits.
    """
    fixed, bits = _fixed_point(events)
    # Sorted by keys and month, a group starts where a key differs from the row above:
    # numbering groups that way is cheaper than windows over the key columns.
    starts = pl.any_horizontal(pl.col(k) != pl.col(k).shift(1) for k in keys).fill_null(True)
    if bits is None:  # beyond 2^52 a float has no decimals to round: float sums per group
        value = pl.col("dv").cum_sum().over(pl.col("_start").cum_sum())
    else:  # integers: the running total less its value where the group starts is exact
        value = (_within(pl.col("du")).cast(pl.Float64) * 2.0**-bits).round(ROUND_DIGITS)
    return (
        _summed(fixed, keys)
        .lazy()
        .with_columns(starts.alias("_start"))
        .with_columns(pl.when(_within(pl.col("dn")) > 0).then(value).otherwise(0.0).alias("cur"))
        .with_columns(
            pl.when(pl.col("_start")).then(0.0).otherwise(pl.col("cur").shift(1)).alias("prev")
        )
        .select(*keys, MONTH, "prev", "cur")
        .collect(engine="in-memory")
    )


def _within(value: pl.Expr) -> pl.Expr:
    """The running sum of an integer ``value`` within each group of consecutive rows that
    ``_start`` opens: the running sum over all rows less its value where the group starts
    (exact for integers, and cheaper than a window per group)."""
    total = value.cum_sum()
    return total - pl.when(pl.col("_start")).then(total - value).forward_fill()


FIXED_BITS = 64
"""Binary places the engine keeps of a change in MRR: each value becomes a whole number of
2^-64 units (an ``Int128``), which holds every float of magnitude 2^-11 and more exactly."""

_FIXED_FLOOR = 52
"""Fewest binary places a fixed point may keep: 2^-52 holds every float from 1 on exactly."""


_WATCHERS: list[list[tuple[int, int | None]]] = []
_WATCH_LOCK = threading.Lock()


@contextmanager
def watching_fixed_points() -> Iterator[list[tuple[int, int | None]]]:
    """While inside, every :func:`states` call (on any thread) notes its number of events
    and the binary exponent of their largest magnitude (``None`` when not finite) in the
    list given: what its choice of fixed point depends on (:func:`fixed_point_bits`)."""
    seen: list[tuple[int, int | None]] = []
    with _WATCH_LOCK:
        _WATCHERS.append(seen)
    try:
        yield seen
    finally:
        with _WATCH_LOCK:
            _WATCHERS.remove(seen)


def fixed_point_bits(height: int, exponent: int) -> int:
    """The binary places :func:`states` keeps for ``height`` events whose largest magnitude
    is below 2^``exponent`` (fewer than :data:`_FIXED_FLOOR`: float sums instead)."""
    return min(FIXED_BITS, 126 - height.bit_length() - exponent)


def _fixed_point(events: pl.DataFrame) -> tuple[pl.DataFrame, int | None]:
    """``events`` with ``dv`` as a whole number ``du`` of 2^-``bits`` units, and ``bits``.

    Integers add up exactly in any order, so a customer's running MRR is the exact sum of
    its changes: a line of 123,456,789.12 that starts and ends leaves exactly 0, where a
    float running sum leaves 1e-8 (enough to print 102.835 as 102.83 later). ``bits`` is as
    many as the sum over all rows can take in an ``Int128`` (at most :data:`FIXED_BITS`);
    values too large for :data:`_FIXED_FLOOR` of them (far beyond any price) or not finite
    are left as floats, with ``bits`` ``None``.
    """
    largest = events.select(pl.col("dv").abs().max()).item() if events.height else None
    if _WATCHERS and largest is not None:
        noted = (events.height, math.frexp(largest)[1] if math.isfinite(largest) else None)
        with _WATCH_LOCK:
            for seen in _WATCHERS:
                seen.append(noted)
    if largest is None or not math.isfinite(largest):
        return events, None
    # Every value is below 2^exponent, and there are fewer than 2^length of them: the sum
    # of all their units stays below 2^126 (Int128 holds up to 2^127).
    exponent = math.frexp(largest)[1]
    bits = fixed_point_bits(events.height, exponent)
    if bits < _FIXED_FLOOR:
        return events, None
    units = (pl.col("dv") * 2.0**bits).round().cast(pl.Int128)
    return events.with_columns(units.alias("du")).drop("dv"), bits


def _summed(events: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``dv`` and ``dn`` summed per ``keys`` and month, sorted by them.

    With integer keys (the engine's codes), keys and month are packed into one integer
    first: rows sorted by one column fall into runs of equal keys, which a group-by over
    that sorted column sums slice by slice, without hashing.
    """
    schema = events.schema
    if not events.height or not all(schema[k].is_integer() for k in keys):
        return _summed_plain(events, keys)
    # A date is a day number: packing it as it is avoids taking it apart and rebuilding it.
    index = pl.col(MONTH).cast(pl.Int64)
    bounds = events.select(
        *(pl.col(k).cast(pl.Int64).min().alias(f"{k}_min") for k in keys),
        *(pl.col(k).cast(pl.Int64).max().alias(k) for k in keys),
        index.min().alias("_lo"),
        index.max().alias("_hi"),
        pl.any_horizontal(pl.col(c).is_null().any() for c in (*keys, MONTH)).alias("_nulls"),
    ).row(0, named=True)
    sizes = [bounds[k] + 1 for k in keys]
    span = bounds["_hi"] - bounds["_lo"] + 1
    if bounds["_nulls"] or min(bounds[f"{k}_min"] for k in keys) < 0:
        return _summed_plain(events, keys)
    if math.prod(sizes) * span >= 2**63:
        return _summed_plain(events, keys)
    packed = pl.lit(0, dtype=pl.Int64)
    for key, size in zip(keys, sizes, strict=True):
        packed = packed * size + pl.col(key).cast(pl.Int64)
    packed = packed * span + (index - bounds["_lo"])
    if math.prod(sizes) * span < 2**32:
        # Sorted as 32-bit numbers when they fit: sorting them is cheaper.
        packed = packed.cast(pl.UInt32)
    unpacked: list[pl.Expr] = []
    rest = pl.col("_k").cast(pl.Int64) // span
    for key, size in reversed(list(zip(keys, sizes, strict=True))):
        unpacked.append((rest % size).cast(schema[key]).alias(key))
        rest = rest // size
    month = (pl.col("_k").cast(pl.Int64) % span + bounds["_lo"]).cast(pl.Int32).cast(pl.Date)
    # A stable sort keeps each key's events in their order: each sum adds them as the
    # group-by over the unsorted rows adds them.
    values = _values(events)
    ordered = events.select(packed.alias("_k"), *values).sort("_k", maintain_order=True)
    return (
        ordered.group_by(pl.col("_k").set_sorted(), maintain_order=True)
        .agg(pl.col(c).sum() for c in values)
        .select(*reversed(unpacked), month.alias(MONTH), *values)
    )


def _values(events: pl.DataFrame) -> list[str]:
    """The columns :func:`_summed` sums: ``dn`` and the value, ``du`` or ``dv``."""
    return [c for c in ("du", "dv", "dn") if c in events.columns]


def _summed_plain(events: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """:func:`_summed` by a group-by over the key columns as they are (any key type)."""
    return (
        events.lazy()
        .group_by([*keys, MONTH])
        .agg(pl.col(c).sum() for c in _values(events))
        .sort([*keys, MONTH])
        .collect()
    )
