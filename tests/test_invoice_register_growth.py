"""Issuing costs the same per invoice however long the register is: the files the records
name are indexed once per run and kept up to date as records are appended, and the folder
is listed once per run, not once per document."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import revcli.billing.contents
from revcli.billing.issue import open_register
from revcli.billing.register import check_register
from revcli.errors import DataError
from tests.conftest import Run
from tests.test_invoice_safety import contracts_dir, issue

CONTRACTS = [f"K{i:02d}" for i in range(1, 21)]


def _counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[Any]:
    """Replace ``owner.name`` with a wrapper that records the first argument of each call."""
    calls: list[Any] = []
    original: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0] if args else None)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def test_a_second_month_reads_each_earlier_record_a_few_times_not_once_per_document(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = contracts_dir(tmp_path, CONTRACTS)
    issue(run, root, "2026-01", "--format", "html", "--format", "md")  # 20 records, 40 files
    folder = root / "invoices"
    documents = _counting(monkeypatch, revcli.billing.contents, "documents_of")
    listings = _counting(monkeypatch, Path, "iterdir")
    globs = _counting(monkeypatch, Path, "glob")

    issue(run, root, "2026-02", "--format", "html", "--format", "md")

    # Before: each of the 20 new invoices' 2 files read the documents of every record
    # (20 + the ones of this run) and globbed the folder: >= 40 * 20 = 800 reads, 40 globs.
    # Now: verifying the register reads each of the 20 records' documents once, the index
    # once more (and reading it back for the output, if at all, once more): at most 3 * 20.
    assert len(documents) <= 3 * len(CONTRACTS)
    assert sum(1 for p in listings + globs if Path(p) == folder) <= 2  # one listing, one sweep
    assert check_register(root) == []
    assert len(list(folder.glob("2026-*.html"))) == 2 * len(CONTRACTS)


def test_a_record_appended_in_this_run_owns_its_files_for_the_rest_of_the_run(
    run: Run, tmp_path: Path
) -> None:
    # The index of claimed names is kept up to date by each append: a second document
    # that would land on a file appended earlier in the same run is refused, and the
    # file keeps its bytes.
    root = contracts_dir(tmp_path, CONTRACTS)
    issue(run, root, "2026-01", "--format", "md")
    with open_register(root) as register:
        last = register.entries[-1].invoice
        fresh = dataclasses.replace(last, number="2026-00021", seq=21)
        register.append(fresh, [("md", b"first")])
        for _ in range(3):  # the same name again, after the record was appended
            with pytest.raises(DataError) as refused:
                register.append(fresh, [("md", b"second")])
            (problem,) = refused.value.issues
            assert problem.source == str(root / "invoices" / "2026-00021.md")
            assert problem.message.startswith(
                "is the issued document of 2026-00021 (register line 21); 2026-00021 would be "
                "written to the same file"
            )
    assert (root / "invoices" / "2026-00021.md").read_bytes() == b"first"
