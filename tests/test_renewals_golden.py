"""Golden files: every format of ``revcli renewals`` and ``revcli remind --dry-run`` on sample_data."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SAMPLE, Golden, Run

AS_OF = ("--as-of", "2026-11-23")


def _stable(text: str) -> str:
    """Drop the package version from JSON meta so a release does not rewrite goldens."""
    return re.sub(r'"revcli_version": "[^"]*"', '"revcli_version": "*"', text)


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "markdown", "ics"])
def test_renewals_every_format(run: Run, golden: Golden, fmt: str) -> None:
    result = run("renewals", "--data", SAMPLE, *AS_OF, "--within", "90d", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    golden(f"renewals/sample.{fmt}", _stable(result.stdout))


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("by-owner", ["--by", "owner"]),
        ("by-segment", ["--by", "segment"]),
        ("auto-renews", ["--status", "auto-renews"]),
        ("owner-emma", ["--owner", "emma.berg@fjordsoft.no", "--within", "1y"]),
    ],
)
def test_renewals_options(run: Run, golden: Golden, name: str, args: list[str]) -> None:
    result = run("renewals", "--data", SAMPLE, *AS_OF, *args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    golden(f"renewals/sample-{name}.csv", result.stdout)


def test_renewals_by_owner_table(run: Run, golden: Golden) -> None:
    result = run("renewals", "--data", SAMPLE, *AS_OF, "--by", "owner", "--format", "table")
    assert result.exit_code == 0, result.stderr
    golden("renewals/sample-by-owner.table", result.stdout)


def test_fail_on_message(run: Run, golden: Golden) -> None:
    result = run(
        "renewals", "--data", SAMPLE, *AS_OF, "-f", "csv", "--fail-on", "notice-within:14d"
    )
    assert result.exit_code == 1
    golden("renewals/sample-fail-on.stderr", result.stderr)


def test_remind_dry_run(run: Run, golden: Golden) -> None:
    result = run("remind", "--data", SAMPLE, *AS_OF, "--dry-run")
    assert result.exit_code == 0, result.stderr
    golden("renewals/sample-remind-dry-run.txt", result.stdout + result.stderr)
    assert not (SAMPLE / ".revcli").exists()
