"""docs/risk.md shows real output: each example block is the command's output today."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT, SAMPLE, Run

DOC = ROOT / "docs" / "risk.md"
EXAMPLES = {
    "risk:pipeline": ("pipeline", "--from", "2026-11", "--to", "2027-04", "--by", "type"),
    "risk:risk": ("risk", "--as-of", "2026-11-23", "--top", "8"),
    "risk:forecast": ("forecast", "--months", "6", "--as-of", "2026-11-23"),
}


def shown(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_docs_show_the_real_output(run: Run, request: pytest.FixtureRequest, name: str) -> None:
    args = EXAMPLES[name]
    result = run(*args, "--data", SAMPLE, "--format", "table")
    assert result.exit_code == 0, result.stderr
    command = " ".join(("$ revcli", args[0], "--data sample_data", *args[1:]))
    block = f"{command}\n{shown(result.stdout)}"
    text = DOC.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- {name} -->\n```text\n)(.*?)(```\n<!-- /{name} -->)", re.S)
    match = pattern.search(text)
    assert match, f"docs/risk.md has no {name} block"
    if request.config.getoption("--update-golden"):
        DOC.write_text(
            pattern.sub(lambda m: m.group(1) + block + m.group(3), text), encoding="utf-8"
        )
        return
    assert match.group(2) == block, "docs/risk.md is stale: run pytest --update-golden"
