"""Invoice documents from Liquid templates: which template, and rendering.

Loading, the strict environment and ``FILE:LINE:COLUMN`` errors are
:mod:`revcli.templating`'s, shared with the reminder e-mails; the context a template sees
is :mod:`.context`, the filters :mod:`.filters`, the printed words :mod:`.labels`. The
context and the filters are documented in docs/templates.md.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from revcli.billing.context import document_context
from revcli.billing.filters import INVOICE_FILTERS
from revcli.billing.model import Invoice
from revcli.billing.numbering import file_part
from revcli.settings import InvoiceSettings, Settings
from revcli.templating.files import find_template
from revcli.templating.load import load_template


class DocFormat(StrEnum):
    """Formats of an invoice document."""

    HTML = "html"
    PDF = "pdf"
    MD = "md"
    TXT = "txt"

    @property
    def template_kind(self) -> str:
        """The template format it is rendered from (PDF is rendered from HTML)."""
        return "html" if self in (DocFormat.HTML, DocFormat.PDF) else self.value


def template_for(
    settings: Settings, root: Path, fmt: DocFormat, template: Path | None = None
) -> Path:
    """The template a document of ``fmt`` is rendered from.

    ``--template`` wins. Else HTML and PDF use ``invoice.template`` of revcli.yaml
    (relative to the data dir), and Markdown and text ``templates/invoice.md.liquid`` /
    ``invoice.txt.liquid`` in the data dir. A default that the data dir does not hold is
    taken from the templates revcli ships.
    """
    if template is not None:
        return template
    kind = fmt.template_kind
    configured = settings.invoice.template if kind == "html" else f"templates/invoice.{kind}.liquid"
    default = InvoiceSettings.template if kind == "html" else configured
    return find_template(root, configured, default, setting=kind == "html")


def format_of_template(template: Path) -> DocFormat:
    """``x.md.liquid`` → md, ``x.txt.liquid`` → txt, anything else → html."""
    suffixes = [s.lower() for s in template.suffixes]
    if ".md" in suffixes:
        return DocFormat.MD
    if ".txt" in suffixes:
        return DocFormat.TXT
    return DocFormat.HTML


class DocumentMaker:
    """Renders invoices to documents of one format from one template (loaded once)."""

    def __init__(self, settings: Settings, template: Path, fmt: DocFormat) -> None:
        self.settings = settings
        self.path = template
        self.format = fmt
        self.template = load_template(
            template, autoescape=fmt.template_kind == "html", filters=INVOICE_FILTERS
        )

    @property
    def extension(self) -> str:
        return self.format.value

    def text(self, invoice: Invoice) -> str:
        """The document as text (HTML for PDF)."""
        return self.template.render(document_context(invoice, self.settings))

    def __call__(self, invoice: Invoice, embed: tuple[str, bytes] | None = None) -> bytes:
        """The document's bytes: UTF-8 text, or a PDF (a PDF/A-3 carrying ``embed``, the
        e-invoice's file name and bytes, when given)."""
        text = self.text(invoice)
        if self.format is DocFormat.PDF:
            from revcli.billing.pdf import html_to_pdf

            return html_to_pdf(text, self.path.parent, invoice.issue_date, embed)
        return text.encode("utf-8")


def document_maker(
    settings: Settings, root: Path, fmt: DocFormat | None, template: Path | None
) -> DocumentMaker:
    """The maker for ``--format``/``--template`` (the format follows the template's name
    when only ``--template`` is given; HTML by default)."""
    chosen = fmt or (format_of_template(template) if template is not None else DocFormat.HTML)
    return DocumentMaker(settings, template_for(settings, root, chosen, template), chosen)


def draft_name(invoice: Invoice, extension: str) -> str:
    """The file of a draft: ``draft-CONTRACT-PERIODSTART.EXT``, safe for file names."""
    return f"draft-{file_part(invoice.contract_id)}-{invoice.period_start.isoformat()}.{extension}"
