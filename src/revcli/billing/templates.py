"""Invoice documents from Liquid templates: the context and the locale-aware filters.

Loading, the strict environment and ``FILE:LINE:COLUMN`` errors are
:mod:`revcli.templating`'s, shared with the reminder e-mails. The context and the
filters are documented in docs/templates.md.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent, parse_pattern
from liquid import Environment
from liquid.exceptions import FilterArgumentError
from liquid.filter import with_context

from revcli.billing.invoice import CREDIT_NOTE, Invoice, org_number, round_half_up
from revcli.schema import minor_units
from revcli.settings import InvoiceSettings, Settings
from revcli.templating import FILTERS as SHARED_FILTERS
from revcli.templating import environment as shared_environment
from revcli.templating import find_template, load_template


class DocFormat(StrEnum):
    """Formats of an invoice document."""

    HTML = "html"
    PDF = "pdf"
    MD = "md"
    TXT = "txt"

    @property
    def template_kind(self) -> str:
        """The template format it is rendered from (PDF is rendered from HTML)."""
        return "html" if self in (DocFormat.HTML, DocFormat.PDF) else self.value


# --- where templates are -----------------------------------------------------------------


def template_for(
    settings: Settings, root: Path, fmt: DocFormat, template: Path | None = None
) -> Path:
    """The template a document of ``fmt`` is rendered from.

    ``--template`` wins. Else HTML and PDF use ``invoice.template`` of revcli.yaml
    (relative to the data dir), and Markdown and text ``templates/invoice.md.liquid`` /
    ``invoice.txt.liquid`` in the data dir. A default that the data dir does not hold is
    taken from the templates revcli ships.
    """
    if template is not None:
        return template
    kind = fmt.template_kind
    configured = settings.invoice.template if kind == "html" else f"templates/invoice.{kind}.liquid"
    default = InvoiceSettings.template if kind == "html" else configured
    return find_template(root, configured, default)


def format_of_template(template: Path) -> DocFormat:
    """``x.md.liquid`` → md, ``x.txt.liquid`` → txt, anything else → html."""
    suffixes = [s.lower() for s in template.suffixes]
    if ".md" in suffixes:
        return DocFormat.MD
    if ".txt" in suffixes:
        return DocFormat.TXT
    return DocFormat.HTML


# --- filters --------------------------------------------------------------------------------


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool):
        raise FilterArgumentError(f"{name}: expected a number, found '{value}'", token=None)
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise FilterArgumentError(f"{name}: expected a number, found {value!r}", token=None)
    return number


def format_money(value: Decimal, currency: str, locale: str | Locale) -> str:
    """``value`` in ``currency`` for ``locale``, with exactly the currency's ISO 4217 minor
    units, rounded half-up first (Babel alone would round half-even, and use CLDR digits).

    nb_NO: ``12 345,50 kr``; en_GB: ``£12,345.50``; JPY has no decimals, KWD three.
    """
    places = minor_units(currency)
    pattern = copy.copy(parse_pattern(Locale.parse(locale).currency_formats["standard"].pattern))
    pattern.frac_prec = (places, places)
    text: str = pattern.apply(
        round_half_up(value, places), locale, currency=currency, currency_digits=False
    )
    return text


def _document(context: Any) -> dict[str, Any]:
    document = context.resolve("document")
    return document if isinstance(document, dict) else {}


def _locale(context: Any, name: str) -> Locale:
    """The document's locale; a locale Babel does not know is a filter error naming it."""
    code = str(_document(context).get("locale", "nb_NO"))
    try:
        return Locale.parse(code)
    except (ValueError, TypeError, UnknownLocaleError):
        raise FilterArgumentError(
            f"{name}: unknown locale '{code}' (the customer's locale; expected e.g. nb_NO "
            "or en_GB)",
            token=None,
        ) from None


def _cannot(what: str, exc: Exception) -> FilterArgumentError:
    """A library failure inside a filter, as an error at the filter's place in the file
    (``decimal``'s errors say only which signal fired: name the problem instead)."""
    detail = "out of range" if isinstance(exc, ArithmeticError) else str(exc)
    return FilterArgumentError(f"{what} ({detail})", token=None)


@with_context
def money_filter(value: object, currency: object = None, *, context: Any) -> str:
    """``{{ amount | money }}`` in the document's currency and locale; ``money: "NOK"``."""
    doc = _document(context)
    code = str(currency or doc.get("currency") or "NOK")
    locale = _locale(context, "money")
    try:
        return format_money(_decimal(value, "money"), code, locale)
    except (KeyError, ValueError, ArithmeticError) as exc:
        raise _cannot(f"money: cannot format {value!r} in {code!r}", exc) from None


