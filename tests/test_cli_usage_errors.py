"""A wrong command line is told in revcli's one style, whoever finds it: Typer while it
parses (an unknown option, a bad value, a missing argument) or revcli after (a data dir
that does not exist): ``error: MESSAGE`` on stderr, exit code 2, no Rich box. Typer's
errors add one line naming the command's help (cli/usage.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SAMPLE, Run

BOX = set("╭╮╰╯│─")


def _plain(stderr: str) -> None:
    assert not BOX & set(stderr), stderr
    assert "\x1b" not in stderr, stderr  # no colour, no cursor movement
    assert "Usage:" not in stderr, stderr


@pytest.mark.parametrize(
    ("args", "first", "command"),
    [
        # a value Typer refuses, and one revcli's parsing of a month refuses
        (["mrr", "--format", "xml"], "error: Invalid value for '--format' / '-f': 'xml'", "mrr"),
        (
            ["mrr", "--data", str(SAMPLE), "--month", "2026-13"],
            "error: Invalid value for --month: '2026-13' is not a month: there is no month 13;"
            " expected YYYY-MM",
            "mrr",
        ),
        # an unknown option, keeping Click's hint of the options it might have meant
        (["mrr", "--mont", "2026-01"], "error: No such option: --mont (Possible options:", "mrr"),
        # in a command of a group: the Try line names the whole command
        (["invoice", "render", "--bogus"], "error: No such option: --bogus", "invoice render"),
        # a missing required argument
        (["invoice", "credit"], "error: Missing argument 'NUMBER'.", "invoice credit"),
        # errors Click's parser raises without naming the command
        (["mrr", "-m"], "error: Option '-m' requires an argument.", "mrr"),
        (
            ["dashboard", "--out=x.html", "--help=yes"],
            "error: Option '--help' does not take",
            "dashboard",
        ),
        # an unknown command, with the one it may have meant
        (["mr"], "error: No such command 'mr'. Did you mean 'mrr'?", ""),
        (["invoice", "bogus"], "error: No such command 'bogus'.", "invoice"),
        (["--bogus"], "error: No such option: --bogus", ""),
    ],
)
def test_a_parse_error_is_an_error_line_and_where_to_find_help(
    run: Run, args: list[str], first: str, command: str
) -> None:
    result = run(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(first), result.stderr
    assert lines[1] == f"Try '{' '.join(['revcli', command]).strip()} -h' for help."
    _plain(result.stderr)


def test_revclis_own_usage_errors_have_the_same_first_line(run: Run) -> None:
    result = run("mrr", "--data", SAMPLE / "nope")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: data dir {SAMPLE / 'nope'} does not exist\n"


def test_no_colour_even_where_rich_would_colour_stderr(run: Run) -> None:
    # FORCE_COLOR makes Rich treat stderr as a colour terminal: the line is still plain.
    result = run("invoice", "render", "--bogus", env={"FORCE_COLOR": "1", "TERM": "xterm"})
    assert result.exit_code == 2
    assert result.stderr.startswith("error: No such option: --bogus"), result.stderr
    _plain(result.stderr)


def test_help_version_and_a_group_without_a_command_are_as_before(run: Run) -> None:
    for args in (["--help"], ["-h"], ["mrr", "-h"], ["invoice", "render", "--help"]):
        result = run(*args)
        assert (result.exit_code, result.stderr) == (0, ""), args
        assert "Usage: revcli" in result.stdout, args
    version = run("--version")
    assert version.exit_code == 0 and version.stdout.startswith("revcli "), version.stdout
    group = run("invoice")  # its help on stdout, and 2: no command was given
    assert group.exit_code == 2
    assert "Usage: revcli invoice" in group.stdout and group.stderr == ""


def _revcli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script's entry point (``revcli.cli.main``) of this checkout."""
    script = "import sys\nsys.argv[0] = 'revcli'\nfrom revcli.cli import main\nmain()"
    environ = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env}
    environ.pop("REVCLI_DATA", None)
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=False,
        env=environ,
        timeout=120,
    )


def test_the_console_script_prints_the_same_and_exits_2() -> None:
    # `revcli NAME …` builds only the command NAME (cli.root.app_for): the same style.
    done = _revcli("invoice", "render", "--bogus")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("error: No such option: --bogus"), done.stderr
    assert done.stderr.endswith("\nTry 'revcli invoice render -h' for help.\n"), done.stderr
    _plain(done.stderr)


def test_shell_completion_and_exit_codes_of_commands_are_as_before() -> None:
    done = _revcli(_REVCLI_COMPLETE="complete_bash", COMP_WORDS="revcli inv", COMP_CWORD="1")
    assert (done.returncode, done.stdout.split()) == (0, ["invoice"])
    valid = _revcli("validate", "--data", str(SAMPLE))  # typer.Exit(0) of a command
    assert valid.returncode == 0, valid.stderr


def test_a_piped_usage_error_loads_no_rich() -> None:
    script = (
        "import json, sys\nsys.argv[0] = 'revcli'\nfrom revcli.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "print(json.dumps([code, sorted(sys.modules)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "mrr", "--bogus"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    code, modules = json.loads(done.stdout)
    assert code == 2 and done.stderr.startswith("error: No such option: --bogus")
    assert not [m for m in modules if m == "rich" or m.startswith("rich.")]
