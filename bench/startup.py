"""Start-up timings of revcli: --version, --help, shell completion and every report on
sample_data/, each the median of several runs (wall clock and CPU time of the process).

    python bench/startup.py [--runs 7] [--write]

Prints a Markdown table; ``--write`` puts it into bench/results.md as its "Start-up"
section (bench/run.py, which writes the rest of that file, keeps the section).

revcli's sources are byte-compiled first (``compileall``), as an installed package is and
as a user's own runs leave them: an editable install under PYTHONDONTWRITEBYTECODE=1 (as
in some sandboxes and CI images) would otherwise compile every module on every run,
which is not start-up time a user sees.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
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
BEGIN, END = "<!-- startup:begin -->", "<!-- startup:end -->"

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


def table(runs: int) -> str:
    """The timings as a Markdown table, with the machine's load around them."""
    lines = [
        f"Median of {runs} runs (load average {os.getloadavg()[0]:.1f} before; 2 cores).",
        "",
        "| command | target | wall (s) | CPU (s) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, args, env, target in CASES:
        wall, cpu = measure(args, env, runs)
        lines.append(f"| {name} | ≤ {target:.2f} | {wall:.3f} | {cpu:.3f} |")
    lines += ["", f"Load average {os.getloadavg()[0]:.1f} after."]
    return "\n".join(lines)


def write(text: str) -> None:
    """Replace the measured table in the "Start-up" section of bench/results.md."""
    path = ROOT / "bench" / "results.md"
    content = path.read_text(encoding="utf-8")
    start, stop = content.find(BEGIN), content.find(END)
    if not 0 <= start < stop:
        raise SystemExit(f"{path}: no {BEGIN} … {END} markers in its Start-up section")
    new = content[: start + len(BEGIN)] + "\n" + text + "\n" + content[stop:]
    path.write_text(new, encoding="utf-8")


def byte_compile() -> None:
    """Write the ``.pyc`` files of the revcli that ``revcli`` runs (no-op when current)."""
    spec = importlib.util.find_spec("revcli")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("revcli is not installed in this interpreter's environment")
    for folder in spec.submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="update bench/results.md")
    options = parser.parse_args()
    byte_compile()
    text = table(options.runs)
    print(text)
    if options.write:
        write(text)


if __name__ == "__main__":
    main()
