"""Golden files: every format of ``revcli pipeline`` on sample_data (review diffs like code)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SAMPLE, Golden, Run

RANGE = ("--from", "2026-09", "--to", "2027-06", "--as-of", "2026-11-23")


def stable(text: str) -> str:
    """Drop the package version from JSON meta so a release does not rewrite goldens."""
    return re.sub(r'"revcli_version": "[^"]*"', '"revcli_version": "*"', text)


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown", "table"])
def test_pipeline_every_format(run: Run, golden: Golden, fmt: str) -> None:
    result = run("pipeline", "--data", SAMPLE, *RANGE, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    # One open deal of sample_data was expected to close in 2026-10: past due.
    assert result.stderr.startswith("warning: pipeline: 1 open deal past due (29,500.00 NOK MRR")
    golden(f"pipeline/sample.{fmt}", stable(result.stdout))


@pytest.mark.parametrize("by", ["type", "owner", "stage"])
def test_pipeline_by_group(run: Run, golden: Golden, by: str) -> None:
    result = run("pipeline", "--data", SAMPLE, *RANGE, "--by", by, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    golden(f"pipeline/sample-by-{by}.csv", result.stdout)


def test_pipeline_default_range_is_the_span_of_open_deals(run: Run, golden: Golden) -> None:
    result = run("pipeline", "--data", SAMPLE, "--as-of", "2026-11-23", "--format", "table")
    assert result.exit_code == 0, result.stderr
    golden("pipeline/sample-default.table", result.stdout)
