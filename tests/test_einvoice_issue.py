"""Issuing with e-invoices from the command line: formats, bank details, issue dates,
records of format 1, PDF/A-3 (SPEC §7 second edition, §10)."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
from pathlib import Path

import pytest

from revcli.billing.documents import DocumentFiles
from revcli.billing.issue import IssueResult, issue_invoices
from revcli.billing.records import canonical, record_hash
from revcli.checks import load_dataset
from revcli.einvoice.peppol import peppol_findings
from revcli.errors import DataError
from revcli.state.lock import locked
from tests.billing_support import SELLER, billing_dir
from tests.conftest import INVOICE_TODAY, Run
from tests.einvoice_support import Validator

pytestmark = pytest.mark.usefixtures("pinned_today")

CONTRACTS = (
    "contract_id,customer_id,start_date,currency\nK1,C1,2026-01-01,NOK\nK2,C2,2026-01-01,EUR\n"
)
LINES = "contract_id,product,unit_price\nK1,A,100\nK2,A,50\n"
CUSTOMERS = """\
customer_id,name,country,address,vat_id,reverse_charge,billing_email
C1,Nordlys Analyse AS,NO,"Kongens gate 5, 7011 Trondheim",NO999999999MVA,,
C2,Isar Energie GmbH,DE,"Lindenallee 73, 10115 Berlin",DE246648746,true,rechnung@isar.de
"""
FX = "date,currency,rate\n2025-01-01,EUR,11.5\n"


def data_dir(tmp_path: Path, settings: str = SELLER) -> Path:
    return billing_dir(
        tmp_path / "data", CONTRACTS, LINES, customers=CUSTOMERS, fx=FX, settings=settings
    )


def files(root: Path) -> list[str]:
    return sorted(
        p.name
        for p in (root / "invoices").iterdir()
        if p.suffix in (".html", ".xml", ".pdf", ".md", ".txt")
    )


def records(root: Path) -> list[dict[str, object]]:
    return [
        json.loads(line) for line in (root / "invoices" / "register.jsonl").read_text().splitlines()
    ]


def test_issue_writes_html_and_xml_by_default(run: Run, tmp_path: Path) -> None:
    root = data_dir(tmp_path)
    result = run("invoice", "issue", "--data", root, "--period", "2026-01")
    assert result.exit_code == 0, result.stderr
    assert files(root) == ["2026-00001.html", "2026-00001.xml", "2026-00002.html", "2026-00002.xml"]
    first = records(root)[0]
    # record format 2: every file with its hash, and the e-invoice facts
    assert first["format"] == 2
    assert [d["name"] for d in first["documents"]] == ["2026-00001.html", "2026-00001.xml"]  # type: ignore[union-attr]
    assert first["einvoice"]["buyer_endpoint"] == "0192:999999999"  # type: ignore[index]
    # dated today (SPEC §7): the pinned day of the invoice tests, due 14 days later
    assert (first["issue_date"], first["due_date"]) == (INVOICE_TODAY, "2027-01-03")


def test_formats_setting_and_repeatable_option(run: Run, tmp_path: Path) -> None:
    root = data_dir(tmp_path, SELLER + "  formats: [md, xml]\n")
    assert run("invoice", "issue", "--data", root, "--period", "2026-01").exit_code == 0
    assert files(root) == ["2026-00001.md", "2026-00001.xml", "2026-00002.md", "2026-00002.xml"]
    result = run(
        "invoice",
        "issue",
        "--data",
        root,
        "--period",
        "2026-02",
        "--format",
        "txt",
        "--format",
        "html",
    )
    assert result.exit_code == 0, result.stderr
    assert "2026-00003.txt" in files(root) and "2026-00003.html" in files(root)
    assert "2026-00003.xml" not in files(root)


def test_credit_note_follows_its_invoices_formats(run: Run, tmp_path: Path) -> None:
    root = data_dir(tmp_path)
    assert (
        run(
            "invoice",
            "issue",
            "--data",
            root,
            "--period",
            "2026-01",
            "--format",
            "md",
            "--format",
            "xml",
        ).exit_code
        == 0
    )
    result = run("invoice", "credit", "2026-00002", "--data", root, "--reason", "Wrong price")
    assert result.exit_code == 0, result.stderr
    assert {"2026-00003.md", "2026-00003.xml"} <= set(files(root))
    xml = (root / "invoices" / "2026-00003.xml").read_bytes()
    assert b"<CreditNote" in xml and b"<cbc:ID>2026-00002</cbc:ID>" in xml
    result = run(
        "invoice", "credit", "2026-00001", "--data", root, "--reason", "x", "--format", "txt"
    )
    assert result.exit_code == 0, result.stderr
    assert "2026-00004.txt" in files(root) and "2026-00004.xml" not in files(root)


def test_foreign_currency_invoice_needs_iban_and_bic(run: Run, tmp_path: Path) -> None:
    settings = SELLER.replace('  iban: "NO43 1503 1111 118"\n', "")
    root = data_dir(tmp_path, settings)
    result = run("invoice", "issue", "--data", root, "--period", "2026-01")
    assert result.exit_code == 1
    assert (
        "company.iban: is required to issue invoices in EUR (payment to IBAN + BIC)"
        in result.stderr
    )
    assert not (root / "invoices" / "register.jsonl").exists() or records(root) == []


def test_issue_date_is_never_in_the_future_nor_before_the_latest_document(
    run: Run, tmp_path: Path
) -> None:
    root = data_dir(tmp_path)
    future = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-12-21")
    assert future.exit_code == 2
    assert "--date 2026-12-21 is in the future (today is 2026-12-20)" in future.stderr
    assert (
        run(
            "invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-03-10"
        ).exit_code
        == 0
    )
    before = run("invoice", "issue", "--data", root, "--period", "2026-02", "--date", "2026-03-09")
    assert before.exit_code == 2
    assert "--date 2026-03-09 is before 2026-00002, dated 2026-03-10" in before.stderr
    # the same day is fine; a period may be invoiced before it starts (in advance)
    assert (
        run(
            "invoice", "issue", "--data", root, "--period", "2026-04", "--date", "2026-03-10"
        ).exit_code
        == 0
    )
    assert run("invoice", "issue", "--data", root, "--period", "2026-05").exit_code == 0
    credit = run(
        "invoice", "credit", "2026-00001", "--data", root, "--reason", "x", "--date", "2026-12-19"
    )
    assert credit.exit_code == 2 and "is before 2026-00006, dated 2026-12-20" in credit.stderr
    rows = [(r["seq"], r["issue_date"]) for r in records(root)]
    # numbers and dates rise together
    assert rows == sorted(rows) and [s for s, _ in rows] == list(range(1, 7))
    assert [d for _, d in rows] == [
        "2026-03-10",
        "2026-03-10",
        "2026-03-10",
        "2026-03-10",
        INVOICE_TODAY,
        INVOICE_TODAY,
    ]


def test_list_period_is_the_billing_run_issued_is_the_issue_month(run: Run, tmp_path: Path) -> None:
    root = data_dir(tmp_path)
    assert (
        run(
            "invoice", "issue", "--data", root, "--period", "2026-04", "--date", "2026-03-10"
        ).exit_code
        == 0
    )
    by_period = run("invoice", "list", "--data", root, "--period", "2026-04", "--format", "csv")
    by_issue = run("invoice", "list", "--data", root, "--issued", "2026-03", "--format", "csv")
    assert by_period.stdout == by_issue.stdout
    assert by_period.stdout.count("\n") == 3
    none = run("invoice", "list", "--data", root, "--period", "2026-03", "--format", "csv")
    assert none.stdout.count("\n") == 1


def _as_format_1(root: Path) -> None:
    """Rewrite the register as revcli wrote it before e-invoices: format 1, one document."""
    lines, prev = [], ""
    for rec in records(root):
        documents = rec.pop("documents")
        rec.pop("einvoice")
        rec.pop("hash")
        rec["format"] = 1
        rec["document"] = documents[0]["name"]  # type: ignore[index]
        rec["document_sha256"] = documents[0]["sha256"]  # type: ignore[index]
        for extra in documents[1:]:  # type: ignore[index]
            (root / "invoices" / extra["name"]).unlink()
        rec["prev_hash"] = prev
        rec["hash"] = prev = record_hash(rec)
        lines.append(canonical(rec) + "\n")
    (root / "invoices" / "register.jsonl").write_text("".join(lines), encoding="utf-8")
    (root / "invoices" / "HEAD").write_text(f"{len(lines)} {prev}\n")


def test_format_1_records_get_no_xml_and_are_not_flagged(run: Run, tmp_path: Path) -> None:
    root = data_dir(tmp_path)
    assert run("invoice", "issue", "--data", root, "--period", "2026-01").exit_code == 0
    _as_format_1(root)
    assert files(root) == ["2026-00001.html", "2026-00002.html"]
    assert run("invoice", "check", "--data", root).exit_code == 0
    out = tmp_path / "xml"
    result = run("invoice", "export", "--data", root, "--format", "xml", "--out", out)
    assert result.exit_code == 0
    assert (
        "No e-invoice for 2 documents (2026-00001, 2026-00002): issued before e-invoices"
        in result.stderr
    )
    assert not out.exists() or list(out.iterdir()) == []
    # the next run writes format 2 beside them
    assert run("invoice", "issue", "--data", root, "--period", "2026-02").exit_code == 0
    assert [r["format"] for r in records(root)] == [1, 1, 2, 2]
    assert run("invoice", "check", "--data", root).exit_code == 0
    # a credit note of a format-1 invoice follows its formats (html) and has no e-invoice
    # even when asked: the invoice's facts were never recorded
    result = run(
        "invoice", "credit", "2026-00001", "--data", root, "--reason", "x", "--format", "xml"
    )
    assert result.exit_code == 0
    assert "No e-invoice for 2026-00005" in result.stderr
    assert "2026-00005.html" in files(root) and "2026-00005.xml" not in files(root)


def test_export_xml_writes_into_an_existing_folder(run: Run, tmp_path: Path) -> None:
    # --out named a folder that exists (an empty one made for it, or the one an earlier
    # export wrote) and was refused: "Invalid value for '--out': file ... is a directory".
    root = data_dir(tmp_path)
    assert run("invoice", "issue", "--data", root, "--period", "2026-01").exit_code == 0
    out = tmp_path / "xml"
    out.mkdir()
    for _ in range(2):
        result = run("invoice", "export", "--data", root, "--format", "xml", "--out", out)
        assert result.exit_code == 0, result.stderr
        assert f"Wrote 2 e-invoices to {out}." in result.stderr
        assert sorted(p.name for p in out.iterdir()) == ["2026-00001.xml", "2026-00002.xml"]
        for name in ("2026-00001.xml", "2026-00002.xml"):
            assert (out / name).read_bytes() == (root / "invoices" / name).read_bytes()
    # the journal is one file: a folder as its --out stays a usage error
    result = run("invoice", "export", "--data", root, "--format", "csv", "--out", out)
    assert result.exit_code == 2
    assert f"--out {out} is a folder" in result.stderr


def _as_sent_by_an_older_revcli(root: Path, name: str) -> bytes:
    """Make the issued e-invoice ``name`` differ from what this revcli re-creates, as one
    an older revcli wrote can (there a line note worded otherwise; here a comment): its
    file and the digest its register record keeps, the chain and HEAD rewritten to match.
    Returns the file's new bytes."""
    import hashlib

    path = root / "invoices" / name
    sent = path.read_bytes().replace(b"</Invoice>", b"<!-- as worded before -->\n</Invoice>")
    assert sent != path.read_bytes()
    path.write_bytes(sent)
    lines, prev = [], ""
    for rec in records(root):
        for document in rec["documents"]:  # type: ignore[attr-defined]
            if document["name"] == name:
                document["sha256"] = hashlib.sha256(sent).hexdigest()
        rec.pop("hash")
        rec["prev_hash"] = prev
        rec["hash"] = prev = record_hash(rec)
        lines.append(canonical(rec) + "\n")
    (root / "invoices" / "register.jsonl").write_text("".join(lines), encoding="utf-8")
    (root / "invoices" / "HEAD").write_text(f"{len(lines)} {prev}\n")
    return sent


