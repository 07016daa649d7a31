"""Crediting an invoice in parts: the tax of its credit notes adds up to the invoice's.

A partial credit note keeps the rounding of its own lines, capped so that the notes never
credit more tax at a rate than the invoice has; the note that credits the last lines at a
rate takes what is left at that rate, so that an invoice and all its credit notes add up to exactly 0, the tax in
NOK too (docs/invoicing.md, "Credit notes").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from revcli.billing.register import check_register
from tests.billing_support import billing_dir
from tests.conftest import Run

if TYPE_CHECKING:
    from tests.einvoice_support import Validator

pytestmark = pytest.mark.usefixtures("pinned_today")

CONTRACTS = "contract_id,customer_id,start_date,currency\nK1,C1,2026-01-01,{currency}\n"
LINES = "contract_id,line_id,product,quantity,unit_price,price_period,tax_rate\n"
FX = "date,currency,rate\n2025-12-01,JPY,0.0712\n2025-12-01,KWD,36.1234\n"


def issued(run: Run, tmp_path: Path, currency: str, lines: str, kind: str = "txt") -> Path:
    root = billing_dir(tmp_path, CONTRACTS.format(currency=currency), LINES + lines, fx=FX)
    args = ("--data", root, "--period", "2026-01", "--date", "2026-01-01", "--format", kind)
    result = run("invoice", "issue", *args)
    assert result.exit_code == 0, result.stderr
    return root


def credit(run: Run, root: Path, *args: str) -> None:
    result = run(
        "invoice",
        "credit",
        "2026-00001",
        *args,
        "--reason",
        "x",
        "--data",
        root,
        "--date",
        "2026-01-20",
    )
    assert result.exit_code == 0, result.stderr


def amounts(root: Path) -> list[tuple[str, str, str, str | None]]:
    """(net, tax, total, tax in NOK) of every record, register order."""
    path = root / "invoices" / "register.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(r["net"], r["tax"], r["total"], r["tax_nok"]) for r in records]


def test_the_last_credit_note_of_a_yen_invoice_takes_the_tax_left(run: Run, tmp_path: Path) -> None:
    root = issued(run, tmp_path, "JPY", "K1,1,A,1,10,month,25\nK1,2,B,1,10,month,25\n")
    credit(run, root, "--lines", "1")
    credit(run, root)  # every line not yet credited: line 2, the last
    # Invoice: net 20, tax 20 × 25 % = 5, in NOK 5 × 0.0712 = 0.356 → 0.36.
    # Line 1: tax −10 × 25 % = −2.5 → −3 (half away from zero), NOK −3 × 0.0712 → −0.21.
    # Line 2, the last: tax −(5 − 3) = −2 (not −3 again), NOK −(0.36 − 0.21) = −0.15.
    assert amounts(root) == [
        ("20", "5", "25", "0.36"),
        ("-10", "-3", "-13", "-0.21"),
        ("-10", "-2", "-12", "-0.15"),
    ]
    assert check_register(root) == []


def test_the_last_credit_note_of_a_dinar_invoice_takes_the_tax_left(
    run: Run, tmp_path: Path
) -> None:
    root = issued(run, tmp_path, "KWD", "K1,1,A,1,0.002,month,25\nK1,2,B,1,3.003,month,25\n")
    credit(run, root, "--lines", "1")
    credit(run, root, "--lines", "2")
    # Invoice: tax 3.005 × 25 % = 0.75125 → 0.751; NOK 0.751 × 36.1234 = 27.128... → 27.13.
    # Line 1: −0.002 × 25 % = −0.0005 → −0.001; NOK −0.0361234 → −0.04.
    # Line 2, the last: −(0.751 − 0.001) = −0.750 (its own rounding: −0.75075 → −0.751);
    # NOK −(27.13 − 0.04) = −27.09.
    assert amounts(root) == [
        ("3.005", "0.751", "3.756", "27.13"),
        ("-0.002", "-0.001", "-0.003", "-0.04"),
        ("-3.003", "-0.750", "-3.753", "-27.09"),
    ]
    assert check_register(root) == []


def test_credit_notes_round_their_tax_on_the_running_total(run: Run, tmp_path: Path) -> None:
    root = issued(run, tmp_path, "JPY", "".join(f"K1,{i},A,1,2,month,25\n" for i in range(1, 5)))
    for line in ("1", "2", "3", "4"):
        credit(run, root, "--lines", line)
    # Invoice: net 8, tax 8 × 25 % = 2, NOK 2 × 0.0712 = 0.1424 → 0.14.
    # Each note: the tax of all lines credited so far, less what was credited before:
    #   line 1: −2 × 25 % = −0.5 → −1;            NOK −1 × 0.0712 → −0.07
    #   line 2: −4 × 25 % = −1   → −1, −1 − (−1) = 0;  NOK −0.07 − (−0.07) = 0.00
    #   line 3: −6 × 25 % = −1.5 → −2, −2 − (−1) = −1; NOK −0.1424 → −0.14, − (−0.07) = −0.07
    #   line 4: −8 × 25 % = −2   → −2, −2 − (−2) = 0;  NOK −0.14 − (−0.14) = 0.00
    # Together −2 (and NOK −0.14): the invoice's, and no note is a unit off its own
    # net × rate (−0.5): the EN 16931 rule BR-CO-17 holds for each.
    assert amounts(root) == [
        ("8", "2", "10", "0.14"),
        ("-2", "-1", "-3", "-0.07"),
        ("-2", "0", "-2", "0.00"),
        ("-2", "-1", "-3", "-0.07"),
        ("-2", "0", "-2", "0.00"),
    ]
    assert check_register(root) == []


def test_every_partial_credit_note_stays_within_a_unit_of_its_own_tax(
    run: Run, tmp_path: Path, ehf_validator: Validator
) -> None:
    # Six lines of 1,001 JPY at 25 %: the invoice's tax is 6,006 × 25 % = 1,501.5 → 1,502.
    # Credited one line at a time, the running tax is 250.25 → 250, 500.5 → 501, 750.75 →
    # 751, 1,001, 1,251.25 → 1,251, 1,501.5 → 1,502: the notes' taxes 250, 251, 250, 250,
    # 250, 251 (each within one yen of 250.25, BR-CO-17), 1,502 in all. Before, the last
    # note took all the rest: 1,502 − 5 × 250 = 252, which EN 16931 refuses.
    lines = "".join(f"K1,{i},A,1,1001,month,25\n" for i in range(1, 7))
    root = issued(run, tmp_path, "JPY", lines, "xml")
    for line in "123456":
        credit(run, root, "--lines", line)
    taxes = [tax for _, tax, _, _ in amounts(root)]
    assert taxes == ["1502", "-250", "-251", "-250", "-250", "-250", "-251"]
    assert check_register(root) == []
    # And the e-invoices say so: every note passes the CEN EN 16931 rules.
    for number in range(1, 8):
        xml = (root / "invoices" / f"2026-{number:05d}.xml").read_bytes()
        assert ehf_validator.fatal(xml) == [], number


def test_the_note_of_the_last_lines_at_a_rate_takes_the_tax_left_at_that_rate(
    run: Run, tmp_path: Path
) -> None:
    lines = "K1,1,A,1,1,month,25\nK1,2,B,1,1,month,25\nK1,3,C,1,10,month,15\n"
    root = issued(run, tmp_path, "JPY", lines)
    credit(run, root, "--lines", "1")
    credit(run, root, "--lines", "2")
    credit(run, root, "--lines", "3")
    # Invoice: 25 %: net 2, tax 0.5 → 1 (NOK 0.0712 → 0.07); 15 %: net 10, tax 1.5 → 2
    # (NOK 0.1424 → 0.14). Tax 3, NOK 0.21.
    # Line 1: −1 × 25 % = −0.25 → 0 (NOK 0).
    # Line 2, the last at 25 %: what is left there, −(1 − 0) = −1 (NOK −0.07).
    # Line 3, the last at 15 %: −(2 − 0) = −2 (NOK −0.14). Every rate adds up to 0, and
    # no note has a tax line without lines.
    assert amounts(root) == [
        ("12", "3", "15", "0.21"),
        ("-1", "0", "-1", "0.00"),
        ("-1", "-1", "-2", "-0.07"),
        ("-10", "-2", "-12", "-0.14"),
    ]
    assert check_register(root) == []


def test_check_reports_a_last_credit_note_whose_tax_leaves_a_rest(run: Run, tmp_path: Path) -> None:
    root = issued(run, tmp_path, "JPY", "K1,1,A,1,10,month,25\nK1,2,B,1,10,month,25\n")
    credit(run, root, "--lines", "1")
    credit(run, root)
    path = root / "invoices" / "register.jsonl"
    text = path.read_text(encoding="utf-8").splitlines()
    # A last note of tax −1 (net −10, total −11) agrees with neither rule: not with its own
    # rounding (−3) nor with what is left (−2).
    record = json.loads(text[2])
    record["taxes"][0]["tax"], record["tax"], record["total"] = "-1", "-1", "-11"
    text[2] = json.dumps(record)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    problems = [i.message for i in check_register(root) if i.line == 3]
    assert "does not agree with the lines: expected 25 %: net -10 tax -2" in problems


def test_check_accepts_a_last_credit_note_issued_with_its_own_rounding(
    run: Run, tmp_path: Path
) -> None:
    """Registers are never rewritten: a last note issued before the rule kept the rounding
    of its own lines (−10 × 25 % = −2.5 → −3, NOK −0.21) and still agrees with them."""
    root = issued(run, tmp_path, "JPY", "K1,1,A,1,10,month,25\nK1,2,B,1,10,month,25\n")
    credit(run, root, "--lines", "1")
    credit(run, root)
    path = root / "invoices" / "register.jsonl"
    text = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(text[2])
    record["taxes"][0]["tax"], record["taxes"][0]["tax_nok"] = "-3", "-0.21"
    record["tax"], record["total"], record["tax_nok"] = "-3", "-13", "-0.21"
    text[2] = json.dumps(record)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    amounts_columns = {"taxes", "net", "tax", "total", "tax_nok"}
    assert [i for i in check_register(root) if i.column in amounts_columns] == []
