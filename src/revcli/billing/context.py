"""The context an invoice template sees: the seller, the buyer, the lines (each with how
its amount arises), the taxes, the totals and the printed words, in the buyer's language.

Money values are exact Decimals; the variables are documented in docs/templates.md.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from babel.numbers import format_decimal

from revcli.billing.labels import LABELS, language
from revcli.billing.model import CREDIT_NOTE, Invoice
from revcli.billing.money import format_money
from revcli.billing.numbering import org_number
from revcli.einvoice.model import ONCE
from revcli.einvoice.terms import DAY_OF_A_MONTH, Terms, line_terms, month_factor
from revcli.settings import Settings
from revcli.settings_checks import known_locale


def _lines_of(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\\n", "\n").split("\n") if part.strip()]


def _how(
    terms: Terms, currency: str, locale: str, labels: dict[str, str], *, code: bool, sign: Decimal
) -> str:
    """How a line's amount arises, in the document's language (empty when quantity ×
    unit price is the amount): the months billed (``× 1 av 12 måneder``), the share of
    days (``× 16 av 30 dager``), the uplift pieces, and that the product was rounded to
    the currency's minor unit. On a credit note (``sign`` −1) the product is negated,
    ``-(…) ≈ -768,26 kr``, to equal the line's negative amount."""
    if terms.multiplies:
        return ""
    if not known_locale(locale):
        locale = "en_GB"  # the template's filters report the unknown locale where it is used

    def price(value: Decimal) -> str:
        return format_money(value, currency, locale, code=code, exact=True)

    def number(value: Fraction) -> str:
        if value.denominator != 1:
            return f"{value.numerator}/{value.denominator}"
        return format_decimal(value.numerator, locale=locale)

    def days(count: int) -> str:
        return f"{count} {labels['day'] if count == 1 else labels['days']}"

    per = labels.get(f"per_{terms.per}", terms.per)
    quantity = format_decimal(terms.quantity, locale=locale, decimal_quantization=False)
    if terms.steps:
        assert terms.share is not None
        pieces = " + ".join(f"{days(s.days)} × {price(s.unit_price)}" for s in terms.steps)
        text = f"{quantity} × ({pieces}) / {days(terms.share[1])}"
    elif terms.per == ONCE:  # a one-time fee is no price per period
        text = f"{quantity} × {price(terms.unit_price)}"
    else:
        text = f"{quantity} × {price(terms.unit_price)} / {per}"
    if terms.month_counts is not None:
        words = {
            "month": labels["per_month"],
            "months": labels["months"],
            "of": labels["of"],
            "divide": "/",
            "day": format_decimal(
                Decimal(DAY_OF_A_MONTH), locale=locale, decimal_quantization=False
            ),
        }
        text += " " + month_factor(terms.month_counts, number, words)
    if terms.share is not None and not terms.steps:
        text += f" × {terms.share[0]} {labels['of']} {days(terms.share[1])}"
    if sign < 0:
        text = f"-({text})"  # the hyphen-minus ``money`` prints before negative amounts
    gross = format_money(terms.gross * sign, currency, locale, code=code)
    return text + (f" ≈ {gross} ({labels['rounded']})" if terms.rounded else f" = {gross}")


def _face_lines(
    invoice: Invoice, settings: Settings, labels: dict[str, str], code: bool
) -> list[dict[str, Any]]:
    """The shown numbers of every line (:mod:`revcli.einvoice.terms`): what a reader
    multiplies, the discount, and how the amount arises when it is not a product.

    ``gross`` carries the document's sign like ``amount`` (negative on a credit note);
    ``discount`` is the discount given, never negative, so that a template prints one
    sign before it: ``−`` on an invoice, ``+`` on a credit note (docs/templates.md)."""
    from revcli.billing.ehf import face_line

    sign = Decimal(-1) if invoice.kind == CREDIT_NOTE else Decimal(1)
    out = []
    for line in invoice.lines:
        terms = line_terms(face_line(line, invoice))
        out.append(
            {
                "shown_quantity": terms.quantity,
                "shown_price": terms.unit_price,
                "shown_per": labels.get(f"per_{terms.per}", terms.per),
                "gross": terms.gross * sign + 0,
                "discount": terms.discount,
                "has_discount_amount": terms.discount != 0,
                "multiplies": terms.multiplies,
                "how": _how(
                    terms, invoice.currency, invoice.buyer.locale, labels, code=code, sign=sign
                ),
            }
        )
    return out


