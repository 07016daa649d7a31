"""The UBL 2.1 ``Invoice`` / ``CreditNote`` of a document, following Peppol BIS Billing 3.0.

Made from a :class:`~revcli.einvoice.model.Document` alone. The tree is built with the
standard library's ElementTree (no dependency for every user) and written by
:func:`serialize`, whose output depends only on the order in which elements were added
(the document's namespace as the default, two fixed prefixes, attributes in insertion
order, one-space indentation), so the same record always gives the same bytes. Text is cleaned
of characters XML 1.0 cannot carry, and an element with no text is left out (Peppol R008).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from html import escape

from revcli.einvoice.model import Document, Line, Party
from revcli.einvoice.tax import Category, category
from revcli.einvoice.terms import Terms, how, line_terms
from revcli.errors import RevcliError
from revcli.schema import minor_units

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE_TYPE = "380"
CREDIT_NOTE_TYPE = "381"
UNIT_CODE = "C62"
"""UN/ECE Rec. 20 "one": a line's quantity counts units of its product (seats, licences)."""
CREDIT_TRANSFER = "30"
DISCOUNT_REASON_CODE = "95"

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_POSTAL = re.compile(
    r"^(?P<zone>\d{3} \d{2}|\d{4,5}(?: [A-Z]{2})?|[A-Z]{1,2}-?\d{4,5})\s+(?P<city>\D.*)$"
)
_STATE_ZIP = re.compile(r"^(?P<sub>[A-Z]{2})\s+(?P<zone>\d{5}(?:-\d{4})?)$")


class EInvoiceError(RevcliError):
    """A document that cannot be written as an e-invoice (e.g. a 3-decimal currency)."""


def clean(text: str) -> str:
    """``text`` without characters XML 1.0 forbids, trimmed."""
    return _NOT_XML.sub("", text).strip()


def _tag(name: str) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _tag(tag), attrs)
    if text is not None:
        element.text = text
    return element


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> None:
    """A leaf element, left out when its text is empty (R008)."""
    value = clean(text)
    if value:
        _add(parent, tag, value, **{k: clean(v) for k, v in attrs.items()})


def _plain(value: Decimal) -> str:
    normal = value.normalize()
    return format(normal, "f") if normal != 0 else "0"


