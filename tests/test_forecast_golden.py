"""Golden files: every format of ``revcli forecast`` on sample_data (review diffs like code)."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLE, Golden, Run
from tests.test_pipeline_golden import stable

ARGS = ("--months", "12", "--as-of", "2026-11-23")


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown", "table"])
def test_forecast_every_format(run: Run, golden: Golden, fmt: str) -> None:
    result = run("forecast", "--data", SAMPLE, *ARGS, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    golden(f"forecast/sample.{fmt}", stable(result.stdout))
