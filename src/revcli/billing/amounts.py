"""The money of a billing run, exact and vectorised: every line amount and tax at once.

SPEC §7: a recurring line costs ``line_mrr × months in the period × Σ(active day × uplift
in force that day) / days in the period`` and a one-time line ``quantity × unit_price ×
(1 − discount_pct/100)``, each rounded once, half-up (away from zero), to the currency's
minor unit; tax is computed per rate on the sum of the rounded amounts at that rate.

**Exactness.** Every input is a rational with a known denominator: ``quantity``,
``unit_price``, ``discount_pct`` and ``renewal_uplift_pct`` are decimals with at most 10
places (``pl.Decimal(38, 10)``, so integers ``x' / 10^s``, where ``s`` is the most places
the column actually uses); a month count is ``m + d / 30.4375 = (487m + 16d) / 487``; days
are integers. Writing ``u = U / 10^su`` for the uplift factor ``1 + pct/100`` and ``N`` for
an upper bound of the renewals ``n`` a line has seen, a line amount in minor units is
exactly ::

    q'·p'·(10^(sd+2) − d')·M'·Σ(days·U^n·10^(su·(N−n)))·10^places
    ──────────────────────────────────────────────────────────────────
              10^(sq+sp+sd+2+su·N) · P' · period_days

with ``M' = 487·months + 16·days`` of the period and ``P'`` the same of the price period
(the 487s cancel; a one-time line has ``M' = P' = period_days = 1``). The numerator is an
integer of any size, computed exactly with :mod:`.exact` (base 10^18 limbs, no rounding
anywhere); the denominator is a power of ten times a small integer (below 10^20: dates lie
in years 1..9999), so the one half-up division is exact integer arithmetic
(:meth:`Exact.round_div`). No float and no Polars ``Decimal`` operation (which rounds
half-even at a fixed scale) touches an amount. Tax is ``net × rate' / 10^(st+2)`` rounded
half-up the same way.

Powers of the uplift factor are computed by binary exponentiation, once per distinct
(uplift, renewals) pair; lines are processed in groups of the same bit length of their
largest renewal count, so that the many lines without renewals pay for no big numbers.
"""

from __future__ import annotations

import polars as pl

from revcli.billing.exact import INT, MAX_DIVISOR, Exact, Nat, constant
from revcli.schema import PERIOD_MONTHS, minor_units

SCALE = 10
"""Places of the typed decimals (``schema.DECIMAL``)."""
QUARTER_DAYS = 487
"""4 × 30.4375: a term of ``m`` months and ``d`` days is ``(487m + 16d) / 487`` months."""
DAY_PARTS = 16

AMOUNT_COLUMNS = ("amount", "places", "active_days", "period_days", "seg_prices", "too_large")


def _places_used(frame: pl.DataFrame, columns: dict[str, str]) -> dict[str, int]:
    """The fewest places (0..10) that hold every value of each integer mantissa column."""
    checks = [
        (pl.col(column) % pl.lit(10 ** (SCALE - s), dtype=INT) == 0).all().alias(f"{name}{s}")
        for name, column in columns.items()
        for s in range(SCALE)
    ]
    found = frame.select(checks).row(0, named=True) if checks else {}
    return {
        name: next((s for s in range(SCALE) if found[f"{name}{s}"] is not False), SCALE)
        for name in columns
    }


def _max(frame: pl.DataFrame, expr: pl.Expr) -> int:
    value = frame.select(expr.max()).item()
    return int(value) if value is not None else 0


def _months(whole: pl.Expr, days: pl.Expr) -> pl.Expr:
    """487 × the months of ``whole`` months plus ``days`` days (SPEC §2), an integer."""
    return (whole.cast(INT) * QUARTER_DAYS + days.cast(INT) * DAY_PARTS).cast(INT)


