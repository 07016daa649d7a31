"""Every ``Example:`` in the help of every command runs, as printed, against sample_data.

The examples run in a scratch folder holding copies of ``sample_data/`` and
``docs/examples/`` (the files the import examples name), one after another in a fixed
order (issuing comes before the commands that need an issued invoice), through a shell,
so ``&&`` and quoting work as a user would type them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from revcli.cli.helptext import reflow
from tests.conftest import ROOT
from tests.test_help import commands

MARKUP = re.compile(r"\[/?[a-z ]*\]")
FIRST = ("invoice issue",)
"""Commands whose examples must run before the others (they create what those use)."""


def help_examples() -> list[tuple[str, str]]:
    """``(command words, example)`` of every ``Example:`` line, in running order."""
    found = []
    for words, command in commands():
        text = reflow(command.help) or ""
        for line in text.splitlines():
            if line.startswith("Example:"):
                found.append(
                    (" ".join(words), MARKUP.sub("", line.removeprefix("Example:")).strip())
                )
    return sorted(found, key=lambda item: (item[0] not in FIRST, item[0]))


def test_every_command_with_options_has_an_example() -> None:
    described = {words for words, _ in help_examples()}
    for words, command in commands():
        name = " ".join(words)
        if words and not getattr(command, "commands", None):
            assert name in described, f"revcli {name} --help has no Example: line"


def test_every_help_example_runs_against_sample_data(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    # this checkout's revcli, whatever the cwd (a relative PYTHONPATH=src is not)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "REVCLI_PYTHON": sys.executable,
        "COLUMNS": "120",
    }
    env.pop("REVCLI_DATA", None)
    # A history for the examples that read git revisions (diff, --rev): one commit.
    who = {f"GIT_{role}_{part}": value for role in ("AUTHOR", "COMMITTER")
           for part, value in (("NAME", "Example"), ("EMAIL", "example@example.com"))}  # fmt: skip
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "sample data"]):
        subprocess.run(["git", *args], cwd=tmp_path, env={**env, **who}, check=True)
    failed = []
    for words, example in help_examples():
        assert example.startswith("revcli "), (words, example)
        script = f'revcli() {{ "$REVCLI_PYTHON" -m revcli "$@"; }}\n{example}\n'
        result = subprocess.run(
            ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            failed.append(f"{words}: {example}\n  exit {result.returncode}: {result.stderr[-400:]}")
    assert not failed, "\n".join(failed)
