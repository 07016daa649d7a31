"""The README shows real output: its quickstart block is the command's output today."""

from __future__ import annotations

import re

from tests.conftest import ROOT, SAMPLE, Run

QUICKSTART = ("mrr", "--data", SAMPLE, "--from", "2025-12", "--to", "2026-11", "--format", "table")


def readme_block(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name} -->\n```text\n(.*?)```\n<!-- /{name} -->", text, re.S)
    assert match, f"README has no {name} block"
    return match.group(1)


def test_readme_quickstart_shows_the_real_mrr_report(run: Run) -> None:
    result = run(*QUICKSTART)
    assert result.exit_code == 0
    shown = "\n".join(line.rstrip() for line in result.stdout.splitlines()).strip() + "\n"
    assert readme_block("quickstart:mrr") == shown, (
        "README quickstart is stale: run `python scripts/update_readme.py`"
    )
