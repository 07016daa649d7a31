"""Refresh the command output shown in README.md from the real commands."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from revcli.cli import app  # noqa: E402

BLOCKS = {
    "quickstart:risk": [
        "risk",
        "--data",
        "sample_data",
        "--as-of",
        "2026-11-23",
        "--top",
        "5",
        "--format",
        "table",
    ],
    "quickstart:renewals": [
        "renewals",
        "--data",
        "sample_data",
        "--as-of",
        "2026-11-23",
        "--within",
        "45d",
        "--format",
        "table",
    ],
    "quickstart:mrr": [
        "mrr",
        "--data",
        "sample_data",
        "--from",
        "2025-12",
        "--to",
        "2026-11",
        "--format",
        "table",
    ],
}


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    runner = CliRunner()
    for name, args in BLOCKS.items():
        result = runner.invoke(app, [str(ROOT / a) if a == "sample_data" else a for a in args])
        out = "\n".join(line.rstrip() for line in result.stdout.splitlines()).strip() + "\n"
        pattern = re.compile(rf"(<!-- {name} -->\n```text\n).*?(```\n<!-- /{name} -->)", re.S)
        text = pattern.sub(lambda m, out=out: m.group(1) + out + m.group(2), text)
    readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
