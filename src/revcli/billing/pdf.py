"""HTML to PDF with WeasyPrint (the optional ``revcli[pdf]`` extra), byte-for-byte reproducible."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from revcli.errors import RevcliError
from revcli.extras import install_hint


@contextmanager
def _source_date_epoch(day: dt.date) -> Iterator[None]:
    # fontTools stamps the embedded font subsets with the current time unless
    # SOURCE_DATE_EPOCH is set; the invoice date makes the bytes depend on the input only.
    epoch = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def html_to_pdf(
    html: str, base: Path, day: dt.date, embed: tuple[str, bytes] | None = None
) -> bytes:
    """Render ``html`` (relative links resolved from ``base``) as an A4 PDF.

    With ``embed`` (file name, bytes) — the document's e-invoice — the PDF is a PDF/A-3b
    that carries that file as an associated file with relationship ``Data`` (as Factur-X
    does), so one file holds both the face and the data. The same HTML, ``day`` and
    ``embed`` give the same bytes: the only time in the file comes from ``day`` (and from
    ``<meta name="dcterms.created">`` in the template, if any).
    """
    try:
        from weasyprint import HTML, Attachment
    except ImportError:
        raise RevcliError(f"PDF output needs WeasyPrint: {install_hint('pdf')}") from None
    except OSError as exc:  # WeasyPrint is installed but Pango is not
        raise RevcliError(
            f"WeasyPrint cannot load its system libraries ({exc}); see "
            "https://doc.courtbouillon.org/weasyprint/stable/first_steps.html"
        ) from None
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    folder = base.resolve()

    class _Fetcher(URLFetcher):  # type: ignore[misc]
        """Only ``data:`` URLs and files inside the template's folder: a template in a
        shared data dir cannot attach ``/proc/self/environ`` or call out to the network."""

        def fetch(self, url: str, headers: object = None) -> object:
            if not _allowed(url, folder):
                raise FatalURLFetchingError(url)
            return super().fetch(url, headers)

    try:
        with _source_date_epoch(day):
            document = HTML(string=html, base_url=str(folder), url_fetcher=_Fetcher())
            if embed is None:
                pdf = document.write_pdf()
            else:
                name, data = embed
                # WeasyPrint stamps an attachment with the current time unless told.
                stamp = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
                pdf = document.write_pdf(
                    pdf_variant="pdf/a-3b",
                    attachments=[
                        Attachment(
                            string=data,
                            name=name,
                            relationship="Data",
                            description="EHF / Peppol BIS Billing 3.0 e-invoice (UBL 2.1)",
                            created=stamp,
                            modified=stamp,
                        )
                    ],
                )
    except FatalURLFetchingError as exc:
        raise RevcliError(
            f"{base}: a PDF may use only files in this folder (the template's) and data: URLs; "
            f"'{exc.args[0] if exc.args else exc}' is not one"
        ) from None
    assert isinstance(pdf, bytes)
    return pdf


def _allowed(url: str, folder: Path) -> bool:
    scheme = url.partition(":")[0]
    if scheme.lower() == "data":
        return True
    if scheme.lower() != "file":
        return False
    path = Path(unquote(urlsplit(url).path))
    try:
        return path.resolve().is_relative_to(folder)
    except (OSError, RuntimeError, ValueError):
        return False
