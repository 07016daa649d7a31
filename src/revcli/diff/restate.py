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
import math
from collections import defaultdict
from dataclasses import dataclass

import polars as pl

from revcli.data.load import RawData
from revcli.data.reader import Positions
from revcli.data.validate import validate
from revcli.diff.changes import KEY, Cause, apply, causes, keyed
from revcli.errors import RevcliError
from revcli.metrics.common import CUSTOMER
from revcli.metrics.money import MONEY
from revcli.metrics.mrr import MONTH, MOVEMENTS, Book
from revcli.metrics.report import mrr_frame
from revcli.metrics.states import FIXED_BITS, fixed_point_bits, watching_fixed_points

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


def _exact(raw: RawData, first: dt.date, last: dt.date) -> pl.DataFrame:
    """``month`` and the figures of the data in ``raw`` as exact :data:`MONEY` decimals:
    the sums the engine makes floats of (:func:`figures` prints those floats)."""
    data, _ = validate(raw)
    table = Book.of(data).mrr_table(first, last, exact=True)
    names = [*FIGURES, *([FX] if FX in table.columns else [])]
    return table.select(MONTH, *(pl.col(n).cast(MONEY) for n in names))


def _printed(exact: pl.DataFrame) -> pl.DataFrame:
    """Exact figures as :func:`figures` gives them: made the floats the engine outputs
    (the nearest to each), then rounded to cents as reports print them."""
    names = [c for c in exact.columns if c != MONTH]
    floats = exact.with_columns(pl.col(n).cast(MONEY).cast(pl.Float64) for n in names)
    return floats.select(MONTH, *(cents(n) for n in names))


def _tagged(frame: pl.DataFrame, cause: Cause, order: int) -> pl.DataFrame:
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
    customer (:func:`_customer_states`); where that is not shown to give the same figures
    (a contract id on two contracts, a contract or customer without an id, a contract
    without a customer id, sums so large that the engine's fixed point could lose places,
    or an engine error on the versions) each of their states is built and run whole.
    """
    found = tuple(causes(old, new))
    end = figures(new, first, last)
    head = 0
    while head < len(found) and found[head].kind in _GLOBAL:
        head += 1

    def whole(i: int) -> pl.DataFrame:
        """The figures after cause ``i`` (-1: none), the data built and run whole."""
        if i >= 0 and i == len(found) - 1:  # the new revision itself: effects add up to it
            return end
        return figures(old if i < 0 else apply(old, new, list(found[: i + 1])), first, last)

    start = whole(-1)
    previous = start
    rows: list[pl.DataFrame] = []
    for i in range(head):
        state = whole(i)
        a, b, names = _align(previous, state)
        rows.append(_tagged(_change(a, b, names), found[i], i))
        previous = state
    if head < len(found):
        stepped = None
        with watching_fixed_points() as seen:
            exact = _exact(apply(old, new, list(found[:head])) if head else old, first, last)
        if _printed(exact).equals(previous):
            stepped = _customer_states(
                old, new, found, head=head, exact=exact, seen=seen, months=(first, last)
            )
        if stepped is not None and stepped.columns[1:] == end.columns:
            rows.append(_stepped_effects(stepped, previous, end, found, head))
        else:
            for i in range(head, len(found)):
                state = whole(i)
                a, b, names = _align(previous, state)
                rows.append(_tagged(_change(a, b, names), found[i], i))
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


def _stepped_effects(
    stepped: pl.DataFrame,
    previous: pl.DataFrame,
    end: pl.DataFrame,
    found: tuple[Cause, ...],
    head: int,
) -> pl.DataFrame:
    """The effect rows of the causes ``found[head:]`` from the figures after each
    (``stepped``, of :func:`_customer_states`): each state less the one before, the first
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


_NEVER = math.inf


@dataclass(frozen=True)
class _Versions:
    """The versions of the customers the causes touch (see :func:`_customer_states`).

    ``customers`` and ``contracts``: ``_v`` (the version), ``_key`` (the record's id in
    the revisions) and ``_side`` (0: as in the old revision, 1: as in the new one), one
    row per record of a version; ``pairs``: ``_order`` (a cause), ``_before`` and
    ``_after`` (the versions of one of its customers just before and after it).
    """

    customers: pl.DataFrame
    contracts: pl.DataFrame
    pairs: pl.DataFrame


