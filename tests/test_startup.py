"""Start-up loads the command line only: the engine, Polars, Liquid and billing load when a
command runs (module sets checked in a fresh interpreter; timings are in bench/results.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from revcli import __version__
from revcli.billing.templates import DocFormat as BillingDocFormat
from revcli.cli.invoice import DocFormat
from revcli.cli.retention import Metric
from revcli.metrics.cohorts import CohortMetric

ENGINE = ("polars", "liquid", "babel", "yaml", "icalendar", "weasyprint", "xlsxwriter")
"""Third-party packages only a running command needs."""
LAZY = (
    "revcli.billing",
    "revcli.metrics",
    "revcli.risk",
    "revcli.renewals",
    "revcli.data",
    "revcli.dashboard",
)
"""revcli packages only a running command needs."""


def _loaded(code: str, *argv: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script, *argv], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def _under(modules: set[str], packages: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == p or m.startswith(f"{p}.") for p in packages)}


def test_importing_the_command_line_loads_no_polars_liquid_or_billing() -> None:
    # revcli.cli.root is what --help and shell completion build: every command and option.
    loaded = _loaded("import revcli.cli.root")
    assert "revcli.cli.core" in loaded and "revcli.cli.invoice" in loaded  # it did load them
    assert _under(loaded, ENGINE) == set()
    assert _under(loaded, LAZY) == set()
    # Nor Rich: shell completion prints no help, so it never needs it.
    assert _under(loaded, ("rich",)) == set()


def test_the_console_script_module_loads_no_typer() -> None:
    # The entry point ``revcli.cli:main`` is imported before any argument is read.
    loaded = _loaded("import revcli.cli")
    assert _under(loaded, ("typer", "rich", *ENGINE)) == set()


def test_version_answers_before_typer_loads() -> None:
    script = "import sys\nsys.argv[0] = 'revcli'\nfrom revcli.cli import main\nmain()"
    result = subprocess.run(
        [sys.executable, "-c", script, "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout == f"revcli {__version__}\n"
    loaded = _loaded(script, "--version")
    assert "typer" not in loaded


def test_ctrl_c_while_the_command_line_loads_is_interrupted_not_a_traceback() -> None:
    # A real SIGINT, sent as Typer starts to import (a CI job cancelled as revcli starts):
    # one line on stderr and exit 130, as once a command runs.
    script = (
        "import os, signal, sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'typer':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.argv[0] = 'revcli'\nfrom revcli.cli import main\nmain()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "mrr", "--help"], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (130, "interrupted\n")


def test_command_line_choices_match_the_ones_the_core_accepts() -> None:
    # The CLI names these choices itself so that it loads without the code behind them.
    assert [m.value for m in Metric] == [m.value for m in CohortMetric]
    assert [f.value for f in DocFormat] == [f.value for f in BillingDocFormat]


def test_the_command_line_starts_where_fcntl_does_not_exist() -> None:
    # Windows has no fcntl: blocking it, --help still lists every command (the state
    # log's locking fallback, revcli/state, serves the commands that write).
    script = (
        "import sys\nsys.modules['fcntl'] = None\nsys.argv[0] = 'revcli'\n"
        "from revcli.cli import main\nmain()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "--help"],
        check=False,
        capture_output=True,
        text=True,
        env={"COLUMNS": "120", "PATH": "", "TERM": "dumb"},
    )
    assert result.returncode == 0, result.stderr
    for command in ("mrr", "validate", "invoice", "renewals", "forecast"):
        assert command in result.stdout


def test_the_terminal_contract_covers_every_module_but_the_cli_and_the_renderer() -> None:
    # import-linter's layers contract is exhaustive by itself; the forbidden one (no Typer or
    # Rich, not even through another module) names its modules, so a new one must be added.
    import tomllib
    from pathlib import Path

    root = Path(__file__).parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    covered = set(next(c for c in contracts if c["id"] == "terminal")["source_modules"])
    package = root / "src" / "revcli"
    modules = {
        f"revcli.{p.stem}"
        for p in package.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.stem != "__init__"
    }
    output = {f"revcli.output.{p.stem}" for p in (package / "output").glob("*.py")}
    expected = (modules | output) - {
        "revcli.cli",
        "revcli.__main__",
        "revcli.output",
        "revcli.output.__init__",
        "revcli.output.render",
        "revcli.dashboard",  # renders reports (HTML, Markdown) with the renderer's helpers
    }
    assert covered == expected


def test_loading_a_data_dir_without_invoices_loads_no_billing_code() -> None:
    # Every report loads and checks its data dir, the invoice register included; without
    # an invoices/ folder there is no register, so the billing code stays unloaded.
    code = "import sys\nfrom pathlib import Path\nfrom revcli.checks import load_dataset\n"
    code += "load_dataset(Path(sys.argv[1]))"
    root = Path(__file__).parent.parent
    loaded = _loaded(code, str(root / "sample_data"))
    assert "revcli.data.validate" in loaded  # it did load the data dir
    assert _under(loaded, ("revcli.billing",)) == {"revcli.billing", "revcli.billing.layout"}
    # Nor the e-invoice document model: checking the parties' numbers needs none of it.
    assert "revcli.einvoice.model" not in loaded


REPORTS = [
    ["mrr", "--from", "2025-12", "--to", "2026-11", "--as-of", "2026-11-23"],
    ["nrr", "--month", "2026-11"],  # a bounded number (--window)
    ["cohorts", "--from", "2025-12", "--to", "2026-11", "--as-of", "2026-11-23"],
    ["renewals", "--as-of", "2026-11-23", "--within", "90d"],
    ["pipeline", "--as-of", "2026-11-23"],  # prints a warning (one deal past due)
    ["risk", "--as-of", "2026-11-23"],
    ["forecast", "--as-of", "2026-11-23"],
]


@pytest.mark.parametrize("written", [False, True], ids=["piped", "out"])
@pytest.mark.parametrize("args", REPORTS, ids=lambda a: a[0])
def test_a_piped_report_loads_neither_pydantic_nor_rich(
    args: list[str], written: bool, tmp_path: Path
) -> None:
    # Typer would build a Pydantic adapter for every option (about 0.1 s of each report);
    # revcli's converter gives the same values without it (tests/test_cli_coercion.py).
    # CSV piped or written with --out needs no Rich either: warnings and "wrote FILE" are
    # plain lines on a stderr that is no terminal (about 0.06 s of each report).
    root = Path(__file__).parent.parent
    script = "import sys\nsys.argv[0] = 'revcli'\nfrom revcli.cli import main\ntry:\n    main()\n"
    script += "except SystemExit as exit:\n    assert not exit.code, exit.code"
    data = ["--data", str(root / "sample_data"), "--format", "csv"]
    out = ["--out", str(tmp_path / "report.csv")]
    loaded = _loaded(script, *args, *data, *(out if written else []))
    assert "revcli.data.validate" in loaded  # the report ran
    assert (tmp_path / "report.csv").is_file() is written
    assert _under(loaded, ("pydantic", "pydantic_core")) == set()
    assert "rich.console" not in loaded


@pytest.mark.parametrize("stderr_tty", [False, True])
@pytest.mark.parametrize("tty_compatible", [None, "", "0", "1"])
@pytest.mark.parametrize("force_color", [None, "", "1"])
def test_stderr_is_terminal_answers_as_rich_does(
    stderr_tty: bool,
    tty_compatible: str | None,
    force_color: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The spinner while a data dir loads shows where Rich says stderr is a terminal; the
    # check skips Rich only where Rich's answer is no.
    import os

    from rich.console import Console

    from revcli.cli import console

    for name, value in (("TTY_COMPATIBLE", tty_compatible), ("FORCE_COLOR", force_color)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    main, other = os.openpty()
    stream = os.fdopen(other, "w") if stderr_tty else Path(os.devnull).open("w")  # noqa: SIM115
    with stream:
        monkeypatch.setattr(sys, "stderr", stream)
        monkeypatch.setattr(console, "err", console._Stderr())  # a console made afresh
        expected = Console(stderr=True).is_terminal
        assert console.stderr_is_terminal() is expected
    os.close(main)
    if not stderr_tty:
        os.close(other)
    # Rich's rule: TTY_COMPATIBLE 1/0 decides, else a set FORCE_COLOR, else the stream.
    rule = bool(force_color) if force_color is not None else stderr_tty
    assert expected is (tty_compatible == "1" or (tty_compatible != "0" and rule))


def test_the_console_script_collects_garbage_less_often() -> None:
    # Start-up makes a few hundred thousand long-lived objects (modules, classes); with
    # Python's default threshold (700) the cycle collector rescans them about 130 times in
    # one report, and once more at exit. Only the console script changes it (not an
    # importer of revcli).
    from revcli.cli import GC_YOUNG

    script = "import gc, sys\nsys.argv[0] = 'revcli'\nfrom revcli.cli import main\n"
    script += "before = gc.get_threshold()\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
    script += "print(before[0], *gc.get_threshold(), gc.get_freeze_count())"
    result = subprocess.run(
        [sys.executable, "-c", script, "--help"], capture_output=True, text=True, check=True
    )
    before, young, middle, old, frozen = map(int, result.stdout.split()[-5:])
    assert before == 700 and young == GC_YOUNG and (middle, old) == (10, 10)
    # And once the command is done, its objects are frozen out of the last pass at exit.
    assert frozen > 10_000


@pytest.mark.parametrize(
    ("cpus", "given", "expected"),
    [
        (1, None, "narenas:1,oversize_threshold:0"),
        (2, None, "narenas:1,oversize_threshold:0"),
        (8, None, "narenas:1,oversize_threshold:0"),
        (9, None, "narenas:2,oversize_threshold:0"),
        (64, None, "narenas:8,oversize_threshold:0"),
        (2, "", "narenas:1,oversize_threshold:0"),
        # The user's own options come last, so each of them wins.
        (
            2,
            "narenas:4,stats_print:true",
            "narenas:1,oversize_threshold:0,narenas:4,stats_print:true",
        ),
        # Set already (a second command in one process, or revcli started by revcli).
        (2, "narenas:1,oversize_threshold:0", "narenas:1,oversize_threshold:0"),
        (2, "x:1,narenas:1,oversize_threshold:0", "x:1,narenas:1,oversize_threshold:0"),
        (
            16,
            "narenas:1,oversize_threshold:0",
            "narenas:2,oversize_threshold:0,narenas:1,oversize_threshold:0",
        ),
    ],
)
def test_allocator_options_give_an_arena_per_eight_processors(
    cpus: int, given: str | None, expected: str
) -> None:
    from revcli.cli import allocator_options

    assert allocator_options(cpus, given) == expected


def test_polars_allocator_takes_the_console_scripts_options() -> None:
    # Polars' jemalloc reads its options once, when Polars loads in the command; the
    # statistics it prints at exit show the options in force.
    from revcli.cli import ALLOCATOR, CPUS_PER_ARENA
    from revcli.concurrency import usable_cores

    script = "import sys\nsys.argv[0] = 'revcli'\nfrom revcli.cli import main\nmain()"
    data = Path(__file__).resolve().parents[1] / "sample_data"
    argv = ["mrr", "--data", str(data), "--month", "2026-03", "--format", "csv"]

    def options(given: str) -> str:
        env = {k: v for k, v in os.environ.items() if k != ALLOCATOR}
        env[ALLOCATOR] = given
        result = subprocess.run(
            [sys.executable, "-c", script, *argv],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        found = [line for line in result.stderr.splitlines() if "opt.narenas:" in line]
        if not found:
            pytest.skip("Polars on this platform does not use jemalloc")
        return result.stderr

    stats = options("stats_print:true")
    assert _opt(stats, "narenas") == str(-(-usable_cores() // CPUS_PER_ARENA))
    assert _opt(stats, "oversize_threshold") == "0"
    # A user's own value of an option wins over revcli's.
    assert _opt(options("narenas:3,stats_print:true"), "narenas") == "3"


def _opt(stats: str, name: str) -> str:
    """The value of jemalloc's ``opt.NAME`` in its printed statistics."""
    line = next(line for line in stats.splitlines() if line.strip().startswith(f"opt.{name}:"))
    return line.split(":", 1)[1].split()[0]


@pytest.mark.parametrize(
    ("text", "style", "markup"),
    [
        ("wrote out/mrr.csv", "dim", False),
        ("wrote /tmp/[x] :smile: weird.csv", "dim", False),
        ("2 problems found; nothing was done.", None, None),
        ("error: a value in [brackets]", None, False),
        ("a [bold]tagged[/bold] line", None, None),
        ("a [bold]tagged[/bold] line", None, True),
        ("wide " + "x" * 300, None, False),
        ("", None, None),
    ],
)
def test_stderr_lines_off_a_terminal_are_what_rich_writes(
    text: str,
    style: str | None,
    markup: bool | None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Off a terminal a line is written without Rich; it must read as Rich's own line did.
    from revcli.cli import console

    for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    stderr = console._Stderr()
    stderr._console.print(text, style=style, markup=markup)
    by_rich = capsys.readouterr().err
    fresh = console._Stderr()
    monkeypatch.setattr(console, "err", fresh)
    fresh.print(text, style=style, markup=markup)
    assert ("_console" in fresh.__dict__) is bool(markup)  # no Rich for a plain line
    assert capsys.readouterr().err == by_rich
