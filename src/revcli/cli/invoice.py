"""``revcli invoice``: render drafts, issue and credit invoices; ``check``, ``list`` and
``export``, which read the register, are :mod:`revcli.cli.invoice_register`'s."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from revcli.cli import invoice_register
from revcli.cli.common import (
    emit,
    error_boundary,
    load,
    refuse_broken_link,
    refuse_register_folder,
)
from revcli.cli.console import err, print_issues, progress_bar
from revcli.cli.invoice_register import CustomerFilter
from revcli.cli.options import DataOption, parse_day, parse_month
from revcli.cli.streams import stdout, stdout_is_terminal, write_data
from revcli.errors import DataError, UsageError, as_warnings
from revcli.output.files import write_atomic

if TYPE_CHECKING:
    from revcli.billing.model import Invoice
    from revcli.billing.templates import DocumentMaker
    from revcli.data.validate import DataSet

invoice_app = typer.Typer(
    name="invoice",
    help="Billing runs from the contracts: draft, issue, check, credit, list and export invoices.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


class DocFormat(StrEnum):
    """``--format`` of a document: the choices of ``billing.templates.DocFormat``, named here
    so that the command line loads without the billing code."""

    HTML = "html"
    PDF = "pdf"
    MD = "md"
    TXT = "txt"


def _maker(dataset: DataSet, fmt: DocFormat | None, template: Path | None) -> DocumentMaker:
    """The document maker of ``--format`` and ``--template``."""
    from revcli.billing import templates

    chosen = templates.DocFormat(fmt.value) if fmt is not None else None
    return templates.document_maker(dataset.settings, dataset.root, chosen, template)


PeriodOption = Annotated[str, typer.Option("--period", "-p", help="Billing run month, YYYY-MM.")]
DocFormatOption = Annotated[
    DocFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Document format (default: html, or the format of --template's name).",
        case_sensitive=False,
        show_default=False,
    ),
]
TemplateOption = Annotated[
    Path | None,
    typer.Option(
        "--template",
        "-t",
        help="Liquid template (default: invoice.template of revcli.yaml).",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
]


class FileFormat(StrEnum):
    """A file ``invoice issue`` and ``invoice credit`` write per document: a face or the
    e-invoice (``xml``)."""

    HTML = "html"
    PDF = "pdf"
    MD = "md"
    TXT = "txt"
    XML = "xml"


FormatsOption = Annotated[
    list[FileFormat] | None,
    typer.Option(
        "--format",
        "-f",
        help="A file to write per document: html, pdf, md, txt or xml (the e-invoice); "
        "repeatable; default: invoice.formats of revcli.yaml, else html and xml.",
        metavar="FORMAT",
        case_sensitive=False,
        show_default=False,
    ),
]
DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="Issue date, YYYY-MM-DD (default: today; never in the future, never before the "
        "latest document of its number series).",
        show_default=False,
    ),
]


def _files(dataset: DataSet, formats: list[FileFormat] | None, template: Path | None) -> Any:
    """The file maker of ``--format`` (repeatable) or ``invoice.formats``."""
    from revcli.billing.documents import DocumentFiles

    chosen = [f.value for f in formats] if formats else list(dataset.settings.invoice.formats)
    return DocumentFiles(dataset.settings, dataset.root, chosen, template)


@invoice_app.command()
def render(
    period: PeriodOption,
    data: DataOption = None,
    customer: CustomerFilter = None,
    contract: Annotated[
        str | None, typer.Option("--contract", help="Only this contract_id.")
    ] = None,
    template: TemplateOption = None,
    fmt: DocFormatOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write one file per invoice into DIR.", file_okay=False),
    ] = None,
) -> None:
    """Draft invoices of a billing run: marked DRAFT, no numbers, nothing recorded.

    Without --out exactly one invoice must match (narrow with --contract or --customer)
    and it prints to stdout; with --out DIR each draft is written to
    DIR/draft-CONTRACT-PERIODSTART.FORMAT.

    Example: [bold]revcli invoice render --data sample_data --period 2026-12 --contract
        K-2026-0055 --format txt[/]
    """
    with error_boundary():
        from revcli.billing.numbering import seller_issues, seller_text_issues
        from revcli.billing.register import load_register
        from revcli.billing.run import billing_run
        from revcli.billing.templates import draft_name
        from revcli.einvoice.checks import einvoice_warnings

        month = parse_month(period, "--period")
        dataset = load(data)
        load_register(dataset.root)
        maker = _maker(dataset, fmt, template)
        refused = seller_text_issues(dataset.settings)
        if refused:  # a draft prints them as an invoice does
            raise DataError(refused)
        print_issues(as_warnings(seller_issues(dataset.settings)) + einvoice_warnings(dataset))
        drafts = billing_run(dataset, month, month, contract=contract, customer=customer)
        if not drafts:
            err.print(f"No invoices in the billing run of {period}.", markup=False)
            return
        if out is None:
            if len(drafts) > 1:
                shown = ", ".join(d.contract_id for d in drafts[:8])
                more = f" and {len(drafts) - 8} more" if len(drafts) > 8 else ""
                raise UsageError(
                    f"{len(drafts)} invoices are in the billing run of {period} "
                    f"(contracts {shown}{more}); pass --out DIR to write them all, or pick one "
                    "with --contract or --customer"
                )
            body = maker(drafts[0])
            if maker.format.value == DocFormat.PDF and stdout_is_terminal():
                raise UsageError("a PDF is binary: pass --out DIR or redirect stdout to a file")
            write_data(body)  # UTF-8 bytes as --out writes them
            return
        refuse_broken_link(out)
        refuse_register_folder(out, folder=True)
        from revcli.billing.parallel import render_all

        step = progress_bar(f"Rendering {period}")
        made = render_all(
            lambda draft: [(maker.extension, maker(draft))],
            drafts,
            parallel=maker.format.value == DocFormat.PDF,
        )
        for count, (draft, files) in enumerate(zip(drafts, made, strict=True), start=1):
            path = out / draft_name(draft, maker.extension)
            write_atomic(path, files[0][1])
            if step is None:
                err.print(f"wrote {path}", style="dim", markup=False)
            else:
                step(count, len(drafts))


@invoice_app.command()
def issue(
    period: PeriodOption,
    data: DataOption = None,
    template: TemplateOption = None,
    formats: FormatsOption = None,
    on: DateOption = None,
) -> None:
    """Issue the billing run of a month: number, record and write every invoice not yet issued.

    Invoices are dated --date (default today) and go into the register
    invoices/register.jsonl with their files beside it (commit both): the faces and the
    EHF / Peppol e-invoice (xml). Re-running issues nothing twice; after a crash it issues
    what is missing.

    Example: [bold]revcli invoice issue --data sample_data --period 2026-12 --date 2026-12-01
        --format md --format xml[/]
    """
    with error_boundary():
        from revcli.billing.export import issued_report
        from revcli.billing.issue import issue_invoices
        from revcli.cli.options import today
        from revcli.einvoice.checks import einvoice_warnings

        stdout()  # the issued list goes there: with it closed, refuse before issuing
        month = parse_month(period, "--period")
        day = parse_day(on, "--date")
        dataset = load(data)
        print_issues(einvoice_warnings(dataset))
        files = _files(dataset, formats, template)
        recorded: list[Invoice] = []
        with _told_if_stopped(recorded, "run `revcli invoice issue` again to issue the rest"):
            result = issue_invoices(
                dataset,
                month,
                month,
                files,
                on=day,
                today=today(),
                progress=progress_bar(f"Issuing {period}"),
                recorded=recorded,
            )
        if result.issued:
            emit(issued_report(result.issued, files.formats[0]), None, None)
        first, last = (
            (result.issued[0].number, result.issued[-1].number) if result.issued else ("", "")
        )
        span = (
            "" if not result.issued else f" ({first})" if first == last else f" ({first} … {last})"
        )
        err.print(
            f"Issued {len(result.issued)} invoice{'s' if len(result.issued) != 1 else ''}{span} "
            f"for {period}; {result.already} had been issued before.",
            markup=False,
        )
        if result.credited:
            err.print(
                f"Fully credited, so not issued again: {', '.join(result.credited)}. A period "
                "is invoiced once; bill a corrected amount with a document made outside revcli "
                "(docs/invoicing.md, 'Correcting an invoice').",
                markup=False,
            )
        _note_without_xml(result.issued, files.formats)


def _note_without_xml(issued: list[Any], formats: tuple[str, ...]) -> None:
    from revcli.billing.ehf import has_xml

    missing = [inv.number for inv in issued if "xml" in formats and not has_xml(inv)]
    if missing:
        err.print(
            f"No e-invoice for {', '.join(missing)}: amounts in EHF have at most 2 decimals "
            "(or the invoice it credits predates e-invoices).",
            markup=False,
        )


invoice_app.command()(invoice_register.check)


@invoice_app.command()
def credit(
    number: Annotated[str, typer.Argument(help="The number of the invoice to credit.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the invoice is credited (printed).")],
    lines: Annotated[
        list[str] | None,
        typer.Option(
            "--lines", help="Line ids to credit, comma-separated (default: all not yet credited)."
        ),
    ] = None,
    data: DataOption = None,
    on: DateOption = None,
    template: TemplateOption = None,
    formats: FormatsOption = None,
) -> None:
    """Issue a credit note for an invoice (all its lines, or --lines); the original stays as is.

    The credit note is written in the formats of the invoice it corrects unless --format
    says otherwise.

    Example: [bold]revcli invoice credit 2026-00001 --data sample_data --lines 1 --reason
        "Seats reduced"[/]
    """
    with error_boundary():
        from revcli.billing.export import issued_report
        from revcli.billing.issue import issue_credit_note
        from revcli.billing.register import load_register
        from revcli.cli.options import today

        stdout()  # the credit note's row goes there: with it closed, refuse before issuing
        day = parse_day(on, "--date")
        chosen = _line_ids(lines)
        dataset = load(data)
        if not formats:
            original = next(
                (e for e in load_register(dataset.root) if e.invoice.number == number), None
            )
            if original is not None:
                formats = [
                    FileFormat(f) for f in original.formats if f in FileFormat._value2member_map_
                ]
        files = _files(dataset, formats, template)
        recorded: list[Invoice] = []
        with _told_if_stopped(recorded, f"invoice {number} is credited by it"):
            note = issue_credit_note(
                dataset,
                number,
                line_ids=chosen,
                reason=reason,
                on=day,
                today=today(),
                render=files,
                recorded=recorded,
            )
        emit(issued_report([note], files.formats[0]), None, None)
        err.print(f"Issued credit note {note.number} for invoice {number}.", markup=False)
        _note_without_xml([note], files.formats)


@contextmanager
def _told_if_stopped(recorded: list[Invoice], then: str) -> Iterator[None]:
    """When the block stops with an error or an interrupt after documents were recorded,
    say which, before the error: they are issued, whatever the error says."""
    try:
        yield
    except BaseException:
        if recorded:
            from revcli.billing.model import CREDIT_NOTE

            kind = "credit note" if recorded[0].kind == CREDIT_NOTE else "invoice"
            first, last = recorded[0].number, recorded[-1].number
            what = (
                f"{kind} {first}"
                if len(recorded) == 1
                else f"{len(recorded)} {kind}s ({first} … {last})"
            )
            err.print(f"Issued and recorded before the run stopped: {what}; {then}.", markup=False)
        raise


def _line_ids(lines: list[str] | None) -> list[str]:
    """The line ids of ``--lines`` (repeatable, comma-separated); none when it is not given.
    A ``--lines`` that names no id (``--lines ""``, an empty shell variable) is a usage
    error: crediting every line is what leaving it out does, never what an empty list does."""
    chosen = []
    for item in lines or []:
        ids = [part.strip() for part in item.split(",") if part.strip()]
        if not ids:
            raise UsageError(
                f"--lines {item!r} names no line id: give ids such as --lines 1,3, or leave "
                "--lines out to credit every line not yet credited"
            )
        chosen += ids
    return chosen


invoice_app.command("list")(invoice_register.list_command)
invoice_app.command()(invoice_register.export)


def register(app: typer.Typer) -> None:
    """Add ``revcli invoice …`` to ``app``."""
    app.add_typer(invoice_app, name="invoice")
