"""``--out`` never replaces a file revcli reads in the data dir, nor makes one the next run
would read as data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import MakeDir, Run

FILES = {
    "customers.csv": "customer_id,name\nA,Acme AS\n",
    "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\n",
    "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,1000\n",
}
AS_OF = ("--as-of", "2026-02-15")


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    ("args", "target"),
    [
        # an input replaced by the report: the data dir's customers are gone
        (["mrr", "--format", "csv"], "customers.csv"),
        (["mrr", "--format", "json"], "revcli.yaml"),
        (["nrr", "--format", "csv"], "contract_lines.csv"),
        # a new file the next run reads as data: it breaks every later command
        (["mrr", "--format", "csv"], "opportunities.csv"),
        (["risk", "--format", "csv"], "usage.csv"),
        (["cohorts", "--format", "json"], "contracts/report.yaml"),
        (["renewals", "--format", "ics"], "contracts.yaml"),
        (["dashboard", "--format", "html"], "tickets.csv"),
        (["invoice", "export", "--format", "csv"], "fx_rates.csv"),
        # in another letter case: the same file on macOS and Windows
        (["pipeline", "--format", "csv"], "Customers.CSV"),
        # revcli's own state, and the invoice template revcli.yaml names by default
        (["forecast", "--format", "csv"], ".revcli/reminders.csv"),
        (["mrr", "--format", "markdown"], "templates/invoice.html.liquid"),
    ],
)
def test_out_is_refused_on_a_file_revcli_reads_in_the_data_dir(
    run: Run, make_data_dir: MakeDir, args: list[str], target: str
) -> None:
    # `revcli mrr --out data/customers.csv` replaced the customers with the report (exit 0),
    # and `--out data/opportunities.csv` made every later run fail on that file's header.
    root = make_data_dir(FILES)
    before = snapshot(root)
    day = [] if args[0] == "invoice" else list(AS_OF)
    result = run(*args, *day, "--data", root, "--out", root / target)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(f"error: --out {root / target}: revcli reads that file")
    assert snapshot(root) == before
    assert run("validate", "--data", root).exit_code == 0


def test_out_is_refused_on_the_file_a_data_file_links_to(
    run: Run, make_data_dir: MakeDir, tmp_path: Path
) -> None:
    # customers.csv -> ../shared/customers.csv: writing the link's target replaces the data.
    root = make_data_dir(FILES)
    shared = tmp_path / "shared"
    shared.mkdir()
    (root / "customers.csv").rename(shared / "customers.csv")
    (root / "customers.csv").symlink_to(shared / "customers.csv")
    before = (shared / "customers.csv").read_bytes()
    result = run("mrr", *AS_OF, "--data", root, "--out", shared / "customers.csv")
    assert result.exit_code == 2, result.stderr
    assert (shared / "customers.csv").read_bytes() == before


def test_out_is_refused_in_the_folder_contracts_links_to(
    run: Run, make_data_dir: MakeDir, tmp_path: Path
) -> None:
    # contracts -> ../shared: a YAML file written there is read as a contract.
    root = make_data_dir(FILES)
    (tmp_path / "shared").mkdir()
    (root / "contracts").symlink_to(tmp_path / "shared")
    result = run(
        "mrr", *AS_OF, "--data", root, "--format", "json", "--out", tmp_path / "shared" / "r.yml"
    )
    assert result.exit_code == 2, result.stderr
    assert not (tmp_path / "shared" / "r.yml").exists()


def test_out_elsewhere_in_the_data_dir_is_written(run: Run, make_data_dir: MakeDir) -> None:
    # A report beside the data under a name revcli does not read, or in contracts/ with a
    # suffix it does not read there, is fine.
    root = make_data_dir(FILES)
    for target in ("mrr.csv", "reports/mrr.json", "contracts/summary.csv"):
        result = run("mrr", *AS_OF, "--data", root, "--out", root / target)
        assert result.exit_code == 0, result.stderr
        assert (root / target).is_file()
    assert run("validate", "--data", root).exit_code == 0
