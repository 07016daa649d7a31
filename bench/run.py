"""Time `revcli mrr` end to end against a DuckDB baseline and a plain Polars CSV read.

    python bench/run.py [--sizes 10000,100000,1000000] [--months 60] [--repeat 5]
                        [--shape default,customers,currencies,customers+currencies]

For each size (and data shape, see bench/generate.py), generates a data dir once (cached
under bench/data/<size>/, or bench/data/<size>-<shape>/ for a shape other than the
default; gitignored)
and then runs, each in a fresh subprocess:

- revcli:       python -m revcli mrr --data DIR --from .. --to .. --format csv --out FILE
- duckdb:       python bench/duckdb_baseline.py (the same computation as DuckDB SQL)
- polars read:  pl.read_csv of the four CSVs, nothing else
- the other reports on the same data: nrr, cohorts, renewals, risk, forecast, and the
  amounts of one month's billing run without documents (billing_amounts in Python)

Each gets its median wall time of --repeat runs and its peak RSS (ru_maxrss of that very
subprocess, from os.wait4; the largest of the runs). The runs go in rounds, one of each
tool per round, so that every tool is timed over the same minutes. revcli's monthly MRR is checked
against DuckDB's. The Markdown table is printed and written, with machine info, to
bench/results.md and between the markers in bench/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
CSV_FILES = ("customers.csv", "contracts.csv", "contract_lines.csv", "fx_rates.csv")
LAST_MONTH = "2026-12"
STAMP = ".bench-generated.json"
BEGIN, END = "<!-- bench-results:begin -->", "<!-- bench-results:end -->"
READ_SNIPPET = "import sys, polars as pl\nfor p in sys.argv[1:]: pl.read_csv(p)"
BILLING_SNIPPET = """\
import sys, datetime as dt
from pathlib import Path
from revcli.checks import load_dataset
from revcli.billing.run import billing_amounts
month = dt.date.fromisoformat(sys.argv[2] + "-01")
run = billing_amounts(load_dataset(Path(sys.argv[1])), month, month)
print(len(run), run.total())
"""
DEFAULT_SHAPE = "default"
TOOLS = ("revcli", "duckdb", "polars-read")
REPORTS = ("nrr", "cohorts", "renewals", "risk", "forecast", "billing")
"""The other reports, each timed like ``revcli mrr`` and compared with its time."""
TOLERANCE = 0.01 + 1e-6
COMPARED = (
    "mrr",
    "arr",
    "customers",
    "new",
    "expansion",
    "upgrade",
    "reactivation",
    "downgrade",
    "cancellation",
    "churn",
    "net_change",
)


@dataclass
class Measurement:
    tool: str
    wall_s: float | None = None
    peak_mb: float | None = None
    cpu_s: float | None = None
    note: str = ""


@dataclass
class Dataset:
    size: int
    path: Path
    customers: int
    csv_mb: float
    shape: str = DEFAULT_SHAPE

    @property
    def name(self) -> str:
        """1M, or 1M customers for a shape other than the default."""
        return label(self.size) + ("" if self.shape == DEFAULT_SHAPE else f" {self.shape}")


def label(size: int) -> str:
    """10000 -> 10k, 1000000 -> 1M."""
    for unit, div in (("M", 1_000_000), ("k", 1_000)):
        if size >= div and size % div == 0:
            return f"{size // div}{unit}"
    return str(size)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def child_env() -> dict[str, str]:
    """Environment for the timed children: the working tree's src/ comes first."""
    env = dict(os.environ)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    env.setdefault("NO_COLOR", "1")
    return env


# ---------------------------------------------------------------------------- data


def generator_shapes() -> list[str]:
    """The data shapes bench/generate.py makes (its ``--shape`` choices)."""
    sys.path.insert(0, str(BENCH))
    try:
        from generate import SHAPES
    finally:
        sys.path.remove(str(BENCH))
    return list(SHAPES)


def generator_digest() -> str:
    return hashlib.sha256((BENCH / "generate.py").read_bytes()).hexdigest()[:16]


def ensure_data(size: int, seed: int, shape: str = DEFAULT_SHAPE) -> Dataset:
    """The cached data dir of ``size`` lines of a data ``shape``, generated when missing or
    stale."""
    default = shape == DEFAULT_SHAPE
    path = DATA / (str(size) if default else f"{size}-{shape}")
    want: dict[str, object] = {"lines": size, "seed": seed, "generator": generator_digest()}
    if not default:
        want["shape"] = shape
    stamp = path / STAMP
    fresh = stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == want
    if not fresh:
        log(f"generating {label(size)} lines into {path.relative_to(ROOT)} ...")
        cmd = [sys.executable, str(BENCH / "generate.py"), "--lines", str(size)]
        cmd += ["--out", str(path), "--seed", str(seed), "--shape", shape]
        subprocess.run(cmd, check=True)
        stamp.write_text(json.dumps(want), encoding="utf-8")
    customers = count_rows(path / "customers.csv")
    csv_mb = sum((path / f).stat().st_size for f in CSV_FILES) / 1e6
    return Dataset(size, path, customers, csv_mb, shape)


