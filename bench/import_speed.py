"""Time a re-import of contract lines into a data dir with a large ``contracts/SOURCE.yaml``.

    python bench/import_speed.py --out /tmp/import-bench [--rows 100000] [--repeat 3]
                                 [--seed 7] [--changed 0.05] [--profile FILE]

Run by hand, never in the test suite. In ``--out`` it writes one sheet export
(``sheet.csv``: a row per contract line, two lines per contract, so 100,000 rows make
50,000 contracts of about 12,500 customers), the three maps of docs/import.md's sheet
example (customers, contracts, lines), and ``sheet-changed.csv``: the same rows with
``--changed`` of the prices raised by 10 %. It then

1. imports the customers, the contracts and the lines of ``sheet.csv`` into a fresh data
   dir (``data-base``; timed once, as "first import"),
2. for each of ``--repeat`` rounds copies ``data-base`` to ``data`` and times
   ``revcli import csv sheet-changed.csv --map lines.yaml --data data``: the re-import of
   the lines into a data dir whose ``contracts/sheet.yaml`` holds every contract,

and prints each time and the median. Every run is a fresh ``python -m revcli`` subprocess
(interpreter start-up and imports included). With ``--profile FILE`` one more re-import
runs under cProfile and its stats are written to FILE (``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MAPS = ROOT / "docs" / "examples" / "import"
"""The maps of the sheet example in docs/import.md (``sheet-customers.yaml`` …), used as
they are: the bench imports what the docs show."""

HEADER = [
    "Kontrakt",
    "Kunde",
    "Kundenavn",
    "Land",
    "Start",
    "Fakturering",
    "Linje",
    "Produkt",
    "Antall",
    "Pris",
]
PRODUCTS = ("Pro", "Team", "Support", "Seats", "Storage")
COUNTRIES = ("NO", "SE", "DK", "FI")


def _price(cents: int) -> str:
    """Cents as a Norwegian-style amount: ``123456`` → ``1.234,56``."""
    whole, frac = divmod(cents, 100)
    return f"{whole:,}".replace(",", ".") + f",{frac:02d}"


def generate(out: Path, rows: int, seed: int, changed: float) -> None:
    """Write sheet.csv, sheet-changed.csv and the three maps into ``out``."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    contracts = max(1, rows // 2)
    customers = max(1, contracts // 4)
    base: list[list[str]] = []
    for c in range(contracts):
        cust = rng.randrange(customers)
        start = f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2022, 2026)}"
        period = rng.choice(("månedlig", "årlig"))
        for n in (1, 2):
            if len(base) == rows:
                break
            base.append(
                [
                    f"K{c:06d}",
                    f"{9000 + cust}",
                    f"Kunde {cust} AS",
                    COUNTRIES[cust % len(COUNTRIES)],
                    start,
                    period,
                    f"K{c:06d}-{n}",
                    rng.choice(PRODUCTS),
                    str(rng.randint(1, 20)),
                    _price(rng.randint(100, 500_000) * 100),
                ]
            )
    again = []
    for row in base:
        copy = list(row)
        if rng.random() < changed:
            cents = int(copy[9].replace(".", "").replace(",", ""))
            copy[9] = _price(cents * 11 // 10)
        again.append(copy)
    for name, body in (("sheet.csv", base), ("sheet-changed.csv", again)):
        with (out / name).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(HEADER)
            writer.writerows(body)
    for table in ("customers", "contracts", "lines"):
        shutil.copyfile(MAPS / f"sheet-{table}.yaml", out / f"{table}.yaml")


def revcli(*args: str | Path, profile: Path | None = None) -> float:
    """Run ``python -m revcli ARGS`` in a subprocess; its wall time in seconds."""
    prefix = [sys.executable]
    if profile is not None:
        prefix += ["-m", "cProfile", "-o", str(profile)]
    command = [*prefix, "-m", "revcli", *map(str, args)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the sheet (lines)")
    parser.add_argument("--repeat", type=int, default=3, help="timed re-imports (median)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--changed", type=float, default=0.05, help="share of prices changed")
    parser.add_argument("--profile", type=Path, help="also profile one re-import into FILE")
    args = parser.parse_args()

    out: Path = args.out.resolve()
    generate(out, args.rows, args.seed, args.changed)
    base = out / "data-base"
    shutil.rmtree(base, ignore_errors=True)
    first = 0.0
    for table in ("customers", "contracts", "lines"):
        sheet, table_map = out / "sheet.csv", out / f"{table}.yaml"
        first += revcli(
            "import", "csv", sheet, "--map", table_map, "--data", base, "--country", "NO"
        )
    print(f"first import (customers + contracts + lines, {args.rows:,} rows): {first:.2f} s")

    data = out / "data"
    again = ("import", "csv", out / "sheet-changed.csv", "--map", out / "lines.yaml")
    times = []
    for _ in range(args.repeat):
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(base, data)
        times.append(revcli(*again, "--data", data))
    print("re-import of the lines:", ", ".join(f"{t:.2f}" for t in times), "s")
    print(f"median of {len(times)}: {statistics.median(times):.2f} s")
    if args.profile is not None:
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(base, data)
        revcli(*again, "--data", data, profile=args.profile.resolve())
        print(f"profile of one re-import: {args.profile} (python -m pstats)")


if __name__ == "__main__":
    main()
