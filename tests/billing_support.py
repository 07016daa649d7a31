"""Helpers for the billing tests: a complete seller, small data dirs, billing runs."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

from revcli.billing.model import Invoice
from revcli.billing.run import billing_run
from revcli.data.validate import load_dataset
from tests.conftest import ROOT, write_data_dir

SELLER = """\
company:
  name: Fjordsoft AS
  country: NO
  vat_id: NO921111118MVA
  address: "Storgata 1\\n0155 Oslo"
  email: faktura@fjordsoft.no
  bank_account: "1503.11.11118"
  iban: "NO43 1503 1111 118"
  bic: DNBANOKK
base_currency: NOK
locale: nb_NO
invoice:
  number_format: "{year}-{seq:05d}"
  payment_terms_days: 14
  default_tax_rate: 25
"""

CUSTOMERS = """\
customer_id,name,address,vat_id,tax_rate,reverse_charge,payment_terms_days,locale
C1,Nordlys Analyse AS,"Kongens gate 5, 7011 Trondheim",,,,,
"""


def billing_dir(
    root: Path,
    contracts: str,
    lines: str,
    *,
    customers: str = CUSTOMERS,
    fx: str | None = None,
    settings: str = SELLER,
) -> Path:
    """A data dir from CSV snippets (dedented) with a complete seller."""
    files = {
        "customers.csv": textwrap.dedent(customers),
        "contracts.csv": textwrap.dedent(contracts),
        "contract_lines.csv": textwrap.dedent(lines),
        "revcli.yaml": settings,
    }
    if fx is not None:
        files["fx_rates.csv"] = textwrap.dedent(fx)
    return write_data_dir(root, files)


def month(text: str) -> dt.date:
    year, mon = text.split("-")
    return dt.date(int(year), int(mon), 1)


def run_months(root: Path, first: str, last: str | None = None) -> list[Invoice]:
    """The draft invoices of the billing runs ``first``..``last`` (months)."""
    return billing_run(load_dataset(root), month(first), month(last or first))


def only(root: Path, period: str) -> Invoice:
    """The single invoice of a billing run."""
    invoices = run_months(root, period)
    assert len(invoices) == 1, f"expected one invoice in {period}, got {len(invoices)}"
    return invoices[0]


def amounts(invoice: Invoice) -> dict[str, Decimal]:
    return {line.line_id: line.amount for line in invoice.lines}


def revcli_process(*args: str | Path) -> subprocess.Popen[str]:
    """``python -m revcli ARGS`` as a real separate process (for crash and lock tests)."""
    return _process("revcli", *args)


def hooked_issue(root: Path, period: str, hook: str) -> subprocess.Popen[str]:
    """A real process issuing the billing run of ``period`` with the step callback ``hook``
    injected (:mod:`tests.hooked_issue`)."""
    return _process("tests.hooked_issue", hook, root, period)


def _process(module: str, *args: str | Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.Popen(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def counting_opens(name: str, *args: str | Path) -> subprocess.Popen[str]:
    """``python -m revcli ARGS`` as a real separate process that writes, as the last line of
    its stderr, how many times it opened a file called ``name`` (:mod:`tests.counted_opens`)."""
    return _process("tests.counted_opens", name, *args)


def own_seller(root: Path) -> Path:
    """``root``'s revcli.yaml (init's) with a seller of its own: no invoice is issued in the
    name of init's made-up one. The lines stay where they are."""
    settings = root / "revcli.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        .replace("Example AS", "Fjordsoft AS")
        .replace("NO999999999MVA", "NO921111118MVA")
        .replace("1234.56.78903", "1503.11.11118"),
        encoding="utf-8",
    )
    return root
