"""The tax of a credit note when an invoice is credited in parts (docs/invoicing.md).

Tax is rounded on the running total of what has been credited at a rate: a credit note's
tax at a rate is the tax of every line of the invoice credited at that rate so far (its
own included), rounded half-up as an invoice's is, less what earlier credit notes credited
at it; its tax in NOK likewise on the running tax. So

* each note's tax is within one minor unit of its own net × rate, as EN 16931 asks
  (BR-CO-17), however many notes there are;
* the note that credits the last lines at a rate brings the tax credited there to the
  invoice's exactly: an invoice and all its credit notes add up to 0 at every rate, the
  tax in NOK too; a whole invoice credited at once negates its tax as before;
* where lines of both signs would make the running tax overshoot, it is capped so that
  the notes never credit more tax at a rate than the invoice has (nor less than none).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from revcli.billing.model import Invoice, TaxLine, credit_note, nok_tax, rate_tax, totals
from revcli.billing.money import money, plain

NO_NOK = Decimal("0.00")


def _by_rate(documents: Iterable[Invoice]) -> dict[Decimal, tuple[Decimal, Decimal, Decimal]]:
    """The net, tax and tax in NOK of ``documents`` summed per rate."""
    sums: dict[Decimal, tuple[Decimal, Decimal, Decimal]] = {}
    for document in documents:
        for t in document.taxes:
            net, tax, nok = sums.get(plain(t.rate), (Decimal(0), Decimal(0), NO_NOK))
            sums[plain(t.rate)] = (net + t.net, tax + t.tax, nok + (t.tax_nok or NO_NOK))
    return sums


def _within(amount: Decimal, invoiced: Decimal, credited: Decimal) -> Decimal:
    """``amount`` capped so that ``credited + amount`` lies between 0 and ``-invoiced``."""
    low, high = sorted((Decimal(0), -invoiced))
    return min(max(amount, low - credited), high - credited) + 0


def settled_taxes(
    taxes: Sequence[TaxLine], original: Invoice, earlier: Sequence[Invoice]
) -> tuple[TaxLine, ...]:
    """The tax lines of a credit note of ``original`` whose own lines give ``taxes`` (their
    nets), with the tax rounded on the running total (module docstring); ``earlier`` are
    the credit notes of ``original`` issued before it."""
    currency = original.currency
    zero = money(Decimal(0), currency)
    invoiced = _by_rate([original])
    credited = _by_rate(earlier)
    settled = []
    for mine in taxes:
        key = plain(mine.rate)
        _, tax_in, nok_in = invoiced.get(key, (zero, zero, NO_NOK))
        net_done, tax_done, nok_done = credited.get(key, (zero, zero, NO_NOK))
        running = rate_tax(net_done + mine.net, mine.rate, currency)
        tax = _within(running - tax_done, tax_in, tax_done) + zero
        nok = None
        if original.nok_rate is not None:
            nok_running = nok_tax(tax_done + tax, original.nok_rate)
            nok = _within(nok_running - nok_done, nok_in, nok_done) + NO_NOK
        settled.append(TaxLine(mine.rate, mine.net, tax, nok))
    return tuple(settled)


def settled_note(
    original: Invoice, earlier: Sequence[Invoice], line_ids: Sequence[str], reason: str, on: dt.date
) -> Invoice:
    """:func:`.model.credit_note` of ``line_ids`` with its tax settled against ``original``
    and its credit notes ``earlier`` (:func:`settled_taxes`)."""
    note = credit_note(original, line_ids, reason, on)
    taxes = settled_taxes(note.taxes, original, earlier)
    net, tax, total, tax_nok = totals(taxes, original.currency, with_nok=note.tax_nok is not None)
    return dataclasses.replace(note, taxes=taxes, net=net, tax=tax, total=total, tax_nok=tax_nok)
