"""Golden files: every format of ``revcli mrr`` on sample_data (review diffs like code)."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import SAMPLE, Golden, Run

RANGE = ("--from", "2025-12", "--to", "2026-11", "--as-of", "2026-11-30")


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


def test_the_running_month_is_marked_unfinished(run: Run) -> None:
    # As of 2026-11-23, November has a week to go: its figures are taken at 2026-11-30
    # from the contracts known on the 23rd. As of its last day it is over.
    running = run("mrr", "--data", SAMPLE, "--month", "2026-11", "--as-of", "2026-11-23",
                  "--format", "json")  # fmt: skip
    meta = json.loads(running.stdout)["meta"]
    assert (meta["partial"], meta["partial_month"], meta["as_of"]) == (
        True,
        "2026-11",
        "2026-11-23",
    )
    table = run("mrr", "--data", SAMPLE, "--month", "2026-11", "--as-of", "2026-11-23",
                "--format", "table")  # fmt: skip
    assert "2026-11 is not over: its figures are as of 2026-11-23" in table.stdout
    over = run("mrr", "--data", SAMPLE, "--month", "2026-11", "--as-of", "2026-11-30",
               "--format", "json")  # fmt: skip
    assert json.loads(over.stdout)["meta"]["partial"] is False
    # A range that ends before the as-of month has nothing unfinished; one that starts
    # after it has not begun.
    past = run("mrr", "--data", SAMPLE, "--month", "2026-10", "--as-of", "2026-11-23",
               "--format", "table")  # fmt: skip
    assert "not over" not in past.stdout and "not begun" not in past.stdout
    future = run("mrr", "--data", SAMPLE, "--month", "2027-02", "--as-of", "2026-11-23",
                 "--format", "table")  # fmt: skip
    assert "Months from 2027-02 have not begun" in future.stdout


def test_cohorts_mark_the_running_month_too(run: Run) -> None:
    result = run("cohorts", "--data", SAMPLE, "--from", "2026-10", "--to", "2026-11",
                 "--as-of", "2026-11-23", "--format", "json")  # fmt: skip
    assert json.loads(result.stdout)["meta"]["partial"] is True
    table = run("cohorts", "--data", SAMPLE, "--from", "2026-10", "--to", "2026-11",
                "--as-of", "2026-11-23", "--format", "table")  # fmt: skip
    assert "2026-11 is not over" in table.stdout
