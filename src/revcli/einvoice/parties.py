"""Who an e-invoice is from and to: the seller from revcli.yaml, the buyer from its customer row.

Both are taken when a document is issued and kept in its register record, so the XML of
an old document shows the parties as they were that day.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from revcli.settings import Company

if TYPE_CHECKING:
    from revcli.einvoice.model import Party

FORETAKSREGISTERET = "Foretaksregisteret"
_PEPPOL_ID = re.compile(r"^(?P<scheme>[0-9]{4}|EM):(?P<id>\S+)$")


def org_number_valid(digits: str) -> bool:
    """A Norwegian organisation number: 9 digits whose last is the mod-11 check digit of
    the first 8 (weights 3 2 7 6 5 4 3 2; a remainder giving 10 is never valid)."""
    if not re.fullmatch(r"[0-9]{9}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], (3, 2, 7, 6, 5, 4, 3, 2), strict=True))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(digits[8])


ORG_NUMBER_IN_VAT_ID = r"(?:NO)?[ \t]*([0-9]{3})[ \t]?([0-9]{3})[ \t]?([0-9]{3})[ \t]*(?:MVA)?"
"""A Norwegian VAT id (``NO999999999MVA``, ``NO 999 999 999 MVA``) or the bare number, in
capitals, its three groups of digits captured. Spaces are spaces and tabs only, so that a
check over a column (Polars' regular expressions) reads every id as this one does."""


def norwegian_org_number(vat_id: str) -> str:
    """The 9-digit organisation number in a Norwegian VAT id (``NO999999999MVA``, or the
    bare number), else empty."""
    match = re.fullmatch(ORG_NUMBER_IN_VAT_ID, vat_id.strip(" \t").upper())
    return "".join(match.groups()) if match else ""


def seller_party(company: Company) -> Party:
    """The seller: for a Norwegian company its org.nr (from ``vat_id``) is the Peppol
    address (scheme 0192) and it is entered in Foretaksregisteret; a seller elsewhere is
    addressed by its e-mail (scheme EM)."""
    from revcli.einvoice.model import Party  # the document model: not for validation

    org = norwegian_org_number(company.vat_id) if company.country == "NO" else ""
    if org:
        endpoint = f"0192:{org}"
    elif company.email:
        endpoint = f"EM:{company.email}"
    else:
        endpoint = ""
    return Party(
        name=company.name,
        country=company.country,
        address=company.address.replace("\\n", "\n"),
        vat_id=company.vat_id,
        org_number=org,
        endpoint=endpoint,
        email=company.email,
        register=FORETAKSREGISTERET if company.country == "NO" else "",
    )


def valid_org_number(vat_id: str, country: str) -> str:
    """The organisation number in a Norwegian buyer's VAT id when its mod-11 check digit
    is right, else empty: a wrong one is no address (Peppol PEPPOL-COMMON-R041)."""
    org = norwegian_org_number(vat_id) if country == "NO" else ""
    return org if org_number_valid(org) else ""


def buyer_endpoint(peppol_id: str, country: str, vat_id: str, email: str) -> str:
    """The buyer's Peppol address (SPEC §10): its ``peppol_id``, else a valid Norwegian
    org.nr from its VAT id (scheme 0192), else its billing e-mail (scheme EM); empty when
    none."""
    if peppol_id.strip():
        return peppol_id.strip()
    org = valid_org_number(vat_id, country)
    if org:
        return f"0192:{org}"
    return f"EM:{email.strip()}" if email.strip() else ""


def buyer_org_number(endpoint: str, country: str, vat_id: str) -> str:
    """A Norwegian buyer's valid organisation number (its legal-entity id), else empty."""
    scheme, _, ident = endpoint.partition(":")
    if scheme == "0192":
        return ident
    return valid_org_number(vat_id, country)


def peppol_id_problem(value: str) -> str:
    """What is wrong with a ``peppol_id`` (``SCHEME:ID``), or empty."""
    match = _PEPPOL_ID.match(value.strip())
    if not match:
        return (
            f"'{value}' is not a Peppol address SCHEME:ID with a 4-digit scheme or EM "
            "(e.g. 0192:923456785)"
        )
    if match["scheme"] == "0192" and not org_number_valid(match["id"]):
        return f"'{match['id']}' is not a valid Norwegian organisation number (mod 11)"
    if match["scheme"] == "EM" and "@" not in match["id"]:
        return f"'{match['id']}' is not an e-mail address"
    return ""