def test_export_xml_writes_the_issued_file_not_a_re_created_one(run: Run, tmp_path: Path) -> None:
    # The export re-created every e-invoice from its register record, so an invoice issued
    # by an older revcli (whose line notes read otherwise) was exported in today's
    # wording: not the file that was sent.
    root = data_dir(tmp_path)
    assert run("invoice", "issue", "--data", root, "--period", "2026-01").exit_code == 0
    sent = _as_sent_by_an_older_revcli(root, "2026-00001.xml")
    assert run("invoice", "check", "--data", root).exit_code == 0
    out = tmp_path / "xml"
    result = run("invoice", "export", "--data", root, "--format", "xml", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "2026-00001.xml").read_bytes() == sent
    # a document issued without its XML still gets one, re-created from its record
    assert (
        run("invoice", "issue", "--data", root, "--period", "2026-02", "--format", "html").exit_code
        == 0
    )
    assert "2026-00003.xml" not in files(root)
    result = run("invoice", "export", "--data", root, "--format", "xml", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "Wrote 4 e-invoices" in result.stderr
    assert b"<cbc:ID>2026-00003</cbc:ID>" in (out / "2026-00003.xml").read_bytes()


def test_export_xml_into_a_symbolic_link_to_nothing_says_so(run: Run, tmp_path: Path) -> None:
    # xml -> gone: the folder the link names does not exist; it was "File exists".
    root = data_dir(tmp_path)
    assert run("invoice", "issue", "--data", root, "--period", "2026-01").exit_code == 0
    out = tmp_path / "xml"
    out.symlink_to("gone")  # relative: named as the link holds it
    result = run("invoice", "export", "--data", root, "--format", "xml", "--out", out)
    assert result.exit_code == 2
    assert (
        f"error: --out {out}: {out} is a symbolic link to gone, which does not exist; "
        "create that folder, or pass another --out folder\n"
    ) == result.stderr
    assert not (tmp_path / "gone").exists()


def test_pdf_embeds_the_e_invoice(run: Run, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    root = data_dir(tmp_path)
    result = run(
        "invoice",
        "issue",
        "--data",
        root,
        "--period",
        "2026-01",
        "--format",
        "pdf",
        "--format",
        "xml",
    )
    assert result.exit_code == 0, result.stderr
    xml = (root / "invoices" / "2026-00002.xml").read_bytes()
    reader = pypdf.PdfReader(io.BytesIO((root / "invoices" / "2026-00002.pdf").read_bytes()))
    assert reader.attachments["2026-00002.xml"] == [xml]


def test_check_date_helper_ignores_documents_dated_in_the_future() -> None:
    from revcli.billing.issue import check_issue_date
    from revcli.billing.model import Invoice

    class Stub:
        def __init__(self, entries: list[object]) -> None:
            self.entries = entries

    class E:
        def __init__(self, day: dt.date, seq: int) -> None:
            self.invoice = Invoice.__new__(Invoice)
            object.__setattr__(self.invoice, "series", "S")
            object.__setattr__(self.invoice, "issue_date", day)
            object.__setattr__(self.invoice, "seq", seq)
            object.__setattr__(self.invoice, "number", f"S-{seq}")

    today = dt.date(2026, 12, 20)
    # an old invoice dated 2027-01-01 (first edition, in advance) does not block today
    register = Stub([E(dt.date(2026, 12, 1), 1), E(dt.date(2027, 1, 1), 2)])
    check_issue_date(register, "S", today, today)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="before S-1"):
        check_issue_date(register, "S", dt.date(2026, 11, 30), today)  # type: ignore[arg-type]


def test_reverse_charge_needs_a_vat_id_except_where_there_is_no_vat(
    run: Run, tmp_path: Path
) -> None:
    customers = (
        CUSTOMERS.replace("DE246648746,true", ",true")
        + 'C3,Stonebridge Foods LLC,US,"750 Nicollet Mall, Portland, OR 97204",,true,ap@stonebridge.com\n'
    )
    contracts = CONTRACTS + "K3,C3,2026-01-01,USD\n"
    lines = LINES + "K3,A,70\n"
    fx = FX + "2025-01-01,USD,10.5\n"
    root = billing_dir(tmp_path / "d", contracts, lines, customers=customers, fx=fx)
    refused = run("invoice", "issue", "--data", root, "--period", "2026-01")
    # the German buyer without a VAT id is refused; the US buyer (no VAT) is not named
    assert refused.exit_code == 1
    assert "vat_id: is required on invoices to a reverse_charge customer" in refused.stderr
    assert refused.stderr.count("is required on invoices to a reverse_charge customer") == 1
    fixed = billing_dir(
        tmp_path / "e",
        contracts,
        lines,
        customers=customers.replace('Berlin",,true', 'Berlin",DE246648746,true'),
        fx=fx,
    )
    result = run(
        "invoice",
        "issue",
        "--data",
        fixed,
        "--period",
        "2026-01",
        "--format",
        "txt",
        "--format",
        "xml",
    )
    assert result.exit_code == 0, result.stderr
    text = (fixed / "invoices" / "2026-00003.txt").read_text()
    # nb_NO: "Omvendt avgiftsplikt (reverse charge)", no empty "Kjøpers MVA-nr."
    assert "reverse charge" in text and "§ 6-22" in text and "MVA-nr.:" not in text


def test_invoice_check_reports_peppol_findings_of_the_issued_xml_as_warnings(
    run: Run, tmp_path: Path
) -> None:
    # A has no electronic address (no peppol_id, billing_email or org.nr): its e-invoice
    # lacks the buyer EndpointID that Peppol rule R010 requires. B has an e-mail, so its
    # XML carries an EM endpoint and passes. The register itself is sound: check exits 0
    # and names the file and the rule as a warning.
    customers = (
        "customer_id,name,country,address,billing_email\n"
        'A,Acme AS,NO,"Storgata 1, 0155 Oslo",\n'
        'B,Bergen AS,NO,"Bryggen 2, 5003 Bergen",b@bergen.example\n'
    )
    contracts = "contract_id,customer_id,start_date\nCA,A,2026-11-01\nCB,B,2026-11-01\n"
    lines = "contract_id,product,unit_price\nCA,LIC,100\nCB,LIC,200\n"
    root = billing_dir(tmp_path / "data", contracts, lines, customers=customers, settings=SELLER)
    issued = run("invoice", "issue", "--data", root, "--period", "2026-11", "--format", "xml")
    assert issued.exit_code == 0, issued.stderr
    result = run("invoice", "check", "--data", root)
    assert result.exit_code == 0, result.output
    findings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert findings, result.output
    assert all("PEPPOL-EN16931-R010" in line for line in findings), findings
    listed = run("invoice", "list", "--data", root, "--format", "csv").stdout.splitlines()
    number_of_a = next(line.split(",")[0] for line in listed if ",CA," in line)
    assert all(f"{number_of_a}.xml" in line for line in findings), findings
    assert "Peppol finding" in result.stderr


# --- an issue date without an exchange rate (SPEC §7: the tax in NOK at the rate of the issue date)


def january_issued(run: Run, tmp_path: Path) -> tuple[Path, bytes]:
    """The data dir with January issued on 2026-01-15 (K1 in NOK, K2 in EUR), and the
    register's bytes then."""
    root = data_dir(tmp_path)
    first = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-15")
    assert first.exit_code == 0, first.stderr
    return root, (root / "invoices" / "register.jsonl").read_bytes()


def test_a_date_without_a_rate_on_a_month_issued_in_full_issues_nothing_as_any_rerun(
    run: Run, tmp_path: Path
) -> None:
    # K2 is in EUR; the first EUR rate is of 2025-01-01. Re-running the issued month with
    # a date before it had nothing to issue, yet it reported K2's missing rate (exit 1):
    # the rate is needed only to make an invoice, and K2's was made on 2026-01-15.
    root, register = january_issued(run, tmp_path)
    for day in ("1900-01-01", "2024-12-31"):
        again = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", day)
        assert (again.exit_code, again.stdout, again.stderr) == (
            0,
            "",
            "Issued 0 invoices for 2026-01; 2 had been issued before.\n",
        )
    assert (root / "invoices" / "register.jsonl").read_bytes() == register


def test_a_missing_rate_is_reported_for_the_invoices_still_to_issue(
    run: Run, tmp_path: Path
) -> None:
    # January issued (K1 in NOK, K2 in EUR); then K3, in EUR too, is added for January.
    # A run dated before every EUR rate must make K3's invoice and cannot: its missing
    # rate is reported as before (exit 1, before the date is held against the latest
    # document). K2's invoice is not made again, so its rate is not asked for.
    root, register = january_issued(run, tmp_path)
    (root / "contracts.csv").write_text(CONTRACTS + "K3,C2,2026-01-01,EUR\n", encoding="utf-8")
    (root / "contract_lines.csv").write_text(LINES + "K3,A,70\n", encoding="utf-8")
    refused = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2024-12-31")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr.splitlines() == [
        f"{root}/fx_rates.csv: rate: no EUR (or NOK) rate on or before 2024-12-31 to show the "
        "tax of contract K3's invoice in NOK",
        "1 problem found; nothing was done.",
    ]
    assert (root / "invoices" / "register.jsonl").read_bytes() == register
    issued = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-15")
    assert issued.exit_code == 0, issued.stderr
    assert issued.stderr == (
        "Issued 1 invoice (2026-00003) for 2026-01; 2 had been issued before.\n"
    )
    # K3's rate is the one in effect on 2026-01-15: 11.5 NOK/EUR, of 2025-01-01
    assert [(r["contract_id"], r["nok_rate"]) for r in records(root)] == [
        ("K1", None),
        ("K2", "11.5"),
        ("K3", "11.5"),
    ]


