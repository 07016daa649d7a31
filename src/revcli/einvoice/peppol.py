"""The Peppol BIS Billing 3.0 rules the CEN EN 16931 rule set leaves out, checked by revcli.

Each check takes a parsed UBL ``Invoice`` or ``CreditNote`` and returns its findings as
values (``Finding(rule, message, flag)``); :func:`peppol_findings` runs them all. The
rules, in the words of Peppol BIS Billing 3.0 and EHF (rule ids as there):

- R001 a ProfileID of the form ``urn:fdc:peppol.eu:2017:poacc:billing:NN:1.0``;
- R002 at most one note at document level;
- R003 a buyer reference or an order reference;
- R004 the Peppol BIS Billing 3.0 CustomizationID;
- R008 no empty elements;
- R010 / R020 the buyer's / seller's electronic address (EndpointID);
- R040 an allowance or charge with a percent and a base amount equals base × percent
  (revcli: exactly, to the cent; Peppol allows 0.02), R041 / R042 a percent needs a base
  amount and a base amount a percent;
- R053 one tax total with subtotals, R054 with a tax currency exactly one more without
  them, R055 both with the same sign;
- R110 / R111 a line's period starts and ends within the invoice period;
- R120 a line's net amount is quantity × (price ÷ base quantity) + charges − allowances
  (revcli: exactly; Peppol allows 0.02);
- PEPPOL-COMMON-R041 an identifier of scheme 0192 (an endpoint, a company id) is a
  Norwegian organisation number: 9 digits with a valid mod-11 check digit;
- NO-R-001 a Norwegian seller's VAT id is ``NO`` + a valid 9-digit organisation number
  (mod 11) + ``MVA``; NO-R-002 (a warning) a Norwegian seller states
  ``Foretaksregisteret`` as a party tax scheme with scheme ``TAX``.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from revcli.decimals import round_half_up
from revcli.einvoice.parties import org_number_valid
from revcli.einvoice.ubl import CUSTOMIZATION_ID, NS

FATAL = "fatal"
WARNING = "warning"
CAC = "{" + NS["cac"] + "}"
CBC = "{" + NS["cbc"] + "}"
_PROFILE = re.compile(r"^urn:fdc:peppol\.eu:2017:poacc:billing:\d{2}:1\.0$")


@dataclass(frozen=True, order=True)
class Finding:
    """A failed rule: its id, what is wrong, and ``fatal`` or ``warning``."""

    rule: str
    message: str
    flag: str = FATAL

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


def _path(tag: str) -> str:
    return "/".join(
        f"{CAC}{p[4:]}" if p.startswith("cac:") else f"{CBC}{p[4:]}" for p in tag.split("/")
    )


def _find(element: ET.Element, path: str) -> ET.Element | None:
    return element.find(_path(path))


def _all(element: ET.Element, path: str) -> list[ET.Element]:
    return element.findall(_path(path))


def _text(element: ET.Element | None) -> str:
    return "" if element is None else " ".join((element.text or "").split())


def _number(element: ET.Element | None) -> Decimal | None:
    try:
        return Decimal(_text(element)) if element is not None else None
    except InvalidOperation:
        return None


def _date(element: ET.Element | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(_text(element)) if element is not None else None
    except ValueError:
        return None


def _lines(root: ET.Element) -> list[ET.Element]:
    return _all(root, "cac:InvoiceLine") + _all(root, "cac:CreditNoteLine")


def _line_name(line: ET.Element) -> str:
    return f"line {_text(_find(line, 'cbc:ID')) or '?'}"


def check_profile(root: ET.Element) -> Iterator[Finding]:
    """R001 and R004."""
    profile = _text(_find(root, "cbc:ProfileID"))
    if not _PROFILE.match(profile):
        yield Finding(
            "PEPPOL-EN16931-R001", f"ProfileID '{profile}' is not a Peppol billing profile"
        )
    custom = _text(_find(root, "cbc:CustomizationID"))
    if not custom.startswith(CUSTOMIZATION_ID):
        yield Finding(
            "PEPPOL-EN16931-R004",
            f"CustomizationID '{custom}' is not Peppol BIS Billing 3.0 ({CUSTOMIZATION_ID})",
        )


def check_notes(root: ET.Element) -> Iterator[Finding]:
    """R002."""
    notes = len(_all(root, "cbc:Note"))
    if notes > 1:
        yield Finding("PEPPOL-EN16931-R002", f"{notes} notes at document level; at most one")


def check_references(root: ET.Element) -> Iterator[Finding]:
    """R003."""
    if not _text(_find(root, "cbc:BuyerReference")) and not _text(
        _find(root, "cac:OrderReference/cbc:ID")
    ):
        yield Finding("PEPPOL-EN16931-R003", "neither a buyer reference nor an order reference")


def check_empty(root: ET.Element) -> Iterator[Finding]:
    """R008."""
    for element in root.iter():
        if len(element) == 0 and not (element.text or "").strip():
            name = element.tag.rpartition("}")[2]
            yield Finding("PEPPOL-EN16931-R008", f"element {name} is empty")


def check_endpoints(root: ET.Element) -> Iterator[Finding]:
    """R010 and R020."""
    for path, rule, who in (
        ("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", "PEPPOL-EN16931-R010", "buyer"),
        ("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", "PEPPOL-EN16931-R020", "seller"),
    ):
        endpoint = _find(root, path)
        if not _text(endpoint) or not (endpoint is not None and endpoint.get("schemeID")):
            yield Finding(
                rule, f"the {who}'s electronic address (EndpointID with schemeID) is missing"
            )


def _allowances(root: ET.Element) -> Iterator[tuple[str, ET.Element]]:
    for element in _all(root, "cac:AllowanceCharge"):
        yield "document", element
    for line in _lines(root):
        for element in _all(line, "cac:AllowanceCharge"):
            yield _line_name(line), element
        for element in _all(line, "cac:Price/cac:AllowanceCharge"):
            yield _line_name(line) + " price", element


def check_allowances(root: ET.Element) -> Iterator[Finding]:
    """R040, R041 and R042."""
    for where, element in _allowances(root):
        percent = _number(_find(element, "cbc:MultiplierFactorNumeric"))
        base = _number(_find(element, "cbc:BaseAmount"))
        amount = _number(_find(element, "cbc:Amount"))
        if percent is not None and base is None:
            yield Finding(
                "PEPPOL-EN16931-R041", f"{where}: allowance/charge percent without a base amount"
            )
        if base is not None and percent is None:
            yield Finding(
                "PEPPOL-EN16931-R042", f"{where}: allowance/charge base amount without a percent"
            )
        if percent is not None and base is not None and amount is not None:
            expected = round_half_up(Fraction(base) * Fraction(percent) / 100, 2)
            if amount != expected:
                yield Finding(
                    "PEPPOL-EN16931-R040",
                    f"{where}: allowance/charge amount {amount} is not {base} × {percent} % "
                    f"= {expected}",
                )


def check_tax_totals(root: ET.Element) -> Iterator[Finding]:
    """R053, R054 and R055."""
    totals = _all(root, "cac:TaxTotal")
    with_subtotals = [t for t in totals if _find(t, "cac:TaxSubtotal") is not None]
    without = [t for t in totals if _find(t, "cac:TaxSubtotal") is None]
    if len(with_subtotals) != 1:
        yield Finding(
            "PEPPOL-EN16931-R053",
            f"{len(with_subtotals)} tax totals with subtotals; exactly one is required",
        )
    if _text(_find(root, "cbc:TaxCurrencyCode")):
        if len(without) != 1:
            yield Finding(
                "PEPPOL-EN16931-R054",
                f"{len(without)} tax totals in the tax currency; exactly one is required with a "
                "TaxCurrencyCode",
            )
        if with_subtotals and without:
            first = _number(_find(with_subtotals[0], "cbc:TaxAmount"))
            second = _number(_find(without[0], "cbc:TaxAmount"))
            first, second = first or Decimal(0), second or Decimal(0)  # absent: no sign
            if (first < 0) != (second < 0) or (first == 0) != (second == 0):
                yield Finding(
                    "PEPPOL-EN16931-R055",
                    f"the tax total {first} and the tax total in the tax currency {second} "
                    "differ in sign",
                )


def check_line_periods(root: ET.Element) -> Iterator[Finding]:
    """R110 and R111."""
    start = _date(_find(root, "cac:InvoicePeriod/cbc:StartDate"))
    end = _date(_find(root, "cac:InvoicePeriod/cbc:EndDate"))
    for line in _lines(root):
        line_start = _date(_find(line, "cac:InvoicePeriod/cbc:StartDate"))
        line_end = _date(_find(line, "cac:InvoicePeriod/cbc:EndDate"))
        if start and line_start and line_start < start:
            yield Finding(
                "PEPPOL-EN16931-R110",
                f"{_line_name(line)}: period starts {line_start}, before the invoice period "
                f"({start})",
            )
        if end and line_end and line_end > end:
            yield Finding(
                "PEPPOL-EN16931-R111",
                f"{_line_name(line)}: period ends {line_end}, after the invoice period ({end})",
            )


def check_line_amounts(root: ET.Element) -> Iterator[Finding]:
    """R120, exactly."""
    for line in _lines(root):
        counted = _find(line, "cbc:InvoicedQuantity")
        quantity = _number(counted if counted is not None else _find(line, "cbc:CreditedQuantity"))
        net = _number(_find(line, "cbc:LineExtensionAmount"))
        price = _number(_find(line, "cac:Price/cbc:PriceAmount"))
        given = _find(line, "cac:Price/cbc:BaseQuantity")
        base = Decimal(1) if given is None else _number(given)
        if quantity is None or net is None or price is None or not base:
            yield Finding(
                "PEPPOL-EN16931-R120",
                f"{_line_name(line)}: quantity, price or net amount is missing",
            )
            continue
        adjust = Fraction(0)
        for element in _all(line, "cac:AllowanceCharge"):
            amount = _number(_find(element, "cbc:Amount"))
            amount = Decimal(0) if amount is None else amount
            charge = _text(_find(element, "cbc:ChargeIndicator")) == "true"
            adjust += Fraction(amount) if charge else -Fraction(amount)
        expected = Fraction(quantity) * Fraction(price) / Fraction(base) + adjust
        if Fraction(net) != expected:
            yield Finding(
                "PEPPOL-EN16931-R120",
                f"{_line_name(line)}: net amount {net} is not quantity {quantity} × price {price}"
                f" ÷ base quantity {base} + charges − allowances = {float(expected):.4f}",
            )


def check_org_numbers(root: ET.Element) -> Iterator[Finding]:
    """PEPPOL-COMMON-R041."""
    for element in root.iter():
        name = element.tag.rpartition("}")[2]
        if element.get("schemeID") != "0192" or name not in ("EndpointID", "CompanyID", "ID"):
            continue
        value = _text(element)
        if not org_number_valid(value):
            yield Finding(
                "PEPPOL-COMMON-R041",
                f"{name} '{value}' (scheme 0192) is not a valid Norwegian organisation number "
                "(9 digits, mod 11)",
            )


def check_norway(root: ET.Element) -> Iterator[Finding]:
    """NO-R-001 and NO-R-002, for a Norwegian seller."""
    party = _find(root, "cac:AccountingSupplierParty/cac:Party")
    if party is None:
        return
    country = _text(_find(party, "cac:PostalAddress/cac:Country/cbc:IdentificationCode"))
    if country != "NO":
        return
    schemes = {
        _text(_find(s, "cac:TaxScheme/cbc:ID")): _text(_find(s, "cbc:CompanyID"))
        for s in _all(party, "cac:PartyTaxScheme")
    }
    vat = schemes.get("VAT")
    if vat is not None:
        match = re.fullmatch(r"NO([0-9]{9})MVA", vat)
        if not match or not org_number_valid(match[1]):
            yield Finding(
                "NO-R-001",
                f"the seller's VAT id '{vat}' is not NO + a valid 9-digit organisation number "
                "+ MVA",
            )
    if schemes.get("TAX") != "Foretaksregisteret":
        yield Finding(
            "NO-R-002",
            "a Norwegian seller should state 'Foretaksregisteret' (tax scheme TAX)",
            WARNING,
        )


CHECKS: tuple[Callable[[ET.Element], Iterator[Finding]], ...] = (
    check_profile,
    check_notes,
    check_references,
    check_empty,
    check_endpoints,
    check_allowances,
    check_tax_totals,
    check_line_periods,
    check_line_amounts,
    check_org_numbers,
    check_norway,
)


def parse(xml: bytes) -> ET.Element:
    """The root of a UBL document; raises ValueError when it is not well-formed XML or
    declares a DOCTYPE (entity expansion is never needed, and refused)."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise ValueError("the XML declares a DOCTYPE or entities")
    try:
        return ET.fromstring(xml)  # noqa: S314 - DOCTYPE and entities refused above
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from None


def peppol_findings(xml: bytes) -> list[Finding]:
    """Every Peppol rule of this module that ``xml`` breaks (a document that cannot be
    parsed is one finding, ``XML``)."""
    try:
        root = parse(xml)
    except ValueError as exc:
        return [Finding("XML", str(exc))]
    return [finding for check in CHECKS for finding in check(root)]
