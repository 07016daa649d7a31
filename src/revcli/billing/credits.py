"""The tax of a credit note when an invoice is credited in parts (docs/invoicing.md).

A credit note's tax is computed per rate on its own lines, half-up, like an invoice's
(:func:`.model.tax_lines`), within two bounds that keep an invoice and its credit notes
consistent, per rate and for the tax shown in NOK alike:

* the note that credits the last lines of an invoice at a rate not yet credited takes
  what is left at that rate: the invoice's tax at the rate less the tax earlier credit
  notes credited at it, so that the invoice and all its credit notes add up to exactly 0
  at every rate (and in all);
* an earlier (partial) note keeps its own rounding, but the tax all the notes credit
  together at a rate never goes beyond the invoice's tax at it (nor past 0): it is capped.
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


def final_rates(original: Invoice, earlier: Sequence[Invoice], note: Invoice) -> frozenset[Decimal]:
    """The rates at which ``note`` credits the last lines of ``original`` not yet credited
    by ``earlier`` (its credit notes issued before ``note``)."""
    credited = {line.line_id for document in (*earlier, note) for line in document.lines}
    rates = {plain(line.tax_rate) for line in note.lines}
    return frozenset(
        rate
        for rate in rates
        if all(line.line_id in credited for line in original.lines if plain(line.tax_rate) == rate)
    )


def settled_taxes(
    taxes: Sequence[TaxLine],
    original: Invoice,
    earlier: Sequence[Invoice],
    final: frozenset[Decimal],
) -> tuple[TaxLine, ...]:
    """The tax lines of a credit note of ``original`` whose own rounding gave ``taxes``.

    ``earlier`` are the credit notes of ``original`` issued before it; ``final`` the rates
    at which the note credits the last lines not yet credited (:func:`final_rates`).
    """
    zero = money(Decimal(0), original.currency)
    with_nok = original.nok_rate is not None
    invoiced = _by_rate([original])
    credited = _by_rate(earlier)
    settled = []
    for mine in taxes:
        key = plain(mine.rate)
        tax_in, nok_in = invoiced.get(key, (zero, NO_NOK))
        tax_done, nok_done = credited.get(key, (zero, NO_NOK))
        if key in final:
            tax, nok = -(tax_in + tax_done) + zero, -(nok_in + nok_done) + NO_NOK
        else:
            tax = _within(mine.tax, tax_in, tax_done) + zero
            nok = _within(mine.tax_nok or NO_NOK, nok_in, nok_done) + NO_NOK
        settled.append(TaxLine(mine.rate, mine.net, tax, nok if with_nok else None))
    return tuple(settled)


def settled_note(
    original: Invoice, earlier: Sequence[Invoice], line_ids: Sequence[str], reason: str, on: dt.date
) -> Invoice:
    """:func:`.model.credit_note` of ``line_ids`` with its tax settled against ``original``
    and its credit notes ``earlier`` (:func:`settled_taxes`)."""
    note = credit_note(original, line_ids, reason, on)
    taxes = settled_taxes(note.taxes, original, earlier, final_rates(original, earlier, note))
    net, tax, total, tax_nok = totals(taxes, original.currency, with_nok=note.tax_nok is not None)
    return dataclasses.replace(note, taxes=taxes, net=net, tax=tax, total=total, tax_nok=tax_nok)
