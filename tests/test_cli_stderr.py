"""The lazy stderr console of cli/common works where Rich needs the console itself."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from revcli.cli import common, invoice


def test_invoice_progress_bar_runs_on_the_lazy_stderr_console(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A terminal on stderr: `invoice issue` then shows a progress bar, whose Live display
    # enters its console (`with console:`), which __getattr__ alone cannot forward.
    fake = Console(file=io.StringIO(), force_terminal=True, width=80)
    monkeypatch.setitem(common.err.__dict__, "_console", fake)
    monkeypatch.delenv("CI", raising=False)
    step = invoice._progress("Issuing 2026-12")
    assert step is not None
    step(1, 2)
    step(2, 2)  # the last step stops the bar
    assert "Issuing 2026-12" in fake.file.getvalue()  # type: ignore[attr-defined]
