"""The tax of a credit note when an invoice is credited in parts (docs/invoicing.md).

A credit note's tax is computed per rate on its own lines, half-up, like an invoice's
(:func:`.model.tax_lines`), within two bounds that keep an invoice and its credit notes
consistent, per rate and for the tax shown in NOK alike:

* the note that credits the last lines of an invoice not yet credited takes what is left:
  the invoice's tax less the tax earlier credit notes credited, so that the invoice and
  all its credit notes add up to exactly 0;
* an earlier (partial) note keeps its own rounding, but the tax all the notes credit
  together never goes beyond the invoice's tax (nor past 0): it is capped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from revcli.billing.model import Invoice, TaxLine, credit_note, totals
from revcli.billing.money import money, plain

NO_NOK = Decimal("0.00")


def _by_rate(documents: Iterable[Invoice]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """The tax and the tax in NOK of ``documents`` summed per rate."""
    sums: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for document in documents:
        for t in document.taxes:
            tax, nok = sums.get(plain(t.rate), (Decimal(0), NO_NOK))
            sums[plain(t.rate)] = (tax + t.tax, nok + (t.tax_nok or NO_NOK))
    return sums


def _within(amount: Decimal, invoiced: Decimal, credited: Decimal) -> Decimal:
    """``amount`` capped so that ``credited + amount`` lies between 0 and ``-invoiced``."""
    low, high = sorted((Decimal(0), -invoiced))
    return min(max(amount, low - credited), high - credited) + 0


def settled_taxes(
    taxes: Sequence[TaxLine],
    original: Invoice,
    earlier: Sequence[Invoice],
    *,
    final: bool,
) -> tuple[TaxLine, ...]:
    """The tax lines of a credit note of ``original`` whose own rounding gave ``taxes``.

    ``earlier`` are the credit notes of ``original`` issued before it; ``final`` says the
    note credits the last lines not yet credited. A final note also has a tax line for a
    rate of the invoice none of its lines has when earlier notes left tax at that rate
    (its net is 0).
    """
    zero = money(Decimal(0), original.currency)
    with_nok = original.nok_rate is not None
    invoiced = _by_rate([original])
    credited = _by_rate(earlier)
    own = {plain(t.rate): t for t in taxes}
    rates = {plain(t.rate): t.rate for t in original.taxes} if final else {}
    rates.update({plain(t.rate): t.rate for t in taxes})
    settled = []
    for key in sorted(rates):
        tax_in, nok_in = invoiced.get(key, (zero, NO_NOK))
        tax_done, nok_done = credited.get(key, (zero, NO_NOK))
        mine = own.get(key, TaxLine(rates[key], zero, zero, NO_NOK))
        if final:
            tax, nok = -(tax_in + tax_done) + zero, -(nok_in + nok_done) + NO_NOK
        else:
            tax = _within(mine.tax, tax_in, tax_done) + zero
            nok = _within(mine.tax_nok or NO_NOK, nok_in, nok_done) + NO_NOK
        if key in own or tax or (with_nok and nok):
            settled.append(TaxLine(mine.rate, mine.net, tax, nok if with_nok else None))
    return tuple(settled)


def settled_note(
    original: Invoice, earlier: Sequence[Invoice], line_ids: Sequence[str], reason: str, on: dt.date
) -> Invoice:
    """:func:`.model.credit_note` of ``line_ids`` with its tax settled against ``original``
    and its credit notes ``earlier`` (:func:`settled_taxes`)."""
    note = credit_note(original, line_ids, reason, on)
    done = {line.line_id for e in (*earlier, note) for line in e.lines}
    final = {line.line_id for line in original.lines} <= done
    taxes = settled_taxes(note.taxes, original, earlier, final=final)
    net, tax, total, tax_nok = totals(taxes, original.currency, with_nok=note.tax_nok is not None)
    return dataclasses.replace(note, taxes=taxes, net=net, tax=tax, total=total, tax_nok=tax_nok)
