"""``revcli invoice check``, ``list`` and ``export``: the commands that read the invoice
register (registered on the ``invoice`` group by :mod:`revcli.cli.invoice`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from revcli.cli.common import (
    emit,
    error_boundary,
    load,
    refuse_broken_link,
    refuse_register_folder,
    resolve_data_dir,
)
from revcli.cli.console import err, print_issues, progress_bar
from revcli.cli.options import ColumnsOption, DataOption, FormatOption, OutOption, parse_month
from revcli.errors import RevcliError, UsageError
from revcli.output.files import write_atomic

IssuedFilter = Annotated[
    str | None, typer.Option("--issued", help="Only documents issued in this month, YYYY-MM.")
]


MonthFilter = Annotated[
    str | None,
    typer.Option(
        "--period", "-p", help="Only the billing run of this month (periods starting in it)."
    ),
]
CustomerFilter = Annotated[str | None, typer.Option("--customer", help="Only this customer_id.")]


def check(data: DataOption = None) -> None:
    """Verify the invoice register: gapless series, no duplicates, totals, documents, no edits.

    Prints every problem as FILE:ROW: column: message and exits 1 if there is any.

    Example: [bold]revcli invoice check --data sample_data[/]
    """
    with error_boundary():
        from revcli.billing.contents import Contents
        from revcli.billing.layout import REGISTER_DIR, has_register_dir
        from revcli.billing.register import checked_register, register_path
        from revcli.billing.verify import peppol_issues

        root = resolve_data_dir(data)
        # a missing register is checked too: HEAD or documents left behind say it was deleted;
        # read once: the Peppol checks below take its entries
        contents = (
            checked_register(root, progress=progress_bar("Checking the register"))
            if has_register_dir(root)
            else Contents(str(register_path(root)))
        )
        issues = contents.issues
        print_issues(issues, to_stdout=True)
        if issues:
            err.print(
                f"{len(issues)} problem{'s' if len(issues) != 1 else ''} in the invoice register."
            )
            raise typer.Exit(1)
        if not register_path(root).exists():
            err.print(f"No invoice register yet ({root / REGISTER_DIR}).", markup=False)
            return
        entries = contents.entries
        documents = f"{len(entries)} document{'s' if len(entries) != 1 else ''}"
        err.print(f"{register_path(root)}: {documents}, all consistent.", markup=False)
        findings = peppol_issues(
            entries, root / REGISTER_DIR, progress_bar("Checking the e-invoices")
        )
        print_issues(findings, to_stdout=True)
        if findings:
            err.print(
                f"{len(findings)} Peppol finding{'s' if len(findings) != 1 else ''} in the "
                "e-invoices (warnings: fix the data before sending them through Peppol).",
                markup=False,
            )


def list_command(
    data: DataOption = None,
    period: MonthFilter = None,
    issued: IssuedFilter = None,
    customer: CustomerFilter = None,
    fmt: FormatOption = None,
    out: OutOption = None,
    columns: ColumnsOption = None,
) -> None:
    """Issued invoices and credit notes, in the order they were issued.

    Example: [bold]revcli invoice list --data sample_data --period 2026-12 --format csv[/]
    """
    with error_boundary():
        from revcli.billing.export import list_report
        from revcli.billing.register import load_register

        month = parse_month(period, "--period") if period else None
        issued_in = parse_month(issued, "--issued") if issued else None
        entries = load_register(resolve_data_dir(data))
        _known_customer(data, entries, customer)
        report = list_report(entries, month, customer, issued_in)
        emit(report, fmt, out, columns, data_dir=resolve_data_dir(data))


def _known_customer(data: Path | None, entries: list[Any], customer: str | None) -> None:
    """An unknown ``--customer`` is a usage error, as in ``render``. Known: a document of
    the register names it, or (only then is the data dir loaded) the data has it, with no
    document yet; a customer since removed from the data still has its documents."""
    if customer is None or any(e.invoice.customer_id == customer for e in entries):
        return
    from revcli.billing.run import is_known

    if not is_known(load(data), "customer_id", customer):
        raise UsageError(
            f"there is no customer_id '{customer}' in the data or the invoice register"
        )


class ExportFormat(StrEnum):
    """``invoice export --format``: the sales journal as a report, or ``xml``: the
    e-invoice of every document, one file each, into the --out folder."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"
    XLSX = "xlsx"
    XML = "xml"


