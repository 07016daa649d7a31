"""Does exact limb arithmetic (billing/exact.py) earn its place? Time invoice line amounts.

For a billing run of bench data (``generate.py``), the line amounts of every line are
computed three ways, all exact and half-up:

- ``limbs``: revcli's :func:`revcli.billing.amounts.line_amounts` (vectorised Polars,
  integers of any size as base-10^18 limbs in Int128 columns);
- ``fraction``: Python ``Fraction`` row by row (``tests/billing_oracle.py``, the
  implementation before the limbs);
- ``ints``: Python integers row by row from the ``Decimal`` inputs' integer ratios
  (exact at any size; the one division is done on integers, half-up).

A Polars ``Decimal(38)`` or plain ``Int128`` computation is not a candidate: a 10-decimal
quantity × price × discount already needs 32 decimals, and an uplift compounded over
many renewals needs hundreds of digits, so it would overflow or round.

    python bench/billing_money.py --sizes 1000,10000,100000 --repeat 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from revcli.billing.amounts import line_amounts  # noqa: E402
from revcli.billing.periods import billing_periods, period_lines  # noqa: E402
from revcli.checks import load_dataset  # noqa: E402
from revcli.schema import PERIOD_MONTHS, minor_units  # noqa: E402
from tests import billing_oracle as oracle  # noqa: E402


def _ratio(value: Decimal) -> tuple[int, int]:
    return value.as_integer_ratio()


def decimal_amount(row: Mapping[str, Any], head: Mapping[str, Any]) -> int:
    """The amount in minor units with integers from the decimals (exact), half-up."""
    qn, qd = _ratio(row["quantity"])
    pn, pd = _ratio(row["unit_price"])
    dn, dd = _ratio(row["discount_pct"])
    num = qn * pn * (100 * dd - dn)
    den = qd * pd * 100 * dd
    if row["price_period"] != "once":
        un, ud = _ratio(Decimal(100) + (head["renewal_uplift_pct"] or Decimal(0)))
        if row["price_period"] == "term":
            price = 487 * head["term_whole"] + 16 * head["term_days"]
        else:
            price = 487 * PERIOD_MONTHS[row["price_period"]]
        months = 487 * head["months_whole"] + 16 * head["months_days"]
        top = max(row["seg_uplifts"])
        weighted = sum(
            days * un**n * (100 * ud) ** (top - n)
            for days, n in zip(row["seg_days"], row["seg_uplifts"], strict=True)
        )
        period_days = (head["period_end"] - head["period_start"]).days + 1
        num *= months * weighted
        den *= price * period_days * (100 * ud) ** top
    num *= 10 ** minor_units(head["currency"])
    sign = -1 if num < 0 else 1
    return sign * ((2 * abs(num) + den) // (2 * den))


def _rows(data: Any, month: dt.date) -> tuple[pl.DataFrame, pl.DataFrame, list[tuple[Any, Any]]]:
    periods = billing_periods(data.contracts, month, month)
    lines = period_lines(periods, data.lines)
    heads = {(r["contract_id"], r["period_start"]): r for r in periods.iter_rows(named=True)}
    pairs = [(r, heads[(r["contract_id"], r["period_start"])]) for r in lines.iter_rows(named=True)]
    return periods, lines, pairs


def _median(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(size: int, month: dt.date, repeat: int) -> str:
    """The table row of one data size: the three ways agree, then their median times."""
    folder = ROOT / "bench" / "data" / f"money-{size}"
    if not folder.exists():
        generate = [sys.executable, str(ROOT / "bench" / "generate.py"), "--lines", str(size)]
        subprocess.run([*generate, "--out", str(folder)], check=True)
    periods, lines, pairs = _rows(load_dataset(folder), month)
    limbs = line_amounts(periods, lines).get_column("amount").to_list()
    fractions = [int(oracle.amount(r, h).scaleb(minor_units(h["currency"]))) for r, h in pairs]
    ints = [decimal_amount(r, h) for r, h in pairs]
    assert limbs == ints == fractions, "the three ways disagree"
    t_limbs = _median(repeat, lambda: line_amounts(periods, lines))
    t_ints = _median(repeat, lambda: [decimal_amount(r, h) for r, h in pairs])
    t_frac = _median(repeat, lambda: [oracle.amount(r, h) for r, h in pairs])
    return f"| {size:,} | {len(pairs):,} | {t_limbs:.3f} | {t_ints:.3f} | {t_frac:.3f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="contract lines")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--month", default="2026-06")
    args = parser.parse_args()
    month = dt.date.fromisoformat(args.month + "-01")
    print("| contract lines | invoice lines | limbs s | Python ints s | Fraction s |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        print(measure(size, month, args.repeat), flush=True)


if __name__ == "__main__":
    main()
