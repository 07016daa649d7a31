"""The files of an issued document: its faces (html, pdf, md, txt) and its e-invoice (xml).

``invoice.formats`` of revcli.yaml (default ``[html, xml]``) or ``--format`` say which. The
e-invoice is made from the register record alone (:mod:`.ehf`); a PDF carries it inside
(PDF/A-3). A document that gets no e-invoice — a format-1 record, a currency with three
minor digits — is written in the other formats, and as HTML when xml was the only one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from revcli.billing.ehf import XML, has_xml, xml_of
from revcli.billing.model import Invoice
from revcli.billing.numbering import document_name
from revcli.billing.templates import DocFormat, DocumentMaker, format_of_template, template_for
from revcli.errors import UsageError
from revcli.settings import DOCUMENT_FORMATS, Settings


class DocumentFiles:
    """Makes the files of documents in ``formats`` (templates loaded once)."""

    def __init__(
        self,
        settings: Settings,
        root: Path,
        formats: Sequence[str],
        template: Path | None = None,
    ) -> None:
        unknown = [f for f in formats if f not in DOCUMENT_FORMATS]
        if unknown or not formats:
            raise UsageError(
                f"unknown document format {', '.join(unknown)}; "
                f"choose from {', '.join(DOCUMENT_FORMATS)}"
            )
        self.settings = settings
        self.root = root
        self.formats = tuple(dict.fromkeys(formats))
        self.template = template
        self.makers: dict[str, DocumentMaker] = {}
        for fmt in {*self.formats, "html"} - {XML}:
            self.makers[fmt] = self._maker(DocFormat(fmt))

    def _maker(self, fmt: DocFormat) -> DocumentMaker:
        template = self.template
        if template is not None and format_of_template(template).template_kind != fmt.template_kind:
            template = None  # --template is for the faces of its own kind
        path = template_for(self.settings, self.root, fmt, template)
        return DocumentMaker(self.settings, path, fmt)

    def check_templates(self, invoice: Invoice) -> None:
        """Render ``invoice``'s faces once: a template error stops a run before anything is
        issued."""
        for fmt, maker in self.makers.items():
            if fmt != DocFormat.PDF:
                maker.text(invoice)

    def for_formats(self, formats: Sequence[str]) -> DocumentFiles:
        """The same, for other formats (a credit note follows its invoice's)."""
        if tuple(formats) == self.formats:
            return self
        return DocumentFiles(self.settings, self.root, formats, self.template)

    def __call__(self, invoice: Invoice) -> list[tuple[str, bytes]]:
        """(extension, bytes) of each file of ``invoice`` (numbered or draft)."""
        xml = xml_of(invoice) if has_xml(invoice) and invoice.number is not None else None
        embed = None if xml is None else (document_name(invoice.number or "", XML), xml)
        formats = [f for f in self.formats if f != XML or xml is not None] or ["html"]
        files: list[tuple[str, bytes]] = []
        for fmt in formats:
            if fmt == XML:
                assert xml is not None
                files.append((XML, xml))
            else:
                maker = self.makers[fmt]
                files.append((fmt, maker(invoice, embed if fmt == DocFormat.PDF else None)))
        return files
