"""The VAT category of an e-invoice line (EN 16931 / UNCL 5305), by one rule.

For a Norwegian seller: a rate above 0 is ``S`` (standard); 0 % to a buyer abroad is an
export of services, zero-rated under merverdiavgiftsloven § 6-22, category ``G`` with
exemption reason ``VATEX-EU-G`` (with ``reverse_charge`` the reason also says the buyer
accounts for the VAT); 0 % to a Norwegian buyer is ``Z`` (zero rated), which carries no
exemption reason (BR-Z-10). A seller elsewhere uses ``AE`` (reverse charge,
``VATEX-EU-AE``) for a reverse-charge buyer, and ``G`` for 0 % to another buyer abroad
with a reason that names no law (the Norwegian act is not its law). ``O`` (outside the
scope of VAT) is never used: it forbids the seller's VAT id that Norwegian rule NO-R-001
requires.
docs/invoicing.md argues the choice of ``G``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

EXPORT_REASON = "Export of services, zero-rated (merverdiavgiftsloven § 6-22)"
EXPORT_REASON_ELSEWHERE = "Export of services, zero-rated"
REVERSE_CHARGE_REASON = "Reverse charge: the buyer accounts for the VAT"


@dataclass(frozen=True)
class Category:
    """A VAT category with its rate and, where the rules want one, its exemption reason."""

    code: str
    rate: Decimal
    reason_code: str = ""
    reason: str = ""


def category(
    rate: Decimal, *, reverse_charge: bool, buyer_country: str, seller_country: str
) -> Category:
    """The category of a line taxed at ``rate`` percent (see the module docstring)."""
    if rate > 0:
        return Category("S", rate)
    abroad = buyer_country.upper() != seller_country.upper()
    norwegian = seller_country.upper() == "NO"
    if not norwegian and reverse_charge:
        return Category("AE", rate, "VATEX-EU-AE", REVERSE_CHARGE_REASON)
    if abroad:
        reason = EXPORT_REASON if norwegian else EXPORT_REASON_ELSEWHERE
        reason += f". {REVERSE_CHARGE_REASON}" if reverse_charge else ""
        return Category("G", rate, "VATEX-EU-G", reason)
    return Category("Z", rate)
