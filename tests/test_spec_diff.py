"""SPEC §12 ``revcli diff``: causes applied one at a time in the fixed order, every figure
rounded to cents at every step so the causes of a month sum exactly to its change —
worked by hand on half-cent amounts, in a real git repository."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.conftest import SETTINGS, Run
from tests.gitrepo import GitRepo

CUSTOMERS = "customer_id,name\nA,Acme AS\nB,Bergen AS\nD,Drammen AS\n"
BASE = """
contract_id: C1
customer_id: A
start_date: 2025-01-01
lines:
  - {product: SaaS, unit_price: 100}
"""


def half_cent(contract_id: str, customer_id: str) -> str:
    return (
        f"contract_id: {contract_id}\ncustomer_id: {customer_id}\nstart_date: 2025-01-01\n"
        "lines:\n  - {product: SaaS, unit_price: 0.005}\n"
    )


def january_rows(run: Run, repo: GitRepo) -> list[dict[str, str]]:
    """The CSV rows of ``revcli diff v1 v2`` for January 2025."""
    result = run(
        "diff", "v1", "v2", "--data", repo.data, "--from", "2025-01", "--to", "2025-01",
        "--as-of", "2025-03-05", "--format", "csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_half_cent_causes_are_rounded_at_every_step_in_contract_id_order(
    tmp_path: Path, run: Run
) -> None:
    # v1: A 100.00 from 2025-01 (new 100 in January).
    # v2 adds two contracts of 0.005 a month from 2025-01-01: K2 (for B) in the file
    # contracts/a.yaml and K1 (for D) in contracts/b.yaml. Causes apply by contract_id:
    # K1 first, then K2 — not in file order.
    # January: before 100.00 (new 100.00).
    #   after K1: MRR 100.005 → 100.01, new 100.005 → 100.01: effect mrr +0.01, new +0.01.
    #   after K2: MRR 100.010 → 100.01, new 100.01: effect 0 → no row for K2.
    #   total = v2 − v1 = 100.01 − 100.00: mrr +0.01, new +0.01 = the sum of the causes.
    # February: K1 mrr +0.01 (no movement), K2 nothing, total mrr +0.01.
    repo = GitRepo(tmp_path / "repo")
    repo.write({"revcli.yaml": SETTINGS, "customers.csv": CUSTOMERS, "contracts/c1.yaml": BASE})
    repo.commit("v1", "2025-03-01T10:00:00+00:00", tag="v1")
    repo.write({"contracts/a.yaml": half_cent("K2", "B"), "contracts/b.yaml": half_cent("K1", "D")})
    repo.commit("v2", "2025-03-02T10:00:00+00:00", tag="v2")
    result = run(
        "diff", "v1", "v2", "--data", repo.data, "--from", "2025-01", "--to", "2025-02",
        "--as-of", "2025-03-05", "--format", "csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    got = [(r["month"], r["cause"], r["id"], r["mrr"], r["new"]) for r in rows]
    assert got == [
        ("2025-01", "contract", "K1", "0.01", "0.01"),
        ("2025-01", "total", "", "0.01", "0.01"),
        ("2025-02", "contract", "K1", "0.01", "0.00"),
        ("2025-02", "total", "", "0.01", "0.00"),
    ]


def test_fx_rates_apply_before_contracts(tmp_path: Path, run: Run) -> None:
    # v1: C1 for A, 100 a month in NOK from 2025-01-01; fx EUR 10 from 2024-01-01.
    # v2: the EUR rate becomes 12, and C1 is switched to EUR.
    # Order: fx_rates first, then contracts. After the fx edit C1 is still in NOK: no
    # effect, no row. Then the contract edit: 100 EUR × 12 = 1,200 − 100 = +1,100 MRR
    # (and +1,100 new in January). Applied the other way round it would be +900 then +200.
    repo = GitRepo(tmp_path / "repo")
    fx = "date,currency,rate\n2024-01-01,EUR,{}\n"
    repo.write(
        {
            "revcli.yaml": SETTINGS,
            "customers.csv": CUSTOMERS,
            "fx_rates.csv": fx.format(10),
            "contracts/c1.yaml": BASE,
        }
    )
    repo.commit("v1", "2025-03-01T10:00:00+00:00", tag="v1")
    repo.write(
        {
            "fx_rates.csv": fx.format(12),
            "contracts/c1.yaml": BASE.replace("lines:", "currency: EUR\nlines:"),
        }
    )
    repo.commit("v2", "2025-03-02T10:00:00+00:00", tag="v2")
    rows = january_rows(run, repo)
    got = [(r["cause"], r["id"], r["mrr"], r["new"]) for r in rows]
    assert got == [("contract", "C1", "1100.00", "1100.00"), ("total", "", "1100.00", "1100.00")]


def test_customers_apply_before_contracts(tmp_path: Path, run: Run) -> None:
    # v2 adds customer E and its contract K1 (250 a month from 2025-01-01). Customers come
    # first: adding E alone changes no figure (no contract of E yet), so it has no row; then
    # K1 adds 250 MRR and 250 new. (The other way round, K1 would name a customer not yet
    # there and E would carry the effect.)
    repo = GitRepo(tmp_path / "repo")
    repo.write({"revcli.yaml": SETTINGS, "customers.csv": CUSTOMERS, "contracts/c1.yaml": BASE})
    repo.commit("v1", "2025-03-01T10:00:00+00:00", tag="v1")
    k1 = BASE.replace("C1", "K1").replace("customer_id: A", "customer_id: E")
    repo.write(
        {
            "customers.csv": CUSTOMERS + "E,Eide AS\n",
            "contracts/k1.yaml": k1.replace("unit_price: 100", "unit_price: 250"),
        }
    )
    repo.commit("v2", "2025-03-02T10:00:00+00:00", tag="v2")
    rows = january_rows(run, repo)
    got = [(r["cause"], r["id"], r["mrr"], r["new"]) for r in rows]
    assert got == [("contract", "K1", "250.00", "250.00"), ("total", "", "250.00", "250.00")]


def test_a_line_without_line_id_is_named_by_its_position_from_1(tmp_path: Path, run: Run) -> None:
    # C1 has two lines in contract_lines.csv without a line_id; v2 raises the second from
    # 50 to 80: "line 2 unit_price: 50 → 80", +30 MRR (and +30 new in January).
    repo = GitRepo(tmp_path / "repo")
    lines = "contract_id,product,unit_price\nC1,SaaS,100\nC1,Support,{}\n"
    repo.write(
        {
            "revcli.yaml": SETTINGS,
            "customers.csv": CUSTOMERS,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2025-01-01\n",
            "contract_lines.csv": lines.format(50),
        }
    )
    repo.commit("v1", "2025-03-01T10:00:00+00:00", tag="v1")
    repo.write({"contract_lines.csv": lines.format(80)})
    repo.commit("v2", "2025-03-02T10:00:00+00:00", tag="v2")
    rows = january_rows(run, repo)
    got = [(r["cause"], r["file"], r["id"], r["detail"], r["mrr"]) for r in rows]
    assert got == [
        ("contract", "contract_lines.csv", "C1", "line 2 unit_price: 50 → 80", "30.00"),
        ("total", "", "", "", "30.00"),
    ]