@with_context
def number_filter(value: object, *, context: Any) -> str:
    """``{{ quantity | number }}``: a decimal with every digit it has, grouped for the locale."""
    locale = _locale(context, "number")
    number = _decimal(value, "number")
    try:
        return format_decimal(number, locale=locale, decimal_quantization=False)
    except (ValueError, ArithmeticError) as exc:
        raise _cannot(f"number: cannot format {value!r}", exc) from None


@with_context
def percent_filter(value: object, *, context: Any) -> str:
    """``{{ 25 | percent }}`` → ``25 %`` (nb_NO) / ``25%`` (en_GB): the value is in percent."""
    locale = _locale(context, "percent")
    number = _decimal(value, "percent")
    try:
        return format_percent(number / 100, locale=locale, decimal_quantization=False)
    except (ValueError, ArithmeticError) as exc:
        raise _cannot(f"percent: cannot format {value!r}", exc) from None


_DATE_STYLES = ("short", "medium", "long", "full")


@with_context
def date_filter(value: object, fmt: object = "medium", *, context: Any) -> str:
    """``{{ day | date }}`` for the document's locale. ``fmt``: ``numeric`` (always a
    four-digit year: ``1.12.2026``, ``01/12/2026``, ``12/1/2026``), ``short``, ``medium``
    (the default), ``long``, ``full``, a CLDR pattern (``"d. MMMM y"``) or, with a ``%``,
    a strftime format (``"%Y-%m-%d"``)."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise FilterArgumentError(
                f"date: '{value}' is not a YYYY-MM-DD date", token=None
            ) from None
    if not isinstance(value, dt.date):
        raise FilterArgumentError(f"date: expected a date, found '{value}'", token=None)
    pattern = str(fmt)
    if "%" in pattern:
        return value.strftime(pattern)
    locale = _locale(context, "date")
    try:
        if pattern == "numeric":
            return str(format_skeleton("yMMdd", value, locale=locale))
        return str(format_date(value, pattern, locale=locale))
    except (ValueError, AttributeError, KeyError) as exc:
        # A CLDR pattern Babel cannot apply to a date (a time field, a bad length).
        raise FilterArgumentError(
            f"date: cannot format a date with the pattern {pattern!r} ({exc})", token=None
        ) from None


INVOICE_FILTERS: dict[str, Callable[..., str]] = {
    "money": money_filter,
    "number": number_filter,
    "percent": percent_filter,
    "date": date_filter,
}
"""The locale-aware filters of invoice templates (``date`` replaces Liquid's own)."""

FILTERS: dict[str, Callable[..., str]] = {**SHARED_FILTERS, **INVOICE_FILTERS}
"""Every filter revcli adds to Liquid's standard ones in an invoice template."""


def environment(folder: Path, *, autoescape: bool) -> Environment:
    """A strict Liquid environment for invoice templates in ``folder``, with revcli's filters."""
    return shared_environment(folder, autoescape=autoescape, filters=INVOICE_FILTERS)


# --- the context ------------------------------------------------------------------------------


LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "draft": "DRAFT",
        "draft_note": "Draft for review: not an invoice, no number assigned",
        "number": "Invoice no.",
        "credit_number": "Credit note no.",
        "issue_date": "Invoice date",
        "credit_date": "Date",
        "due_date": "Due date",
        "period": "Billing period",
        "customer_id": "Customer no.",
        "contract": "Contract",
        "your_reference": "Your reference",
        "seller": "From",
        "buyer": "Bill to",
        "description": "Description",
        "service_period": "Service period",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "discount": "Discount",
        "vat": "VAT",
        "vat_rate": "VAT rate",
        "amount": "Amount",
        "basis": "Taxable amount",
        "net": "Total excl. VAT",
        "total_vat": "Total VAT",
        "total": "Total",
        "amount_due": "Amount due",
        "amount_credited": "Amount credited",
        "vat_in_nok": "VAT in NOK",
        "exchange_rate": "exchange rate",
        "reverse_charge": "Reverse charge",
        "reverse_charge_note": "The customer accounts for the VAT (VAT directive art. 196).",
        "buyer_vat_id": "Customer VAT id",
        "vat_id": "VAT id",
        "org_number": "Org. no.",
        "payment": "Payment",
        "bank_account": "Bank account",
        "payment_reference": "Payment reference",
        "kid": "KID (payment reference)",
        "pay_by": "Please pay by",
        "credits": "Credits invoice",
        "reason": "Reason",
        "days": "days",
        "from": "from",
        "per": "per",
        "on": "on",
        "per_month": "month",
        "per_quarter": "quarter",
        "per_half-year": "half-year",
        "per_year": "year",
        "per_term": "term",
        "per_once": "one-time",
        "page": "Page",
        "of": "of",
    },
    "nb": {
        "invoice": "Faktura",
        "credit_note": "Kreditnota",
        "draft": "UTKAST",
        "draft_note": "Utkast til gjennomsyn: ikke en faktura, uten fakturanummer",
        "number": "Fakturanr.",
        "credit_number": "Kreditnotanr.",
        "issue_date": "Fakturadato",
        "credit_date": "Dato",
        "due_date": "Forfallsdato",
        "period": "Faktureringsperiode",
        "customer_id": "Kundenr.",
        "contract": "Avtale",
        "your_reference": "Deres ref.",
        "seller": "Fra",
        "buyer": "Faktureres til",
        "description": "Beskrivelse",
        "service_period": "Leveringsperiode",
        "quantity": "Antall",
        "unit_price": "Enhetspris",
        "discount": "Rabatt",
        "vat": "MVA",
        "vat_rate": "MVA-sats",
        "amount": "Beløp",
        "basis": "Grunnlag",
        "net": "Sum eks. mva",
        "total_vat": "Sum mva",
        "total": "Totalt",
        "amount_due": "Å betale",
        "amount_credited": "Kreditert beløp",
        "vat_in_nok": "MVA i NOK",
        "exchange_rate": "kurs",
        "reverse_charge": "Omvendt avgiftsplikt (reverse charge)",
        "reverse_charge_note": "Kjøper beregner merverdiavgiften.",
        "buyer_vat_id": "Kjøpers MVA-nr.",
        "vat_id": "MVA-nr.",
        "org_number": "Org.nr.",
        "payment": "Betaling",
        "bank_account": "Kontonr.",
        "payment_reference": "Betalingsreferanse",
        "kid": "KID",
        "pay_by": "Betales innen",
        "credits": "Krediterer faktura",
        "reason": "Årsak",
        "days": "dager",
        "from": "fra",
        "per": "per",
        "on": "av",
        "per_month": "mnd",
        "per_quarter": "kvartal",
        "per_half-year": "halvår",
        "per_year": "år",
        "per_term": "periode",
        "per_once": "engangs",
        "page": "Side",
        "of": "av",
    },
}
"""Printed words by language: Norwegian (nb, nn, no) for Norwegian locales, else English."""


