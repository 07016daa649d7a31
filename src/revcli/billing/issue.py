"""Issuing: number, render and record the invoices of billing runs, and credit notes (SPEC §7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from revcli.billing.model import CREDIT_NOTE, INVOICE, Invoice, credit_note
from revcli.billing.numbering import NumberFormat, numbered, seller_issues
from revcli.billing.register import Register
from revcli.billing.run import billing_run
from revcli.data.validate import DataSet
from revcli.errors import DataError, UsageError
from revcli.state.log import Step

Renderer = Callable[[Invoice], bytes]


@dataclass(frozen=True)
class IssueResult:
    """What a billing run issued, and how many of its invoices had been issued before."""

    issued: list[Invoice]
    already: int


@contextmanager
def open_register(root: Path, on_step: Step | None = None) -> Iterator[Register]:
    """The register of ``root``, locked and verified, for as long as the block runs."""
    register = Register(root, on_step)
    with register:
        yield register


def issue_invoices(
    data: DataSet,
    first: dt.date,
    last: dt.date,
    render: Renderer,
    extension: str,
    *,
    on_step: Step | None = None,
) -> IssueResult:
    """Issue the billing runs of months ``first``..``last``: number, render and record
    every invoice not issued before (SPEC §7).

    Numbers follow period start, then ``contract_id``; a series per distinct prefix
    (``{year}`` is the issue date's year). ``render`` makes the document of a numbered
    invoice. Raises :class:`DataError` when the seller's details are incomplete, the data
    cannot be invoiced, or the register has a problem. ``on_step``: see :class:`Register`.
    """
    problems = seller_issues(data.settings)
    if problems:
        raise DataError(problems)
    numbering = NumberFormat.of(data.settings)
    drafts = billing_run(data, first, last)
    if drafts:
        render(drafts[0])  # a template error stops the run before anything is issued
    issued: list[Invoice] = []
    with open_register(data.root, on_step) as register:
        done = register.issued_keys()
        todo = [d for d in drafts if d.key not in done]
        for draft in todo:
            series = numbering.series(draft.issue_date.year)
            invoice = numbered(draft, series, register.next_seq(series), data.settings.company)
            register.append(invoice, render(invoice), extension)
            issued.append(invoice)
    return IssueResult(issued, len(drafts) - len(issued))


def issue_credit_note(
    data: DataSet,
    number: str,
    *,
    line_ids: Sequence[str],
    reason: str,
    on: dt.date,
    render: Renderer,
    extension: str,
    date_given: bool = True,
    on_step: Step | None = None,
) -> Invoice:
    """Credit the lines ``line_ids`` (all not yet credited when empty) of invoice ``number``.

    The credit note takes the next number of the series of its own issue date — the same
    series as invoices — and the original is never changed. It is never dated before the
    invoice it corrects: a default date ``on`` (``date_given`` false, e.g. today while the
    invoice is dated in advance) moves to the invoice's date; a given earlier date is a
    :class:`UsageError`, as are an unknown number, a credit note, an unknown or already
    credited line.
    """
    if not reason.strip():
        raise UsageError("--reason must say why the invoice is credited")
    problems = seller_issues(data.settings)
    if problems:
        raise DataError(problems)
    numbering = NumberFormat.of(data.settings)
    with open_register(data.root, on_step) as register:
        entry = register.find(number)
        if entry is None:
            raise UsageError(f"there is no issued invoice {number}")
        original = entry.invoice
        if original.kind != INVOICE:
            raise UsageError(f"{number} is a credit note; only invoices can be credited")
        done = {
            line.line_id
            for e in register.entries
            if e.invoice.kind == CREDIT_NOTE and e.invoice.credits == number
            for line in e.invoice.lines
        }
        known = [line.line_id for line in original.lines]
        unknown = [i for i in line_ids if i not in known]
        if unknown:
            raise UsageError(
                f"invoice {number} has no line {', '.join(unknown)}; "
                f"its lines are {', '.join(known)}"
            )
        twice = [i for i in line_ids if i in done]
        if twice:
            raise UsageError(f"line {', '.join(twice)} of {number} is already credited")
        chosen = list(line_ids) or [i for i in known if i not in done]
        if not chosen:
            raise UsageError(f"invoice {number} is already fully credited")
        if on < original.issue_date:
            if date_given:
                raise UsageError(
                    f"--date {on} is before invoice {number}'s date {original.issue_date}; "
                    "a credit note cannot precede the invoice it corrects"
                )
            on = original.issue_date
        draft = credit_note(original, chosen, reason.strip(), on)
        series = numbering.series(on.year)
        note = numbered(draft, series, register.next_seq(series), data.settings.company)
        register.append(note, render(note), extension)
    return note
