"""``revcli init``: a minimal data dir that validates cleanly and explains itself."""

from __future__ import annotations

import os
from pathlib import Path

from revcli.output.together import write_together

FILES = {
    "revcli.yaml": """\
# Settings of this data dir. Every key is described under "Settings" in revcli's docs/rules.md.
company:              # the seller, printed on invoices
  name: Example AS
  country: NO
  vat_id: NO999999999MVA
  address: "Storgata 1\\n0155 Oslo"
  email: billing@example.no
  bank_account: "1234.56.78903"
base_currency: NOK
locale: nb_NO
invoice:
  number_format: "{year}-{seq:05d}"
  payment_terms_days: 14
  default_tax_rate: 25
  template: templates/invoice.html.liquid
renewals:
  default_notice_days: 30
""",
    "customers.csv": """\
customer_id,name,country,segment,region,owner,billing_email
CUST-001,Nordlys Analyse AS,NO,SMB,Oslo,kari@example.no,faktura@nordlys.example
""",
    "contracts/CTR-001.yaml": """\
# One contract per file; its lines are listed under `lines:`.
contract_id: CTR-001
customer_id: CUST-001
start_date: 2026-01-01
end_date: 2026-12-31
billing_period: year
auto_renew: true
notice_days: 60
renewal_uplift_pct: 3
lines:
  - product: PRO
    description: Pro plan, per seat
    quantity: 10
    unit_price: 490.00
    price_period: month
  - product: ONBOARD
    description: Onboarding workshop
    unit_price: 15000.00
    price_period: once
""",
    "README.md": """\
# Revenue data

This folder is a revcli data dir: the contracts of the business, kept in git.

- `revcli.yaml` — settings: the seller, base currency, invoice numbering, notice defaults.
- `customers.csv` — one row per customer (`customer_id`, `name`, `country`, …).
- `contracts/*.yaml` — one contract per file with its `lines:`; a line's `price_period`
  says what `unit_price` pays for (`month`, `quarter`, `half-year`, `year`, `term`, or
  `once` for one-time fees, which never count toward MRR).

Check the data with `revcli validate` (silent when clean; run it in CI), then:

    revcli mrr            # MRR, ARR and movements for the last 12 months
    revcli mrr --by product

Add a customer by adding a row to `customers.csv`; add a contract by copying
`contracts/CTR-001.yaml` under a new `contract_id`.
""",
}


def settings_text(base_currency: str = "NOK") -> str:
    """The ``revcli.yaml`` that ``revcli init`` writes, with ``base_currency`` set."""
    text = FILES["revcli.yaml"]
    return text.replace("base_currency: NOK\n", f"base_currency: {base_currency}\n")


def scaffold(folder: Path, *, force: bool = False) -> list[tuple[Path, bool]] | None:
    """Write the starter files into ``folder``, all or none (a ``contracts`` that is a
    file, a read-only folder: :class:`~revcli.errors.RevcliError` and nothing written):
    each path, and whether a file was there before (replaced with ``force``); ``None`` if
    any exists and not ``force``."""
    targets = {folder / name: text for name, text in FILES.items()}
    existed = {path: os.path.lexists(path) for path in targets}  # a dangling link too
    if not force and any(existed.values()):
        return None
    write_together(targets)  # all or none: a later file that cannot be written undoes the rest
    return [(path, existed[path]) for path in targets]