def count_rows(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh) - 1


# ---------------------------------------------------------------------- measuring


def run_once(cmd: list[str], timeout: float) -> tuple[float, float, float, int, str]:
    """Run ``cmd``; return wall seconds, peak RSS in MiB, CPU seconds (user + system, all
    threads), exit code and stderr tail."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=err, env=child_env(), cwd=ROOT
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip()[-2000:]
    if wall > timeout:
        tail = f"timed out after {timeout:.0f} s\n{tail}"
    # ru_maxrss is in KiB on Linux (bytes on macOS)
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, peak, usage.ru_utime + usage.ru_stime, proc.returncode, tail


def measure(
    cmds: dict[str, list[str]], repeats: dict[str, int], timeout: float
) -> dict[str, Measurement]:
    """Each tool's median wall time, the largest peak RSS among its runs and its median CPU
    time (which a busy machine inflates less than the wall time).

    The runs are taken in rounds, one run of every tool per round, so that all tools are
    timed over the same minutes: this machine's speed drifts by a third within an hour,
    and five runs of one tool followed by five of the next would compare different
    machines. A tool whose run fails is not run again."""
    walls: dict[str, list[float]] = {tool: [] for tool in cmds}
    peaks: dict[str, list[float]] = {tool: [] for tool in cmds}
    cpus: dict[str, list[float]] = {tool: [] for tool in cmds}
    failed: dict[str, Measurement] = {}
    for i in range(max(repeats.values(), default=0)):
        for tool, cmd in cmds.items():
            if tool in failed or i >= repeats[tool]:
                continue
            wall, peak, cpu, code, tail = run_once(cmd, timeout)
            if code != 0:
                log(f"  {tool}: run {i + 1} failed (exit {code}):\n{indent(tail)}")
                failed[tool] = Measurement(tool, note=f"failed (exit {code})")
                continue
            log(f"  {tool}: {wall:.2f} s, {peak:.0f} MB, {cpu:.2f} s CPU")
            walls[tool].append(wall)
            peaks[tool].append(peak)
            cpus[tool].append(cpu)
    out: dict[str, Measurement] = {}
    for tool in cmds:
        if tool in failed:
            out[tool] = failed[tool]
        elif not walls[tool]:
            out[tool] = Measurement(tool, note="not run")
        else:
            out[tool] = Measurement(
                tool,
                statistics.median(walls[tool]),
                max(peaks[tool]),
                statistics.median(cpus[tool]),
            )
    return out


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def byte_compile() -> None:
    """Write the ``.pyc`` files of the revcli that the timed runs import (src/revcli).

    An installed package has them, and a user's own runs leave them; under
    PYTHONDONTWRITEBYTECODE=1 (as in some sandboxes and CI images) nothing writes them, and
    every timed run would compile each module changed since they were last written (up to
    0.1-0.2 s of a 1M-line run): not time a user's run spends. bench/startup.py does the same.
    """
    compileall.compile_dir(ROOT / "src" / "revcli", quiet=1)


def revcli_available() -> tuple[bool, str]:
    """Whether ``python -m revcli mrr`` runs, and its version (or the reason it does not)."""
    try:
        probe = subprocess.run(
            [sys.executable, "-m", "revcli", "mrr", "--help"],
            capture_output=True,
            text=True,
            env=child_env(),
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, "`revcli mrr --help` timed out"
    if probe.returncode != 0:
        lines = (probe.stderr or probe.stdout).strip().splitlines()
        return False, lines[-1] if lines else f"exit {probe.returncode}"
    version = subprocess.run(
        [sys.executable, "-m", "revcli", "--version"],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    return True, version.stdout.strip().splitlines()[0] if version.stdout.strip() else ""


# --------------------------------------------------------------------- cross-check


def cross_check(revcli_csv: Path, duckdb_csv: Path) -> list[str]:
    """Months where revcli and DuckDB disagree by more than 0.01 (mrr first)."""
    ours = pl.read_csv(revcli_csv, infer_schema=False)
    base = pl.read_csv(duckdb_csv, infer_schema=False)
    columns = [c for c in COMPARED if c in ours.columns and c in base.columns]
    joined = ours.select("month", *columns).join(
        base.select("month", *columns), on="month", how="full", suffix="_duckdb", coalesce=True
    )
    problems = []
    missing = joined.filter(pl.any_horizontal(pl.col(c).is_null() for c in columns))
    for month in missing["month"].sort():
        problems.append(f"{month}: present in only one of the outputs")
    for column in columns:
        ours_v = pl.col(column).cast(pl.Float64, strict=False)
        base_v = pl.col(f"{column}_duckdb").cast(pl.Float64, strict=False)
        bad = joined.filter((ours_v - base_v).abs() > TOLERANCE).sort("month")
        for month, a, b in bad.select("month", column, f"{column}_duckdb").iter_rows():
            problems.append(f"{month}: {column} revcli {a} vs duckdb {b}")
    return problems


# -------------------------------------------------------------------------- report


def load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_info(today: str, load: str) -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    memory = ""
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
        memory = f"{int(found.group(1)) / 1024**2:.0f} GiB RAM" if found else ""
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    try:
        import duckdb

        duck = duckdb.__version__
    except ImportError:
        duck = "not installed"
    return [
        f"- date: {today}",
        f"- machine: {cores} cores (nproc), {memory}, {cpu}, {platform.system()}",
        f"- load average before the run (1, 5, 15 min): {load}",
        "- the runs go in rounds (one run of every tool per round), so every tool is timed "
        "over the same minutes",
        f"- python {platform.python_version()}, polars {pl.__version__}, duckdb {duck}",
    ]


def table(rows: list[tuple[Dataset, Measurement]]) -> str:
    head = "| size | lines | customers | CSV MB | tool | wall s | peak MB | CPU s | × mrr |"
    out = [head, "| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
    mrr = {d.name: m.wall_s for d, m in rows if m.tool == "revcli" and m.wall_s}
    for data, m in rows:
        wall = f"{m.wall_s:.2f}" if m.wall_s is not None else m.note or "-"
        peak = f"{m.peak_mb:.0f}" if m.peak_mb is not None else "-"
        cpu = f"{m.cpu_s:.2f}" if m.cpu_s is not None else "-"
        base = mrr.get(data.name)
        ratio = f"{m.wall_s / base:.2f}" if base and m.wall_s is not None else "-"
        out.append(
            f"| {data.name} | {data.size:,} | {data.customers:,} | {data.csv_mb:.1f} "
            f"| {m.tool} | {wall} | {peak} | {cpu} | {ratio} |"
        )
    return "\n".join(out)


STARTUP = "\n## Start-up"


def write_results(text: str) -> None:
    path = BENCH / "results.md"
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    # The "Start-up" section is bench/startup.py's: keep it.
    kept = old[old.index(STARTUP) :] if STARTUP in old else ""
    path.write_text(text.rstrip("\n") + "\n" + ("\n" + kept if kept else ""), encoding="utf-8")
    readme = BENCH / "README.md"
    if readme.is_file():
        content = readme.read_text(encoding="utf-8")
        start, stop = content.find(BEGIN), content.find(END)
        if 0 <= start < stop:
            body = text.split("\n", 2)[2] if text.startswith("# ") else text
            new = content[: start + len(BEGIN)] + "\n" + body.strip() + "\n" + content[stop:]
            readme.write_text(new, encoding="utf-8")


def month_minus(month: str, months: int) -> str:
    year, mon = map(int, month.split("-"))
    index = year * 12 + mon - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def commands(data: Dataset, first: str, last: str, outdir: Path) -> dict[str, list[str]]:
    """The command line of each tool for one data dir."""
    data_dir, months = str(data.path), ["--from", first, "--to", last]
    revcli = [sys.executable, "-m", "revcli"]
    # reports as of the last day of the period, so that no month is partial
    as_of = ["--as-of", month_end(last)]

    def report(name: str, *args: str) -> list[str]:
        out = str(outdir / f"{name}.csv")
        return [*revcli, name, "--data", data_dir, *args, "--format", "csv", "--out", out]

    return {
        "revcli": [
            *revcli,
            *("mrr", "--data", data_dir, *months),
            *("--format", "csv", "--out", str(outdir / "revcli.csv")),
        ],
        "duckdb": [
            *(sys.executable, str(BENCH / "duckdb_baseline.py"), "--data", data_dir),
            *(*months, "--out", str(outdir / "duckdb.csv")),
        ],
        "polars-read": [
            *(sys.executable, "-c", READ_SNIPPET),
            *(str(data.path / f) for f in CSV_FILES),
        ],
        "nrr": report("nrr", *months, *as_of),
        "cohorts": report("cohorts", *months, *as_of),
        "renewals": report("renewals", *as_of, "--within", "90d"),
        "risk": report("risk", *as_of),
        "forecast": report("forecast", *as_of),
        "billing": [sys.executable, "-c", BILLING_SNIPPET, data_dir, last],
    }


def month_end(month: str) -> str:
    """The last day of a YYYY-MM month, as YYYY-MM-DD."""
    year, mon = map(int, month.split("-"))
    following = date(year + mon // 12, mon % 12 + 1, 1)
    return (following - timedelta(days=1)).isoformat()


def bench_size(
    size: int,
    args: argparse.Namespace,
    tools: list[str],
    first: str,
    last: str,
    *,
    shape: str = DEFAULT_SHAPE,
) -> tuple[list[tuple[Dataset, Measurement]], list[str]]:
    """Measure every tool on one size and shape; return the table rows and cross-check
    lines."""
    data = ensure_data(size, args.seed, shape)
    outdir = DATA / "out" / data.path.name
    outdir.mkdir(parents=True, exist_ok=True)
    log(f"{data.name}: {data.customers:,} customers, {data.csv_mb:.1f} MB CSV, {first}..{last}")
    cmds = commands(data, first, last, outdir)
    repeats = {
        tool: args.repeat if tool in TOOLS else args.report_repeat or args.repeat for tool in tools
    }
    for tool in tools:
        (outdir / f"{tool}.csv").unlink(missing_ok=True)
    measured = measure({tool: cmds[tool] for tool in tools}, repeats, args.timeout)
    rows = [(data, measured[tool]) for tool in tools]
    ours, base = outdir / "revcli.csv", outdir / "duckdb.csv"
    if not ("revcli" in tools and "duckdb" in tools and ours.is_file() and base.is_file()):
        return rows, []
    problems = cross_check(ours, base)
    if not problems:
        log("  cross-check: revcli and DuckDB agree within 0.01 on every month")
        return rows, [
            f"- {data.name}: revcli and DuckDB agree within 0.01 on every month "
            f"({', '.join(COMPARED)})"
        ]
    log(f"WARNING: revcli and DuckDB disagree at {data.name}:")
    for p in problems[:40]:
        log(f"  {p}")
    checks = [f"- {data.name}: **{len(problems)} differences**, the first:"]
    return rows, checks + [f"  - {p}" for p in problems[:10]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="contract lines")
    parser.add_argument("--months", type=int, default=60, help="months in the report")
    parser.add_argument("--to", default=LAST_MONTH, help=f"last month (default {LAST_MONTH})")
    parser.add_argument("--repeat", type=int, default=5, help="runs per tool; median wall time")
    parser.add_argument(
        "--report-repeat", type=int, help="runs per other report (default: --repeat)"
    )
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    parser.add_argument(
        "--shape",
        default=DEFAULT_SHAPE,
        help="data shapes, comma-separated (bench/generate.py --shape: default, customers, "
        "currencies, customers+currencies)",
    )
    parser.add_argument(
        "--tools",
        default=",".join((*TOOLS, *REPORTS)),
        help=f"subset of the tools to time ({', '.join((*TOOLS, *REPORTS))})",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run")
    parser.add_argument("--date", help="date printed in the results (default: today)")
    parser.add_argument("--no-write", action="store_true", help="only print the table")
    args = parser.parse_args(argv)

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    shapes = [s.strip() for s in args.shape.split(",") if s.strip()]
    known = generator_shapes()
    if set(shapes) - set(known):
        parser.error(f"unknown shapes: {', '.join(sorted(set(shapes) - set(known)))}")
    unknown = set(tools) - {*TOOLS, *REPORTS}
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    last = args.to
    first = month_minus(last, args.months - 1)
    today = args.date or date.today().isoformat()
    load = f"{load_average()} (started {time.strftime('%H:%M', time.gmtime())} UTC)"

    notes: list[str] = []
    if set(tools) - {"duckdb", "polars-read"}:
        byte_compile()
    if "revcli" in tools:
        ok, detail = revcli_available()
        if ok:
            notes.append(f"- revcli: {detail or 'version unknown'}")
        else:
            log(f"revcli is not runnable ({detail}); skipping it")
            notes.append(f"- revcli not measured: `python -m revcli` failed ({detail})")
            tools.remove("revcli")

    rows: list[tuple[Dataset, Measurement]] = []
    checks: list[str] = []
    for shape in shapes:
        for size in sizes:
            size_rows, size_checks = bench_size(size, args, tools, first, last, shape=shape)
            rows += size_rows
            checks += size_checks

    result = table(rows)
    print(result)
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"`revcli mrr` over {args.months} months ({first}..{last}), end to end, and the "
            f"other reports on the same data; median of {args.repeat} runs "
            f"({args.report_repeat or args.repeat} for the other reports); peak RSS of "
            "each run's process (the largest of the runs); CPU s: user + system time of "
            "all its threads (median); × mrr: wall time over the `revcli mrr` time of the "
            "same size and data shape.",
            "",
            result,
            "",
            *machine_info(today, load),
            *notes,
            "",
            "Cross-check of revcli against the DuckDB baseline:",
            "",
            *(checks or ["- not run (needs both revcli and duckdb)"]),
            "",
        ]
    )
    if not args.no_write:
        write_results(text)
        log(f"wrote {(BENCH / 'results.md').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
