"""An issued invoice or credit note as an e-invoice: its register record → UBL bytes.

Only records of format 2 carry the e-invoice facts (:class:`~revcli.einvoice.model.Facts`:
the seller and its bank as on the issue day, the buyer's Peppol address, references, the
months of the billing period); a record of format 1 gets no XML.
"""

from __future__ import annotations

from fractions import Fraction

from revcli.billing.model import CREDIT_NOTE, Invoice, InvoiceLine, Party
from revcli.einvoice import model as ehf
from revcli.einvoice.parties import buyer_endpoint, buyer_org_number, seller_party
from revcli.einvoice.ubl import ubl
from revcli.schema import PERIOD_MONTHS, minor_units
from revcli.settings import Settings

XML = "xml"


class RunFacts:
    """The e-invoice facts of invoices made now (the seller as set today), for many
    invoices of one run: the seller and its bank are taken once, each buyer's Peppol
    address and organisation number once per distinct buyer."""

    def __init__(self, settings: Settings) -> None:
        company = settings.company
        self.seller = seller_party(company)
        self.bank = ehf.Payment(company.bank_account, company.iban, company.bic)
        self._buyers: dict[tuple[str, str, str, str], tuple[str, str]] = {}

    def __call__(
        self,
        buyer: Party,
        *,
        peppol_id: str,
        buyer_reference: str,
        period_months: Fraction,
        term_months: Fraction | None,
    ) -> ehf.Facts:
        """The facts of an invoice to ``buyer``."""
        key = (peppol_id, buyer.country, buyer.vat_id, buyer.email)
        known = self._buyers.get(key)
        if known is None:
            endpoint = buyer_endpoint(peppol_id, buyer.country, buyer.vat_id, buyer.email)
            known = (endpoint, buyer_org_number(endpoint, buyer.country, buyer.vat_id))
            self._buyers[key] = known
        return ehf.Facts(
            seller=self.seller,
            bank=self.bank,
            buyer_endpoint=known[0],
            buyer_org_number=known[1],
            buyer_reference=buyer_reference,
            period_months=period_months,
            term_months=term_months,
        )


def face_line(line: InvoiceLine, invoice: Invoice) -> ehf.Line:
    """``line`` in the e-invoice's terms, for the faces too; a record of format 1 keeps no
    months of its period, so its lines show their price per its own period."""
    if invoice.facts is not None:
        return _line(line, invoice.facts)
    months = _price_months(line, None, Fraction(1))
    return _line(line, None, months)


def _price_months(line: InvoiceLine, facts: ehf.Facts | None, default: Fraction) -> Fraction:
    if line.price_period == "once":
        return Fraction(1)
    if line.price_period == "term":
        if facts is None:
            return default
        return facts.term_months or facts.period_months
    return Fraction(PERIOD_MONTHS[line.price_period])


def _line(line: InvoiceLine, facts: ehf.Facts | None, period: Fraction | None = None) -> ehf.Line:
    price_months = _price_months(line, facts, Fraction(1))
    period_months = facts.period_months if facts is not None else (period or price_months)
    return ehf.Line(
        line_id=line.line_id,
        product=line.product,
        description=line.description,
        price_period=line.price_period,
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_pct=line.discount_pct,
        service_start=line.service_start,
        service_end=line.service_end,
        active_days=line.active_days,
        period_days=line.period_days,
        period_months=period_months,
        price_months=price_months,
        tax_rate=line.tax_rate,
        amount=line.amount,
        steps=tuple(ehf.PriceStep(s.start, s.end, s.days, s.unit_price) for s in line.steps),
    )


def pays_to_iban(currency: str, seller_country: str, bank: ehf.Payment) -> bool:
    """A Norwegian seller is paid to IBAN + BIC in any currency but NOK (SPEC §10); a
    seller elsewhere whenever it has an IBAN."""
    if seller_country == "NO":
        return currency != "NOK"
    return bool(bank.iban)


def has_xml(invoice: Invoice) -> bool:
    """Whether an issued document gets an e-invoice: a format-2 record in a currency of at
    most 2 minor digits."""
    return invoice.facts is not None and minor_units(invoice.currency) <= 2


def document_of(invoice: Invoice) -> ehf.Document:
    """The e-invoice record of an issued invoice of record format 2."""
    facts = invoice.facts
    assert facts is not None and invoice.number is not None
    seller = facts.seller
    # The KID is the PaymentID of an invoice in NOK only (SPEC §10); an invoice paid to
    # the IBAN names its number on its faces, and its e-invoice stays as it was issued.
    if pays_to_iban(invoice.currency, seller.country, facts.bank):
        payment = ehf.Payment(iban=facts.bank.iban, bic=facts.bank.bic)
    else:
        kid = invoice.payment_reference if invoice.currency == "NOK" else ""
        payment = ehf.Payment(account=facts.bank.account, kid=kid)
    buyer = invoice.buyer
    return ehf.Document(
        kind=invoice.kind,
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        seller=seller,
        buyer=ehf.Party(
            name=buyer.name,
            country=buyer.country,
            address=buyer.address,
            vat_id=buyer.vat_id,
            org_number=facts.buyer_org_number,
            endpoint=facts.buyer_endpoint,
            email=buyer.email,
        ),
        payment=payment,
        contract_id=invoice.contract_id,
        buyer_reference=facts.buyer_reference,
        po_number=invoice.po_number,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        reverse_charge=invoice.reverse_charge,
        lines=tuple(_line(line, facts) for line in invoice.lines),
        taxes=tuple(ehf.TaxLine(t.rate, t.net, t.tax) for t in invoice.taxes),
        net=invoice.net,
        tax=invoice.tax,
        total=invoice.total,
        tax_nok=invoice.tax_nok,
        credits=(invoice.credits or "") if invoice.kind == CREDIT_NOTE else "",
        credits_date=facts.credits_date,
        reason=invoice.reason,
    )


def xml_of(invoice: Invoice) -> bytes:
    """The UBL bytes of an issued document of record format 2."""
    return ubl(document_of(invoice))
