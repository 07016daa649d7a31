"""Golden files: every format of ``revcli risk`` on sample_data (review diffs like code)."""

from __future__ import annotations

import csv
import io

import pytest

from revcli.risk.settings import SIGNALS
from tests.conftest import SAMPLE, Golden, Run
from tests.test_pipeline_golden import stable

AS_OF = ("--as-of", "2026-11-23")


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown", "table"])
def test_risk_every_format(run: Run, golden: Golden, fmt: str) -> None:
    result = run("risk", "--data", SAMPLE, *AS_OF, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    golden(f"risk/sample.{fmt}", stable(result.stdout))


def test_risk_top_ten_table(run: Run, golden: Golden) -> None:
    result = run("risk", "--data", SAMPLE, *AS_OF, "--top", "10", "--format", "table")
    assert result.exit_code == 0, result.stderr
    golden("risk/sample-top10.table", result.stdout)


def test_every_signal_fires_for_some_sample_customers(run: Run) -> None:
    result = run("risk", "--data", SAMPLE, *AS_OF, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    for name in SIGNALS:
        fired = [r["customer_id"] for r in rows if int(r[name]) > 0]
        assert len(fired) >= 2, f"signal {name} fires for {fired} only"
