"""PDF/A-3 with the e-invoice embedded, read back with pypdf (a real WeasyPrint render)."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import pytest

from revcli.einvoice.ubl import ubl
from tests.test_einvoice_ubl import QUARTER

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("weasyprint")


def test_pdf_carries_the_xml_as_pdf_a_3(tmp_path: Path) -> None:
    from revcli.billing.pdf import html_to_pdf

    xml = ubl(QUARTER)
    html = "<html><body><h1>Faktura 2026-00001</h1></body></html>"
    pdf = html_to_pdf(html, tmp_path, dt.date(2026, 1, 1), ("2026-00001.xml", xml))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.attachments["2026-00001.xml"] == [xml]
    rdf = reader.xmp_metadata.rdf_root.toxml()
    assert 'pdfaid:part="3"' in rdf and 'pdfaid:conformance="B"' in rdf
    root = reader.trailer["/Root"]
    assert "/AF" in root and "/OutputIntents" in root
    assert root["/AF"][0].get_object()["/AFRelationship"] == "/Data"
    # reproducible: the same inputs give the same bytes, a second later too
    time.sleep(1.1)
    assert html_to_pdf(html, tmp_path, dt.date(2026, 1, 1), ("2026-00001.xml", xml)) == pdf


def test_pdf_without_e_invoice_has_no_attachment(tmp_path: Path) -> None:
    from revcli.billing.pdf import html_to_pdf

    pdf = html_to_pdf("<p>x</p>", tmp_path, dt.date(2026, 1, 1))
    assert pypdf.PdfReader(io.BytesIO(pdf)).attachments == {}


def test_pdfs_rendered_on_a_pool_equal_those_rendered_in_turn() -> None:
    import dataclasses

    from revcli.billing.documents import DocumentFiles
    from revcli.billing.parallel import render_all, workers
    from revcli.billing.run import billing_run
    from revcli.checks import load_dataset
    from tests.conftest import SAMPLE

    if workers() < 2:
        pytest.skip("one core: the pool is not used")
    data = load_dataset(SAMPLE)
    drafts = billing_run(data, dt.date(2026, 12, 1), dt.date(2026, 12, 1))[:4]
    invoices = [
        dataclasses.replace(d, number=f"2026-{i:05d}", seq=i, series="2026-{seq:05d}")
        for i, d in enumerate(drafts, 1)
    ]
    files = DocumentFiles(data.settings, SAMPLE, ["pdf", "xml"])
    pooled = list(render_all(files, invoices, parallel=True))
    in_turn = list(render_all(files, invoices, parallel=False))
    assert pooled == in_turn
    assert [[ext for ext, _ in f] for f in pooled] == [["pdf", "xml"]] * 4
