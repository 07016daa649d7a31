"""``revcli invoice render|list|export`` on the command line, and their golden output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.billing_support import CUSTOMERS, SELLER, billing_dir
from tests.conftest import SAMPLE, Golden, Run

pytestmark = pytest.mark.usefixtures("pinned_today")


@pytest.fixture
def issued_sample(run: Run, tmp_path: Path) -> Path:
    """A copy of sample_data with the December 2026 run issued and one credit note."""
    root = tmp_path / "data"
    shutil.copytree(SAMPLE, root)
    assert run("invoice", "issue", "--data", root, "--period", "2026-12").exit_code == 0
    result = run(
        "invoice",
        "credit",
        "2026-00003",
        "--lines",
        "1",
        "--reason",
        "Seat count corrected",
        "--date",
        "2026-12-20",
        "--data",
        root,
    )
    assert result.exit_code == 0, result.stderr
    return root


# --- render -----------------------------------------------------------------------------------


def test_render_of_one_invoice_prints_a_draft_to_stdout_and_records_nothing(
    run: Run, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    shutil.copytree(SAMPLE, root)
    result = run(
        "invoice",
        "render",
        "--data",
        root,
        "--period",
        "2026-12",
        "--contract",
        "K-2026-0055",
        "--format",
        "md",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Faktura (UTKAST)\n")
    assert "2026-000" not in result.stdout  # no number
    assert not (root / "invoices").exists()


def test_render_of_several_invoices_without_out_asks_for_out_or_a_filter(run: Run) -> None:
    result = run(
        "invoice", "render", "--data", SAMPLE, "--period", "2026-12", "--customer", "C0076"
    )
    assert result.exit_code == 0  # one contract of this customer bills in December
    result = run("invoice", "render", "--data", SAMPLE, "--period", "2026-12")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "error: 69 invoices are in the billing run of 2026-12 (contracts "
    )
    assert result.stderr.endswith(
        "and 61 more); pass --out DIR to write them all, or pick one with --contract or --customer\n"
    )


def test_render_with_out_writes_one_deterministically_named_file_per_invoice(
    run: Run, tmp_path: Path
) -> None:
    result = run(
        "invoice",
        "render",
        "--data",
        SAMPLE,
        "--period",
        "2026-12",
        "--format",
        "txt",
        "--out",
        tmp_path / "drafts",
    )
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "drafts").iterdir())
    assert len(names) == 69
    assert names[:2] == ["draft-K-2023-0004-2026-12-01.txt", "draft-K-2023-0008-2026-12-01.txt"]
    assert "draft-K-2026-0055-2026-12-08.txt" in names
    text = (tmp_path / "drafts" / "draft-K-2026-0055-2026-12-08.txt").read_text(encoding="utf-8")
    assert text.startswith("FAKTURA (UTKAST)\n*** UTKAST")


def test_render_of_an_empty_run_says_so(run: Run) -> None:
    result = run(
        "invoice", "render", "--data", SAMPLE, "--period", "2026-12", "--contract", "K-2023-0001"
    )
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "No invoices in the billing run of 2026-12.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2026-13"), "'2026-13' is not a month"),
        (
            ("--period", "2026-12", "--contract", "NOPE"),
            "there is no contract_id 'NOPE' in the data",
        ),
        (("--period", "2026-12", "--format", "docx"), "docx"),
    ],
)
def test_render_usage_errors_exit_2(run: Run, args: tuple[str, ...], message: str) -> None:
    result = run("invoice", "render", "--data", SAMPLE, *args)
    assert result.exit_code == 2
    assert message in result.stderr


# --- list and export --------------------------------------------------------------------------


def test_list_has_the_documented_columns(run: Run, issued_sample: Path, golden: Golden) -> None:
    result = run("invoice", "list", "--data", issued_sample, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0].split(",")
    assert header[:13] == [
        "number",
        "kind",
        "contract_id",
        "customer_id",
        "customer_name",
        "period_start",
        "period_end",
        "issue_date",
        "due_date",
        "currency",
        "net",
        "tax",
        "total",
    ]
    assert {"credits", "credited_by"} <= set(header)
    golden("invoice/list-2026-12.csv", result.stdout)


def test_list_links_a_credit_note_and_its_invoice(run: Run, issued_sample: Path) -> None:
    result = run("invoice", "list", "--data", issued_sample, "--format", "json")
    rows = {r["number"]: r for r in json.loads(result.stdout)["rows"]}
    note = rows["2026-00070"]
    assert (note["kind"], note["credits"]) == ("credit_note", "2026-00003")
    assert rows["2026-00003"]["credited_by"] == "2026-00070"


def test_list_filters_by_period_and_customer(run: Run, issued_sample: Path) -> None:
    result = run(
        "invoice", "list", "--data", issued_sample, "--period", "2027-01", "--format", "csv"
    )
    assert result.stdout.count("\n") == 1  # header only
    result = run(
        "invoice", "list", "--data", issued_sample, "--customer", "C0076", "--format", "csv"
    )
    assert [line.split(",")[3] for line in result.stdout.splitlines()[1:]] == ["C0076"]


def _one_invoice_for_c1(run: Run, tmp_path: Path) -> Path:
    """Customers C1 and C2; one contract, of C1: January's run is invoice 2026-00001 for
    C1, and C2 has no document."""
    root = billing_dir(
        tmp_path,
        "contract_id,customer_id,start_date\nK1,C1,2026-01-01\n",
        "contract_id,line_id,product,quantity,unit_price,price_period\nK1,1,A,1,100,month\n",
        customers=CUSTOMERS + 'C2,Fjellvind AS,"Storgata 2, 0155 Oslo",,,,,\n',
    )
    result = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-01")
    assert result.exit_code == 0, result.stderr
    return root


@pytest.mark.parametrize(
    "command",
    [("list",), ("export",), ("export", "--format", "xml", "--out", "{tmp}/xml")],
    ids=["list", "export", "export-xml"],
)
def test_an_unknown_customer_is_a_usage_error_as_in_render(
    run: Run, tmp_path: Path, command: tuple[str, ...]
) -> None:
    # Before: an empty result and exit 0, while `render --customer NOPE` exits 2.
    root = _one_invoice_for_c1(run, tmp_path)
    args = [arg.format(tmp=tmp_path) for arg in command]
    result = run("invoice", *args, "--data", root, "--customer", "NOPE")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "there is no customer_id 'NOPE' in the data or the invoice register" in result.stderr
    assert not (tmp_path / "xml").exists()


def test_a_known_customer_without_documents_lists_none(run: Run, tmp_path: Path) -> None:
    root = _one_invoice_for_c1(run, tmp_path)
    result = run("invoice", "list", "--data", root, "--customer", "C2", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1  # header only
    result = run("invoice", "list", "--data", root, "--customer", "C1", "--format", "csv")
    assert [line.split(",")[0] for line in result.stdout.splitlines()[1:]] == ["2026-00001"]


def test_export_has_one_row_per_document_and_tax_rate(
    run: Run, issued_sample: Path, golden: Golden
) -> None:
    result = run("invoice", "export", "--data", issued_sample, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "number,kind,issue_date,due_date,customer_id,customer_name,customer_vat_id,currency,"
        "tax_rate,net,tax,gross,tax_nok"
    )
    golden("invoice/export-2026-12.csv", result.stdout)


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_list_and_export_render_in_every_format(run: Run, issued_sample: Path, fmt: str) -> None:
    for command in ("list", "export"):
        result = run("invoice", command, "--data", issued_sample, "--format", fmt)
        assert result.exit_code == 0, result.stderr
        assert "2026-00001" in result.stdout


def test_yen_and_dinar_money_keeps_its_minor_units_in_csv(run: Run, tmp_path: Path) -> None:
    from tests.billing_support import billing_dir

    root = billing_dir(
        tmp_path,
        "contract_id,customer_id,start_date,currency\nJ,C1,2026-01-01,JPY\nK,C1,2026-01-01,KWD\n",
        "contract_id,product,unit_price\nJ,A,1000\nK,A,1.5\n",
        fx="date,currency,rate\n2026-01-01,JPY,0.07\n2026-01-01,KWD,34.5\n",
    )
    assert run("invoice", "issue", "--data", root, "--period", "2026-01").exit_code == 0
    result = run("invoice", "export", "--data", root, "--format", "csv")
    rows = [line.split(",") for line in result.stdout.splitlines()[1:]]
    # JPY 1 000 + 25 % = 1 250 (no decimals); KWD 1.500 + 0.375 = 1.875 (three decimals).
    assert [(r[7], r[9], r[10], r[11]) for r in rows] == [
        ("JPY", "1000", "250", "1250"),
        ("KWD", "1.500", "0.375", "1.875"),
    ]


def test_a_locale_written_with_a_hyphen_is_the_same_locale_on_the_invoice(
    run: Run, tmp_path: Path
) -> None:
    # docs/rules.md lists de-DE beside de_DE. Customer A writes it with a hyphen; B has
    # no locale and takes the settings' en-GB. 1 × 1234.5 NOK a month, so January's
    # amount is 1,234.50: German writes 1.234,50 NOK, British NOK1,234.50.
    root = billing_dir(
        tmp_path / "data",
        """\
        contract_id,customer_id,start_date
        K1,A,2026-01-01
        K2,B,2026-01-01
        """,
        """\
        contract_id,product,unit_price
        K1,LIC,1234.5
        K2,LIC,1234.5
        """,
        customers="customer_id,name,locale\nA,Berlin GmbH,de-DE\nB,London Ltd,\n",
        settings=SELLER.replace("locale: nb_NO", "locale: en-GB"),
    )
    assert run("validate", "--data", root).exit_code == 0
    german = run("invoice", "render", "--data", root, "--period", "2026-01", "--contract", "K1")
    assert german.exit_code == 0, german.stderr
    assert "1.234,50\xa0NOK" in german.stdout
    british = run("invoice", "render", "--data", root, "--period", "2026-01", "--contract", "K2")
    assert british.exit_code == 0, british.stderr
    assert "NOK1,234.50" in british.stdout