def document_context(invoice: Invoice, settings: Settings) -> dict[str, Any]:
    """Everything a template sees (docs/templates.md): ``document``, ``seller``, ``buyer``,
    ``lines``, ``taxes``, ``totals`` and ``labels``. Money values are exact Decimals."""
    from revcli.billing.ehf import pays_to_iban
    from revcli.einvoice import model as ehf

    company = settings.company
    credit = invoice.kind == CREDIT_NOTE
    lang = language(invoice.buyer.locale)
    labels = dict(LABELS[lang])
    org = org_number(company)
    bank = (
        invoice.facts.bank
        if invoice.facts is not None
        else ehf.Payment(company.bank_account, company.iban, company.bic)
    )
    own_currency = "NOK" if company.country == "NO" else settings.base_currency
    code = invoice.currency != own_currency
    iban = pays_to_iban(invoice.currency, company.country, bank)
    abroad = bool(invoice.buyer.country) and invoice.buyer.country != company.country
    faces = _face_lines(invoice, settings, labels, code)
    return {
        "document": {
            "kind": invoice.kind,
            "is_credit_note": credit,
            "draft": invoice.is_draft,
            "title": labels["credit_note" if credit else "invoice"],
            "number": invoice.number or "",
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "period_start": invoice.period_start,
            "period_end": invoice.period_end,
            "currency": invoice.currency,
            "locale": invoice.buyer.locale,
            "language": lang,
            "payment_reference": invoice.payment_reference,
            "payment_reference_is_kid": company.country == "NO" and not iban,
            "currency_code": code,
            "pay_to_iban": iban,
            # the basis is Norwegian law: a seller elsewhere states its own in its template
            "export_basis": company.country == "NO"
            and abroad
            and any(line.tax_rate == 0 for line in invoice.lines),
            "reverse_charge": invoice.reverse_charge,
            "credits": invoice.credits or "",
            "reason": invoice.reason,
            "contract_id": invoice.contract_id,
            "customer_id": invoice.customer_id,
            "po_number": invoice.po_number,
            "buyer_reference": "" if invoice.facts is None else invoice.facts.buyer_reference,
        },
        "seller": {
            "name": company.name,
            "address_lines": _lines_of(company.address),
            "country": company.country,
            "vat_id": company.vat_id,
            "org_number": org,
            "vat_registered": company.vat_id.upper().endswith("MVA"),
            "register": "Foretaksregisteret" if company.country == "NO" else "",
            "email": company.email,
            "bank_account": bank.account,
            "iban": bank.iban,
            "bic": bank.bic,
        },
        "buyer": {
            "customer_id": invoice.customer_id,
            "name": invoice.buyer.name,
            "address_lines": _lines_of(invoice.buyer.address),
            "country": invoice.buyer.country,
            "vat_id": invoice.buyer.vat_id,
            "email": invoice.buyer.email,
        },
        "lines": [
            {
                "line_id": line.line_id,
                "product": line.product,
                "description": line.description,
                "kind": line.kind,
                "price_period": line.price_period,
                "per": labels[f"per_{line.price_period}"],
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "discount_pct": line.discount_pct,
                "has_discount": line.discount_pct != 0,
                "service_start": line.service_start,
                "service_end": line.service_end,
                "active_days": line.active_days,
                "period_days": line.period_days,
                "prorated": line.active_days < line.period_days,
                "tax_rate": line.tax_rate,
                "amount": line.amount,
                "steps": [
                    {"start": s.start, "end": s.end, "days": s.days, "unit_price": s.unit_price}
                    for s in line.steps
                ],
                **face,
            }
            for line, face in zip(invoice.lines, faces, strict=True)
        ],
        "taxes": [
            {"rate": t.rate, "net": t.net, "tax": t.tax, "tax_nok": t.tax_nok}
            for t in invoice.taxes
        ],
        "totals": {
            "net": invoice.net,
            "tax": invoice.tax,
            "total": invoice.total,
            "tax_nok": invoice.tax_nok,
            "nok_rate": invoice.nok_rate,
            "nok_rate_date": invoice.nok_rate_date,
            "show_nok": invoice.tax_nok is not None,
        },
        "labels": labels,
    }
