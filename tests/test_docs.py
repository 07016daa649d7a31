"""The docs show real output: every example block is its command's output on sample_data.

In README.md and docs/*.md, a marker ``<!-- revcli ARGS [| head -N] [; stderr] -->`` is
followed by a text block showing ``$ revcli ARGS`` and what the command prints today
(its stdout, or its stderr with ``; stderr``, the first N lines with ``| head -N``).
A marker ``<!-- file PATH -->`` is followed by a block showing that file of the
repository as it is (the data dirs of docs/recipes.md). ``sample_data`` and paths under
``docs/`` in ARGS are the repository's. ``pytest --update-golden`` rewrites the blocks;
review their diff like code.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SAMPLE, Run

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLE = re.compile(r"<!-- revcli (.*?) -->\n```text\n(.*?)```\n", re.S)
FILE = re.compile(r"<!-- file (\S+) -->\n```(\w*)\n(.*?)```\n", re.S)
WORKFLOW = ROOT / "docs" / "ci" / "renewals-workflow.yml"


def shown(text: str) -> str:
    """Output as a doc shows it: no trailing spaces, one final newline."""
    return "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"


def output(run: Run, marker: str) -> str:
    """``$ revcli ARGS`` and the command's output, as the block should read."""
    command, _, stream = marker.partition(" ; ")
    args_text, _, head = command.partition(" | head -")
    args = [
        str(SAMPLE) if a == "sample_data" else str(ROOT / a) if a.startswith("docs/") else a
        for a in shlex.split(args_text)
    ]
    result = run(*args)
    if stream == "stderr":
        assert result.exit_code == 1, result.stdout
        text = result.stderr
    else:
        assert result.exit_code == 0, result.stderr
        text = result.stdout
    # Paths under the checkout print as the doc wrote them (docs/…), on every machine.
    lines = shown(text.replace(f"{ROOT}/", "")).splitlines()
    return f"$ revcli {command}\n" + "\n".join(lines[: int(head)] if head else lines) + "\n"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_doc_examples_are_the_real_output(
    run: Run, request: pytest.FixtureRequest, doc: Path
) -> None:
    text = doc.read_text(encoding="utf-8")
    stale: list[str] = []

    def fill(match: re.Match[str]) -> str:
        expected = output(run, match[1])
        if match[2] != expected:
            stale.append(match[1])
        return f"<!-- revcli {match[1]} -->\n```text\n{expected}```\n"

    def show_file(match: re.Match[str]) -> str:
        content = (ROOT / match[1]).read_text(encoding="utf-8")
        if match[3] != content:
            stale.append(match[1])
        return f"<!-- file {match[1]} -->\n```{match[2]}\n{content}```\n"

    updated = FILE.sub(show_file, EXAMPLE.sub(fill, text))
    if request.config.getoption("--update-golden"):
        doc.write_text(updated, encoding="utf-8")
        return
    assert not stale, f"{doc.name}: stale examples (run pytest --update-golden): {stale}"


def test_readme_and_feature_docs_have_live_examples() -> None:
    counts = {doc.name: len(EXAMPLE.findall(doc.read_text(encoding="utf-8"))) for doc in DOCS}
    for name in ("README.md", "renewals.md", "retention.md", "risk.md", "invoicing.md"):
        assert counts[name] >= 1, name


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


def test_docs_stand_alone_without_the_private_specification() -> None:
    # Users never see the project's internal SPEC: README and docs/ point at docs/rules.md.
    root = Path(__file__).parent.parent
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    citing = [
        f"{page.relative_to(root)}:{number}: {line.strip()}"
        for page in pages
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\bSPEC\b", line)
    ]
    assert citing == []


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_to_the_rulebook_name_its_sections() -> None:
    root = Path(__file__).parent.parent
    rules = root / "docs" / "rules.md"
    headings = re.findall(r"^#+ (.+)$", rules.read_text(encoding="utf-8"), flags=re.MULTILINE)
    anchors = {_anchor(h) for h in headings}
    broken = []
    for page in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        links = re.findall(r"rules\.md#([\w-]+)", text)
        if page == rules:
            links += re.findall(r"\]\(#([\w-]+)\)", text)
        broken += [f"{page.relative_to(root)}: #{a}" for a in links if a not in anchors]
    assert broken == []
