"""The UBL of an issued document: hand-written expectations, CEN validity, determinism."""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from revcli.einvoice.model import Payment, PriceStep
from revcli.einvoice.model import months as months_of
from revcli.einvoice.peppol import peppol_findings
from revcli.einvoice.ubl import EInvoiceError, address_parts, ubl
from tests.einvoice_docs import (
    BUYER_NO,
    BUYER_SE,
    BUYER_US,
    FOREIGN,
    SELLER,
    amount_of,
    credit_of,
    document,
    line,
)
from tests.einvoice_support import Validator

D = Decimal


def canonical(xml: bytes | str) -> str:
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    return ET.canonicalize(text, strip_text=True, with_comments=False)


# Contract K-1 of Fyrlykt Data AS (NO, org.nr 989363557), billed quarterly from
# 2026-01-01, po_number PO-77, buyer_reference "Ola Nordmann":
#   line 1: PRO "Pro plan", 10 seats at 100.00 NOK a month, 10 % discount, 25 % VAT;
#   line 2: SETUP "Onboarding", once, 1 × 4,999.50 on 2026-01-15, 25 % VAT.
QUARTER = document(
    [
        line(
            quantity=D(10),
            unit_price=D(100),
            discount_pct=D(10),
            service_end=dt.date(2026, 3, 31),
            active_days=90,
            period_days=90,
            period_months=months_of(3),
            amount=D("2700.00"),  # 10 × 100 × 3 months × (1 − 10 %) = 2,700.00
        ),
        line(
            line_id="2",
            product="SETUP",
            description="Onboarding",
            price_period="once",
            unit_price=D("4999.50"),
            service_start=dt.date(2026, 1, 15),
            service_end=dt.date(2026, 1, 15),
            active_days=1,
            period_days=1,
            period_months=months_of(1),
            amount=D("4999.50"),
        ),
    ],
    period=(dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    po_number="PO-77",
    buyer_reference="Ola Nordmann",
    # KID of 2026-00001: digits 202600001, from the right ×2,×1,…: 2+0+0+0+0+6+4+0+4 = 16,
    # check digit (10 − 6) mod 10 = 4.
    payment=Payment(account="1506.23.45672", kid="2026000014"),
)

QUARTER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <!-- Peppol BIS Billing 3.0 (SPEC §10) -->
 <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
 <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
 <cbc:ID>2026-00001</cbc:ID>
 <cbc:IssueDate>2026-01-01</cbc:IssueDate>
 <!-- issue date + 14 days of terms -->
 <cbc:DueDate>2026-01-15</cbc:DueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
 <cbc:DocumentCurrencyCode>NOK</cbc:DocumentCurrencyCode>
 <!-- the contract's buyer_reference -->
 <cbc:BuyerReference>Ola Nordmann</cbc:BuyerReference>
 <!-- the billing period: a quarter from the contract's start -->
 <cac:InvoicePeriod><cbc:StartDate>2026-01-01</cbc:StartDate><cbc:EndDate>2026-03-31</cbc:EndDate></cac:InvoicePeriod>
 <!-- po_number -->
 <cac:OrderReference><cbc:ID>PO-77</cbc:ID></cac:OrderReference>
 <cac:ContractDocumentReference><cbc:ID>K-1</cbc:ID></cac:ContractDocumentReference>
 <cac:AccountingSupplierParty><cac:Party>
  <!-- org.nr from the VAT id NO924681357MVA, scheme 0192 -->
  <cbc:EndpointID schemeID="0192">924681357</cbc:EndpointID>
  <cac:PartyName><cbc:Name>Fjordsoft AS</cbc:Name></cac:PartyName>
  <!-- "Bryggen 14 / 5003 Bergen / Norway": the country line is the country code -->
  <cac:PostalAddress>
   <cbc:StreetName>Bryggen 14</cbc:StreetName><cbc:CityName>Bergen</cbc:CityName>
   <cbc:PostalZone>5003</cbc:PostalZone>
   <cac:Country><cbc:IdentificationCode>NO</cbc:IdentificationCode></cac:Country>
  </cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>NO924681357MVA</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <!-- a Norwegian AS: NO-R-002 -->
  <cac:PartyTaxScheme><cbc:CompanyID>Foretaksregisteret</cbc:CompanyID><cac:TaxScheme><cbc:ID>TAX</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Fjordsoft AS</cbc:RegistrationName><cbc:CompanyID schemeID="0192">924681357</cbc:CompanyID></cac:PartyLegalEntity>
  <cac:Contact><cbc:ElectronicMail>faktura@fjordsoft.no</cbc:ElectronicMail></cac:Contact>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party>
  <!-- a Norwegian buyer without peppol_id: its org.nr from vat_id -->
  <cbc:EndpointID schemeID="0192">989363557</cbc:EndpointID>
  <cac:PartyName><cbc:Name>Fyrlykt Data AS</cbc:Name></cac:PartyName>
  <cac:PostalAddress>
   <cbc:StreetName>Kokstadveien 99A</cbc:StreetName><cbc:CityName>Bergen</cbc:CityName>
   <cbc:PostalZone>5089</cbc:PostalZone>
   <cac:Country><cbc:IdentificationCode>NO</cbc:IdentificationCode></cac:Country>
  </cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>NO989363557MVA</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Fyrlykt Data AS</cbc:RegistrationName><cbc:CompanyID schemeID="0192">989363557</cbc:CompanyID></cac:PartyLegalEntity>
  <cac:Contact><cbc:ElectronicMail>faktura@fyrlyktdata.no</cbc:ElectronicMail></cac:Contact>
 </cac:Party></cac:AccountingCustomerParty>
 <!-- NOK: the domestic account without dots, and the KID -->
 <cac:PaymentMeans>
  <cbc:PaymentMeansCode name="Credit transfer">30</cbc:PaymentMeansCode>
  <cbc:PaymentID>2026000014</cbc:PaymentID>
  <cac:PayeeFinancialAccount><cbc:ID>15062345672</cbc:ID></cac:PayeeFinancialAccount>
 </cac:PaymentMeans>
 <!-- one rate: net 2,700.00 + 4,999.50 = 7,699.50; 25 % = 1,924.875 → 1,924.88 half-up -->
 <cac:TaxTotal>
  <cbc:TaxAmount currencyID="NOK">1924.88</cbc:TaxAmount>
  <cac:TaxSubtotal>
   <cbc:TaxableAmount currencyID="NOK">7699.50</cbc:TaxableAmount>
   <cbc:TaxAmount currencyID="NOK">1924.88</cbc:TaxAmount>
   <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>25</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
  </cac:TaxSubtotal>
 </cac:TaxTotal>
 <!-- 7,699.50 + 1,924.88 = 9,624.38 -->
 <cac:LegalMonetaryTotal>
  <cbc:LineExtensionAmount currencyID="NOK">7699.50</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="NOK">7699.50</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="NOK">9624.38</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="NOK">9624.38</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
 <cac:InvoiceLine>
  <cbc:ID>1</cbc:ID>
  <cbc:InvoicedQuantity unitCode="C62">10</cbc:InvoicedQuantity>
  <!-- 10 × 300.00 − 300.00 -->
  <cbc:LineExtensionAmount currencyID="NOK">2700.00</cbc:LineExtensionAmount>
  <cac:InvoicePeriod><cbc:StartDate>2026-01-01</cbc:StartDate><cbc:EndDate>2026-03-31</cbc:EndDate></cac:InvoicePeriod>
  <!-- discount 10 % of the gross 3,000.00 = 300.00 exactly: percent and base shown -->
  <cac:AllowanceCharge>
   <cbc:ChargeIndicator>false</cbc:ChargeIndicator>
   <cbc:AllowanceChargeReasonCode>95</cbc:AllowanceChargeReasonCode>
   <cbc:AllowanceChargeReason>Discount 10 %</cbc:AllowanceChargeReason>
   <cbc:MultiplierFactorNumeric>10</cbc:MultiplierFactorNumeric>
   <cbc:Amount currencyID="NOK">300.00</cbc:Amount>
   <cbc:BaseAmount currencyID="NOK">3000.00</cbc:BaseAmount>
  </cac:AllowanceCharge>
  <cac:Item>
   <cbc:Name>Pro plan</cbc:Name>
   <cac:SellersItemIdentification><cbc:ID>PRO</cbc:ID></cac:SellersItemIdentification>
   <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>25</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
  </cac:Item>
  <!-- 100 a month billed per quarter: the price per billed period, 300 -->
  <cac:Price><cbc:PriceAmount currencyID="NOK">300</cbc:PriceAmount></cac:Price>
 </cac:InvoiceLine>
 <cac:InvoiceLine>
  <cbc:ID>2</cbc:ID>
  <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
  <cbc:LineExtensionAmount currencyID="NOK">4999.50</cbc:LineExtensionAmount>
  <cac:InvoicePeriod><cbc:StartDate>2026-01-15</cbc:StartDate><cbc:EndDate>2026-01-15</cbc:EndDate></cac:InvoicePeriod>
  <cac:Item>
   <cbc:Name>Onboarding</cbc:Name>
   <cac:SellersItemIdentification><cbc:ID>SETUP</cbc:ID></cac:SellersItemIdentification>
   <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>25</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
  </cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="NOK">4999.5</cbc:PriceAmount></cac:Price>
 </cac:InvoiceLine>
</Invoice>
"""


def test_quarterly_invoice_with_discount_and_setup_fee_is_as_derived_by_hand() -> None:
    assert canonical(ubl(QUARTER)) == canonical(QUARTER_XML)


# Contract K-2 of Höga Kusten Bygg AB (SE, reverse_charge, VAT id SE237476042701), in EUR,
# billed monthly: 2 licences at 1,000.00 EUR a year, from 2026-03-10 (22 of March's 31
# days). NOK per EUR on the invoice date: 11.5.
PRORATED = document(
    [
        line(
            quantity=D(2),
            unit_price=D(1000),
            price_period="year",
            price_months=months_of(12),
            service_start=dt.date(2026, 3, 10),
            service_end=dt.date(2026, 3, 31),
            active_days=22,
            period_days=31,
            tax_rate=D(0),  # reverse charge: 0 %
            # 2 × 1,000 × 1/12 × 22/31 = 118.2795… → 118.28
            amount=D("118.28"),
        )
    ],
    buyer=BUYER_SE,
    currency="EUR",
    nok_rate=D("11.5"),
    reverse_charge=True,
    payment=FOREIGN,
    period=(dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
    issue_date=dt.date(2026, 3, 10),
    due_date=dt.date(2026, 4, 9),
)


def test_prorated_export_in_euro_is_as_derived_by_hand() -> None:
    xml = ubl(PRORATED)
    root = ET.fromstring(xml)
    ns = {
        "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
        "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    }

    def text(path: str) -> str:
        return "|".join((e.text or "") for e in root.findall(path, ns))

    # no contract buyer_reference: the contract id (SPEC §10)
    assert text("cbc:BuyerReference") == "K-1"
    # EUR invoice of a Norwegian seller: VAT also in NOK (tax 0.00 × 11.5 = 0.00)
    assert text("cbc:TaxCurrencyCode") == "NOK"
    assert text("cac:TaxTotal/cbc:TaxAmount") == "0.00|0.00"
    assert [e.get("currencyID") for e in root.findall("cac:TaxTotal/cbc:TaxAmount", ns)] == [
        "EUR",
        "NOK",
    ]
    # a Swedish buyer without peppol_id and without a Norwegian org.nr: its e-mail (EM)
    endpoint = root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", ns)
    assert endpoint is not None
    assert (endpoint.get("schemeID"), endpoint.text) == ("EM", "ekonomi@hogakustenbygg.se")
    # "411 05 Göteborg" is zone + city
    assert (
        text("cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:PostalZone") == "411 05"
    )
    # 0 % to a buyer abroad: export G with its reason; reverse charge said too
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/"
    assert text(category + "cbc:ID") == "G"
    assert text(category + "cbc:TaxExemptionReasonCode") == "VATEX-EU-G"
    assert "§ 6-22" in text(category + "cbc:TaxExemptionReason")
    assert "buyer accounts for the VAT" in text(category + "cbc:TaxExemptionReason")
    # not NOK: IBAN + BIC, no KID
    assert text("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == "NO9386011117947"
    assert (
        text("cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID")
        == "DNBANOKK"
    )
    assert text("cac:PaymentMeans/cbc:PaymentID") == ""
    # 1,000/12 a month has no finite decimal: the line gives its net for the 2 units
    # (price 118.28 for a base quantity of 2: 2 × 118.28 ÷ 2 = 118.28, R120) and says how.
    assert text("cac:InvoiceLine/cbc:InvoicedQuantity") == "2"
    assert text("cac:InvoiceLine/cac:Price/cbc:PriceAmount") == "118.28"
    assert text("cac:InvoiceLine/cac:Price/cbc:BaseQuantity") == "2"
    assert text("cac:InvoiceLine/cbc:Note") == (
        "2 × 1000 EUR per year × 1 of 12 months × 22 of 31 days, rounded to 118.28"
    )
    assert text("cac:InvoiceLine/cac:InvoicePeriod/cbc:StartDate") == "2026-03-10"


def test_credit_note_carries_positive_amounts_and_its_invoice() -> None:
    root = ET.fromstring(ubl(credit_of(QUARTER)))
    ns = {
        "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
        "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    }
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"

    def text(path: str) -> str:
        return "|".join((e.text or "") for e in root.findall(path, ns))

    assert text("cbc:CreditNoteTypeCode") == "381"
    assert text("cbc:Note") == "Wrong quantity"
    assert text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == "2026-00001"
    assert text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == "2026-01-01"
    # the register's −9,624.38 etc. as absolute values
    assert text("cac:LegalMonetaryTotal/cbc:PayableAmount") == "9624.38"
    assert text("cac:TaxTotal/cbc:TaxAmount") == "1924.88"
    assert text("cac:CreditNoteLine/cbc:CreditedQuantity") == "10|1"
    assert text("cac:CreditNoteLine/cbc:LineExtensionAmount") == "2700.00|4999.50"
    assert text("cac:CreditNoteLine/cac:AllowanceCharge/cbc:Amount") == "300.00"
    assert text("cbc:DueDate") == "" and root.find("cac:PaymentMeans", ns) is None


# --- every kind of document passes the UBL 2.1 schema and the CEN rules -------------------


def _variants() -> dict[str, object]:
    rc = {"buyer": BUYER_SE, "reverse_charge": True}
    eur = {"currency": "EUR", "nok_rate": D("11.4618"), "payment": FOREIGN}
    discounted = line(quantity=D(3), unit_price=D("33.33"), discount_pct=D("12.5"))
    discounted = dataclasses.replace(discounted, amount=amount_of(discounted))
    odd = line(quantity=D(3), unit_price=D("0.125"), discount_pct=D("7"))
    odd = dataclasses.replace(odd, amount=amount_of(odd))
    prorated = line(active_days=17, service_start=dt.date(2026, 1, 15), unit_price=D("999.99"))
    prorated = dataclasses.replace(prorated, amount=amount_of(prorated))
    uplift_steps = (
        PriceStep(dt.date(2026, 1, 1), dt.date(2026, 1, 14), 14, D(1000)),
        PriceStep(dt.date(2026, 1, 15), dt.date(2026, 1, 31), 17, D(1050)),
    )
    # 1,000 × 14/31 + 1,050 × 17/31 = 31,850/31 = 1,027.4193… → 1,027.42
    stepped = line(steps=uplift_steps, amount=D("1027.42"))
    free = line(unit_price=D(0), amount=D("0.00"))
    zero_qty = line(
        quantity=D(0), amount=D("0.00"), active_days=10, service_start=dt.date(2026, 1, 22)
    )
    full_discount = line(discount_pct=D(100), amount=D("0.00"))
    term = line(
        price_period="term",
        unit_price=D(36000),
        price_months=months_of(36),
        period_months=months_of(36),
        service_end=dt.date(2028, 12, 31),
        active_days=1096,
        period_days=1096,
        amount=D("36000.00"),
    )
    return {
        "domestic 25 %": document([line()]),
        "quarter + setup": QUARTER,
        "prorated EUR export": PRORATED,
        "zero-rated Norwegian buyer (Z)": document([line(tax_rate=D(0))]),
        "export without VAT id, USD": document(
            [line(tax_rate=D(0))],
            buyer=BUYER_US,
            currency="USD",
            nok_rate=D("10.2"),
            payment=FOREIGN,
        ),
        "SEK taxed at 25 %": document(
            [line(amount=D("1000.00"))],
            buyer=BUYER_SE,
            currency="SEK",
            nok_rate=D("0.9799"),
            payment=FOREIGN,
        ),
        "EUR reverse charge": document([line(tax_rate=D(0))], **rc, **eur),  # type: ignore[arg-type]
        "two rates": document([line(), line(line_id="2", tax_rate=D(15), amount=D("99.99"))]),
        "inexact discount": document([discounted, odd]),
        "prorated": document([prorated]),
        "uplift inside the period": document([stepped]),
        "0.00 invoice": document([free]),
        "zero quantity": document([zero_qty]),
        "100 % discount": document([full_discount]),
        "term up front": document([term], period=(dt.date(2026, 1, 1), dt.date(2028, 12, 31))),
        "JPY": document(
            [line(amount=D(1000), unit_price=D(1000))],
            currency="JPY",
            nok_rate=D("0.07"),
            payment=FOREIGN,
        ),
        "credit note": credit_of(QUARTER),
        "credit note in EUR": credit_of(PRORATED),
        "hostile text": document(
            [line(description='Pro <plan> & \x01 "support"', product="P&<1>")],
            buyer=dataclasses.replace(BUYER_NO, name="Fyrlykt \x0b Data & <Sønn> AS"),
            po_number="  ",
            buyer_reference="Ola\x00 ]]> Nordmann",
        ),
    }


VARIANTS = _variants()


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_kind_of_document_passes_the_schema_and_cen_rules(
    name: str, ehf_validator: Validator
) -> None:
    xml = ubl(VARIANTS[name])  # type: ignore[arg-type]
    # zero fatal findings, and no warnings either
    assert [str(f) for f in ehf_validator.findings(xml)] == []
    assert [str(f) for f in peppol_findings(xml)] == []


def test_same_record_same_bytes() -> None:
    assert ubl(QUARTER) == ubl(dataclasses.replace(QUARTER))
    assert ubl(PRORATED) == ubl(PRORATED)


def test_three_decimal_currency_gets_no_e_invoice() -> None:
    doc = document([line(amount=D("1000.000"))], currency="KWD", nok_rate=D(30), payment=FOREIGN)
    with pytest.raises(EInvoiceError, match=r"KWD.*at most 2 decimals"):
        ubl(doc)


def test_export_category_g_passes_where_reverse_charge_ae_would_need_a_buyer_vat_id(
    ehf_validator: Validator,
) -> None:
    """Why G (docs/invoicing.md): a zero-rated export to a buyer without a VAT id (a US
    company) passes as G; as AE it breaks BR-AE-02, which needs the buyer's VAT id."""
    doc = document(
        [line(tax_rate=D(0))], buyer=BUYER_US, currency="USD", nok_rate=D(10), payment=FOREIGN
    )
    xml = ubl(doc)
    assert ehf_validator.fatal(xml) == []
    as_ae = xml.replace(b"<cbc:ID>G</cbc:ID>", b"<cbc:ID>AE</cbc:ID>").replace(
        b"VATEX-EU-G", b"VATEX-EU-AE"
    )
    assert {f.id for f in ehf_validator.fatal(as_ae)} >= {"BR-AE-02"}
    as_o = xml.replace(b"<cbc:ID>G</cbc:ID>", b"<cbc:ID>O</cbc:ID>").replace(
        b"VATEX-EU-G", b"VATEX-EU-O"
    )
    # O forbids the seller's VAT id (BR-O-02) that NO-R-001 requires
    assert "BR-O-02" in {f.id for f in ehf_validator.fatal(as_o)}


def test_hostile_text_is_escaped_and_cleaned() -> None:
    xml = ubl(VARIANTS["hostile text"])  # type: ignore[arg-type]
    assert b"\x01" not in xml and b"\x0b" not in xml and b"\x00" not in xml
    assert b'Pro &lt;plan&gt; &amp;  "support"' in xml
    assert b"<cac:OrderReference>" not in xml  # a blank PO is no element (R008)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one part per line; the postal line gives zone and city; a country line is dropped
        (
            "Bryggen 14\n5003 Bergen\nNorway",
            {"street": "Bryggen 14", "zone": "5003", "city": "Bergen"},
        ),
        # commas in a one-line address; a Dutch postcode has two letters
        (
            "Coolsingel 96, 1012 AB Amsterdam, Netherlands",
            {"street": "Coolsingel 96", "zone": "1012 AB", "city": "Amsterdam"},
        ),
        # US: the city precedes "STATE ZIP"
        (
            "620 Harbor Drive, Suite 300, Seattle, WA 98101, USA",
            {
                "street": "620 Harbor Drive",
                "additional": "Suite 300",
                "city": "Seattle",
                "subentity": "WA",
                "zone": "98101",
            },
        ),
        # nothing recognisable: first part street, last part city
        ("Postboks 1\nLongyearbyen", {"street": "Postboks 1", "city": "Longyearbyen"}),
        ("", {}),
    ],
)
def test_address_parts(text: str, expected: dict[str, str]) -> None:
    assert address_parts(text) == expected


def test_seller_and_buyer_without_vat_id_have_no_vat_scheme() -> None:
    xml = ubl(document([line(tax_rate=D(0))], buyer=BUYER_US))
    assert xml.count(b"<cbc:ID>VAT</cbc:ID>\n    </cac:TaxScheme>\n   </cac:PartyTaxScheme>") == 1
    assert SELLER.vat_id.encode() in xml
