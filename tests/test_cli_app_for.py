"""``revcli NAME …`` builds only the command NAME (revcli.cli.root.app_for): every command
and group must answer exactly as in the whole app — help, usage errors and a real run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from revcli.cli import app
from revcli.cli.root import app_for

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = str(ROOT / "sample_data")
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
FULL = typer.main.get_command(app)
NAMES = sorted(FULL.commands)  # type: ignore[attr-defined]


def _both(args: list[str]) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    runner = CliRunner()
    whole = runner.invoke(app, args, env=ENV)
    alone = runner.invoke(app_for(args), args, env=ENV)
    return (
        (whole.exit_code, whole.stdout, whole.stderr),
        (alone.exit_code, alone.stdout, alone.stderr),
    )


def test_every_command_and_group_is_built_alone() -> None:
    assert {"mrr", "validate", "invoice", "import"} <= set(NAMES)
    for name in NAMES:
        alone = typer.main.get_command(app_for([name, "--help"]))
        assert list(alone.commands) == [name], name  # type: ignore[attr-defined]
    # No command named: the whole app (root help, completion, root options, a typo).
    for args in ([], ["--help"], ["--debug", "mrr"], ["mrx"], ["MRR"]):
        assert app_for(args) is app


@pytest.mark.parametrize("name", NAMES)
def test_help_and_usage_errors_are_the_same_alone(name: str) -> None:
    group = FULL.commands[name]  # type: ignore[attr-defined]
    subcommands = sorted(getattr(group, "commands", {}))
    for args in (
        [name, "--help"],
        [name, "--no-such-option"],
        *([name, sub, "--help"] for sub in subcommands),
        *([name, sub, "--no-such-option"] for sub in subcommands),
    ):
        whole, alone = _both(args)
        assert whole == alone, args
        assert whole[0] in (0, 2), args


@pytest.mark.parametrize(
    "args",
    [
        ["mrr", "--data", SAMPLE, "--format", "csv", "--as-of", "2026-11-23"],
        ["risk", "--data", SAMPLE, "--format", "json", "--as-of", "2026-11-23", "--top", "5"],
        ["nrr", "--data", SAMPLE, "--month", "2026-11", "--window", "0"],  # a bad value
        ["validate", "--data", SAMPLE],
    ],
    ids=lambda a: a[0],
)
def test_a_command_runs_the_same_alone(args: list[str]) -> None:
    whole, alone = _both(args)
    assert whole == alone
    assert whole[0] in (0, 2) and (whole[1] or whole[0] == 2 or args[0] == "validate")


def test_the_console_script_answers_as_the_whole_app() -> None:
    # The console script (revcli.cli.main) is what builds the command alone.
    args = ["mrr", "--data", SAMPLE, "--format", "csv", "--as-of", "2026-11-23"]
    script = "import sys\nsys.argv[0] = 'revcli'\nfrom revcli.cli import main\nmain()"
    result = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    assert result.stdout == CliRunner().invoke(app, args, env=ENV).stdout
