"""The payment reference: a KID only on a Norwegian seller's invoice in NOK, else the
invoice number — the same on every face, in the e-invoice, the register and the lists
(docs/invoicing.md, "Payment reference")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from revcli.billing.records import canonical, record_hash
from tests.billing_support import billing_dir
from tests.conftest import Run
from tests.test_einvoice_issue import CONTRACTS, CUSTOMERS, FX, LINES

pytestmark = pytest.mark.usefixtures("pinned_today")

# MOD10 of the digits, from the right doubling every other one starting with the last:
# 2026-00001 → 202600001: 1·2 + 0 + 0 + 0 + 0 + 6 + 2·2 + 0 + 2·2 = 16 → check 4.
# 2026-00002 → 202600002: 2·2 + 0 + 0 + 0 + 0 + 6 + 2·2 + 0 + 2·2 = 18 → check 2.
KID_1, KID_2 = "2026000014", "2026000022"


def issued(run: Run, tmp_path: Path) -> Path:
    root = billing_dir(tmp_path / "data", CONTRACTS, LINES, customers=CUSTOMERS, fx=FX)
    formats = ("--format", "html", "--format", "txt", "--format", "md", "--format", "xml")
    result = run("invoice", "issue", "--data", root, "--period", "2026-01", *formats)
    assert result.exit_code == 0, result.stderr
    return root


def listed(run: Run, root: Path) -> str:
    args = ("--data", root, "--format", "csv", "--columns", "number,currency,payment_reference")
    result = run("invoice", "list", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def register(root: Path) -> list[dict[str, object]]:
    text = (root / "invoices" / "register.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_a_kid_only_in_nok_the_number_in_euro_everywhere(run: Run, tmp_path: Path) -> None:
    root = issued(run, tmp_path)
    assert [r["payment_reference"] for r in register(root)] == [KID_1, "2026-00002"]
    assert listed(run, root) == (
        f"number,currency,payment_reference\n2026-00001,NOK,{KID_1}\n2026-00002,EUR,2026-00002\n"
    )
    folder = root / "invoices"
    for suffix in ("html", "txt", "md"):
        nok = (folder / f"2026-00001.{suffix}").read_text(encoding="utf-8")
        eur = (folder / f"2026-00002.{suffix}").read_text(encoding="utf-8")
        assert KID_1 in nok
        assert KID_2 not in eur and "2026-00002" in eur
    txt = (folder / "2026-00002.txt").read_text(encoding="utf-8")
    assert "Betalingsreferanse:       2026-00002" in txt  # nb_NO labels
    assert f"<cbc:PaymentID>{KID_1}</cbc:PaymentID>" in (folder / "2026-00001.xml").read_text()
    # The e-invoice's PaymentID is the KID of an invoice in NOK only (as issued before,
    # so that `invoice export --format xml` re-creates older documents byte for byte).
    eur_xml = (folder / "2026-00002.xml").read_text()
    assert "PaymentID" not in eur_xml


def test_an_older_register_with_a_kid_on_a_euro_invoice_lists_its_number(
    run: Run, tmp_path: Path
) -> None:
    """Before the fix the register recorded the KID of a euro invoice (its faces showed the
    number); the record stays as it is, and reads as the number."""
    root = issued(run, tmp_path)
    lines, prev = [], ""
    for rec in register(root):
        rec.pop("hash")
        if rec["currency"] == "EUR":
            rec["payment_reference"] = KID_2
        rec["prev_hash"] = prev
        rec["hash"] = prev = record_hash(rec)
        lines.append(canonical(rec) + "\n")
    (root / "invoices" / "register.jsonl").write_text("".join(lines), encoding="utf-8")
    (root / "invoices" / "HEAD").write_text(f"{len(lines)} {prev}\n")
    assert register(root)[1]["payment_reference"] == KID_2
    assert run("invoice", "check", "--data", root).exit_code == 0
    assert listed(run, root).endswith("2026-00002,EUR,2026-00002\n")