def _power(x: Exact, base: Nat, exponent: pl.Expr, bits: int, unit: int) -> Nat:
    """``base^n × unit^(2^bits − 1 − n)`` for ``0 ≤ n < 2^bits`` (binary exponentiation:
    each bit of ``n`` picks ``base^(2^j)`` or ``unit^(2^j)``)."""
    acc = constant(1)
    for j in range(bits):
        bit = (exponent // 2**j) % 2 == 1
        acc = x.mul(acc, x.choose(bit, base, constant(unit)))
        if j + 1 < bits:
            base = x.mul(base, base)
            unit *= unit
    return acc


def line_amounts(periods: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Exact amounts of the lines of billing periods (SPEC §7), vectorised.

    In: :func:`~.periods.billing_periods` and :func:`~.periods.period_lines`. Out: the
    lines (same order) with ``currency`` and :data:`AMOUNT_COLUMNS`: ``amount`` (``Int128``
    in the currency's minor units, rounded half-up once), ``places`` (the minor units:
    JPY 0, NOK 2, KWD 3), ``active_days``/``period_days`` (1/1 for a one-time line),
    ``seg_prices`` (the unit price in force on each piece of ``seg_days``, uplifts applied,
    rounded half-up to 10 places, as ``Int128`` with 10 implied places) and ``too_large``
    (the amount reaches 10^36 minor units, or an uplifted unit price 10^26, and cannot be
    held: the caller reports it).
    """
    head = periods.select(
        "contract_id",
        "period_start",
        "period_end",
        "currency",
        "months_whole",
        "months_days",
        "term_whole",
        "term_days",
        "renewal_uplift_pct",
    )
    once = pl.col("price_period") == "once"
    currencies = lines.with_row_index("_row").join(
        head, on=["contract_id", "period_start"], how="left"
    )
    places = {c: minor_units(c) for c in currencies.get_column("currency").unique().to_list()}
    frame = currencies.with_columns(
        pl.col("currency")
        .replace_strict(places, default=None, return_dtype=pl.Int64)
        .alias("places"),
        pl.col("currency")
        .replace_strict({c: 10**p for c, p in places.items()}, default=None, return_dtype=INT)
        .alias("_unit"),
        pl.col("quantity").fill_null(1).to_physical().alias("_q"),
        pl.col("unit_price").to_physical().alias("_p"),
        pl.col("discount_pct").fill_null(0).to_physical().alias("_d"),
        pl.col("renewal_uplift_pct").fill_null(0).to_physical().alias("_v"),
        pl.when(once)
        .then(1)
        .otherwise((pl.col("period_end") - pl.col("period_start")).dt.total_days() + 1)
        .alias("period_days"),
        pl.when(once)
        .then(1)
        .otherwise((pl.col("service_end") - pl.col("service_start")).dt.total_days() + 1)
        .alias("active_days"),
        pl.when(once)
        .then(pl.lit(1, dtype=INT))
        .otherwise(_months(pl.col("months_whole"), pl.col("months_days")))
        .alias("_m"),
        pl.when(once)
        .then(pl.lit(1, dtype=INT))
        .when(pl.col("price_period") == "term")
        .then(_months(pl.col("term_whole"), pl.col("term_days")))
        .otherwise(
            _months(
                pl.col("price_period").replace_strict(
                    PERIOD_MONTHS, default=None, return_dtype=pl.Int64
                ),
                pl.lit(0),
            )
        )
        .alias("_pm"),
        pl.col("seg_uplifts").list.max().alias("_n_max"),
    ).with_columns((pl.col("_pm") * pl.col("period_days").cast(INT)).alias("_s"))
    used = _places_used(frame, {"q": "_q", "p": "_p", "d": "_d", "v": "_v"})
    sq, sp, sd, sv = used["q"], used["p"], used["d"], used["v"]
    su = sv + 2
    n_max = _max(frame, pl.col("_n_max"))
    bits_max = n_max.bit_length()

    def shrink(column: str, places: int) -> pl.Expr:
        return pl.col(column) // pl.lit(10 ** (SCALE - places), dtype=INT)

    frame = frame.with_columns(
        shrink("_q", sq),
        shrink("_p", sp),
        (pl.lit(10 ** (sd + 2), dtype=INT) - shrink("_d", sd)).alias("_d"),
        (pl.lit(10**su, dtype=INT) + shrink("_v", sv)).alias("_u"),
        sum(
            ((pl.col("_n_max") >= 2**j).cast(pl.Int64) for j in range(bits_max)),
            pl.lit(0, dtype=pl.Int64),
        ).alias("_bits"),
    )
    # three groups, each with its own N = 2^bits − 1: no renewals, fewer than 8, the rest
    parts = []
    low = 0
    for bits in sorted({0, min(3, bits_max), bits_max}):
        part = frame.filter(pl.col("_bits").is_between(low, bits))
        low = bits + 1
        if part.height:
            parts.append(_amounts_of(part, bits, sq=sq, sp=sp, sd=sd, su=su))
    empty = frame.head(0).with_columns(
        pl.lit(None, dtype=INT).alias("amount"),
        pl.lit(None, dtype=pl.List(INT)).alias("seg_prices"),
        pl.lit(None, dtype=pl.Boolean).alias("too_large"),
    )
    out = pl.concat([p.select(empty.columns) for p in parts]) if parts else empty
    return out.sort("_row").select(*lines.columns, "currency", *AMOUNT_COLUMNS)


def _amounts_of(
    frame: pl.DataFrame, bits: int, *, sq: int, sp: int, sd: int, su: int
) -> pl.DataFrame:
    """:func:`line_amounts` of lines whose renewal counts are below ``2^bits``."""
    top = 2**bits - 1  # N: every uplift factor is brought to the denominator 10^(su·N)
    segments = frame.select(
        "_row",
        "_p",
        "_u",
        pl.int_ranges(pl.col("seg_days").list.len()).alias("_seg"),
        pl.col("seg_days").alias("_days"),
        pl.col("seg_uplifts").alias("_n"),
    ).explode("_seg", "_days", "_n")

    # U^n · 10^(su·(N − n)) once per distinct (uplift, renewals)
    if bits:
        distinct = segments.select("_u", "_n").unique()
        x = Exact(distinct, "_t")
        power = _power(
            x, x.of(pl.col("_u"), _max(distinct, pl.col("_u"))), pl.col("_n"), bits, 10**su
        )
        names = [f"_pow{k}" for k in range(len(power.limbs))]
        table = x.frame.select(
            "_u", "_n", *(limb.alias(n) for limb, n in zip(power.limbs, names, strict=True))
        ).collect()
        segments = segments.join(table, on=["_u", "_n"], how="left")
        factor = Nat(tuple(pl.col(n) for n in names), power.bounds)
    else:
        factor = constant(1)

    # per piece: its days × the factor, and the unit price in force (10 places, half-up)
    x = Exact(segments, "_s")
    price = x.mul(x.of(pl.col("_p"), _max(segments, pl.col("_p"))), factor)
    shift = sp + su * top - SCALE
    if shift < 0:
        price = x.mul(price, constant(10**-shift))
    unit_price, price_too_large = x.round_div(price, max(shift, 0), pl.lit(1), 1)
    weighted = x.mul(x.of(pl.col("_days"), _max(segments, pl.col("_days"))), factor)
    pieces_max = _max(frame, pl.col("seg_days").list.len())
    sums = x.frame.select(
        "_row",
        "_seg",
        unit_price.alias("_price"),
        price_too_large.alias("_price_too_large"),
        *(limb.alias(f"_w{k}") for k, limb in enumerate(weighted.limbs)),
    ).collect()
    by_line = sums.group_by("_row").agg(
        pl.col("_price").sort_by("_seg").alias("seg_prices"),
        pl.col("_price_too_large").any(),
        *(pl.col(f"_w{k}").sum() for k in range(len(weighted.limbs))),
    )

    # the line: q'·p'·(10^(sd+2) − d')·M'·Σ(…)·10^places / (10^(sq+sp+sd+2+su·N) · P' · days)
    lines = frame.join(by_line, on="_row", how="left")
    x = Exact(lines, "_a")
    total = x.carry(
        [pl.col(f"_w{k}") for k in range(len(weighted.limbs))],
        [b * pieces_max for b in weighted.bounds],
    )
    numerator = x.of(pl.col("_q"), _max(lines, pl.col("_q")))
    for column in ("_p", "_d", "_m"):
        numerator = x.mul(numerator, x.of(pl.col(column), _max(lines, pl.col(column))))
    numerator = x.mul(numerator, x.of(pl.col("_unit"), _max(lines, pl.col("_unit"))))
    numerator = x.mul(numerator, total)
    divisor_bound = _max(lines, pl.col("_s"))
    assert divisor_bound < MAX_DIVISOR  # ≤ 487 × 12 × 8000 × 3.66e6 for dates in 1..9999
    amount, too_large = x.round_div(
        numerator, sq + sp + sd + 2 + su * top, pl.col("_s"), max(divisor_bound, 1)
    )
    return x.frame.with_columns(
        amount.alias("amount"), (too_large | pl.col("_price_too_large")).alias("too_large")
    ).collect()


def rate_taxes(lines: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Net and tax per ``keys`` and ``tax_rate`` (SPEC §7), exact.

    In: lines with ``keys``, ``tax_rate`` (``Decimal``), ``amount`` (``Int128`` minor
    units) and ``places``. Out: one row per (keys, tax_rate), sorted by keys then rate:
    ``net`` (the sum of the amounts) and ``tax`` = ``net × rate / 100`` rounded half-up,
    both ``Int128`` minor units, ``places`` and ``too_large`` (the tax reaches 10^36).
    """
    grouped = lines.group_by(*keys, "tax_rate").agg(
        pl.col("amount").sum().alias("net"), pl.col("places").first()
    )
    grouped = grouped.with_columns(pl.col("tax_rate").to_physical().alias("_r"))
    st = _places_used(grouped, {"r": "_r"})["r"]
    grouped = grouped.with_columns(
        (pl.col("_r") // pl.lit(10 ** (SCALE - st), dtype=INT)).alias("_r")
    )
    x = Exact(grouped, "_x")
    product = x.mul(
        x.of(pl.col("net"), _max(grouped, pl.col("net"))),
        x.of(pl.col("_r"), _max(grouped, pl.col("_r"))),
    )
    tax, too_large = x.round_div(product, st + 2, pl.lit(1), 1)
    return (
        x.frame.select(
            *keys, "tax_rate", "places", "net", tax.alias("tax"), too_large.alias("too_large")
        )
        .collect()
        .sort(*keys, "tax_rate")
    )
