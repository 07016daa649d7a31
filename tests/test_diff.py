"""revcli diff (SPEC §12): restatements between git revisions, each derived by hand."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import SETTINGS, Run
from tests.gitrepo import GitRepo

CUSTOMERS = """\
customer_id,name
A,Acme AS
B,Bergen AS
D,Drammen AS
"""
FX = "date,currency,rate\n2025-01-01,EUR,11\n"
C1 = """
contract_id: C1
customer_id: A
start_date: 2025-01-01
lines:
  - line_id: L1
    product: SaaS
    quantity: 10
    unit_price: 100
"""
C2 = """
contract_id: C2
customer_id: B
start_date: 2025-06-01
currency: EUR
lines:
  - line_id: L1
    product: SaaS
    unit_price: 100
"""
C3 = """
contract_id: C3
customer_id: A
start_date: 2025-03-01
end_date: 2025-12-31
lines:
  - line_id: L1
    product: Support
    unit_price: 500
"""
C4 = """
contract_id: C4
customer_id: D
start_date: 2025-09-01
lines:
  - line_id: L1
    product: SaaS
    unit_price: 300
"""

FIGURES = ("mrr", "new", "expansion", "upgrade", "reactivation", "downgrade", "cancellation")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """v1 (15 January 2026) — MRR by hand:
    2025-01 A new 1,000 (C1: 10 × 100).   2025-03 A expansion 500 (C3 Support).
    2025-06 B new 1,100 (C2: 100 EUR × 11).  2025-09 D new 300 (C4).
    2026-01 A cancellation −500 (C3 ended 2025-12-31).
    MRR: 1,000 (Jan–Feb), 1,500 (Mar–May), 2,600 (Jun–Aug), 2,900 (Sep–Dec), 2,400 (2026).
    """
    r = GitRepo(tmp_path / "repo")
    r.write(
        {
            "revcli.yaml": SETTINGS,
            "customers.csv": CUSTOMERS,
            "fx_rates.csv": FX,
            "contracts/C1.yaml": C1,
            "contracts/C2.yaml": C2,
            "contracts/C3.yaml": C3,
            "contracts/C4.yaml": C4,
        }
    )
    r.commit("v1", "2026-01-15T10:00:00+00:00", tag="v1")
    return r


def _edit_v2(r: GitRepo) -> None:
    """v2 (15 February 2026): four edits with an effect and one without."""
    r.write(
        {
            # A changed FX rate: the EUR rate of 2025-01-01 is 12, not 11.
            "fx_rates.csv": "date,currency,rate\n2025-01-01,EUR,12\n",
            # A customer renamed: no figure changes, so no row.
            "customers.csv": CUSTOMERS.replace("Bergen AS", "Bergen Fjord AS"),
            # A backdated upgrade: two more seats from 2025-10-01.
            "contracts/C1.yaml": C1
            + "  - line_id: L2\n    product: SaaS\n    quantity: 2\n"
            + "    unit_price: 100\n    start_date: 2025-10-01\n",
            # A changed start date: C4 started in July, not September.
            "contracts/C4.yaml": C4.replace("2025-09-01", "2025-07-01"),
        }
    )
    # A deleted contract.
    r.remove("contracts/C3.yaml")
    r.commit("v2", "2026-02-15T10:00:00+00:00", tag="v2")


def _rows(text: str) -> dict[tuple[str, str, str], dict[str, Decimal]]:
    """(month, cause, id) → its non-zero effects."""
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        key = (row["month"], row["cause"], row["id"])
        out[key] = {f: Decimal(row[f]) for f in (*FIGURES, "churn") if Decimal(row[f]) != 0}
    return out


def _diff_of_v2(repo: GitRepo, run: Run, first: str, last: str) -> str:
    """The CSV of ``revcli diff v1 v2`` over ``first``..``last`` after :func:`_edit_v2`."""
    _edit_v2(repo)
    result = run(
        "diff", "v1", "v2", "--data", repo.data, "--from", first, "--to", last,
        "--as-of", "2026-02-20", "--format", "csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.stdout


def test_each_edit_restates_the_months_it_touches(repo: GitRepo, run: Run) -> None:
    stdout = _diff_of_v2(repo, run, "2025-01", "2026-02")
    rows = _rows(stdout)
    d = Decimal
    fx = ("fx_rates", "EUR 2025-01-01")
    c1, c3, c4 = ("contract", "C1"), ("contract", "C3"), ("contract", "C4")
    expected: dict[tuple[str, str, str], dict[str, Decimal]] = {}

    def add(month: str, cause: tuple[str, str], **effects: int) -> None:
        expected[(month, *cause)] = {k: d(v) for k, v in effects.items()}

    # FX 11 → 12 (applied first): C2 books 100 EUR at 12 = 1,200, +100 from June 2025 on;
    # B's new MRR in June is 1,200 instead of 1,100.
    add("2025-06", fx, mrr=100, new=100)
    for m in ("2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"):
        add(m, fx, mrr=100)
    add("2026-01", fx, mrr=100)
    add("2026-02", fx, mrr=100)
    # C1 gains line L2 (2 × 100 from 2025-10-01): +200 from October, an upgrade of A's SaaS
    # (1,000 → 1,200) in October.
    add("2025-10", c1, mrr=200, upgrade=200)
    for m in ("2025-11", "2025-12", "2026-01", "2026-02"):
        add(m, c1, mrr=200)
    # C3 removed: −500 March–December 2025; the expansion of March goes (−500), and so does
    # the cancellation of January 2026 (+500), whose MRR was already 0 (no MRR effect).
    add("2025-03", c3, mrr=-500, expansion=-500)
    for m in ("2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10"):
        add(m, c3, mrr=-500)
    add("2025-11", c3, mrr=-500)
    add("2025-12", c3, mrr=-500)
    add("2026-01", c3, cancellation=500)
    # C4 starts 2025-07-01 instead of 2025-09-01: D is new in July (+300), MRR +300 in July
    # and August, and no longer new in September (new −300, MRR unchanged).
    add("2025-07", c4, mrr=300, new=300)
    add("2025-08", c4, mrr=300)
    add("2025-09", c4, new=-300)
    # Totals = v2 − v1 by hand: v2 MRR is 1,000 (Jan–May), 2,200 (Jun), 2,500 (Jul–Sep),
    # 2,700 (Oct on); v2 movements: 2025-06 new 1,200, 2025-07 new 300, 2025-10 upgrade 200.
    totals = {
        "2025-03": {"mrr": -500, "expansion": -500},
        "2025-04": {"mrr": -500},
        "2025-05": {"mrr": -500},
        "2025-06": {"mrr": 2200 - 2600, "new": 1200 - 1100},
        "2025-07": {"mrr": 2500 - 2600, "new": 300},
        "2025-08": {"mrr": 2500 - 2600},
        "2025-09": {"mrr": 2500 - 2900, "new": -300},
        "2025-10": {"mrr": 2700 - 2900, "upgrade": 200},
        "2025-11": {"mrr": 2700 - 2900},
        "2025-12": {"mrr": 2700 - 2900},
        "2026-01": {"mrr": 2700 - 2400, "cancellation": 500},
        "2026-02": {"mrr": 2700 - 2400},
    }
    for month, effects in totals.items():
        expected[(month, "total", "")] = {k: d(v) for k, v in effects.items()}
    assert rows == expected
    # The renamed customer had no effect: no row names it.
    assert "Bergen" not in stdout


def test_details_name_the_fields_that_changed(repo: GitRepo, run: Run) -> None:
    _edit_v2(repo)
    result = run("diff", "v1", "v2", "--data", repo.data, "--from", "2025-03", "--to",
                 "2025-10", "--format", "csv")  # fmt: skip
    found = {
        (r["cause"], r["file"], r["id"], r["detail"])
        for r in csv.DictReader(io.StringIO(result.stdout))
        if r["cause"] != "total"
    }
    assert found == {
        ("fx_rates", "fx_rates.csv", "EUR 2025-01-01", "rate: 11 → 12"),
        ("contract", "contracts/C1.yaml", "C1", "line L2 added"),
        ("contract", "contracts/C3.yaml", "C3", "removed"),
        ("contract", "contracts/C4.yaml", "C4", "start_date: 2025-09-01 → 2025-07-01"),
    }


def test_working_tree_is_the_default_new_side(repo: GitRepo, run: Run) -> None:
    # Uncommitted: C4's price 300 → 350 from its start (September 2025): +50 a month,
    # and D's new MRR in September is 350.
    repo.write({"contracts/C4.yaml": C4.replace("300", "350")})
    result = run("diff", "v1", "--data", repo.data, "--from", "2025-09", "--to", "2025-10",
                 "--format", "csv")  # fmt: skip
    assert _rows(result.stdout) == {
        ("2025-09", "contract", "C4"): {"mrr": Decimal(50), "new": Decimal(50)},
        ("2025-09", "total", ""): {"mrr": Decimal(50), "new": Decimal(50)},
        ("2025-10", "contract", "C4"): {"mrr": Decimal(50)},
        ("2025-10", "total", ""): {"mrr": Decimal(50)},
    }


def test_fail_on_restatement_gates_closed_months_only(repo: GitRepo, run: Run) -> None:
    # A contract starting in March 2026 changes only months from the as-of month on.
    repo.write({"contracts/C5.yaml": C4.replace("C4", "C5").replace("2025-09-01", "2026-03-01")})
    args = ("diff", "v1", "--data", repo.data, "--as-of", "2026-03-10", "--format", "csv")
    ok = run(*args, "--fail-on-restatement")
    assert ok.exit_code == 0, ok.output
    # D already pays 300 for SaaS (C4): a second SaaS contract is an upgrade 300 → 600.
    assert "2026-03,contract,contracts/C5.yaml,C5,added,300.00,0.00,0.00,300.00," in ok.stdout
    # Backdate it to February: a closed month changed.
    repo.write({"contracts/C5.yaml": C4.replace("C4", "C5").replace("2025-09-01", "2026-02-01")})
    gated = run(*args, "--fail-on-restatement")
    assert gated.exit_code == 1
    assert "check failed: 1 closed month restated: 2026-02" in gated.stderr
    assert run(*args).exit_code == 0  # numbers changed, but no gate asked for


def test_no_change_prints_a_note_and_no_rows(repo: GitRepo, run: Run) -> None:
    result = run("diff", "v1", "--data", repo.data, "--format", "table", "--as-of", "2026-02-01")
    assert result.exit_code == 0
    assert "No figure of these months changed between v1 and working tree." in result.stdout
    csv_out = run("diff", "v1", "--data", repo.data, "--format", "csv")
    assert csv_out.stdout.strip().count("\n") == 0  # the header only


def test_default_range_is_24_months_up_to_the_as_of_month(repo: GitRepo, run: Run) -> None:
    result = run("diff", "v1", "--data", repo.data, "--as-of", "2026-11-05", "-f", "json")
    assert '"from": "2024-12"' in result.stdout
    assert '"to": "2026-11"' in result.stdout


def test_before_picks_the_earlier_revision(repo: GitRepo, run: Run) -> None:
    _edit_v2(repo)
    # --before 2026-01-31: v1 (15 January); against v2, C4 moved to July.
    result = run("diff", "--before", "2026-01-31", "v2", "--data", repo.data, "--from",
                 "2025-07", "--to", "2025-07", "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert ("2025-07", "contract", "C4") in _rows(result.stdout)


def test_invalid_revision_is_reported_with_its_problems(repo: GitRepo, run: Run) -> None:
    repo.write({"fx_rates.csv": "date,currency,rate\n2025-01-01,EUR,eleven\n"})
    repo.commit("broken", "2026-03-01T10:00:00+00:00", tag="broken")
    result = run("diff", "v1", "broken", "--data", repo.data)
    assert result.exit_code == 1
    assert "broken:data/fx_rates.csv:2: rate:" in result.stderr
    assert "Traceback" not in result.output


def test_diff_leaves_index_and_working_tree_alone(repo: GitRepo, run: Run) -> None:
    _edit_v2(repo)
    repo.write({"contracts/C4.yaml": C4.replace("300", "350")})
    index = repo.path / ".git" / "index"
    before = (index.stat().st_mtime_ns, repo.git("status", "--porcelain"))
    assert run("diff", "v1", "--data", repo.data, "-f", "csv").exit_code == 0
    assert (index.stat().st_mtime_ns, repo.git("status", "--porcelain")) == before


def test_usage_errors(repo: GitRepo, run: Run) -> None:
    assert run("diff", "--data", repo.data).exit_code == 2  # no earlier revision
    assert run("diff", "main@{1}", "--data", repo.data).exit_code == 2
    assert (
        run("diff", "v1", "--data", repo.data, "--from", "2026-05", "--to", "2026-01").exit_code
        == 2
    )


def test_a_policy_change_is_a_settings_cause(repo: GitRepo, run: Run) -> None:
    repo.write({"revcli.yaml": SETTINGS + "metrics:\n  policy: five-buckets\n  grain: customer\n"})
    repo.commit("customer grain", "2026-02-01T10:00:00+00:00", tag="v1b")
    result = run("diff", "v1", "v1b", "--data", repo.data, "--from", "2025-01", "--to",
                 "2026-02", "--format", "csv")  # fmt: skip
    # Under v1 only one movement depends on the grain: January 2026, C3's Support ends
    # while A keeps SaaS — a cancellation of −500 per product, a downgrade of A's total
    # (1,500 → 1,000) per customer. March 2025 (Support added) is an expansion of +500
    # either way; new customers are new either way. MRR does not move.
    assert _rows(result.stdout) == {
        ("2026-01", "settings", ""): {"cancellation": Decimal(500), "downgrade": Decimal(-500)},
        ("2026-01", "total", ""): {"cancellation": Decimal(500), "downgrade": Decimal(-500)},
    }
    assert "metrics.grain: (empty) → customer; metrics.policy: (empty) → five-buckets" in (
        result.stdout
    )
    meta = run("diff", "v1", "v1b", "--data", repo.data, "-f", "json").stdout
    assert '"policy": "five-buckets"' in meta and '"old_policy": "revcli"' in meta


def test_causes_that_cancel_out_keep_their_zero_total(repo: GitRepo, run: Run) -> None:
    # C4 renamed C9 (same customer, product, price and dates): C4 removed −300 and C9
    # added +300 from September 2025; the total of each such month is 0, so no month
    # changed and the gate does not fire.
    repo.remove("contracts/C4.yaml")
    repo.write({"contracts/C9.yaml": C4.replace("C4", "C9")})
    result = run("diff", "v1", "--data", repo.data, "--from", "2025-09", "--to", "2025-09",
                 "--as-of", "2026-02-01", "--format", "csv", "--fail-on-restatement")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _rows(result.stdout) == {
        ("2025-09", "contract", "C4"): {"mrr": Decimal(-300), "new": Decimal(-300)},
        ("2025-09", "contract", "C9"): {"mrr": Decimal(300), "new": Decimal(300)},
        ("2025-09", "total", ""): {},
    }


def test_a_narrow_table_keeps_the_figures_and_cuts_the_cause_text(repo: GitRepo, run: Run) -> None:
    # At 100 columns the long cause text used to push every figure out of the table.
    _edit_v2(repo)
    result = run(
        "diff", "v1", "v2", "--data", repo.data, "--from", "2025-01", "--to", "2026-02",
        "--as-of", "2026-02-20", "--format", "table", env={"COLUMNS": "100"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "month" in line.split())
    assert {"MRR", "share"} <= set(header.split()) or {"mrr", "share"} <= set(header.split())
    assert max(len(line) for line in result.stdout.splitlines()) <= 100


def test_a_narrow_table_points_to_the_csv_not_to_columns_diff_does_not_take(
    repo: GitRepo, run: Run
) -> None:
    _edit_v2(repo)
    result = run(
        "diff", "v1", "v2", "--data", repo.data, "--from", "2025-01", "--to", "2026-02",
        "--as-of", "2026-02-20", "--format", "table", env={"COLUMNS": "80"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    note = " ".join(result.stdout[result.stdout.index("Not shown at 80") :].split())
    assert "See all with --format csv." in note
    assert "--columns" not in note


def test_the_example_of_docs_diff_is_what_diff_prints(repo: GitRepo, run: Run) -> None:
    # docs/diff.md shows October 2025 of these very edits: the block must be the output.
    stdout = _diff_of_v2(repo, run, "2025-10", "2025-10")
    doc = (Path(__file__).parent.parent / "docs" / "diff.md").read_text(encoding="utf-8")
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    month,cause,"))
    block = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        block.append(line.removeprefix("    "))
    assert stdout.splitlines() == block


def test_a_month_whose_causes_cancel_out_shows_its_whole_bridge(repo: GitRepo, run: Run) -> None:
    # C1 loses 2 of its 10 seats (−200) and C3 costs 700, not 500 (+200), both from their
    # start (January and March 2025): September 2025 has no movement either way and its
    # MRR stays 2,900 (v1's figures, by hand in the fixture). The table shows the month as
    # a bridge: before 2,900, the two causes, a change of 0.00 and after 2,900; the note
    # says no figure changed.
    repo.write(
        {
            "contracts/C1.yaml": C1.replace("quantity: 10", "quantity: 8"),
            "contracts/C3.yaml": C3.replace("unit_price: 500", "unit_price: 700"),
        }
    )
    result = run("diff", "v1", "--data", repo.data, "--from", "2025-09", "--to", "2025-09",
                 "--as-of", "2026-02-01", "--format", "table", env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    items = [row[1] for row in rows if row and row[0] == "2025-09"]
    assert items == ["before", "contract", "contract", "change", "after"]
    before = next(line for line in result.stdout.splitlines() if " before " in line)
    after = next(line for line in result.stdout.splitlines() if " after " in line)
    assert "2,900.00" in before and "2,900.00" in after
    text = " ".join(result.stdout.split())  # notes wrap at the terminal's width
    assert "No figure of these months changed between v1 and working tree: the causes below " in (
        text
    )


def test_a_contract_moved_from_yaml_to_csv_unchanged_is_no_cause(repo: GitRepo, run: Run) -> None:
    # C4 moved out of contracts/C4.yaml into contracts.csv + contract_lines.csv, every
    # value the same: a CSV line names its contract in contract_id, a YAML line is under
    # its contract, and that alone is no edit (docs/diff.md) — no cause, no month changed.
    repo.remove("contracts/C4.yaml")
    repo.write(
        {
            "contracts.csv": "contract_id,customer_id,start_date\nC4,D,2025-09-01\n",
            "contract_lines.csv": "contract_id,line_id,product,unit_price\nC4,L1,SaaS,300\n",
        }
    )
    args = ("diff", "v1", "--data", repo.data, "--from", "2025-09", "--to", "2025-10")
    result = run(*args, "--as-of", "2026-02-01", "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"causes": 0,' in result.stdout and '"changed_months": [],' in result.stdout
    # Moved and repriced 300 → 350: the detail names the price only, not contract_id.
    repo.write({"contract_lines.csv": "contract_id,line_id,product,unit_price\nC4,L1,SaaS,350\n"})
    edited = run(*args, "--as-of", "2026-02-01", "--format", "csv")
    # The cause is the contract with its lines, named where the edit is: the lines' file.
    assert "\ncontract,contract_lines.csv,C4,line L1 unit_price: 300 → 350," in (
        _without_months(edited.stdout)
    )
    # The contract's own row edited too: both files are named, the contract's first.
    repo.write({"contracts.csv": "contract_id,customer_id,start_date\nC4,D,2025-08-01\n"})
    both = run(*args, "--as-of", "2026-02-01", "--format", "csv")
    assert (
        '\ncontract,"contracts.csv, contract_lines.csv",C4,'
        "start_date: 2025-09-01 → 2025-08-01; line L1 unit_price: 300 → 350,"
    ) in _without_months(both.stdout)


def test_a_yaml_contract_with_a_line_in_csv_names_the_file_of_the_edit(
    repo: GitRepo, run: Run
) -> None:
    # C4 in YAML with its line L1 there, and a line L2 in contract_lines.csv (as
    # sample_data's K-2023-0014): an edit of L2 is an edit of contract_lines.csv.
    lines = "contract_id,line_id,product,unit_price\nC4,L2,Addon,{}\n"
    repo.write({"contract_lines.csv": lines.format(100)})
    repo.commit("v1b", "2026-01-20T10:00:00+00:00", tag="v1b")
    args = ("diff", "v1b", "--data", repo.data, "--from", "2025-09", "--to", "2025-09")
    repo.write({"contract_lines.csv": lines.format(150)})
    edited = _without_months(run(*args, "--as-of", "2026-02-01", "--format", "csv").stdout)
    # C4 from September 2025: L2 100 → 150 is 50 more new MRR that month.
    assert "\ncontract,contract_lines.csv,C4,line L2 unit_price: 100 → 150,50.00,50.00," in edited
    repo.write({"contracts/C4.yaml": C4.replace("unit_price: 300", "unit_price: 310")})
    both = _without_months(run(*args, "--as-of", "2026-02-01", "--format", "csv").stdout)
    assert (
        '\ncontract,"contracts/C4.yaml, contract_lines.csv",C4,'
        "line L1 unit_price: 300 → 310; line L2 unit_price: 100 → 150,60.00,60.00,"
    ) in both


def _without_months(csv_text: str) -> str:
    """The CSV of ``diff`` with each row's month cut off, so rows read ``cause,file,…``."""
    return "\n".join(line.split(",", 1)[-1] for line in csv_text.splitlines())


def test_line_endings_are_no_cause(repo: GitRepo, run: Run) -> None:
    """The same records written with CRLF line endings at one revision and LF at the other
    (a Windows editor, ``core.autocrlf``) are no edit."""
    for name in ("customers.csv", "fx_rates.csv", "contracts/C1.yaml"):
        path = repo.data / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    repo.commit("crlf", "2026-02-01T10:00:00+00:00", tag="crlf")
    result = run("diff", "v1", "crlf", "--data", repo.data, "--from", "2025-01", "--to",
                 "2026-02", "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == []
