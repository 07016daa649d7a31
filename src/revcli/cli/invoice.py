"""``revcli invoice``: render drafts, issue, check, credit, list and export invoices."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from revcli.cli.common import (
    DataOption,
    FormatOption,
    OutOption,
    emit,
    err,
    error_boundary,
    load,
    parse_day,
    parse_month,
    print_issues,
    resolve_data_dir,
)
from revcli.errors import Issue, Severity, UsageError
from revcli.output.files import write_atomic

if TYPE_CHECKING:
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
        dir_okay=False,
        show_default=False,
    ),
]
MonthFilter = Annotated[
    str | None, typer.Option("--period", "-p", help="Only documents issued in this month, YYYY-MM.")
]
CustomerFilter = Annotated[str | None, typer.Option("--customer", help="Only this customer_id.")]


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
        from revcli.billing.numbering import seller_issues
        from revcli.billing.register import load_register
        from revcli.billing.run import billing_run
        from revcli.billing.templates import draft_name

        month = parse_month(period, "--period")
        dataset = load(data)
        load_register(dataset.root)
        maker = _maker(dataset, fmt, template)
        print_issues(
            [
                Issue(i.source, i.line, i.column, i.message, Severity.WARNING)
                for i in seller_issues(dataset.settings)
            ]
        )
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
            if maker.format.value == DocFormat.PDF:
                if sys.stdout.isatty():
                    raise UsageError("a PDF is binary: pass --out DIR or redirect stdout to a file")
                sys.stdout.buffer.write(body)
            else:
                sys.stdout.write(body.decode("utf-8"))
            sys.stdout.flush()
            return
        for draft in drafts:
            path = out / draft_name(draft, maker.extension)
            write_atomic(path, maker(draft))
            err.print(f"wrote {path}", style="dim", markup=False)


@invoice_app.command()
def issue(
    period: PeriodOption,
    data: DataOption = None,
    template: TemplateOption = None,
    fmt: DocFormatOption = None,
) -> None:
    """Issue the billing run of a month: number, record and write every invoice not yet issued.

    Invoices go into the register invoices/register.jsonl with their documents beside it
    (commit both). Re-running issues nothing twice; after a crash it issues what is missing.

    Example: [bold]revcli invoice issue --data sample_data --period 2026-12[/]
    """
    with error_boundary():
        from revcli.billing.export import issued_report
        from revcli.billing.issue import issue_invoices

        month = parse_month(period, "--period")
        dataset = load(data)
        maker = _maker(dataset, fmt, template)
        result = issue_invoices(dataset, month, month, maker, maker.extension)
        if result.issued:
            emit(issued_report(result.issued, maker.extension), None, None)
        first, last = (
            (result.issued[0].number, result.issued[-1].number) if result.issued else ("", "")
        )
        span = f" ({first} … {last})" if result.issued else ""
        err.print(
            f"Issued {len(result.issued)} invoice{'s' if len(result.issued) != 1 else ''}{span} "
            f"for {period}; {result.already} had been issued before.",
            markup=False,
        )


@invoice_app.command()
def check(data: DataOption = None) -> None:
    """Verify the invoice register: gapless series, no duplicates, totals, documents, no edits.

    Prints every problem as FILE:ROW: column: message and exits 1 if there is any.

    Example: [bold]revcli invoice check --data sample_data[/]
    """
    with error_boundary():
        from revcli.billing.records import REGISTER_DIR
        from revcli.billing.register import check_register, read_register, register_path

        root = resolve_data_dir(data)
        if not register_path(root).exists():
            err.print(f"No invoice register yet ({root / REGISTER_DIR}).", markup=False)
            return
        issues = check_register(root)
        print_issues(issues, to_stdout=True)
        if issues:
            err.print(
                f"{len(issues)} problem{'s' if len(issues) != 1 else ''} in the invoice register."
            )
            raise typer.Exit(1)
        entries = read_register(root).entries
        err.print(f"{register_path(root)}: {len(entries)} documents, all consistent.", markup=False)


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
    on: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Issue date of the credit note (default: today, or the invoice's date if later).",
        ),
    ] = None,
    template: TemplateOption = None,
    fmt: DocFormatOption = None,
) -> None:
    """Issue a credit note for an invoice (all its lines, or --lines); the original stays as is.

    Example: [bold]revcli invoice credit 2026-00001 --data sample_data --lines 1 --reason
        "Seats reduced"[/]
    """
    with error_boundary():
        from revcli.billing.export import issued_report
        from revcli.billing.issue import issue_credit_note

        day = parse_day(on, "--date")
        chosen = [part.strip() for item in lines or [] for part in item.split(",") if part.strip()]
        dataset = load(data)
        maker = _maker(dataset, fmt, template)
        note = issue_credit_note(
            dataset,
            number,
            line_ids=chosen,
            reason=reason,
            on=day,
            render=maker,
            extension=maker.extension,
            date_given=on is not None,
        )
        emit(issued_report([note], maker.extension), None, None)
        err.print(f"Issued credit note {note.number} for invoice {number}.", markup=False)


@invoice_app.command("list")
def list_command(
    data: DataOption = None,
    period: MonthFilter = None,
    customer: CustomerFilter = None,
    fmt: FormatOption = None,
    out: OutOption = None,
) -> None:
    """Issued invoices and credit notes, in the order they were issued.

    Example: [bold]revcli invoice list --data sample_data --period 2026-12 --format csv[/]
    """
    with error_boundary():
        from revcli.billing.export import list_report
        from revcli.billing.register import load_register

        month = parse_month(period, "--period") if period else None
        entries = load_register(resolve_data_dir(data))
        emit(list_report(entries, month, customer), fmt, out)


@invoice_app.command()
def export(
    data: DataOption = None,
    period: MonthFilter = None,
    customer: CustomerFilter = None,
    fmt: FormatOption = None,
    out: OutOption = None,
) -> None:
    """The sales journal for accounting: one row per document and tax rate.

    Example: [bold]revcli invoice export --data sample_data --period 2026-12 --format csv --out
        journal.csv[/]
    """
    with error_boundary():
        from revcli.billing.export import export_report
        from revcli.billing.register import load_register

        month = parse_month(period, "--period") if period else None
        entries = load_register(resolve_data_dir(data))
        emit(export_report(entries, month, customer), fmt, out)


def register(app: typer.Typer) -> None:
    """Add ``revcli invoice …`` to ``app``."""
    app.add_typer(invoice_app, name="invoice")
