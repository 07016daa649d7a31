"""Invoice numbers (``invoice.number_format``), KID payment references, org numbers."""

from __future__ import annotations

import dataclasses
import re
import string
from dataclasses import dataclass

from revcli.billing.model import CREDIT_NOTE, Invoice
from revcli.data.controls import describe, first_unshowable
from revcli.errors import DataError, Issue
from revcli.settings import EXAMPLE_SELLER, SETTINGS_FILE, Company, Settings
from revcli.settings_checks import number_format_problem
from revcli.settings_tree import setting_line


@dataclass(frozen=True)
class NumberFormat:
    """``invoice.number_format``: ``{year}`` and ``{seq}`` (with an optional format spec).

    A *series* is the format with the year filled in; each series counts from 1.
    """

    text: str

    @staticmethod
    def parse(text: str, source: str = SETTINGS_FILE, line: int | None = None) -> NumberFormat:
        """Check the format; raise :class:`DataError` naming revcli.yaml when it is unusable."""
        problem = number_format_problem(text)
        if problem:
            raise DataError([Issue(source, line, "invoice.number_format", problem)])
        return NumberFormat(text)

    @staticmethod
    def of(settings: Settings) -> NumberFormat:
        """The checked ``invoice.number_format`` of ``settings``."""
        line = setting_line(settings.tree, "invoice.number_format")
        return NumberFormat.parse(settings.invoice.number_format, settings.source, line)

    def series(self, year: int) -> str:
        """The series of a year: ``{year}-{seq:05d}`` → ``2026-{seq:05d}``."""
        out = []
        for literal, field, spec, conversion in string.Formatter().parse(self.text):
            out.append(literal.replace("{", "{{").replace("}", "}}"))
            if field == "year":
                out.append(format(year, spec or ""))
            elif field is not None:
                out.append(
                    "{"
                    + field
                    + ("!" + conversion if conversion else "")
                    + (":" + spec if spec else "")
                    + "}"
                )
        return "".join(out)

    @staticmethod
    def number(series: str, seq: int) -> str:
        """The number with sequence ``seq`` in ``series``."""
        return series.format(seq=seq)


SAFE_CHARACTERS = frozenset(string.ascii_letters + string.digits + "._-")


def file_part(text: str) -> str:
    """``text`` as part of a file name, injectively: every character outside
    ``[A-Za-z0-9._-]`` — and ``%`` itself — becomes ``%XX`` per UTF-8 byte, and so does a
    leading ``.`` (no hidden files, no ``..``). ``INV/1`` → ``INV%2F1``, ``INV_1`` stays."""
    encoded = "".join(
        ch
        if ch in SAFE_CHARACTERS
        else "".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        for ch in text
    )
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded


def kid(number: str) -> str:
    """A Norwegian KID payment reference: the digits of ``number`` plus a MOD10 check digit."""
    digits = re.sub(r"[^0-9]", "", number)  # a bank reads 0-9 only: not ٣ of another script
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return digits + str((10 - total % 10) % 10)


def numbered(invoice: Invoice, series: str, seq: int, company: Company) -> Invoice:
    """``invoice`` with its number and payment reference: a KID for a Norwegian seller's
    invoice in NOK, else the number (SPEC §10; credit notes have none)."""
    number = NumberFormat.number(series, seq)
    if invoice.kind == CREDIT_NOTE:
        reference = ""
    elif company.country == "NO" and invoice.currency == "NOK":
        reference = kid(number)
    else:
        reference = number
    return dataclasses.replace(
        invoice, number=number, series=series, seq=seq, payment_reference=reference
    )


def seller_issues(settings: Settings) -> list[Issue]:
    """What an issued invoice needs from ``company:`` in revcli.yaml (bokføringsforskriften
    § 5-1-1, VAT directive art. 226): name, address, organisation/VAT number, bank account;
    and no text of it with a control character (:mod:`revcli.data.controls`)."""
    company = settings.company
    needed = {
        "name": company.name,
        "address": company.address,
        "vat_id": company.vat_id,
        "bank_account": company.bank_account,
    }
    issues = [
        Issue(
            settings.source,
            setting_line(settings.tree, f"company.{key}"),
            f"company.{key}",
            "is required on issued invoices",
        )
        for key, value in needed.items()
        if not value.strip()
    ]
    return issues + example_seller_issues(settings) + seller_text_issues(settings)


def example_seller_issues(settings: Settings) -> list[Issue]:
    """A problem per value of ``company:`` that is still the made-up seller ``revcli init``
    wrote (:data:`~revcli.settings.EXAMPLE_SELLER`): an issued invoice is a legal document
    with a number that is never used again, so it must name the real seller."""
    return [
        Issue(
            settings.source,
            setting_line(settings.tree, f"company.{key}"),
            f"company.{key}",
            f"is still the example revcli init wrote ('{example}'); an issued invoice must "
            "name the real seller: edit company: in revcli.yaml",
        )
        for key, example in EXAMPLE_SELLER.items()
        if getattr(settings.company, key).strip() == example
    ]


def seller_text_issues(settings: Settings) -> list[Issue]:
    """A problem per text of ``company:`` in revcli.yaml that holds a character no invoice
    can show (:mod:`revcli.data.controls`): drafts are refused for it too."""
    issues = []
    for field in dataclasses.fields(settings.company):
        value = getattr(settings.company, field.name)
        char = first_unshowable(value) if isinstance(value, str) else None
        if char is not None:
            key = f"company.{field.name}"
            issues.append(
                Issue(
                    settings.source,
                    setting_line(settings.tree, key),
                    key,
                    f"holds {describe(char)}, which an invoice cannot show; remove it",
                )
            )
    return issues


def org_number(company: Company) -> str:
    """The Norwegian organisation number in the seller's VAT id (NO999999999MVA → 999 999 999)."""
    digits = re.sub(r"\D", "", company.vat_id)
    if company.country == "NO" and len(digits) == 9:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return ""


def document_name(number: str, extension: str) -> str:
    """The file an issued document is written to: its number as a file name
    (:func:`~revcli.billing.numbering.file_part`), then the format. Documents issued before
    names were percent-encoded keep the name their record holds."""
    return f"{file_part(number)}.{extension}"