class _Writer:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.currency = doc.currency
        if minor_units(doc.currency) > 2:
            raise EInvoiceError(
                f"{doc.number}: no e-invoice for {doc.currency}: amounts in an e-invoice have "
                "at most 2 decimals (EN 16931 BR-DEC)"
            )
        self.credit = doc.is_credit_note
        self.sign = Decimal(-1) if self.credit else Decimal(1)

    def money(self, parent: ET.Element, name: str, value: Decimal, currency: str = "") -> None:
        # A credit note carries positive amounts: the register's are negative.
        amount = value * self.sign + 0
        _add(parent, name, str(amount), currencyID=currency or self.currency)

    def category(self, rate: Decimal) -> Category:
        return category(
            rate,
            reverse_charge=self.doc.reverse_charge,
            buyer_country=self.doc.buyer.country,
            seller_country=self.doc.seller.country,
        )

    def write(self) -> bytes:
        doc = self.doc
        root_ns = "cn" if self.credit else "inv"
        root = ET.Element(_tag(f"{root_ns}:{'CreditNote' if self.credit else 'Invoice'}"))
        _add(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
        _add(root, "cbc:ProfileID", PROFILE_ID)
        _text(root, "cbc:ID", doc.number)
        _add(root, "cbc:IssueDate", doc.issue_date.isoformat())
        if self.credit:
            _add(root, "cbc:CreditNoteTypeCode", CREDIT_NOTE_TYPE)
            _text(root, "cbc:Note", doc.reason)
        else:
            _add(root, "cbc:DueDate", doc.due_date.isoformat())
            _add(root, "cbc:InvoiceTypeCode", INVOICE_TYPE)
        _add(root, "cbc:DocumentCurrencyCode", doc.currency)
        if doc.tax_nok is not None:
            _add(root, "cbc:TaxCurrencyCode", "NOK")
        _text(root, "cbc:BuyerReference", doc.buyer_reference or doc.contract_id)
        period = _add(root, "cac:InvoicePeriod")
        _add(period, "cbc:StartDate", doc.period_start.isoformat())
        _add(period, "cbc:EndDate", doc.period_end.isoformat())
        if clean(doc.po_number):
            _text(_add(root, "cac:OrderReference"), "cbc:ID", doc.po_number)
        if self.credit:
            reference = _add(_add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
            _text(reference, "cbc:ID", doc.credits)
            if doc.credits_date is not None:
                _add(reference, "cbc:IssueDate", doc.credits_date.isoformat())
        if clean(doc.contract_id):
            _text(_add(root, "cac:ContractDocumentReference"), "cbc:ID", doc.contract_id)
        self.party(_add(root, "cac:AccountingSupplierParty"), doc.seller, seller=True)
        self.party(_add(root, "cac:AccountingCustomerParty"), doc.buyer, seller=False)
        if not self.credit:
            self.payment(root)
        self.tax_totals(root)
        self.totals(root)
        for index, line in enumerate(doc.lines, start=1):
            self.line(root, index, line)
        return serialize(root, NS[root_ns])

    def party(self, parent: ET.Element, who: Party, *, seller: bool) -> None:
        party = _add(parent, "cac:Party")
        scheme, _, endpoint = who.endpoint.partition(":")
        if endpoint:
            _text(party, "cbc:EndpointID", endpoint, schemeID=scheme)
        if clean(who.name):
            _text(_add(party, "cac:PartyName"), "cbc:Name", who.name)
        self.address(_add(party, "cac:PostalAddress"), who)
        if clean(who.vat_id) and re.match(r"^[A-Z]{2}", clean(who.vat_id)):
            scheme_el = _add(party, "cac:PartyTaxScheme")
            _text(scheme_el, "cbc:CompanyID", who.vat_id)
            _add(_add(scheme_el, "cac:TaxScheme"), "cbc:ID", "VAT")
        if seller and clean(who.register):
            scheme_el = _add(party, "cac:PartyTaxScheme")
            _text(scheme_el, "cbc:CompanyID", who.register)
            _add(_add(scheme_el, "cac:TaxScheme"), "cbc:ID", "TAX")
        legal = _add(party, "cac:PartyLegalEntity")
        _text(legal, "cbc:RegistrationName", who.name)
        if who.org_number:
            _text(legal, "cbc:CompanyID", who.org_number, schemeID="0192")
        if clean(who.email):
            _text(_add(party, "cac:Contact"), "cbc:ElectronicMail", who.email)

    def address(self, parent: ET.Element, who: Party) -> None:
        parts = address_parts(who.address)
        _text(parent, "cbc:StreetName", parts.get("street", ""))
        _text(parent, "cbc:AdditionalStreetName", parts.get("additional", ""))
        _text(parent, "cbc:CityName", parts.get("city", ""))
        _text(parent, "cbc:PostalZone", parts.get("zone", ""))
        _text(parent, "cbc:CountrySubentity", parts.get("subentity", ""))
        if parts.get("line"):
            _text(_add(parent, "cac:AddressLine"), "cbc:Line", parts["line"])
        _add(_add(parent, "cac:Country"), "cbc:IdentificationCode", who.country.upper())

    def payment(self, root: ET.Element) -> None:
        pay = self.doc.payment
        means = _add(root, "cac:PaymentMeans")
        _add(means, "cbc:PaymentMeansCode", CREDIT_TRANSFER, name="Credit transfer")
        _text(means, "cbc:PaymentID", pay.kid)
        account = _add(means, "cac:PayeeFinancialAccount")
        if pay.iban:
            _text(account, "cbc:ID", re.sub(r"\s", "", pay.iban))
            if clean(pay.bic):
                branch = _add(account, "cac:FinancialInstitutionBranch")
                _text(branch, "cbc:ID", re.sub(r"\s", "", pay.bic))
        else:
            _text(account, "cbc:ID", re.sub(r"[\s.]", "", pay.account))

    def tax_totals(self, root: ET.Element) -> None:
        doc = self.doc
        total = _add(root, "cac:TaxTotal")
        self.money(total, "cbc:TaxAmount", doc.tax)
        for tax in doc.taxes:
            sub = _add(total, "cac:TaxSubtotal")
            self.money(sub, "cbc:TaxableAmount", tax.net)
            self.money(sub, "cbc:TaxAmount", tax.tax)
            self.tax_category(sub, "cac:TaxCategory", self.category(tax.rate), reasons=True)
        if doc.tax_nok is not None:
            nok = _add(root, "cac:TaxTotal")
            self.money(nok, "cbc:TaxAmount", doc.tax_nok, "NOK")

    def tax_category(self, parent: ET.Element, name: str, cat: Category, *, reasons: bool) -> None:
        element = _add(parent, name)
        _add(element, "cbc:ID", cat.code)
        _add(element, "cbc:Percent", _plain(cat.rate))
        if reasons and cat.reason_code:
            _add(element, "cbc:TaxExemptionReasonCode", cat.reason_code)
            _text(element, "cbc:TaxExemptionReason", cat.reason)
        _add(_add(element, "cac:TaxScheme"), "cbc:ID", "VAT")

    def totals(self, root: ET.Element) -> None:
        doc = self.doc
        totals = _add(root, "cac:LegalMonetaryTotal")
        self.money(totals, "cbc:LineExtensionAmount", doc.net)
        self.money(totals, "cbc:TaxExclusiveAmount", doc.net)
        self.money(totals, "cbc:TaxInclusiveAmount", doc.total)
        self.money(totals, "cbc:PayableAmount", doc.total)

    def line(self, root: ET.Element, index: int, line: Line) -> None:
        terms = line_terms(line)
        kind = "CreditNote" if self.credit else "Invoice"
        element = _add(root, f"cac:{kind}Line")
        _add(element, "cbc:ID", str(index))
        _text(element, "cbc:Note", how(terms, self.currency))
        quantity = "cbc:CreditedQuantity" if self.credit else "cbc:InvoicedQuantity"
        _add(element, quantity, _plain(terms.quantity), unitCode=UNIT_CODE)
        _add(element, "cbc:LineExtensionAmount", str(terms.net), currencyID=self.currency)
        period = _add(element, "cac:InvoicePeriod")
        _add(period, "cbc:StartDate", line.service_start.isoformat())
        _add(period, "cbc:EndDate", line.service_end.isoformat())
        if terms.discount:
            self.discount(element, line, terms)
        item = _add(element, "cac:Item")
        _text(item, "cbc:Name", line.description or line.product)
        if clean(line.product):
            _text(_add(item, "cac:SellersItemIdentification"), "cbc:ID", line.product)
        self.tax_category(
            item, "cac:ClassifiedTaxCategory", self.category(line.tax_rate), reasons=False
        )
        self.price(element, terms)

    def discount(self, parent: ET.Element, line: Line, terms: Terms) -> None:
        allowance = _add(parent, "cac:AllowanceCharge")
        _add(allowance, "cbc:ChargeIndicator", "false")
        _add(allowance, "cbc:AllowanceChargeReasonCode", DISCOUNT_REASON_CODE)
        _add(allowance, "cbc:AllowanceChargeReason", f"Discount {_plain(line.discount_pct)} %")
        # Percent and base only when they give the amount exactly (Peppol R040–R042).
        exact = terms.gross * line.discount_pct / 100
        with_percent = exact == terms.discount
        if with_percent:
            _add(allowance, "cbc:MultiplierFactorNumeric", _plain(line.discount_pct))
        _add(allowance, "cbc:Amount", str(terms.discount), currencyID=self.currency)
        if with_percent:
            _add(allowance, "cbc:BaseAmount", str(terms.gross), currencyID=self.currency)

    def price(self, parent: ET.Element, terms: Terms) -> None:
        price = _add(parent, "cac:Price")
        if terms.multiplies or terms.quantity == 0:
            _add(price, "cbc:PriceAmount", _plain(terms.unit_price), currencyID=self.currency)
            return
        # quantity × (gross ÷ quantity) = gross exactly (R120); the line note says how
        # gross arises.
        _add(price, "cbc:PriceAmount", str(terms.gross), currencyID=self.currency)
        if terms.quantity != 1:
            _add(price, "cbc:BaseQuantity", _plain(terms.quantity), unitCode=UNIT_CODE)


_PREFIXES = {NS["cac"]: "cac", NS["cbc"]: "cbc"}


def serialize(root: ET.Element, default: str) -> bytes:
    """``root`` as UTF-8 XML: ``default`` as the default namespace, ``cac``/``cbc``
    prefixes declared on the root, one element per line indented by one space, attributes
    in the order they were added."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']

    def name(tag: str) -> str:
        uri, _, local = tag[1:].partition("}")
        return local if uri == default else f"{_PREFIXES[uri]}:{local}"

    def write(element: ET.Element, depth: int) -> None:
        tag = name(element.tag)
        attrs = "".join(
            f' {key}="{escape(value, quote=True)}"' for key, value in element.attrib.items()
        )
        if depth == 0:
            attrs = (
                f' xmlns="{default}"'
                + "".join(f' xmlns:{p}="{uri}"' for uri, p in _PREFIXES.items())
                + attrs
            )
        pad = " " * depth
        children = list(element)
        if children:
            out.append(f"{pad}<{tag}{attrs}>\n")
            for child in children:
                write(child, depth + 1)
            out.append(f"{pad}</{tag}>\n")
        else:
            out.append(f"{pad}<{tag}{attrs}>{escape(element.text or '', quote=False)}</{tag}>\n")

    write(root, 0)
    return "".join(out).encode("utf-8")


def address_parts(text: str) -> dict[str, str]:
    """Street, additional street, postal zone, city, state and the rest of an address.

    One part per line, or per comma on a one-line address. The part that starts with a
    postal code (``0150 Oslo``, ``411 05 Göteborg``, ``1012 AB Amsterdam``) gives zone and
    city; a US-style ``OR 97204`` gives state and zone, the part before it the city. Of
    the parts before that, the first is the street, the second the additional street
    and any others one address line; a part after it (a country name) is left out: the
    country code says it.
    """
    lines = [clean(p) for p in text.replace("\\n", "\n").split("\n") if clean(p)]
    if len(lines) == 1:
        lines = [clean(p) for p in lines[0].split(",") if clean(p)]
    out: dict[str, str] = {}
    before = lines
    for i, part in enumerate(lines):
        postal = _POSTAL.match(part)
        state = _STATE_ZIP.match(part)
        if postal:
            out["zone"], out["city"] = postal["zone"], postal["city"]
            before = lines[:i]
            break
        if state and i > 0:
            out["subentity"], out["zone"] = state["sub"], state["zone"]
            out["city"] = lines[i - 1]
            before = lines[: i - 1]
            break
    else:
        if len(lines) > 1:
            out["city"] = lines[-1]
            before = lines[:-1]
    if before:
        out["street"] = before[0]
    if len(before) > 1:
        out["additional"] = before[1]
    if len(before) > 2:
        out["line"] = ", ".join(before[2:])
    return out


def ubl(doc: Document) -> bytes:
    """The EHF / Peppol BIS Billing 3.0 UBL of ``doc`` as UTF-8 bytes.

    Raises :class:`EInvoiceError` for a currency with more than 2 minor digits.
    """
    return _Writer(doc).write()
