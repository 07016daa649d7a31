"""docs/retention.md shows real output: each example block is the command's output today."""

from __future__ import annotations

import re
import shlex
import sys

import pytest

from tests.conftest import ROOT, SAMPLE, Run

DOC = ROOT / "docs" / "retention.md"
EXAMPLE = re.compile(r"<!-- revcli (.*?) -->\n```text\n(.*?)```\n", re.S)


def shown(text: str) -> str:
    """Output as a doc shows it: no trailing spaces, one final newline."""
    return "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"


def examples() -> list[tuple[str, str]]:
    return EXAMPLE.findall(DOC.read_text(encoding="utf-8"))


def output(run: Run, command: str) -> str:
    args = [str(SAMPLE) if a == "sample_data" else a for a in shlex.split(command)]
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return shown(result.stdout)


def test_doc_has_examples_of_both_commands() -> None:
    commands = {command.split()[0] for command, _ in examples()}
    assert commands == {"nrr", "cohorts"}


@pytest.mark.parametrize(("command", "block"), examples())
def test_doc_example_is_the_real_output(run: Run, command: str, block: str) -> None:
    assert block == output(run, command), (
        f"docs/retention.md example `revcli {command}` is stale: "
        "run PYTHONPATH=src python -m tests.test_retention_docs"
    )


def update(run: Run) -> None:
    """Rewrite every example block of the doc with the command's output today."""
    text = DOC.read_text(encoding="utf-8")

    def fill(match: re.Match[str]) -> str:
        return f"<!-- revcli {match[1]} -->\n```text\n{output(run, match[1])}```\n"

    DOC.write_text(EXAMPLE.sub(fill, text), encoding="utf-8")


if __name__ == "__main__":
    from typer.testing import CliRunner

    from revcli.cli import app

    runner = CliRunner()
    update(lambda *args, **_: runner.invoke(app, [str(a) for a in args]))
    sys.exit(0)
