"""`invoice check` and `invoice export --format xml` show a progress bar on a terminal
(stderr), and nothing anywhere else: piped output and CI logs stay clean."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from revcli.billing.verify import tracked
from revcli.cli import console
from tests.conftest import Run
from tests.test_invoice_safety import contracts_dir, issue


def test_tracked_tells_each_step_and_ends_with_the_total_also_when_there_is_nothing() -> None:
    told: list[tuple[int, int]] = []
    assert list(tracked(["a", "b", "c"], lambda done, total: told.append((done, total)))) == [
        "a",
        "b",
        "c",
    ]
    assert told == [(0, 3), (1, 3), (2, 3), (3, 3)]
    told.clear()
    assert list(tracked([], lambda done, total: told.append((done, total)))) == []
    assert told == [(0, 0)]  # the bar's last step: done >= total ends it
    assert list(tracked(["x"], None)) == ["x"]


@pytest.fixture
def issued(run: Run, tmp_path: Path) -> Path:
    root = contracts_dir(tmp_path, ["K1", "K2", "K3"])
    issue(run, root, "2026-01", "--format", "md", "--format", "xml")
    return root


def _terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    screen = io.StringIO()
    fake = Console(file=screen, force_terminal=True, width=1000, color_system=None, highlight=False)
    monkeypatch.setitem(console.err.__dict__, "_console", fake)
    monkeypatch.delenv("CI", raising=False)
    return screen


def test_check_shows_its_progress_on_a_terminal_only(
    run: Run, issued: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = run("invoice", "check", "--data", issued)
    assert plain.exit_code == 0, plain.stderr
    assert "Checking" not in plain.stdout + plain.stderr

    screen = _terminal(monkeypatch)
    shown = run("invoice", "check", "--data", issued)
    assert shown.exit_code == 0
    assert shown.stdout == plain.stdout  # the findings, unchanged
    assert "Checking the register" in screen.getvalue()
    assert "Checking the e-invoices" in screen.getvalue()
    assert "3 documents, all consistent." in screen.getvalue()


def test_export_xml_shows_its_progress_on_a_terminal_only(
    run: Run, issued: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("invoice", "export", "--data", issued, "--format", "xml", "--out")
    plain = run(*args, tmp_path / "plain")
    assert plain.exit_code == 0, plain.stderr
    assert plain.stderr == f"Wrote 3 e-invoices to {tmp_path / 'plain'}.\n"

    screen = _terminal(monkeypatch)
    shown = run(*args, tmp_path / "shown")
    assert shown.exit_code == 0
    assert "Writing e-invoices" in screen.getvalue()
    assert sorted(p.name for p in (tmp_path / "shown").iterdir()) == [
        "2026-00001.xml",
        "2026-00002.xml",
        "2026-00003.xml",
    ]
