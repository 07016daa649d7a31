"""Messages on stderr: the lazy console works where Rich needs it; lines are usable as printed."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest
from rich.console import Console

from revcli.cli import console
from tests.conftest import Run


def test_invoice_progress_bar_runs_on_the_lazy_stderr_console(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A terminal on stderr: `invoice issue` then shows a progress bar, whose Live display
    # enters its console (`with console:`), which __getattr__ alone cannot forward.
    fake = Console(file=io.StringIO(), force_terminal=True, width=80)
    monkeypatch.setitem(console.err.__dict__, "_console", fake)
    monkeypatch.delenv("CI", raising=False)
    step = console.progress_bar("Issuing 2026-12")
    assert step is not None
    step(1, 2)
    step(2, 2)  # the last step stops the bar
    assert "Issuing 2026-12" in fake.file.getvalue()  # type: ignore[attr-defined]


def test_init_prints_a_next_step_that_a_shell_can_run(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "my revenue [x]"
    result = run("init", folder)
    assert result.exit_code == 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Next: ")
    words = shlex.split(last.removeprefix("Next: "))
    assert words == [
        "revcli",
        "validate",
        "--data",
        str(folder),
        "&&",
        "revcli",
        "mrr",
        "--data",
        str(folder),
    ]
