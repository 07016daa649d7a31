"""What e-invoices need from the data dir, checked by ``revcli validate``.

Errors: a ``peppol_id`` that is no Peppol address, a ``company.iban`` or ``company.bic``
that cannot be right. Warnings (the data is still usable; issuing may be refused later):
contracts in a currency other than the seller's while ``company.iban``/``company.bic``
are missing, a Norwegian seller VAT id that breaks NO-R-001, and a Norwegian customer's
``vat_id`` that holds no valid organisation number.
"""

from __future__ import annotations

import re

import polars as pl

from revcli.data.validate import DataSet
from revcli.einvoice.parties import (
    ORG_NUMBER_IN_VAT_ID,
    norwegian_org_number,
    org_number_valid,
    peppol_id_problem,
)
from revcli.errors import Issue, Severity
from revcli.settings import Company, Settings
from revcli.settings_tree import setting_line

_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def iban_valid(text: str) -> bool:
    """ISO 13616: two letters, two check digits, up to 30 letters or digits; the whole,
    rotated by four and with letters as 10..35, is 1 modulo 97."""
    iban = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}", iban):
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def seller_currency(settings: Settings) -> str:
    """The currency the seller keeps its books in: NOK for a Norwegian seller, else the
    base currency."""
    return "NOK" if settings.company.country == "NO" else settings.base_currency


def bank_issues(settings: Settings) -> list[Issue]:
    """``company.iban`` and ``company.bic``, when set, must be well-formed."""
    company: Company = settings.company
    issues = []
    if company.iban and not iban_valid(company.iban):
        issues.append(
            Issue(
                settings.source,
                setting_line(settings.tree, "company.iban"),
                "company.iban",
                f"'{company.iban}' is not a valid IBAN",
            )
        )
    if company.bic and not _BIC.match(re.sub(r"\s", "", company.bic).upper()):
        issues.append(
            Issue(
                settings.source,
                setting_line(settings.tree, "company.bic"),
                "company.bic",
                f"'{company.bic}' is not a BIC (8 or 11 letters and digits, e.g. DNBANOKK)",
            )
        )
    return issues


def foreign_currencies(data: DataSet) -> list[str]:
    """Currencies of contracts that are not the seller's (sorted)."""
    own = seller_currency(data.settings)
    values = data.contracts.get_column("currency").drop_nulls().unique().to_list()
    return sorted(str(c) for c in values if c != own)


def einvoice_issues(data: DataSet) -> list[Issue]:
    """The errors of the e-invoice settings and columns (a malformed IBAN, BIC or
    ``peppol_id``), which every command refuses as ``revcli validate`` does."""
    issues = bank_issues(data.settings)
    customers = data.customers
    peppol = customers.get_column("peppol_id") if "peppol_id" in customers.columns else None
    if peppol is not None and peppol.null_count() < peppol.len():
        for source, line, value in (
            customers.lazy()
            .filter(pl.col("peppol_id").is_not_null())
            .select("_source", "_line", "peppol_id")
            .collect()
            .iter_rows()
        ):
            problem = peppol_id_problem(str(value))
            if problem:
                issues.append(Issue(source, line, "peppol_id", problem))
    return issues


def einvoice_warnings(data: DataSet) -> list[Issue]:
    """What invoicing will need and the settings lack: an IBAN and BIC for contracts in a
    foreign currency, a valid organisation number for e-invoices. Warnings of ``revcli
    validate`` and of the invoice commands; a report, which invoices nothing, says nothing
    of them."""
    settings = data.settings
    company = settings.company
    issues: list[Issue] = []
    foreign = foreign_currencies(data)
    missing = [k for k, v in (("iban", company.iban), ("bic", company.bic)) if not v.strip()]
    if foreign and missing:
        issues += [
            Issue(
                settings.source,
                setting_line(settings.tree, f"company.{key}"),
                f"company.{key}",
                f"is needed to invoice contracts in {', '.join(foreign)} (payment to IBAN + "
                "BIC); issuing such an invoice fails without it",
                Severity.WARNING,
            )
            for key in missing
        ]
    if company.country == "NO" and company.vat_id:
        org = norwegian_org_number(company.vat_id)
        if not re.fullmatch(r"NO[0-9]{9}MVA", company.vat_id.strip()) or not org_number_valid(org):
            issues.append(
                Issue(
                    settings.source,
                    setting_line(settings.tree, "company.vat_id"),
                    "company.vat_id",
                    f"'{company.vat_id}' is not NO + a valid 9-digit organisation number + MVA; "
                    "e-invoices will fail the Norwegian rule NO-R-001",
                    Severity.WARNING,
                )
            )
    return issues + buyer_vat_warnings(data)


def _org_number_valid(vat_id: pl.Expr) -> pl.Expr:
    """:func:`~revcli.einvoice.parties.valid_org_number` as an expression over a column of
    Norwegian VAT ids: its 9 digits found, and the last the mod-11 check digit."""
    groups = (
        vat_id.str.strip_chars(" \t")
        .str.to_uppercase()
        .str.extract_groups(f"^{ORG_NUMBER_IN_VAT_ID}$")
    )
    digits = pl.concat_str(
        groups.struct.field("1"), groups.struct.field("2"), groups.struct.field("3")
    )
    weighted = pl.sum_horizontal(
        digits.str.slice(i, 1).cast(pl.Int64) * w for i, w in enumerate((3, 2, 7, 6, 5, 4, 3, 2))
    )
    check = (11 - weighted % 11) % 11
    return (check != 10) & (check == digits.str.slice(8, 1).cast(pl.Int64))


def buyer_vat_warnings(data: DataSet) -> list[Issue]:
    """A Norwegian customer's ``vat_id`` without a valid organisation number (9 digits, the
    last the mod-11 check digit): its invoices print it as the buyer's VAT id, and its
    e-invoices cannot address the buyer by it (Peppol PEPPOL-COMMON-R041). Checked as
    one expression over the customers; only the ids found wanting become messages."""
    vat = pl.col("vat_id").cast(pl.String)
    rows = (
        data.customers.lazy()
        .filter(
            (pl.col("country") == "NO")
            & (vat.str.strip_chars() != "")
            & ~_org_number_valid(vat).fill_null(value=False)
        )
        .select("_source", "_line", vat)
        .collect()
        .iter_rows()
    )
    return [
        Issue(
            source,
            line,
            "vat_id",
            f"'{vat_id}' holds no valid Norwegian organisation number (9 digits, mod 11): "
            "invoices print it as the buyer's VAT id, and e-invoices address the buyer by "
            "its peppol_id or billing_email instead",
            Severity.WARNING,
        )
        for source, line, vat_id in rows
    ]
