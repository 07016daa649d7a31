"""Golden files: every format of ``revcli nrr`` and ``revcli cohorts`` on sample_data."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from tests.conftest import SAMPLE, Golden, Run

RANGE = ("--from", "2025-12", "--to", "2026-11", "--as-of", "2026-11-30")
FORMATS = ["csv", "json", "markdown", "table"]


def _stable(text: str) -> str:
    """Drop the package version from JSON meta so a release does not rewrite goldens."""
    return re.sub(r'"revcli_version": "[^"]*"', '"revcli_version": "*"', text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_nrr_every_format(run: Run, golden: Golden, fmt: str) -> None:
    result = run("nrr", "--data", SAMPLE, *RANGE, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    golden(f"nrr/sample.{fmt}", _stable(result.stdout))


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("month", ["--month", "2026-11"]),
        ("window-3", ["--month", "2026-11", "--window", "3"]),
        ("by-segment", ["--month", "2026-11", "--by", "segment"]),
        ("by-product", ["--month", "2026-11", "--by", "product"]),
    ],
)
def test_nrr_options(run: Run, golden: Golden, name: str, args: list[str]) -> None:
    result = run("nrr", "--data", SAMPLE, *args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    golden(f"nrr/sample-{name}.csv", result.stdout)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cohorts_every_format(run: Run, golden: Golden, fmt: str) -> None:
    result = run("cohorts", "--data", SAMPLE, *RANGE, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    golden(f"cohorts/sample.{fmt}", _stable(result.stdout))


def test_cohorts_logos_table(run: Run, golden: Golden) -> None:
    result = run("cohorts", "--data", SAMPLE, *RANGE, "--metric", "logos", "--format", "table")
    assert result.exit_code == 0, result.stderr
    golden("cohorts/sample-logos.table", result.stdout)


def test_sample_nrr_rows_add_up_to_the_cent(run: Run) -> None:
    # Printed cells are rounded once each, so start + movements = end within a cent per term.
    result = run("nrr", "--data", SAMPLE, *RANGE, "--format", "csv")
    for row in csv.DictReader(io.StringIO(result.stdout)):
        moves = sum(
            Decimal(row[c]) for c in ("cohort_expansion", "cohort_contraction", "cohort_churn")
        )
        assert abs(Decimal(row["start_mrr"]) + moves - Decimal(row["end_mrr"])) <= Decimal("0.04")
        assert Decimal(row["grr"]) <= Decimal(row["nrr"])


def test_sample_cohort_matches_the_mrr_report(run: Run) -> None:
    # The cohorts' MRR in their own months sums to the new MRR of those months: a customer's
    # first active month is its "new" month (SPEC §4), and its MRR then is all new.
    cohorts = run("cohorts", "--data", SAMPLE, *RANGE, "--format", "csv").stdout
    mrr = run("mrr", "--data", SAMPLE, *RANGE, "--format", "csv").stdout
    start = {
        r["cohort"]: Decimal(r["start_mrr"])
        for r in csv.DictReader(io.StringIO(cohorts))
        if r["age"] == "0"
    }
    new = {r["month"]: Decimal(r["new"]) for r in csv.DictReader(io.StringIO(mrr))}
    counts = {r["month"]: int(r["new_customers"]) for r in csv.DictReader(io.StringIO(mrr))}
    sizes = {
        r["cohort"]: int(r["cohort_customers"])
        for r in csv.DictReader(io.StringIO(cohorts))
        if r["age"] == "0"
    }
    assert start == {m: v for m, v in new.items() if v}
    assert sizes == {m: n for m, n in counts.items() if n}
