"""The ``revcli diff`` reports: machine rows of SPEC §12, and a bridge per month for people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from revcli.diff.restate import CENTS, Restatement
from revcli.metrics.mrr import MONTH, money_ratio
from revcli.output.report import ColumnKind, PolicyLabel, Report
from revcli.settings import Settings

_LABELS = {
    "mrr": "MRR",
    "expansion": "expans.",
    "reactivation": "reactiv.",
    "downgrade": "downgr.",
    "cancellation": "cancel.",
}


@dataclass(frozen=True)
class DiffSides:
    """What the two sides of a diff are called, and their settings."""

    old: str
    new: str
    old_settings: Settings
    new_settings: Settings


def _kinds(r: Restatement) -> dict[str, ColumnKind]:
    return {MONTH: ColumnKind.MONTH, **dict.fromkeys(r.figures, ColumnKind.SIGNED_MONEY)}


def _meta(r: Restatement, sides: DiffSides, first: dt.date, last: dt.date) -> Mapping[str, object]:
    old = sides.old_settings.metrics
    return {
        "currency": sides.new_settings.base_currency,
        "from": f"{first:%Y-%m}",
        "to": f"{last:%Y-%m}",
        "old": sides.old,
        "new": sides.new,
        "old_policy": old.name,
        "old_policy_version": old.version,
        "causes": len(r.causes),
        "changed_months": [f"{m:%Y-%m}" for m in r.changed_months()],
    }


def _title(sides: DiffSides, first: dt.date, last: dt.date) -> str:
    base = sides.new_settings.base_currency
    return f"Restatements {sides.old} → {sides.new}, {first:%Y-%m} – {last:%Y-%m} ({base})"


def _notes(r: Restatement, sides: DiffSides) -> tuple[str, ...]:
    unchanged = f"No figure of these months changed between {sides.old} and {sides.new}"
    if not r.explained_months():
        return (f"{unchanged}.",)
    how = (
        "Each cause is one changed record, applied in order: settings, fx_rates, customers, "
        "contracts; its effect is the figures after it minus before, in cents, so a month's "
        "causes add up to its change. share = the cause's part of the month's MRR change."
    )
    if not r.changed_months():
        return (f"{unchanged}: the causes below cancel out.", how)
    return (how,)


def _policy(settings: Settings) -> PolicyLabel:
    return PolicyLabel(settings.metrics.name, settings.metrics.version)


def diff_report(r: Restatement, sides: DiffSides, first: dt.date, last: dt.date) -> Report:
    """SPEC §12 rows: ``month, cause, file, id, detail`` and the effect on every figure."""
    return Report(
        title=_title(sides, first, last),
        frame=r.effects,
        kinds=_kinds(r),
        notes=_notes(r, sides),
        meta=_meta(r, sides, first, last),
        name="diff",
        labels=_LABELS,
        policy=_policy(sides.new_settings),
    )


def diff_table(r: Restatement, sides: DiffSides, first: dt.date, last: dt.date) -> Report:
    """A bridge per month with causes for the terminal: the figures before, each cause with
    its effect and its share of the month's MRR change, the change (0 where the causes
    cancel out), and the figures after."""
    names = list(r.figures)
    changed = pl.Series(MONTH, r.explained_months(), dtype=pl.Date).implode()
    zero = pl.lit(0).cast(CENTS)

    def side(frame: pl.DataFrame, label: str, order: int) -> pl.DataFrame:
        present = frame.with_columns(zero.alias(n) for n in names if n not in frame.columns)
        return present.filter(pl.col(MONTH).is_in(changed)).select(
            MONTH, pl.lit(label).alias("item"), *names, pl.lit(order).alias("_order")
        )

    effects = r.effects.with_columns(
        pl.when(pl.col("cause") == "total")
        .then(pl.lit("change"))
        .otherwise(
            pl.concat_str(
                pl.col("cause"),
                pl.when(pl.col("id") != "").then(pl.lit(" ") + pl.col("id")).otherwise(pl.lit("")),
                pl.lit(" ("),
                pl.col("file"),
                pl.lit("): "),
                pl.col("detail"),
            )
        )
        .alias("item"),
        pl.when(pl.col("cause") == "total").then(2).otherwise(1).alias("_order"),
    )
    total_mrr = r.effects.filter(pl.col("cause") == "total").select(
        MONTH, pl.col("mrr").alias("_total")
    )
    shares = effects.join(total_mrr, on=MONTH, how="left").with_columns(
        pl.when((pl.col("cause") != "total") & (pl.col("_total") != 0))
        .then(money_ratio(pl.col("mrr"), pl.col("_total"), 100))
        .alias("share")
    )
    frame = (
        pl.concat(
            [
                side(r.before, "before", 0),
                shares.select(MONTH, "item", *names, "_order", "share"),
                side(r.after, "after", 3),
            ],
            how="diagonal_relaxed",
        )
        .with_row_index("_seq")
        .sort(MONTH, "_order", "_seq")
        .select(MONTH, "item", *names, "share")
    )
    return Report(
        title=_title(sides, first, last),
        frame=frame,
        kinds={**_kinds(r), "share": ColumnKind.PERCENT},
        notes=_notes(r, sides),
        meta=_meta(r, sides, first, last),
        name="diff",
        labels=_LABELS,
        see_all="See all with --format csv.",
        policy=_policy(sides.new_settings),
        # On a narrow terminal the figures come before the long cause text, which is cut
        # short with … rather than pushing every number out of the table.
        priority=(MONTH, "mrr", "share", "item"),
    )
