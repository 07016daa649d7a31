"""revcli's own Peppol checks (SPEC §10): each fires on a broken document, none on a good one."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.no import orgnr

from revcli.einvoice.model import Document
from revcli.einvoice.parties import org_number_valid
from revcli.einvoice.peppol import WARNING, peppol_findings
from revcli.einvoice.ubl import ubl
from tests.einvoice_docs import BUYER_SE, FOREIGN, credit_of, document, line
from tests.test_einvoice_ubl import PRORATED, QUARTER

D = Decimal
PLAIN = document([line()])  # no order reference: the buyer reference is the only one
SEK = document([line()], buyer=BUYER_SE, currency="SEK", nok_rate=D("0.9799"), payment=FOREIGN)


def _sub(pattern: str, repl: str, count: int = 1) -> Callable[[bytes], bytes]:
    def edit(xml: bytes) -> bytes:
        out, n = re.subn(pattern.encode(), repl.encode(), xml, count=count, flags=re.S)
        assert n, f"{pattern} not found"
        return out

    return edit


CASES: list[tuple[str, Document, Callable[[bytes], bytes]]] = [
    ("PEPPOL-EN16931-R001", PLAIN, _sub(r"poacc:billing:01:1\.0", "poacc:billing:1.0")),
    ("PEPPOL-EN16931-R004", PLAIN, _sub(r"#compliant#urn:fdc[^<]*", "")),
    (
        "PEPPOL-EN16931-R002",
        credit_of(PLAIN),
        _sub(r"(<cbc:Note>[^<]*</cbc:Note>)", r"\1<cbc:Note>Again</cbc:Note>"),
    ),
    ("PEPPOL-EN16931-R003", PLAIN, _sub(r"<cbc:BuyerReference>[^<]*</cbc:BuyerReference>", "")),
    (
        "PEPPOL-EN16931-R008",
        PLAIN,
        _sub(r"<cbc:Name>Pro plan</cbc:Name>", "<cbc:Name> </cbc:Name>"),
    ),
    (
        "PEPPOL-EN16931-R010",
        PLAIN,
        _sub(
            r"(<cac:AccountingCustomerParty>\s*<cac:Party>\s*)<cbc:EndpointID[^<]*</cbc:EndpointID>",
            r"\1",
        ),
    ),
    (
        "PEPPOL-EN16931-R020",
        PLAIN,
        _sub(
            r"(<cac:AccountingSupplierParty>\s*<cac:Party>\s*)<cbc:EndpointID[^<]*</cbc:EndpointID>",
            r"\1",
        ),
    ),
    ("PEPPOL-EN16931-R040", QUARTER, _sub(r">300\.00</cbc:Amount>", ">301.00</cbc:Amount>")),
    ("PEPPOL-EN16931-R041", QUARTER, _sub(r"<cbc:BaseAmount[^<]*</cbc:BaseAmount>", "")),
    (
        "PEPPOL-EN16931-R042",
        QUARTER,
        _sub(r"<cbc:MultiplierFactorNumeric>[^<]*</cbc:MultiplierFactorNumeric>", ""),
    ),
    ("PEPPOL-EN16931-R053", PLAIN, _sub(r"(<cac:TaxTotal>.*?</cac:TaxTotal>)", r"\1\1")),
    (
        "PEPPOL-EN16931-R054",
        PRORATED,
        _sub(
            r"<cac:TaxTotal>\s*<cbc:TaxAmount currencyID=\"NOK\">[^<]*</cbc:TaxAmount>\s*</cac:TaxTotal>",
            "",
        ),
    ),
    ("PEPPOL-EN16931-R055", SEK, _sub(r"currencyID=\"NOK\">244\.98<", 'currencyID="NOK">-244.98<')),
    (
        "PEPPOL-EN16931-R110",
        PLAIN,
        _sub(r"(<cac:InvoiceLine>.*?<cbc:StartDate>)2026-01-01", r"\g<1>2025-12-31"),
    ),
    (
        "PEPPOL-EN16931-R111",
        PLAIN,
        _sub(r"(<cac:InvoiceLine>.*?<cbc:EndDate>)2026-01-31", r"\g<1>2026-02-01"),
    ),
    (
        "PEPPOL-EN16931-R120",
        QUARTER,
        _sub(
            r"<cbc:PriceAmount currencyID=\"NOK\">300<", '<cbc:PriceAmount currencyID="NOK">299.99<'
        ),
    ),
    # 9 8 9 3 6 3 5 5 × 3 2 7 6 5 4 3 2 = 27+16+63+18+30+12+15+10 = 191; 191 mod 11 = 4;
    # 11 − 4 = 7, so 989363557 is valid and 989363558 is not: the buyer's endpoint
    ("PEPPOL-COMMON-R041", PLAIN, _sub(r">989363557<", ">989363558<")),
    # and the seller's legal-entity id (its endpoint is left intact)
    (
        "PEPPOL-COMMON-R041",
        PLAIN,
        _sub(r"(<cbc:CompanyID schemeID=\"0192\">)924681357<", r"\g<1>92468135<"),
    ),
    ("NO-R-001", PLAIN, _sub(r"NO924681357MVA", "NO924681358MVA")),
    ("NO-R-001", PLAIN, _sub(r"NO924681357MVA", "NO924681357")),
    (
        "NO-R-002",
        PLAIN,
        _sub(
            r"<cac:PartyTaxScheme>\s*<cbc:CompanyID>Foretaksregisteret.*?</cac:PartyTaxScheme>", ""
        ),
    ),
]


@pytest.mark.parametrize(
    ("rule", "doc", "edit"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_fires_on_a_broken_document_and_not_on_the_good_one(
    rule: str, doc: Document, edit: Callable[[bytes], bytes]
) -> None:
    good = ubl(doc)
    assert [f for f in peppol_findings(good) if f.rule == rule] == []
    found = [f for f in peppol_findings(edit(good)) if f.rule == rule]
    assert found, f"{rule} did not fire"


def test_r055_compares_the_sign_of_the_two_tax_totals() -> None:
    # SEK 1,000.00 at 25 % = 250.00 tax; in NOK at 0.9799: 244.975 → 244.98 half-up
    assert b'<cbc:TaxAmount currencyID="NOK">244.98</cbc:TaxAmount>' in ubl(SEK)


def test_foretaksregisteret_is_a_warning_the_vat_id_an_error() -> None:
    xml = ubl(PLAIN)
    no_register = re.sub(
        rb"<cac:PartyTaxScheme>\s*<cbc:CompanyID>Foretaksregisteret.*?</cac:PartyTaxScheme>",
        b"",
        xml,
        flags=re.S,
    )
    assert [(f.rule, f.flag) for f in peppol_findings(no_register)] == [("NO-R-002", WARNING)]


def test_norwegian_rules_do_not_apply_to_a_seller_elsewhere() -> None:
    xml = (
        ubl(PLAIN)
        .replace(b"NO924681357MVA", b"SE556677889901")
        .replace(
            b"<cbc:IdentificationCode>NO</cbc:IdentificationCode>\n    </cac:Country>\n   </cac:PostalAddress>\n   <cac:PartyTaxScheme>\n    <cbc:CompanyID>SE",
            b"<cbc:IdentificationCode>SE</cbc:IdentificationCode>\n    </cac:Country>\n   </cac:PostalAddress>\n   <cac:PartyTaxScheme>\n    <cbc:CompanyID>SE",
        )
    )
    assert b"<cbc:CompanyID>SE556677889901" in xml
    assert [f.rule for f in peppol_findings(xml) if f.rule.startswith("NO-")] == []


def test_not_xml_and_doctype_are_findings() -> None:
    assert [f.rule for f in peppol_findings(b"<Invoice")] == ["XML"]
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Invoice>&a;</Invoice>'
    assert [f.rule for f in peppol_findings(bomb)] == ["XML"]


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        # 9 2 4 6 8 1 3 5 × 3 2 7 6 5 4 3 2 = 27+4+28+36+40+4+9+10 = 158; 158 mod 11 = 4;
        # 11 − 4 = 7 = the last digit
        ("924681357", True),
        ("924681358", False),
        # 1 2 3 4 5 6 7 8 × weights = 3+4+21+24+25+24+21+16 = 138; 138 mod 11 = 6; 11 − 6 = 5
        ("123456785", True),
        ("92468135", False),
        ("92468135a", False),
    ],
)
def test_org_number_mod_11(digits: str, valid: bool) -> None:
    assert org_number_valid(digits) is valid


@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_org_number_agrees_with_python_stdnum(digits: str) -> None:
    assert org_number_valid(digits) == orgnr.is_valid(digits)
