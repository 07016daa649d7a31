"""E-invoices of issued documents: every billing run of sample_data, credit notes, the
register round trip, check and export (SPEC §7, §10)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from revcli.billing.documents import DocumentFiles
from revcli.billing.issue import issue_credit_note, issue_invoices
from revcli.billing.register import load_register
from revcli.checks import load_dataset
from revcli.einvoice.peppol import peppol_findings
from tests.conftest import SAMPLE, Run
from tests.einvoice_support import Validator

TODAY = dt.date(2026, 12, 31)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, day = [], first
    while day <= last:
        out.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


@pytest.fixture(scope="module")
def issued_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sample_data with every billing run of 2025-01..2026-12 issued (each dated the first
    day of its month) as e-invoices, plus credit notes: a whole EUR invoice, one line of a
    NOK invoice with several lines, a USD invoice."""
    root = tmp_path_factory.mktemp("einvoice") / "data"
    shutil.copytree(SAMPLE, root)
    data = load_dataset(root)
    files = DocumentFiles(data.settings, data.root, ["xml"])
    for month in _months(dt.date(2025, 1, 1), dt.date(2026, 12, 1)):
        issue_invoices(data, month, month, files, on=month, today=TODAY)
    entries = load_register(root)
    day = dt.date(2026, 12, 15)
    for currency, whole in (("EUR", True), ("NOK", False), ("USD", True), ("SEK", True)):
        original = next(
            e.invoice
            for e in entries
            if e.invoice.currency == currency
            and e.invoice.kind == "invoice"
            and (whole or len(e.invoice.lines) > 1)
        )
        lines = [] if whole else [original.lines[-1].line_id]
        issue_credit_note(
            data,
            original.number or "",
            line_ids=lines,
            reason="Test correction",
            on=day,
            today=TODAY,
            render=files,
        )
    return root


def test_every_document_of_sample_data_passes_schema_cen_and_peppol_rules(
    issued_sample: Path, ehf_validator: Validator
) -> None:
    xmls = sorted((issued_sample / "invoices").glob("*.xml"))
    entries = load_register(issued_sample)
    assert len(xmls) == len(entries) > 1000
    kinds = {(e.invoice.kind, e.invoice.currency, e.invoice.reverse_charge) for e in entries}
    # credit notes, reverse charge, SEK/EUR/USD are all among them
    assert {
        ("credit_note", "EUR", True),
        ("credit_note", "USD", True),
        ("invoice", "SEK", True),
    } <= kinds
    problems = []
    for path in xmls:
        xml = path.read_bytes()
        problems += [f"{path.name}: {f}" for f in ehf_validator.fatal(xml)]
        problems += [f"{path.name}: {f}" for f in peppol_findings(xml)]
    assert problems == []


def test_export_recreates_the_same_bytes_from_the_register(
    issued_sample: Path, run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "xml"
    result = run("invoice", "export", "--data", issued_sample, "--format", "xml", "--out", out)
    assert result.exit_code == 0, result.output
    issued = {p.name: p.read_bytes() for p in (issued_sample / "invoices").glob("*.xml")}
    exported = {p.name: p.read_bytes() for p in out.glob("*.xml")}
    assert exported == issued


def test_export_xml_refuses_columns(issued_sample: Path, run: Run, tmp_path: Path) -> None:
    """--columns selects journal columns; silently ignoring it with --format xml would
    hand the user whole files they did not ask for."""
    out = tmp_path / "xml"
    result = run(
        "invoice", "export", "--data", issued_sample, "--format", "xml", "--out", out,
        "--columns", "number",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--columns" in result.output and "--format xml" in result.output
    assert not out.exists()


def test_check_reports_a_missing_or_altered_xml(
    issued_sample: Path, run: Run, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    shutil.copytree(issued_sample, root)
    assert run("invoice", "check", "--data", root).exit_code == 0
    first, second = sorted((root / "invoices").glob("*.xml"))[:2]
    first.unlink()
    second.write_bytes(second.read_bytes().replace(b"<cbc:ID>", b"<cbc:ID>X", 1))
    result = run("invoice", "check", "--data", root)
    assert result.exit_code == 1
    assert f"'{first.name}' is missing from" in result.stdout
    assert f"{second} was changed after it was issued" in result.stdout
