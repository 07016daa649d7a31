"""Checks of every row of a frame, vectorised: a mask and a message become one
:class:`~revcli.errors.Issue` per row where the mask holds, located by its ``_source`` and
``_line`` columns; and the cheap tests of whether a key repeats at all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from revcli.errors import Issue, Severity
from revcli.schema import LINE, SOURCE


def range_rule(low: float | None, high: float | None, *, low_exclusive: bool = False) -> str:
    """The rule of a range in words: ``must be between 0 and 100`` when both bounds are
    allowed; an excluded lower bound is said as such (``must be greater than -100 and at
    most 100``), since "between" would include it."""
    if low is not None and high is not None and not low_exclusive:
        return f"must be between {low:g} and {high:g}"
    parts = []
    if low is not None:
        parts.append(f"{'greater than' if low_exclusive else 'at least'} {low:g}")
    if high is not None:
        parts.append(f"at most {high:g}")
    return "must be " + " and ".join(parts)


def frame_issues(
    frame: pl.DataFrame,
    mask: pl.Expr,
    column: str,
    message: pl.Expr | str,
    severity: Severity = Severity.ERROR,
) -> list[Issue]:
    """One :class:`Issue` per row of ``frame`` where ``mask`` holds."""
    msg = pl.lit(message) if isinstance(message, str) else message
    bad = frame.lazy().filter(mask).select(pl.col(SOURCE), pl.col(LINE), msg.alias("_msg"))
    return [
        Issue(source, line, column, text, severity)
        for source, line, text in bad.collect().iter_rows()
    ]


def any_repeated(frame: pl.DataFrame, keys: Sequence[str]) -> bool:
    """Whether a key (all of ``keys`` given) may repeat in ``frame``: ``False`` when the
    hashes of the keys are all distinct, so the keys are too. One cheap pass that lets the
    checks of repeats skip their grouping on valid data."""
    if rising(frame, keys):
        return False
    present = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
    keyed = pl.struct(*keys) if len(keys) > 1 else pl.col(keys[0])
    distinct, rows = frame.select(
        keyed.hash().filter(present).n_unique().alias("distinct"), present.sum().alias("rows")
    ).row(0)
    return bool(distinct < rows)


def rising(frame: pl.DataFrame, keys: Sequence[str]) -> bool:
    """Whether every row's key (all of ``keys``, none null) is greater than the row's
    before, compared column by column: then no key repeats. Exports list ids in order
    (``CUS0001``, ``CUS0002``, ...; lines by contract, then line), and comparing each
    row with the next is cheaper than hashing every key."""
    if frame.height < 2:
        return True
    if any(frame.get_column(k).null_count() for k in keys):
        return False
    later = [pl.col(k).slice(1) for k in keys]
    earlier = [pl.col(k).slice(0, pl.len() - 1) for k in keys]
    above = later[-1] > earlier[-1]
    for after, before in zip(reversed(later[:-1]), reversed(earlier[:-1]), strict=True):
        above = (after > before) | ((after == before) & above)
    return bool(frame.select(above.all()).item())


@dataclass(frozen=True)
class RowCheck:
    """A check of every row: where ``mask`` holds, an issue on ``column`` saying ``message``."""

    mask: pl.Expr
    column: str
    message: pl.Expr | str
    severity: Severity = Severity.ERROR


def row_issues(
    frame: pl.DataFrame, checks: Iterable[RowCheck], fired: Sequence[bool | None] = ()
) -> list[Issue]:
    """The issues of every check on ``frame``, check by check, rows in frame order.

    One pass evaluates all masks together to find which checks fire at all (on valid
    data: none); only those filter the frame and build their messages. ``fired`` may
    tell for each check whether it fires (``None``: not known, evaluate the mask).
    """
    checks = list(checks)
    if not checks or not frame.height:
        return []
    known = list(fired) or [None] * len(checks)
    unknown = [i for i, hit in enumerate(known) if hit is None]
    if unknown:
        row = frame.select(checks[i].mask.any().alias(f"_{i}") for i in unknown).row(0)
        for i, hit in zip(unknown, row, strict=True):
            known[i] = hit
    issues: list[Issue] = []
    for check, hit in zip(checks, known, strict=True):
        if hit:
            issues += frame_issues(frame, check.mask, check.column, check.message, check.severity)
    return issues


def quoted(name: str) -> pl.Expr:
    """``'value'`` of a raw column, for messages."""
    return pl.lit("'") + pl.col(name).cast(pl.String) + pl.lit("'")
