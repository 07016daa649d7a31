"""Issuing: number, render and record the invoices of billing runs, and credit notes (SPEC §7)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from revcli.billing.append import Register
from revcli.billing.credits import settled_note
from revcli.billing.ehf import pays_to_iban
from revcli.billing.model import INVOICE, Invoice
from revcli.billing.numbering import NumberFormat, numbered, seller_issues
from revcli.billing.parallel import render_all
from revcli.billing.register import issued_keys, read_register
from revcli.billing.run import BillingRun, billing_frames
from revcli.billing.texts import refuse_uncreditable
from revcli.data.controls import describe, first_unshowable
from revcli.data.validate import DataSet
from revcli.einvoice import model as ehf
from revcli.einvoice.parties import seller_party
from revcli.errors import DataError, Issue, UsageError
from revcli.settings_tree import setting_line
from revcli.state.log import Step

Renderer = Callable[[Invoice], list[tuple[str, bytes]]]
"""Makes the files (extension, bytes) of a numbered document: :class:`.documents.DocumentFiles`."""


@dataclass(frozen=True)
class IssueResult:
    """What a billing run issued, how many of its invoices had been issued before, and
    the numbers of those that credit notes have since cancelled in full (a period is
    issued once: they are not issued again)."""

    issued: list[Invoice]
    already: int
    credited: tuple[str, ...] = ()


@contextmanager
def open_register(
    root: Path, on_step: Step | None = None, recorded: list[Invoice] | None = None
) -> Iterator[Register]:
    """The register of ``root``, locked and verified, for as long as the block runs;
    ``recorded``: see :class:`Register`."""
    register = Register(root, on_step, recorded)
    with register:
        yield register


def check_not_future(on: dt.date, today: dt.date) -> None:
    """A document is never dated after ``today``: a :class:`UsageError`, checked first, also
    when nothing is left to issue."""
    if on > today:
        raise UsageError(
            f"--date {on} is in the future (today is {today}); documents are dated the day "
            "they are issued"
        )


def extensions(render: Renderer) -> tuple[str, ...]:
    """The files ``render`` may write: its formats, and HTML (written when no other is)."""
    return (*getattr(render, "formats", ()), "html")


def check_issue_date(register: Register, series: str, on: dt.date, today: dt.date) -> None:
    """SPEC §7 (second edition): a document is dated ``on``, never after ``today`` and never
    before the latest document of its number ``series`` dated on or before ``today``
    (documents dated in the future by the first edition are ignored), so that numbers and
    dates rise together. A refused date is a :class:`UsageError`."""
    check_not_future(on, today)
    dated = [
        e.invoice
        for e in register.entries
        if e.invoice.series == series and e.invoice.issue_date <= today
    ]
    if dated:
        latest = max(dated, key=lambda inv: (inv.issue_date, inv.seq or 0))
        if on < latest.issue_date:
            raise UsageError(
                f"--date {on} is before {latest.number}, dated {latest.issue_date}, the latest "
                f"document of series '{series}': numbers and dates must rise together"
            )


def bank_problems(data: DataSet, invoices: Sequence[Invoice]) -> list[Issue]:
    """An invoice to be paid to IBAN + BIC (not in NOK, from a Norwegian seller) needs both
    in revcli.yaml."""
    company = data.settings.company
    bank = ehf.Payment(company.bank_account, company.iban, company.bic)
    foreign = sorted(
        {i.currency for i in invoices if pays_to_iban(i.currency, company.country, bank)}
    )
    if not foreign:
        return []
    return [
        Issue(
            data.settings.source,
            setting_line(data.settings.tree, f"company.{key}"),
            f"company.{key}",
            f"is required to issue invoices in {', '.join(foreign)} (payment to IBAN + BIC)",
        )
        for key, value in (("iban", company.iban), ("bic", company.bic))
        if not value.strip()
    ]


def refuse_problems_early(run: BillingRun, root: Path) -> None:
    """Raise :class:`DataError` with the problems (:meth:`BillingRun.problems`) of the
    invoices of ``run`` that the register of ``root`` does not hold yet, before the register
    is opened for writing (which creates ``invoices/`` and waits for other runs). An
    invoice issued before is not made again, so its problems do not stop the run: an
    ``--date`` with no exchange rate yet, say, on a month issued in full. A damaged
    register is left to :func:`open_register` to report; :func:`issue_invoices` checks
    again under the lock what it issues."""
    recorded = read_register(root)
    if recorded.issues:
        return
    problems = run.problems(skip=issued_keys(recorded.entries))
    if problems:
        raise DataError(problems)


def issue_invoices(
    data: DataSet,
    first: dt.date,
    last: dt.date,
    render: Renderer,
    *,
    on: dt.date,
    today: dt.date,
    on_step: Step | None = None,
    progress: Callable[[int, int], None] | None = None,
    recorded: list[Invoice] | None = None,
) -> IssueResult:
    """Issue the billing runs of months ``first``..``last``: number, date (``on``, checked
    by :func:`check_issue_date` against ``today``), render and record every invoice not
    issued before (SPEC §7).

    Numbers follow period start, then ``contract_id``; a series per distinct prefix
    (``{year}`` is the issue date's year). ``render`` makes the files of a numbered
    invoice. Raises :class:`DataError` when the seller's details are incomplete, an invoice
    to issue cannot be made (:meth:`BillingRun.problems`; those issued before are not made
    again, so theirs do not count), or the register has a problem. ``on_step``: see
    :class:`Register`; ``progress(done, total)`` is called after each invoice; each
    invoice is added to ``recorded`` once its record is on disk (a run that stops half-way
    has issued those).
    """
    check_not_future(on, today)
    problems = seller_issues(data.settings)
    if problems:
        raise DataError(problems)
    numbering = NumberFormat.of(data.settings)
    run = billing_frames(data, first, last, issue_date=on)
    # Only the invoices issued now must be made correctly: when the run has problems, the
    # register is read to leave out those issued before (no problem arises from leaving
    # invoices out, so a run without any needs no second look).
    unsure = bool(run.problems())
    if unsure:
        refuse_problems_early(run, data.root)
    issued: list[Invoice] = []
    with open_register(data.root, on_step, recorded) as register:
        done = register.issued_keys()
        problems = run.problems(skip=done) if unsure else []
        if problems:
            raise DataError(problems)
        todo = run.drafts(skip=done)  # objects only for what is issued now
        ours, cancelled = set(run.keys()), register.fully_credited()
        credited = tuple(
            e.invoice.number or ""
            for e in register.entries
            if e.invoice.kind == INVOICE and e.invoice.key in ours and e.invoice.number in cancelled
        )
        if todo:
            check_issue_date(register, numbering.series(on.year), on, today)
            problems = bank_problems(data, todo)
            if problems:
                raise DataError(problems)
            check = getattr(render, "check_templates", None)
            if check is not None:
                check(todo[0])  # a template error stops the run before anything is issued
        seqs: dict[str, int] = {}
        invoices = []
        for draft in todo:
            series = numbering.series(draft.issue_date.year)
            if series not in seqs:  # the register is scanned once per series, not per draft
                seqs[series] = register.next_seq(series)
            seq = seqs[series]
            seqs[series] = seq + 1
            invoices.append(numbered(draft, series, seq, data.settings.company))
        register.refuse_taken([i.number or "" for i in invoices], extensions(render))
        # PDFs render on every core; the register still appends in number order
        parallel = "pdf" in getattr(render, "formats", ())
        files = render_all(render, invoices, parallel=parallel)
        for count, (invoice, made) in enumerate(zip(invoices, files, strict=True), start=1):
            register.append(invoice, made)
            issued.append(invoice)
            if progress is not None:
                progress(count, len(invoices))
    return IssueResult(issued, len(run) - len(issued), credited)


def issue_credit_note(
    data: DataSet,
    number: str,
    *,
    line_ids: Sequence[str],
    reason: str,
    on: dt.date,
    today: dt.date,
    render: Renderer,
    on_step: Step | None = None,
    recorded: list[Invoice] | None = None,
) -> Invoice:
    """Credit the lines ``line_ids`` (all not yet credited when empty) of invoice ``number``.

    The credit note takes the next number of the series of its own issue date ``on`` —
    the same series as invoices — and the original is never changed. ``on`` follows the
    rule of invoices (:func:`check_issue_date`) and is never before the invoice it
    corrects (an invoice dated in advance by the first edition is credited on or after
    its date); a refused date is a :class:`UsageError`, as are an unknown number, a credit
    note, an unknown or already credited line. ``render`` makes its files; the caller
    picks the formats (by default those of the invoice, :attr:`Entry.formats`);
    ``recorded`` gets the note once its record is on disk (see :func:`issue_invoices`).
    """
    if not reason.strip():
        raise UsageError("--reason must say why the invoice is credited")
    char = first_unshowable(reason)
    if char is not None:  # the reason is printed on the credit note and in its XML
        raise UsageError(f"--reason holds {describe(char)}, which an invoice cannot show")
    problems = seller_issues(data.settings)
    if problems:
        raise DataError(problems)
    numbering = NumberFormat.of(data.settings)
    # An unknown number is told before the register is opened for writing (which needs a
    # writable folder and waits for other runs); under the lock it is looked up again.
    # (A damaged register is left to open_register, which reports it.)
    before = read_register(data.root)
    if not before.issues and all(e.invoice.number != number for e in before.entries):
        raise UsageError(f"there is no issued invoice {number}")
    with open_register(data.root, on_step, recorded) as register:
        entry = register.find(number)
        if entry is None:
            raise UsageError(f"there is no issued invoice {number}")
        original = entry.invoice
        if original.kind != INVOICE:
            raise UsageError(f"{number} is a credit note; only invoices can be credited")
        refuse_uncreditable(original, entry.line, register.path)
        done = register.credited_lines().get(number, set())
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
            later = (
                f" (dated in advance: credit it on or after {original.issue_date})"
                if original.issue_date > today
                else ""
            )
            raise UsageError(
                f"--date {on} is before invoice {number}'s date {original.issue_date}; "
                f"a credit note cannot precede the invoice it corrects{later}"
            )
        series = numbering.series(on.year)
        check_issue_date(register, series, on, today)
        earlier = register.credit_notes().get(number, [])
        draft = settled_note(original, earlier, chosen, reason.strip(), on)
        if original.facts is not None:
            # the seller and its bank as on the credit note's day; the invoice's date
            draft = dataclasses.replace(
                draft,
                facts=dataclasses.replace(
                    original.facts,
                    seller=seller_party(data.settings.company),
                    bank=ehf.Payment(
                        data.settings.company.bank_account,
                        data.settings.company.iban,
                        data.settings.company.bic,
                    ),
                    credits_date=original.issue_date,
                ),
            )
        note = numbered(draft, series, register.next_seq(series), data.settings.company)
        register.refuse_taken([note.number or ""], extensions(render))
        register.append(note, render(note))
    return note
