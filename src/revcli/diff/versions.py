"""The customer and contract causes of a restatement worked out customer by customer.

A customer's figures hang only on its own records (its row, its contracts and their
lines) under the settings and fx rates, and the engine sums customers as exact decimals:
so the figures after each such cause are the exact figures before the first of them plus
what each cause changes in the customers it touches. :func:`customer_states` runs the
engine once over every version of the touched customers (each a customer of its own) and
adds those changes up (see :mod:`revcli.diff.restate`, which falls back to building every
state whole where this is not shown to give the same figures).
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
from revcli.diff.changes import KEY, Cause, apply, keyed
from revcli.diff.figures import printed
from revcli.errors import RevcliError
from revcli.metrics.common import CUSTOMER
from revcli.metrics.money import MONEY
from revcli.metrics.mrr import MONTH, Book
from revcli.metrics.states import FIXED_BITS, fixed_point_bits, watching_fixed_points

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


def customer_states(
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
    return pl.concat([running.select("_order"), printed(running.drop("_order"))], how="horizontal")
