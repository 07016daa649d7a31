"""The plain-text face: columns at least two spaces apart, lines of at most 78 characters
(docs/templates.md), also for prices and amounts of millions."""

from __future__ import annotations

import re
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
