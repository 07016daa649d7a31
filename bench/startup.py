"""Start-up timings of revcli: --version, --help, shell completion and every report on
sample_data/, each the median of several runs (wall clock and CPU time of the process).

    python bench/startup.py [--runs 7]

Prints a Markdown table for bench/results.md ("Start-up").
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REVCLI = str(Path(sys.executable).with_name("revcli"))
DATA = ("--data", str(ROOT / "sample_data"), "--format", "csv")
AS_OF = ("--as-of", "2026-11-23")

CASES: list[tuple[str, list[str], dict[str, str], float]] = [
    ("revcli --version", ["--version"], {}, 0.10),
    ("revcli --help", ["--help"], {}, 0.25),
    (
        "shell completion (bash, `revcli m<TAB>`)",
        [],
        {"_REVCLI_COMPLETE": "complete_bash", "COMP_WORDS": "revcli m", "COMP_CWORD": "1"},
        0.25,
    ),
    ("mrr", ["mrr", *DATA, "--from", "2025-12", "--to", "2026-11", *AS_OF], {}, 0.5),
    ("nrr", ["nrr", *DATA, "--month", "2026-11"], {}, 0.5),
    ("cohorts", ["cohorts", *DATA, "--from", "2025-12", "--to", "2026-11", *AS_OF], {}, 0.5),
    ("renewals", ["renewals", *DATA, *AS_OF, "--within", "90d"], {}, 0.5),
    ("pipeline", ["pipeline", *DATA, *AS_OF], {}, 0.5),
    ("risk", ["risk", *DATA, *AS_OF], {}, 0.5),
    ("forecast", ["forecast", *DATA, *AS_OF], {}, 0.5),
    ("validate", ["validate", "--data", str(ROOT / "sample_data")], {}, 0.5),
]


def measure(args: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU (user + system) seconds of ``revcli ARGS``."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [REVCLI, *args],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    print(f"median of {runs} runs; load average {os.getloadavg()[0]:.1f} at the start\n")
    print("| command | target | wall (s) | CPU (s) |")
    print("| --- | --- | --- | --- |")
    for name, args, env, target in CASES:
        wall, cpu = measure(args, env, runs)
        print(f"| {name} | ≤ {target:.2f} | {wall:.3f} | {cpu:.3f} |")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
