"""docs/renewals.md shows real output, and the example CI workflow runs what it promises.

Each ``<!-- revcli ARGS [| head -N] [; stderr] -->`` marker is followed by a text block
with that command's output on sample_data today (stdout, or stderr with ``; stderr``).
Refresh them with ``PYTHONPATH=src python -m tests.test_renewals_docs``.
"""

from __future__ import annotations

import re
import shlex
import sys

import pytest
import yaml

from tests.conftest import ROOT, SAMPLE, Run

DOC = ROOT / "docs" / "renewals.md"
WORKFLOW = ROOT / "docs" / "ci" / "renewals-workflow.yml"
EXAMPLE = re.compile(r"<!-- revcli (.*?) -->\n```text\n(.*?)```\n", re.S)


def shown(text: str) -> str:
    """Output as a doc shows it: no trailing spaces, one final newline."""
    return "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"


def examples() -> list[tuple[str, str]]:
    return EXAMPLE.findall(DOC.read_text(encoding="utf-8"))


def output(run: Run, marker: str) -> str:
    command, _, stream = marker.partition(" ; ")
    command, _, head = command.partition(" | head -")
    args = [str(SAMPLE) if a == "sample_data" else a for a in shlex.split(command)]
    result = run(*args)
    if stream == "stderr":
        assert result.exit_code == 1, result.stdout
        text = result.stderr
    else:
        assert result.exit_code == 0, result.stderr
        text = result.stdout
    lines = shown(text).splitlines()
    return "\n".join(lines[: int(head)] if head else lines) + "\n"


def test_doc_has_examples_of_both_commands() -> None:
    commands = {command.split()[0] for command, _ in examples()}
    assert commands == {"renewals", "remind"}


@pytest.mark.parametrize(("marker", "block"), examples())
def test_doc_example_is_the_real_output(run: Run, marker: str, block: str) -> None:
    assert block == output(run, marker), (
        f"docs/renewals.md example `revcli {marker}` is stale: "
        "run PYTHONPATH=src python -m tests.test_renewals_docs"
    )


def test_ci_workflow_validates_reminds_commits_the_log_and_checks_notices() -> None:
    # BaseLoader: GitHub's `on:` key would be read as True by a YAML 1.1 parser.
    flow = yaml.load(WORKFLOW.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    assert "schedule" in flow["on"]
    assert flow["permissions"]["contents"] == "write"
    [job] = flow["jobs"].values()
    runs = [step.get("run", "") for step in job["steps"]]
    order = [
        next(i for i, r in enumerate(runs) if needle in r)
        for needle in (
            "revcli validate",
            "revcli remind",
            "git add .revcli",
            "--fail-on notice-within:",
        )
    ]
    assert order == sorted(order)
    remind = next(s for s in job["steps"] if "revcli remind" in s.get("run", ""))
    assert "REVCLI_SMTP_PASSWORD" in remind["env"]
    commit = next(s for s in job["steps"] if "git add .revcli" in s.get("run", ""))
    assert "always()" in commit["if"]


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
