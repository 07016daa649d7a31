"""The plain-text face: columns at least two spaces apart, lines of at most 78 characters
(docs/templates.md), also for prices and amounts of millions."""

from __future__ import annotations

import re
from itertools import takewhile
from pathlib import Path

import pytest

from tests.billing_support import billing_dir
from tests.conftest import Run

pytestmark = pytest.mark.usefixtures("pinned_today")

CONTRACTS = "contract_id,customer_id,start_date\nK1,C1,2026-01-01\n"
LINES = "contract_id,line_id,product,description,quantity,unit_price,price_period\n"
NBSP = "\xa0"


def face(run: Run, tmp_path: Path, lines: str, *credit: str) -> str:
    root = billing_dir(tmp_path, CONTRACTS, LINES + lines)
    args = ("--data", root, "--period", "2026-01", "--format", "txt")
    if not credit:
        result = run("invoice", "render", *args, "--contract", "K1")
        assert result.exit_code == 0, result.stderr
        return result.stdout
    result = run("invoice", "issue", *args, "--date", "2026-01-01")
    assert result.exit_code == 0, result.stderr
    result = run("invoice", "credit", "2026-00001", "--data", root, *credit)
    assert result.exit_code == 0, result.stderr
    return (root / "invoices" / "2026-00002.txt").read_text(encoding="utf-8")


def test_a_quantity_and_a_price_of_millions_stay_apart(run: Run, tmp_path: Path) -> None:
    text = face(run, tmp_path, "K1,1,ENT,Enterprise,2,1200000,month\n")
    # Price "1 200 000,00 kr" is 15 characters, amount 2 × 1,200,000 = "2 400 000,00 kr"
    # too: their columns widen to 16 (value + a space), the quantity keeps 7 and the rate
    # 5, so the description has 78 − 4 separating spaces − 7 − 16 − 5 − 16 = 30.
    price, amount = (f"{m}{NBSP}{t}{NBSP}000,00{NBSP}kr" for m, t in (("1", "200"), ("2", "400")))
    row = f"{'Enterprise':<30} {'2':>7} {price:>16} {'25' + NBSP + '%':>5} {amount:>16}"
    assert len(row) == 78
    assert row in text.splitlines()
    assert "      2  1" in row  # two spaces between the quantity and the price


@pytest.mark.parametrize("credit", [(), ("--reason", "Wrong price", "--date", "2026-01-20")])
def test_amounts_up_to_9_999_999_99_keep_lines_within_78(
    run: Run, tmp_path: Path, credit: tuple[str, ...]
) -> None:
    # Net 7,999,899.99 + 100 = 7,999,999.99; tax × 25 % = 1,999,999.9975 → 2,000,000.00;
    # total 9,999,999.99, on the credit note "-9 999 999,99 kr" (16 characters).
    lines = (
        "K1,1,ENT,Enterprise platform licence for the whole group,1,7999899.99,month\n"
        "K1,2,SUP,Support,1,100,month\n"
    )
    text = face(run, tmp_path, lines, *credit)
    assert f"9{NBSP}999{NBSP}999,99{NBSP}kr" in text
    assert max(len(line) for line in text.splitlines()) <= 78
    start = text.index("-" * 78)
    rows = [line for line in text[start:].splitlines() if line[:1] not in ("", " ", "-")]
    for row in rows[:2]:  # the two line rows: five columns, two spaces or more apart
        assert len(re.split(r" {2,}", row.strip())) == 5, row


PRODUCT = "ENTERPRISE-PLATFORM-LICENCE-FOR-THE-WHOLE-GROUP-WITH-EVERY-MODULE-AND-EVERY-REGION"
REASON = (
    "Feil antall brukere på fakturaen: kunden hadde sagt opp tjue lisenser før perioden "
    "begynte, og Ærlig Økonomi ba om en kreditnota for hele beløpet"
)
BUYER = "Nordlys Analyse og Rådgivning for Store Konsern i Hele Norden og Baltikum AS, avdeling Øst"