def test_a_missing_rate_stops_a_first_run_before_anything_is_created(
    run: Run, tmp_path: Path
) -> None:
    # Nothing issued yet: the problem is told before the register is opened, so no
    # invoices/ folder (nor its lock) is made, as before.
    root = data_dir(tmp_path)
    result = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2024-12-31")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"{root}/fx_rates.csv: rate: no EUR (or NOK) rate on or before 2024-12-31 to show the "
        "tax of contract K2's invoice in NOK",
        "1 problem found; nothing was done.",
    ]
    assert not (root / "invoices").exists()


def first_two(text: str) -> str:
    """The header and first row of a CSV snippet."""
    return "".join(text.splitlines(keepends=True)[:2])


def test_the_invoices_to_issue_are_checked_again_under_the_lock(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The register a run reads before it waits for the lock is not the one it issues
    # against: here K2's invoice is in it, then the register is put back to the commit
    # before K2 was issued while the run waits. Under the lock K2 is to be issued, and
    # 2024-12-31 has no EUR rate: refused, as a run finding it so from the start is.
    root = billing_dir(
        tmp_path / "data", first_two(CONTRACTS), first_two(LINES), customers=CUSTOMERS, fx=FX
    )  # K1 alone
    folder = root / "invoices"
    jan = ("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-15")
    assert run(*jan, "--format", "html").exit_code == 0
    before_k2 = {name: (folder / name).read_bytes() for name in ("register.jsonl", "HEAD")}
    (root / "contracts.csv").write_text(CONTRACTS, encoding="utf-8")  # K2 added
    (root / "contract_lines.csv").write_text(LINES, encoding="utf-8")
    assert run(*jan, "--format", "html").stderr.startswith("Issued 1 invoice (2026-00002")
    data = load_dataset(root)
    outcome: list[BaseException | IssueResult] = []

    def issue() -> None:
        try:
            outcome.append(
                issue_invoices(
                    data,
                    dt.date(2026, 1, 1),
                    dt.date(2026, 1, 1),
                    DocumentFiles(data.settings, root, ["html"]),
                    on=dt.date(2024, 12, 31),
                    today=dt.date.fromisoformat(INVOICE_TODAY),
                )
            )
        except BaseException as exc:  # handed to the test, which expects a DataError
            outcome.append(exc)

    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with locked(folder / ".lock"):
            held.set()
            release.wait(timeout=60)  # at the latest: a hung test still ends

    holder = threading.Thread(target=hold)
    holder.start()
    issuing = threading.Thread(target=issue)
    try:
        assert held.wait(timeout=10)
        issuing.start()
        said = ""
        deadline = time.monotonic() + 30
        while "waiting for another revcli run" not in said and time.monotonic() < deadline:
            said += capsys.readouterr().err
            time.sleep(0.01)
        assert "waiting for another revcli run" in said  # read the register, now waits
        for name, content in before_k2.items():
            (folder / name).write_bytes(content)
        (folder / "2026-00002.html").unlink()
    finally:
        release.set()
        holder.join()
        issuing.join(timeout=60)
    [error] = outcome
    assert isinstance(error, DataError)
    assert [str(i) for i in error.issues] == [
        f"{root}/fx_rates.csv: rate: no EUR (or NOK) rate on or before 2024-12-31 to show the "
        "tax of contract K2's invoice in NOK"
    ]
    assert (folder / "register.jsonl").read_bytes() == before_k2["register.jsonl"]


def test_a_buyer_vat_id_with_a_wrong_check_digit_is_not_its_peppol_address(
    run: Run, tmp_path: Path, ehf_validator: Validator
) -> None:
    # 9 × (3+2+7+6+5+4+3+2) = 288; 288 mod 11 = 2; 11 − 2 = 9: 999999999 is an
    # organisation number, 999999998 is not. Peppol (PEPPOL-COMMON-R041, fatal) rejects a
    # scheme-0192 id with a wrong check digit, so the buyer is addressed by its e-mail.
    customers = CUSTOMERS.replace("NO999999999MVA,,", "NO999999998MVA,,post@nordlys.no")
    root = billing_dir(
        tmp_path / "data", CONTRACTS, LINES, customers=customers, fx=FX, settings=SELLER
    )
    result = run("invoice", "issue", "--data", root, "--period", "2026-01", "--format", "xml")
    assert result.exit_code == 0, result.stderr
    assert "customers.csv:2: vat_id: 'NO999999998MVA' holds no valid" in result.stderr
    xml = (root / "invoices" / "2026-00001.xml").read_bytes()
    assert b'<cbc:EndpointID schemeID="EM">post@nordlys.no</cbc:EndpointID>' in xml
    assert b'schemeID="0192">999999998' not in xml
    assert b"<cbc:CompanyID>NO999999998MVA</cbc:CompanyID>" in xml  # as the customer has it
    assert peppol_findings(xml) == []
    assert ehf_validator.fatal(xml) == []


SWEDISH_SELLER = """\
company:
  name: Svensk Mjukvara AB
  country: SE
  vat_id: SE556036079301
  address: "Drottninggatan 1\\n111 51 Stockholm"
  email: faktura@svensk.example
  bank_account: "5000-1234"
  iban: "SE45 5000 0000 0583 9825 7466"
  bic: ESSESESS
base_currency: SEK
locale: sv_SE
invoice:
  number_format: "{year}-{seq:05d}"
  default_tax_rate: 25
"""


def test_a_seller_outside_norway_cites_no_norwegian_law_for_an_export(
    run: Run, tmp_path: Path, ehf_validator: Validator
) -> None:
    # A Swedish seller's services to a US buyer at 0 %: merverdiavgiftsloven is Norway's
    # VAT act, not its law, so neither the e-invoice's exemption reason nor the face cites it.
    root = billing_dir(
        tmp_path / "data",
        "contract_id,customer_id,start_date,currency\nK1,C1,2026-01-01,USD\n",
        "contract_id,product,unit_price\nK1,A,100\n",
        customers="customer_id,name,country,address,tax_rate,billing_email\n"
        'C1,Cascade Tools Inc,US,"500 Pine St, Seattle, WA 98101",0,ap@cascade.example\n',
        fx="date,currency,rate\n2025-01-01,USD,10.3\n",
        settings=SWEDISH_SELLER,
    )
    issued = run(
        "invoice",
        "issue",
        "--data",
        root,
        "--period",
        "2026-01",
        "--format",
        "txt",
        "--format",
        "xml",
    )
    assert issued.exit_code == 0, issued.stderr
    xml = (root / "invoices" / "2026-00001.xml").read_bytes()
    assert b"<cbc:ID>G</cbc:ID>" in xml
    assert b"<cbc:TaxExemptionReason>Export of services, zero-rated</cbc:TaxExemptionReason>" in xml
    face = (root / "invoices" / "2026-00001.txt").read_text()
    assert "merverdiavgiftsloven" not in face and "6-22" not in face
    assert ehf_validator.fatal(xml) == []
    assert peppol_findings(xml) == []


def test_the_faces_show_the_buyer_reference_the_e_invoice_sends(run: Run, tmp_path: Path) -> None:
    # "Deres ref." is the contract's buyer_reference (the e-invoice's BuyerReference); the
    # po_number is the buyer's order number (its OrderReference), under a label of its own.
    root = billing_dir(
        tmp_path / "data",
        "contract_id,customer_id,start_date,currency,buyer_reference,po_number\n"
        "K1,C1,2026-01-01,NOK,Ola Nordmann,PO-77\n",
        "contract_id,product,unit_price\nK1,A,100\n",
        customers=CUSTOMERS,
        settings=SELLER,
    )
    formats = ("--format", "txt", "--format", "md", "--format", "html", "--format", "xml")
    issued = run("invoice", "issue", "--data", root, "--period", "2026-01", *formats)
    assert issued.exit_code == 0, issued.stderr
    xml = (root / "invoices" / "2026-00001.xml").read_text()
    assert "<cbc:BuyerReference>Ola Nordmann</cbc:BuyerReference>" in xml
    assert "<cac:OrderReference>\n  <cbc:ID>PO-77</cbc:ID>" in xml
    txt = (root / "invoices" / "2026-00001.txt").read_text()
    assert "Deres ref.:               Ola Nordmann\n" in txt
    assert "Ordrenr.:                 PO-77\n" in txt
    md = (root / "invoices" / "2026-00001.md").read_text()
    assert "| Deres ref. | Ola Nordmann |\n| Ordrenr. | PO-77 |\n" in md
    html = (root / "invoices" / "2026-00001.html").read_text()
    assert "<tr><td>Deres ref.</td><td>Ola Nordmann</td></tr>" in html
    assert "<tr><td>Ordrenr.</td><td>PO-77</td></tr>" in html
