"""What e-invoices need from the data dir: bank details, Peppol addresses, formats."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.einvoice.checks import iban_valid
from revcli.einvoice.parties import (
    buyer_endpoint,
    buyer_org_number,
    norwegian_org_number,
    peppol_id_problem,
    seller_party,
)
from revcli.settings import Company
from tests.conftest import MakeDir, Run

SETTINGS = """\
company:
  name: Fjordsoft AS
  country: NO
  vat_id: NO999999999MVA
{extra}base_currency: NOK
"""
CUSTOMERS = "customer_id,name,country,peppol_id\nA,Acme AS,NO,{peppol}\nB,Bolt GmbH,DE,\n"
CONTRACTS = (
    "contract_id,customer_id,start_date,currency\nC1,A,2026-01-01,NOK\nC2,B,2026-01-01,{currency}\n"
)
LINES = "contract_id,product,unit_price\nC1,LIC,100\nC2,LIC,100\n"
FX = "date,currency,rate\n2025-01-01,EUR,11.5\n"


def _validate(
    run: Run, make_data_dir: MakeDir, *, extra: str = "", peppol: str = "", currency: str = "NOK"
) -> tuple[int, list[str]]:
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS.format(peppol=peppol),
            "contracts.csv": CONTRACTS.format(currency=currency),
            "contract_lines.csv": LINES,
            "fx_rates.csv": FX,
        },
        settings=SETTINGS.format(extra=extra),
    )
    result = run("validate", "--data", root)
    return result.exit_code, [
        line.replace(f"{root}/", "")
        for line in result.stdout.splitlines()
        if line.startswith(("warning", str(root)))
    ]


def test_foreign_currency_without_iban_and_bic_is_a_warning(
    run: Run, make_data_dir: MakeDir
) -> None:
    code, lines = _validate(run, make_data_dir, currency="EUR")
    assert code == 0
    # Neither key is set: each warning points at the section that would hold it (line 1).
    assert lines == [
        "warning: revcli.yaml:1: company.bic: is needed to invoice contracts in EUR (payment to IBAN + BIC); issuing such an invoice fails without it",
        "warning: revcli.yaml:1: company.iban: is needed to invoice contracts in EUR (payment to IBAN + BIC); issuing such an invoice fails without it",
    ]


def test_the_invoicing_warnings_are_said_by_validate_and_invoices_not_by_reports(
    run: Run, make_data_dir: MakeDir
) -> None:
    # A data dir imported from Stripe with EUR contracts and no IBAN: a team that does not
    # invoice heard of it on every `mrr`, `diff` and `dashboard` run.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS.format(peppol=""),
            "contracts.csv": CONTRACTS.format(currency="EUR"),
            "contract_lines.csv": LINES,
            "fx_rates.csv": FX,
        },
        settings=SETTINGS.format(extra=""),
    )
    report = run("mrr", "--data", root, "--month", "2026-01", "--format", "csv")
    assert (report.exit_code, report.stderr) == (0, "")
    checked = run("validate", "--data", root)
    assert "company.iban: is needed to invoice contracts in EUR" in checked.stdout
    draft = run("invoice", "render", "--data", root, "--period", "2026-01", "--contract", "C1")
    assert "company.iban: is needed to invoice contracts in EUR" in draft.stderr


def test_iban_and_bic_silence_the_warning(run: Run, make_data_dir: MakeDir) -> None:
    extra = '  iban: "NO93 8601 1117 947"\n  bic: DNBANOKK\n'
    assert _validate(run, make_data_dir, currency="EUR", extra=extra) == (0, [])


def test_only_nok_needs_no_iban(run: Run, make_data_dir: MakeDir) -> None:
    assert _validate(run, make_data_dir) == (0, [])


def test_bad_iban_bic_and_peppol_id_are_errors(run: Run, make_data_dir: MakeDir) -> None:
    extra = '  iban: "NO94 8601 1117 947"\n  bic: DNB\n'
    code, lines = _validate(run, make_data_dir, extra=extra, peppol="0192:923456789")
    assert code == 1
    assert lines == [
        "customers.csv:2: peppol_id: '923456789' is not a valid Norwegian organisation number (mod 11)",
        # extra comes after the four lines company, name, country, vat_id: iban 5, bic 6
        "revcli.yaml:5: company.iban: 'NO94 8601 1117 947' is not a valid IBAN",
        "revcli.yaml:6: company.bic: 'DNB' is not a BIC (8 or 11 letters and digits, e.g. DNBANOKK)",
    ]


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        # the standard Norwegian example: 86011117947 + N=23 O=24 + 93 → 860111179472324 93 mod 97 = 1
        ("NO93 8601 1117 947", True),
        ("NO9386011117947", True),
        ("GB82 WEST 1234 5698 7654 32", True),
        ("GB82 WEST 1234 5698 7654 33", False),
        ("NO93", False),
        ("", False),
    ],
)
def test_iban_check(text: str, valid: bool) -> None:
    assert iban_valid(text) is valid


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0192:923456783", ""),
        ("9908:923456783", ""),
        ("EM:ap@example.no", ""),
        ("0192:92345678", "is not a valid Norwegian organisation number"),
        ("EM:nobody", "is not an e-mail address"),
        ("923456783", "is not a Peppol address"),
        ("ABC:1", "is not a Peppol address"),
    ],
)
def test_peppol_id_form(value: str, problem: str) -> None:
    found = peppol_id_problem(value)
    assert (problem in found) if problem else found == ""


def test_buyer_endpoint_order_of_preference() -> None:
    # SPEC §10: peppol_id, else a Norwegian org.nr from vat_id (0192), else the e-mail (EM)
    assert buyer_endpoint("9908:923456783", "NO", "NO999999999MVA", "a@b.no") == "9908:923456783"
    assert buyer_endpoint("", "NO", "NO999999999MVA", "a@b.no") == "0192:999999999"
    assert buyer_endpoint("", "SE", "SE556677889901", "a@b.se") == "EM:a@b.se"
    assert buyer_endpoint("", "US", "", "") == ""


def test_a_vat_id_with_a_wrong_check_digit_is_no_peppol_address() -> None:
    # 9 2 0 7 4 7 4 4 × 3 2 7 6 5 4 3 2 = 27+4+0+42+20+28+12+8 = 141; 141 mod 11 = 9;
    # 11 − 9 = 2: 920747442 is an organisation number, 920747441 is not (PEPPOL-COMMON-R041
    # would reject it as the buyer's 0192 endpoint), so the e-mail addresses the buyer.
    assert buyer_endpoint("", "NO", "NO920747442MVA", "a@b.no") == "0192:920747442"
    assert buyer_endpoint("", "NO", "NO920747441MVA", "a@b.no") == "EM:a@b.no"
    assert buyer_endpoint("", "NO", "NO920747441MVA", "") == ""
    assert buyer_org_number("EM:a@b.no", "NO", "NO920747441MVA") == ""
    assert buyer_org_number("EM:a@b.no", "NO", "NO920747442MVA") == "920747442"


def test_a_norwegian_customer_vat_id_without_an_org_number_is_a_warning(
    run: Run, make_data_dir: MakeDir
) -> None:
    customers = (
        "customer_id,name,country,vat_id\nA,Acme AS,NO,NO920747441MVA\n"
        "B,Bolt GmbH,DE,DE246648746\nC,Cirkel AS,NO,920747442\n"
    )
    root = make_data_dir(
        {
            "customers.csv": customers,
            "contracts.csv": CONTRACTS.format(currency="NOK"),
            "contract_lines.csv": LINES,
        },
        settings=SETTINGS.format(extra=""),
    )
    result = run("validate", "--data", root)
    assert result.exit_code == 0
    assert [line.replace(f"{root}/", "") for line in result.stdout.splitlines()][:1] == [
        "warning: customers.csv:2: vat_id: 'NO920747441MVA' holds no valid Norwegian "
        "organisation number (9 digits, mod 11): invoices print it as the buyer's VAT id, "
        "and e-invoices address the buyer by its peppol_id or billing_email instead"
    ]
    assert result.stdout.count("warning") == 1


def test_norwegian_org_number_from_vat_id() -> None:
    assert norwegian_org_number("NO999999999MVA") == "999999999"
    assert norwegian_org_number("999 999 999") == "999999999"
    assert norwegian_org_number("SE556677889901") == ""


def test_seller_party_of_a_norwegian_company() -> None:
    party = seller_party(
        Company(
            name="Fjordsoft AS",
            country="NO",
            vat_id="NO924681357MVA",
            address="Bryggen 14\\n5003 Bergen",
            email="f@x.no",
        )
    )
    assert (party.endpoint, party.org_number, party.register) == (
        "0192:924681357",
        "924681357",
        "Foretaksregisteret",
    )
    assert party.address == "Bryggen 14\n5003 Bergen"
    foreign = seller_party(
        Company(name="Fika AB", country="SE", vat_id="SE556677889901", email="f@x.se")
    )
    assert (foreign.endpoint, foreign.org_number, foreign.register) == ("EM:f@x.se", "", "")


@pytest.mark.parametrize(
    ("yaml", "expected"),
    [
        ("", ("html", "xml")),
        ("invoice:\n  formats: [pdf, xml]\n", ("pdf", "xml")),
        ("invoice:\n  formats: md\n", ("md",)),
    ],
)
def test_invoice_formats_setting(
    yaml: str, expected: tuple[str, ...], make_data_dir: MakeDir
) -> None:
    from revcli.data.validate import load_dataset

    root = make_data_dir(
        {
            "customers.csv": "customer_id,name\nA,Acme AS\n",
            "contracts.csv": "contract_id,customer_id,start_date\n",
            "contract_lines.csv": "contract_id,product,unit_price\n",
        },
        settings=SETTINGS.format(extra="") + yaml,
    )
    assert load_dataset(root).settings.invoice.formats == expected


@pytest.mark.parametrize("value", ["[html, docx]", "[html, html]", "[]"])
def test_bad_invoice_formats_are_errors(value: str, run: Run, make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            "customers.csv": "customer_id,name\nA,Acme AS\n",
            "contracts.csv": "contract_id,customer_id,start_date\n",
            "contract_lines.csv": "contract_id,product,unit_price\n",
        },
        settings=SETTINGS.format(extra="") + f"invoice:\n  formats: {value}\n",
    )
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    assert (
        "invoice.formats: expected a list of distinct formats out of html, pdf, md, txt, xml"
        in result.stdout
    )


def test_facts_survive_json() -> None:
    import datetime as dt
    from fractions import Fraction

    from revcli.einvoice.model import Facts, Payment, months
    from tests.einvoice_docs import SELLER

    facts = Facts(
        seller=SELLER,
        bank=Payment("1506.23.45672", "NO23 1506 2345 672", "DNBANOKK"),
        buyer_endpoint="0192:989363557",
        buyer_org_number="989363557",
        buyer_reference="Ola",
        # a first term of 12 months and 5 days: 12 + 5/30.4375 months
        period_months=months(3),
        term_months=months(12, 5),
        credits_date=dt.date(2026, 1, 1),
    )
    data = facts.to_json()
    assert data["period_months"] == [3, 0] and data["term_months"] == [12, 5]
    assert Facts.from_json(data) == facts
    assert months(12, 5) == 12 + Fraction(5 * 16, 487)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"(NO)?\s{0,2}[0-9]{3}\s?[0-9]{3}\s?[0-9]{3}\s{0,2}(MVA)?", fullmatch=True),
        st.text(alphabet="NOMVAnomva0123456789 x\t\x1f\xa0", max_size=16),
    )
)
def test_the_column_check_of_org_numbers_agrees_with_the_one_for_a_single_id(vat_id: str) -> None:
    # validate checks every customer's vat_id as one expression; the e-invoice addresses a
    # buyer by valid_org_number: both must judge every id alike.
    from revcli.einvoice.checks import _org_number_valid
    from revcli.einvoice.parties import valid_org_number

    column = pl.DataFrame({"v": [vat_id]}).select(
        _org_number_valid(pl.col("v")).fill_null(value=False)
    )
    assert column.item() == bool(valid_org_number(vat_id, "NO"))
