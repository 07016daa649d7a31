"""Signs and columns on the shipped templates' faces: one sign before a discount, a credit
note's "how" note equal to its line, text columns that never run together."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from revcli.billing.context import document_context
from revcli.billing.model import Invoice, credit_note
from revcli.billing.numbering import numbered
from revcli.billing.templates import DocFormat, document_maker
from revcli.data.validate import load_dataset
from tests.billing_support import billing_dir, run_months

pytestmark = pytest.mark.usefixtures("pinned_today")

CONTRACTS = """\
contract_id,customer_id,start_date,currency,billing_period
K1,C1,2026-03-01,NOK,month
K2,C1,2026-03-01,NOK,year
"""
LINES = """\
contract_id,line_id,product,description,quantity,unit_price,price_period,discount_pct
K1,1,P,Seats,10,100,month,20
K1,2,S,Support,1,1000,year,0
K2,1,ENT,Enterprise licence,1,12000000,year,0
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return billing_dir(tmp_path_factory.mktemp("faces") / "data", CONTRACTS, LINES)


def invoice_and_note(root: Path) -> tuple[Invoice, Invoice]:
    """K1's March invoice (issued) and a credit note of all of it."""
    company = load_dataset(root).settings.company
    invoice = only_of(root, "K1")
    issued = numbered(invoice, "2026-{seq:05d}", 1, company)
    note = credit_note(issued, [], "test", dt.date(2026, 3, 11))
    return issued, numbered(note, "2026-{seq:05d}", 2, company)


def only_of(root: Path, contract: str) -> Invoice:
    """The March invoice of ``contract``."""
    return next(i for i in run_months(root, "2026-03") if i.contract_id == contract)


def face(root: Path, fmt: DocFormat, invoice: Invoice) -> str:
    text = document_maker(load_dataset(root).settings, root, fmt, None).text(invoice)
    return text.replace("\xa0", " ")  # Babel's no-break spaces, as a reader sees them


@pytest.mark.parametrize("fmt", [DocFormat.TXT, DocFormat.MD, DocFormat.HTML])
def test_a_discount_has_one_sign_on_an_invoice_and_on_its_credit_note(
    root: Path, fmt: DocFormat
) -> None:
    # Seats: 10 × 100,00 kr = 1 000,00 kr gross, 20 % off: a discount of 200,00 kr, 800,00 kr.
    # The invoice takes it off (−200,00 kr); the credit note's gross is −1 000,00 kr and its
    # amount −800,00 kr, so the discount adds back: +200,00 kr (−1 000 + 200 = −800).
    invoice, note = invoice_and_note(root)
    invoice_face, note_face = face(root, fmt, invoice), face(root, fmt, note)
    assert "−200,00 kr" in invoice_face and "+200,00 kr" not in invoice_face
    assert "+200,00 kr" in note_face and "−200,00 kr" not in note_face
    for text in (invoice_face, note_face):
        assert "−-" not in text and "+-" not in text and "−+" not in text


def test_discount_is_the_discount_given_on_both_kinds(root: Path) -> None:
    # docs/templates.md: gross − discount = amount on an invoice, gross + discount = amount
    # on a credit note, the discount itself never negative.
    invoice, note = invoice_and_note(root)
    settings = load_dataset(root).settings
    seats = document_context(invoice, settings)["lines"][0]
    credited = document_context(note, settings)["lines"][0]
    assert (seats["gross"], seats["discount"], seats["amount"]) == (1000, 200, 800)
    assert (credited["gross"], credited["discount"], credited["amount"]) == (-1000, 200, -800)


def test_a_credit_notes_how_note_equals_its_negative_line(root: Path) -> None:
    # Support: 1 × 1 000,00 kr a year billed for a month: 1000 / 12 = 83,333… ≈ 83,33 kr.
    # The credit note credits −83,33 kr, so its note is the negated product.
    invoice, note = invoice_and_note(root)
    how = "1 × 1 000,00 kr / år × 1 av 12 måneder ≈ {} kr (avrundet)"
    assert how.format("83,33") in face(root, DocFormat.TXT, invoice)
    note_face = face(root, DocFormat.TXT, note)
    assert "-(" + how.format("").split(" ≈")[0] + ") ≈ -83,33 kr (avrundet)" in note_face
    assert "≈ 83,33 kr" not in note_face


def test_text_columns_are_separated_even_when_a_value_fills_its_column(root: Path) -> None:
    text = face(root, DocFormat.TXT, only_of(root, "K2")).splitlines()
    # 12 000 000,00 kr is 16 characters: wider than the unit-price (15) and amount (14)
    # columns, so both widen to 17 (two spaces before the value) and the description
    # narrows to 78 − 4 spaces − 7 (quantity) − 17 − 5 (rate) − 17 = 28: still 78 columns.
    price = "12 000 000,00 kr"
    row = f"{'Enterprise licence':<28} {'1':>7} {price:>17} {'25 %':>5} {price:>17}"
    assert len(row) == 78 and row in text
    # the totals: label padded to 61, a space, the amount right-justified in 16
    assert f"{'Sum eks. mva':<61} {price:>16}" in text
    assert f"{'MVA 25 % av 12 000 000,00 kr':<61} {'3 000 000,00 kr':>16}" in text


def test_an_ordinary_text_invoice_keeps_its_78_columns(root: Path) -> None:
    invoice, note = invoice_and_note(root)
    for document in (invoice, note):
        lines = face(root, DocFormat.TXT, document).splitlines()
        assert max(len(line) for line in lines) <= 78
    lines = face(root, DocFormat.TXT, invoice).splitlines()
    # The old layout, unchanged for values that fit: 33 + 8 + 16 + 6 + 15 = 78.
    assert f"{'Seats':<33}{'10':>8}{'100,00 kr':>16}{'25 %':>6}{'1 000,00 kr':>15}" in lines
    assert f"{'  Rabatt 20 %':<63}{'−200,00 kr':>15}" in lines
    assert f"{'':<63}{'800,00 kr':>15}" in lines