def _owners(contracts: pl.DataFrame) -> dict[str, str] | None:
    """Each contract's customer, or ``None`` where a contract's customer is not its own
    (two contracts under one id, a contract without an id or without a customer)."""
    ids = contracts.get_column(KEY)
    if ids.is_duplicated().any() or (ids == "").any() or contracts.get_column(CUSTOMER).has_nulls():
        return None
    return dict(zip(ids, contracts.get_column(CUSTOMER), strict=True))


def _versions(old: RawData, new: RawData, found: tuple[Cause, ...], head: int) -> _Versions | None:
    """The versions of the customers touched by the causes ``found[head:]`` (customer
    and contract causes only); ``None`` where a customer's figures may hang on records
    that are not its own (:func:`_owners`, a customer row without an id)."""
    owners = [_owners(keyed(raw, "contracts")) for raw in (old, new)]
    if any(o is None for o in owners) or any(
        (keyed(raw, "customers").get_column(KEY) == "").any() for raw in (old, new)
    ):
        return None
    owners_ = [o for o in owners if o is not None]
    owned: list[defaultdict[str, list[str]]] = [defaultdict(list), defaultdict(list)]
    for side, mapping in enumerate(owners_):
        for contract, owner in mapping.items():
            owned[side][owner].append(contract)
    applied: dict[tuple[str, str], int] = {}  # (kind, id) → the place of its cause
    touches: list[list[str]] = []
    touched: defaultdict[str, list[int]] = defaultdict(list)
    for i in range(head, len(found)):
        cause = found[i]
        if cause.kind not in {"customer", "contract"}:
            return None
        applied[(cause.kind, cause.id)] = i
        names = [cause.id]
        if cause.kind == "contract":
            names = list(dict.fromkeys(o[cause.id] for o in owners_ if cause.id in o))
        touches.append(names)
        for name in names:
            touched[name].append(i)
    # Each customer before the first cause touching it (-1: none applied), then after each.
    version: dict[tuple[str, int], int] = {}
    customers: list[tuple[int, str, int]] = []
    contracts: list[tuple[int, str, int]] = []
    for name, steps in touched.items():
        for done in [-1, *steps]:
            number = version[(name, done)] = len(version)
            customers.append((number, name, int(applied.get(("customer", name), _NEVER) <= done)))
            for side in (0, 1):
                contracts += [
                    (number, contract, side)
                    for contract in owned[side].get(name, [])
                    if (applied.get(("contract", contract), _NEVER) <= done) == bool(side)
                ]
    pairs: list[tuple[int, int, int]] = []
    for i, names in zip(range(head, len(found)), touches, strict=True):
        for name in names:
            steps = touched[name]
            at = steps.index(i)
            pairs.append((i, version[(name, steps[at - 1] if at else -1)], version[(name, i)]))
    picks = {"_v": pl.Int64, KEY: pl.String, "_side": pl.Int8}
    return _Versions(
        pl.DataFrame(customers, schema=picks, orient="row"),
        pl.DataFrame(contracts, schema=picks, orient="row"),
        pl.DataFrame(
            pairs,
            schema={"_order": pl.Int64, "_before": pl.Int64, "_after": pl.Int64},
            orient="row",
        ),
    )


def _versions_data(
    old: RawData, new: RawData, found: tuple[Cause, ...], head: int, versions: _Versions
) -> RawData:
    """One data set of all ``versions``, each a customer of its own: its customer id the
    version's number, its contract ids prefixed with it (``12:C1``), under the settings
    and fx rates of the state after ``found[:head]``."""

    def take(table: str, chosen: pl.DataFrame) -> pl.DataFrame:
        parts = [
            chosen.filter(pl.col("_side") == side)
            .drop("_side")
            .join(keyed(raw, table), on=KEY, how="inner", maintain_order="right")
            for side, raw in enumerate((old, new))
        ]
        return pl.concat(parts, how="diagonal_relaxed")

    number = pl.col("_v").cast(pl.String)
    contract_id = pl.concat_str(number, pl.lit(":"), pl.col(KEY))
    done = apply(old, new, list(found[:head]))
    return RawData(
        root=new.root,
        settings=done.settings,
        customers=take("customers", versions.customers)
        .with_columns(number.alias(CUSTOMER))
        .drop("_v", KEY),
        contracts=take("contracts", versions.contracts)
        .with_columns(number.alias(CUSTOMER), contract_id.alias("contract_id"))
        .drop("_v", KEY),
        lines=take("lines", versions.contracts)
        .with_columns(contract_id.alias("contract_id"), pl.lit(None, pl.String).alias("_parent"))
        .drop("_v", KEY),
        fx_rates=done.fx_rates,
        opportunities=old.opportunities.clear(),
        extra=old.extra,
        missing=new.missing,
        positions=Positions(),
        issues=[],
    )


