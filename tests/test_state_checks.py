"""SPEC §1: state revcli writes (invoice register, reminder log) is checked on every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from revcli.renewals.log import HEADER, chain, log_path
from tests.conftest import Run
from tests.test_invoice_register import five_contracts, issue


def test_every_command_refuses_a_hand_edited_register(run: Run, tmp_path: Path) -> None:
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    register = root / "invoices" / "register.jsonl"
    register.write_text(
        register.read_text(encoding="utf-8").replace('"total":"250.00"', '"total":"240.00"'),
        encoding="utf-8",
    )
    result = run("mrr", "--data", root, "--month", "2026-01", "--format", "csv")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{register}:2: hash: the record does not match its hash" in result.stderr
    assert run("validate", "--data", root).exit_code == 1


def test_every_command_refuses_a_hand_edited_reminder_log(run: Run, tmp_path: Path) -> None:
    root = five_contracts(tmp_path)
    path = log_path(root)
    path.parent.mkdir(parents=True)
    # A well-formed line whose check value does not follow from the (empty) line before.
    row = [
        "2026-01-02T08:00:00",
        "2026-01-02",
        "K1",
        "notice",
        "2026-02-01",
        "30",
        "0",
        "x@example.no",
    ]
    assert len(row) == len(HEADER) - 1
    path.write_text(",".join(HEADER) + "\n" + ",".join(row) + ",0000\n", encoding="utf-8")
    result = run("mrr", "--data", root, "--month", "2026-01", "--format", "csv")
    assert result.exit_code == 1
    assert f"{path}:2: check: does not follow from the line before" in result.stderr
    validate = run("validate", "--data", root)
    assert validate.exit_code == 1
    assert str(path) in validate.stdout


@pytest.mark.parametrize(
    ("column", "value"), [("lead_days", "²"), ("late_days", "٣"), ("lead_days", "1" * 5000)]
)
def test_a_reminder_log_day_count_that_is_not_ascii_digits_is_a_problem_of_its_line(
    run: Run, tmp_path: Path, column: str, value: str
) -> None:
    # "²".isdigit() is True but int("²") raises; the line's check is right, so the only
    # problem is the value itself, reported at its line and column.
    root = five_contracts(tmp_path)
    path = log_path(root)
    path.parent.mkdir(parents=True)
    row = ["2026-01-02T08:00:00Z", "2026-01-02", "K1", "notice", "2026-02-01", "30", "0", "x@x.no"]
    row[HEADER.index(column)] = value
    line = ",".join([*row, chain("", row)])
    path.write_text(",".join(HEADER) + "\n" + line + "\n", encoding="utf-8")
    result = run("mrr", "--data", root, "--month", "2026-01", "--format", "csv")
    assert result.exit_code == 1
    expected = f"{path}:2: {column}: '{value}' is not a whole number"
    if len(expected) > 1_000:  # a message line this long keeps its first 600 and last 300
        left_out = len(expected) - 900
        expected = f"{expected[:600]} … ({left_out:,} characters left out) … {expected[-300:]}"
    assert expected in result.stderr
    assert "internal error" not in result.stderr


def test_a_document_left_by_an_interrupted_issue_does_not_block_reports(
    run: Run, tmp_path: Path
) -> None:
    # A crash between writing a document and recording it leaves an unrecorded document;
    # the next `invoice issue` completes it, so reports still run; validate reports it.
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    (root / "invoices" / "2026-00006.html").write_text("<html></html>", encoding="utf-8")
    assert run("mrr", "--data", root, "--month", "2026-01", "--format", "csv").exit_code == 0
    assert run("validate", "--data", root).exit_code == 1
