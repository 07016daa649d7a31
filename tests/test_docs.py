"""The README shows real output: its quickstart block is the command's output today."""

from __future__ import annotations

import re

import pytest

from scripts.update_readme import BLOCKS
from tests.conftest import ROOT, SAMPLE, Run


def readme_block(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name} -->\n```text\n(.*?)```\n<!-- /{name} -->", text, re.S)
    assert match, f"README has no {name} block"
    return match.group(1)


@pytest.mark.parametrize(("block", "args"), BLOCKS.items())
def test_readme_shows_real_output(run: Run, block: str, args: list[str]) -> None:
    result = run(*(SAMPLE if a == "sample_data" else a for a in args))
    assert result.exit_code == 0
    shown = "\n".join(line.rstrip() for line in result.stdout.splitlines()).strip() + "\n"
    assert readme_block(block) == shown, "README is stale: run `python scripts/update_readme.py`"