def _customer_states(
    old: RawData,
    new: RawData,
    found: tuple[Cause, ...],
    *,
    head: int,
    exact: pl.DataFrame,
    seen: list[tuple[int, int | None]],
    months: tuple[dt.date, dt.date],
) -> pl.DataFrame | None:
    """The printed figures after each customer or contract cause ``found[head:]``, from
    the exact figures ``exact`` of the state before them: ``_order`` (the cause's place),
    ``month`` and the figures. ``None`` where the causes cannot be taken customer by
    customer (see :func:`restate`).

    A customer cause touches its customer, a contract cause the contract's customer in
    ``old`` and in ``new``. A customer's records change only with the causes that touch
    it, so it is in as many versions as those causes plus one: its customer row and its
    contracts with their lines as they stand then (:func:`_versions`). One engine run over
    all versions (:func:`_versions_data`) gives each version's exact figures per month; a
    cause's change is what its customers' versions after it have less those before, and
    each state the exact sum so far, printed as :func:`figures` prints the engine's
    floats. A version without its customer row counts nothing, as such contracts count
    nothing in the whole data. ``seen``: what the engine's states noted while ``exact``
    was computed (:func:`watching_fixed_points`).
    """
    versions = _versions(old, new, found, head)
    if versions is None:
        return None
    first, last = months
    try:
        with watching_fixed_points() as more:
            data, _ = validate(_versions_data(old, new, found, head, versions))
            table = Book.of(data).mrr_table(first, last, by=CUSTOMER, exact=True)
    except RevcliError:
        return None
    # A state's sums hold each customer's events as in ``exact``'s or in one of its
    # versions here: no more events than both hold, none larger. While that keeps the
    # engine's fixed point at its most places, each state sums as the whole data would.
    exponents = [e for _, e in [*seen, *more]]
    height = max((h for h, _ in seen), default=0) + max((h for h, _ in more), default=0)
    if None in exponents:
        return None
    largest = max((e for e in exponents if e is not None), default=0)
    if fixed_point_bits(height, largest) < FIXED_BITS:
        return None
    names = [c for c in exact.columns if c != MONTH]
    if not set(names) <= set(table.columns):
        return None
    values = table.select(
        pl.col(CUSTOMER).cast(pl.Int64).alias("_v"), MONTH, *(pl.col(n).cast(MONEY) for n in names)
    )

    def summed(side: str) -> pl.DataFrame:
        joined = versions.pairs.join(values, left_on=side, right_on="_v", how="inner")
        return joined.group_by("_order", MONTH).agg(pl.col(n).sum().cast(MONEY) for n in names)

    zero = pl.lit(0, MONEY)
    running = (
        pl.DataFrame({"_order": range(head, len(found))}, schema={"_order": pl.Int64})
        .join(exact.select(MONTH), how="cross")
        .join(summed("_after"), on=["_order", MONTH], how="left")
        .join(summed("_before"), on=["_order", MONTH], how="left", suffix="_was")
        .select(
            "_order",
            MONTH,
            *(
                (pl.col(n).fill_null(zero) - pl.col(f"{n}_was").fill_null(zero)).cast(MONEY)
                for n in names
            ),
        )
        .sort(MONTH, "_order")
        .with_columns(pl.col(n).cum_sum().over(MONTH).cast(MONEY) for n in names)
        .join(exact, on=MONTH, how="left", suffix="_start")
        .select(
            "_order",
            MONTH,
            *((pl.col(n) + pl.col(f"{n}_start")).cast(MONEY).alias(n) for n in names),
        )
        .sort("_order", MONTH)
    )
    return pl.concat([running.select("_order"), _printed(running.drop("_order"))], how="horizontal")
