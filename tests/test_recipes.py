"""docs/recipes.md: each recipe's data dir gives the movement its text promises.

The numbers are worked out by hand from the rules (10 seats × 100 = 1,000 a month);
test_docs checks separately that the doc shows the files and the output as they are.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import ROOT, Run

RECIPES = ROOT / "docs" / "recipes"


@pytest.mark.parametrize(
    ("recipe", "month", "expected"),
    [
        ("new-customer", "2026-03", {"mrr": "1000.00", "new": "1000.00"}),
        # 15 seats − 10 seats = 5 × 100.
        ("upgrade", "2026-05", {"mrr": "1500.00", "upgrade": "500.00"}),
        # 7 seats − 10 seats = −3 × 100.
        ("downgrade", "2026-05", {"mrr": "700.00", "downgrade": "-300.00"}),
        # 2,400 a year ÷ 12 for a product Acme did not have.
        ("add-on", "2026-05", {"mrr": "1200.00", "expansion": "200.00"}),
        # 1,000 × 1.05 at the renewal on 2027-01-01.
        ("price-change-at-renewal", "2027-01", {"mrr": "1050.00", "upgrade": "50.00"}),
        ("renewal-decision", "2027-01", {"mrr": "1000.00", "upgrade": "0.00"}),
        # Last day of service 2026-06-30: nothing left at the end of July.
        ("cancellation", "2026-07", {"mrr": "0.00", "churn": "-1000.00"}),
        # The 15,000 workshop is billed once, never MRR.
        ("one-time-fee", "2026-03", {"mrr": "1000.00", "new": "1000.00"}),
        # 10 × 10 EUR × 11.50 = 1,150 against 1,000 NOK the month before.
        ("move-to-another-currency", "2026-07", {"mrr": "1150.00", "upgrade": "150.00"}),
    ],
)
def test_recipe_gives_the_movement_its_text_promises(
    run: Run, recipe: str, month: str, expected: dict[str, str]
) -> None:
    result = run("mrr", "--data", RECIPES / recipe, "--month", month, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    [row] = csv.DictReader(io.StringIO(result.stdout))
    assert {k: row[k] for k in expected} == expected


def test_every_recipe_dir_is_valid(run: Run) -> None:
    for folder in sorted(p for p in RECIPES.iterdir() if p.is_dir()):
        result = run("validate", "--data", folder)
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", ""), folder.name