def export(
    data: DataOption = None,
    period: MonthFilter = None,
    issued: IssuedFilter = None,
    customer: CustomerFilter = None,
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Journal format (default: table on a terminal, else csv; or from --out's "
            "suffix), or xml: every document's e-invoice into the --out folder.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the journal to FILE atomically instead of stdout; with --format "
            "xml, the folder to write the e-invoices into.",
        ),
    ] = None,
    columns: ColumnsOption = None,
) -> None:
    """The sales journal for accounting (one row per document and tax rate), or with
    --format xml every document's e-invoice as it was issued (re-created from the register
    for a document issued without one).

    Example: [bold]revcli invoice export --data sample_data --period 2026-12 --format csv --out
        journal.csv[/]
    """
    with error_boundary():
        from revcli.billing.export import export_report, select_entries
        from revcli.billing.register import load_register

        month = parse_month(period, "--period") if period else None
        issued_in = parse_month(issued, "--issued") if issued else None
        entries = load_register(resolve_data_dir(data))
        _known_customer(data, entries, customer)
        if fmt is ExportFormat.XML:
            if out is None:
                raise UsageError("--format xml writes one file per document: pass --out FOLDER")
            if columns is not None:
                raise UsageError(
                    "--columns picks columns of the journal; --format xml writes whole "
                    "e-invoices: drop --columns, or export the journal in another format"
                )
            _export_xml(
                select_entries(entries, month, customer, issued_in), out, resolve_data_dir(data)
            )
            return
        if out is not None and out.is_dir():
            raise UsageError(
                f"--out {out} is a folder; the journal is one file (--format xml writes "
                "one file per document into a folder)"
            )
        from revcli.output.report import OutputFormat

        report_format = None if fmt is None else OutputFormat(fmt.value)
        report = export_report(entries, month, customer, issued_in)
        emit(report, report_format, out, columns, data_dir=resolve_data_dir(data))


def _export_xml(entries: list[Any], folder: Path, root: Path) -> None:
    """Write the e-invoice of every entry of format 2 into ``folder``; note the others.

    A document issued with its XML gets that file's bytes (``invoices/NUMBER.xml`` of
    data dir ``root``; the register was loaded only after every issued file was found
    unchanged): what was sent, even where a later revcli words a line note otherwise.
    One issued without it gets an XML re-created from its register record."""
    import hashlib

    from revcli.billing.ehf import XML, has_xml, xml_of
    from revcli.billing.layout import REGISTER_DIR
    from revcli.billing.numbering import document_name
    from revcli.billing.verify import tracked

    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder} is not a folder; --format xml writes into a folder")
    refuse_broken_link(folder)
    refuse_register_folder(folder, folder=True)
    skipped: list[str] = []
    written = 0
    for entry in tracked(entries, progress_bar("Writing e-invoices")):
        invoice = entry.invoice
        if not has_xml(invoice):
            skipped.append(invoice.number or "")
            continue
        name = document_name(invoice.number or "", XML)
        digest = dict(entry.documents).get(name)
        data = xml_of(invoice) if digest is None else (root / REGISTER_DIR / name).read_bytes()
        if digest is not None and hashlib.sha256(data).hexdigest() != digest:
            raise RevcliError(f"{root / REGISTER_DIR / name} changed while it was exported")
        write_atomic(folder / name, data)
        written += 1
    err.print(f"Wrote {written} e-invoice{'s' if written != 1 else ''} to {folder}.", markup=False)
    if skipped:
        err.print(
            f"No e-invoice for {len(skipped)} document{'s' if len(skipped) != 1 else ''} "
            f"({', '.join(skipped[:5])}{' …' if len(skipped) > 5 else ''}): issued before "
            "e-invoices (register record format 1) or in a currency with 3 decimals.",
            markup=False,
        )