def documents(run: Run, tmp_path: Path, locale: str) -> dict[str, str]:
    """An invoice in NOK and one in EUR of 9 999 999,99 each, and a credit note of each."""
    contracts = (
        "contract_id,customer_id,start_date,currency\nK1,C1,2026-01-01,NOK\nK2,C1,2026-01-01,EUR\n"
    )
    # Gross 1 × 9,999,999.99, discount 20 % = 1,999,999.998 → 2,000,000.00, amount
    # 7,999,999.99; tax 25 % = 1,999,999.9975 → 2,000,000.00; total 9,999,999.99. In EUR
    # the tax in NOK is 2,000,000.00 × 11.4567 = 22,913,400.00.
    lines = "".join(
        f"{k},1,{PRODUCT},Enterprise platform licence,1,9999999.99,month,20\n" for k in ("K1", "K2")
    )
    customers = (
        f'customer_id,name,address,locale\nC1,"{BUYER}","Kongens gate 5, 7011 Trondheim",{locale}\n'
    )
    root = billing_dir(
        tmp_path,
        contracts,
        LINES.rstrip("\n") + ",discount_pct\n" + lines,
        customers=customers,
        fx="date,currency,rate\n2025-12-01,EUR,11.4567\n",
    )
    args = ("--data", root, "--period", "2026-01", "--format", "txt", "--date", "2026-01-01")
    result = run("invoice", "issue", *args)
    assert result.exit_code == 0, result.stderr
    for number in ("2026-00001", "2026-00002"):
        result = run(
            "invoice", "credit", number, "--data", root, "--reason", REASON, "--date", "2026-01-20"
        )
        assert result.exit_code == 0, result.stderr
    return {
        path.stem: path.read_text(encoding="utf-8")
        for path in sorted((root / "invoices").glob("*.txt"))
    }


@pytest.mark.parametrize("locale", ["nb_NO", "en_GB", "de_DE", "fr_FR", "sv_SE"])
def test_invoices_and_credit_notes_of_millions_with_long_text_keep_within_78(
    run: Run, tmp_path: Path, locale: str
) -> None:
    faces = documents(run, tmp_path, locale)
    assert len(faces) == 4  # two invoices, two credit notes
    for number, text in faces.items():
        lines = text.splitlines()
        too_long = [line for line in lines if len(line) > 78]
        assert not too_long, f"{locale} {number}: {too_long}"
        assert "7" in text and ("9" * 3) in text  # the millions are there
        first, second = (i for i, line in enumerate(lines) if line == "-" * 78)
        row = lines[first + 1]  # the line row: five columns, two spaces or more apart
        assert len(re.split(r" {2,}", row.strip())) == 5, row
        # Its product code (83 characters) wraps: 76 after the indent of 2, then the rest.
        assert lines[first + 2] == "  " + PRODUCT[:76]
        assert lines[first + 3].startswith("  " + PRODUCT[76:] + " · ")
        # The totals: a label and a value ending at column 78, two spaces or more apart.
        totals = lines[second + 1 : lines.index("", second) if "" in lines[second:] else None]
        assert len(totals) == 5 if number in ("2026-00002", "2026-00004") else 4, totals
        for total in totals:
            assert len(total) == 78, total
            assert len(re.split(r" {2,}", total)) == 2, total
        # The buyer's name wraps under itself, indented by 2.
        buyer = lines.index("  " + BUYER[: BUYER.rindex(" ", 0, 77)])
        assert lines[buyer + 1] == "  " + BUYER[BUYER.rindex(" ", 0, 77) + 1 :]
        if number in ("2026-00003", "2026-00004"):  # the reason, wrapped at column 26
            start = next(
                i for i, line in enumerate(lines) if line.startswith(("Årsak:", "Reason:"))
            )
            more = takewhile(lambda line: line.startswith(" " * 26), lines[start + 1 :])
            reason = [line[26:] for line in (lines[start], *more)]
            # 145 characters in lines of at most 78 − 26 = 52, broken at spaces: "Feil … sagt"
            # (51; "opp" would make 55), "opp … Ærlig" (48; "Økonomi" 56), "Økonomi … beløpet".
            assert [len(line) for line in reason] == [51, 48, 44]
            assert " ".join(reason) == REASON