def language(locale: str) -> str:
    """``nb`` for a Norwegian locale, else ``en``."""
    try:
        code = Locale.parse(locale).language
    except (ValueError, UnknownLocaleError):
        return "en"
    return "nb" if code in ("nb", "nn", "no") else "en"


def _lines_of(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\\n", "\n").split("\n") if part.strip()]


def document_context(invoice: Invoice, settings: Settings) -> dict[str, Any]:
    """Everything a template sees (docs/templates.md): ``document``, ``seller``, ``buyer``,
    ``lines``, ``taxes``, ``totals`` and ``labels``. Money values are exact Decimals."""
    company = settings.company
    credit = invoice.kind == CREDIT_NOTE
    lang = language(invoice.buyer.locale)
    labels = dict(LABELS[lang])
    org = org_number(company)
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
            "payment_reference_is_kid": company.country == "NO",
            "reverse_charge": invoice.reverse_charge,
            "credits": invoice.credits or "",
            "reason": invoice.reason,
            "contract_id": invoice.contract_id,
            "customer_id": invoice.customer_id,
            "po_number": invoice.po_number,
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
            "bank_account": company.bank_account,
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
            }
            for line in invoice.lines
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


# --- rendering -----------------------------------------------------------------------------


class DocumentMaker:
    """Renders invoices to documents of one format from one template (loaded once)."""

    def __init__(self, settings: Settings, template: Path, fmt: DocFormat) -> None:
        self.settings = settings
        self.path = template
        self.format = fmt
        self.template = load_template(
            template, autoescape=fmt.template_kind == "html", filters=INVOICE_FILTERS
        )

    @property
    def extension(self) -> str:
        return self.format.value

    def text(self, invoice: Invoice) -> str:
        """The document as text (HTML for PDF)."""
        return self.template.render(document_context(invoice, self.settings))

    def __call__(self, invoice: Invoice) -> bytes:
        """The document's bytes: UTF-8 text, or a PDF."""
        text = self.text(invoice)
        if self.format is DocFormat.PDF:
            from revcli.billing.pdf import html_to_pdf

            return html_to_pdf(text, self.path.parent, invoice.issue_date)
        return text.encode("utf-8")


def document_maker(
    settings: Settings, root: Path, fmt: DocFormat | None, template: Path | None
) -> DocumentMaker:
    """The maker for ``--format``/``--template`` (the format follows the template's name
    when only ``--template`` is given; HTML by default)."""
    chosen = fmt or (format_of_template(template) if template is not None else DocFormat.HTML)
    return DocumentMaker(settings, template_for(settings, root, chosen, template), chosen)


def draft_name(invoice: Invoice, extension: str) -> str:
    """The file of a draft: ``draft-CONTRACT-PERIODSTART.EXT``, safe for file names."""
    contract = re.sub(r"[^A-Za-z0-9._-]", "_", invoice.contract_id)
    return f"draft-{contract}-{invoice.period_start.isoformat()}.{extension}"
