"""Messages on stderr: the lazy console works where Rich needs it; lines are usable as printed."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest
import typer
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


def test_a_command_that_stops_on_an_error_takes_its_progress_bar_off_the_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `invoice issue` starts its bar before the checks of a run; a run they stop printed
    # its problems with the bar still drawn, and left it on the screen after them.
    from revcli.cli.common import error_boundary
    from revcli.errors import DataError, Issue

    fake = Console(file=io.StringIO(), force_terminal=True, width=80)
    monkeypatch.setitem(console.err.__dict__, "_console", fake)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(typer.Exit), error_boundary():
        console.progress_bar("Issuing 2026-12")
        (bar,) = console._BARS
        assert bar.live.is_started
        raise DataError([Issue("revcli.yaml", 3, "company.name", "is still the example")])
    assert not bar.live.is_started
    assert console._BARS == []
    screen = fake.file.getvalue()  # type: ignore[attr-defined]
    # The bar's line is erased (cursor up, erase line) before the message is printed.
    assert screen.index("\x1b[2K") < screen.index("problem found; nothing was done.")


def test_init_names_a_folder_with_a_line_break_on_one_line(run: Run, tmp_path: Path) -> None:
    # Each "created" line is one line, the break shown by its code; the last line is the
    # command to paste, quoted for a shell (the break inside the quotes).
    folder = tmp_path / "a\nb"
    result = run("init", folder)
    assert result.exit_code == 0, result.stderr
    created = [line for line in result.stderr.splitlines() if line.startswith("created ")]
    assert f"created {tmp_path}/a<U+000A>b/revcli.yaml" in created
    assert len(created) == 4
    words = shlex.split(result.stderr.split("Next: ", 1)[1])
    assert words[:4] == ["revcli", "validate", "--data", str(folder)]
