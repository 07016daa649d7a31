"""Golden files: every format of ``revcli mrr`` on sample_data (review diffs like code)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SAMPLE, Golden, Run

RANGE = ("--from", "2025-12", "--to", "2026-11")


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown", "table"])
def test_mrr_every_format(run: Run, golden: Golden, fmt: str) -> None:
    result = run("mrr", "--data", SAMPLE, *RANGE, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    golden(f"mrr/sample.{fmt}", _stable(result.stdout))


@pytest.mark.parametrize("by", ["segment", "region", "owner", "country", "product"])
def test_mrr_by_group(run: Run, golden: Golden, by: str) -> None:
    result = run("mrr", "--data", SAMPLE, *RANGE, "--by", by, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    golden(f"mrr/sample-by-{by}.csv", result.stdout)


def test_sample_data_is_clean(run: Run) -> None:
    result = run("validate", "--data", SAMPLE)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_every_movement_occurs_in_the_sample_year(run: Run) -> None:
    result = run("mrr", "--data", SAMPLE, *RANGE, "--format", "csv")
    header, *rows = result.stdout.strip().splitlines()
    names = header.split(",")
    for kind in (
        "new",
        "expansion",
        "upgrade",
        "reactivation",
        "downgrade",
        "cancellation",
        "churn",
    ):
        column = [float(r.split(",")[names.index(kind)]) for r in rows]
        assert any(column), f"no {kind} in the sample's last 12 months"


def _stable(text: str) -> str:
    """Drop the package version from JSON meta so a release does not rewrite goldens."""
    return re.sub(r'"revcli_version": "[^"]*"', '"revcli_version": "*"', text)
