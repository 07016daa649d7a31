"""Invoice templates: the template contract, strict errors, locale filters, golden files, PDF."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_skeleton as babel_skeleton
from liquid.exceptions import FilterArgumentError
from pypdf import PdfReader

from revcli.billing import filters
from revcli.billing.context import document_context
from revcli.billing.filters import FILTERS, environment
from revcli.billing.model import Invoice, credit_note
from revcli.billing.money import format_money
from revcli.billing.numbering import numbered
from revcli.billing.run import billing_run
from revcli.billing.templates import DocFormat, document_maker
from revcli.data.validate import DataSet, load_dataset
from revcli.extras import install_hint
from revcli.templating.files import TemplateError, shipped_templates
from tests.conftest import ROOT, SAMPLE, Golden, Run

pytestmark = pytest.mark.usefixtures("pinned_today")

D = Decimal
SHIPPED = ("invoice.html.liquid", "invoice.md.liquid", "invoice.txt.liquid")
DEC_2026 = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def sample() -> DataSet:
    return load_dataset(SAMPLE)


@pytest.fixture(scope="module")
def december(sample: DataSet) -> list[Invoice]:
    return billing_run(sample, DEC_2026, DEC_2026)


def pick(invoices: list[Invoice], contract: str) -> Invoice:
    return next(i for i in invoices if i.contract_id == contract)


def kinds_of_documents(sample: DataSet, december: list[Invoice]) -> dict[str, Invoice]:
    """One invoice of every shape a template must handle."""
    nok = pick(december, "K-2026-0055")  # nb_NO, a renewal uplift inside the period
    eur = pick(december, "K-2024-0055")  # en_GB, reverse charge, EUR with the tax in NOK
    issued = numbered(nok, "2026-{seq:05d}", 1, sample.settings.company)
    note = numbered(
        credit_note(issued, ["2"], "Single sign-on was not delivered", dt.date(2026, 12, 20)),
        "2026-{seq:05d}",
        2,
        sample.settings.company,
    )
    return {"draft-nok": nok, "draft-eur": eur, "issued": issued, "credit-note": note}


# --- the template contract ---------------------------------------------------------------


def _walk(value: Any, segments: list[str], path: str) -> None:
    for segment in segments:
        if isinstance(value, list):
            assert segment.isdigit() or segment in ("first", "last", "size"), path
            continue
        assert isinstance(value, dict), (
            f"{path}: '{segment}' is looked up in a {type(value).__name__}"
        )
        assert segment in value, f"{path}: the template context has no '{segment}'"
        value = value[segment]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_variable_and_filter_of_a_shipped_template_exists(
    name: str, sample: DataSet, december: list[Invoice]
) -> None:
    env = environment(shipped_templates(), autoescape=name.endswith(".html.liquid"))
    template = env.get_template(name)
    assert set(template.filter_names()) <= set(env.filters), "a filter the template uses is missing"
    for invoice in kinds_of_documents(sample, december).values():
        context = document_context(invoice, sample.settings)
        line = context["lines"][0]
        loop_items = {  # loop and capture variables of the shipped templates
            "line": line,
            "tax": context["taxes"][0],
            "step": {"start": 0, "end": 0, "days": 0, "unit_price": 0},
            "part": "",
            "label": "",
            "shown_discount": "",
            "shown": "",  # the text face's column widths and wrapped text
            "note": "",
            "what": "",
            **dict.fromkeys(
                ("size", "qty_w", "price_w", "vat_w", "amount_w", "desc_w", "total_w"), 0
            ),
            "label_w": 0,
            "desc_max": 0,
            "forloop": {"first": True, "last": True, "index": 1},
        }
        for path in template.variable_paths():
            segments = re.findall(r"[A-Za-z_][\w-]*|\d+", path)
            root, rest = segments[0], segments[1:]
            assert root in context or root in loop_items, f"{name}: unknown variable {path}"
            _walk(context.get(root, loop_items.get(root)), rest, f"{name}: {path}")


def test_revcli_filters_are_registered() -> None:
    env = environment(shipped_templates(), autoescape=True)
    assert set(FILTERS) <= set(env.filters)


# --- strict errors --------------------------------------------------------------------------


def _render_with(run: Run, tmp_path: Path, template: str) -> tuple[int, str, Path]:
    path = tmp_path / "mine.html.liquid"
    path.write_text(template, encoding="utf-8")
    result = run(
        "invoice",
        "render",
        "--data",
        SAMPLE,
        "--period",
        "2026-12",
        "--contract",
        "K-2026-0055",
        "--template",
        path,
    )
    return result.exit_code, result.stderr, path


def test_misspelt_variable_names_the_template_file_line_and_column(
    run: Run, tmp_path: Path
) -> None:
    code, err, path = _render_with(run, tmp_path, "<p>\n  {{ document.numbr }}</p>\n")
    assert code == 1
    assert err == f"error: {path}:2:6: document.numbr is undefined\n"


def test_unknown_filter_names_the_template_file_line_and_column(run: Run, tmp_path: Path) -> None:
    code, err, path = _render_with(run, tmp_path, "{{ totals.total | monee }}\n")
    assert (code, err) == (1, f"error: {path}:1:19: unknown filter 'monee'\n")


def test_syntax_error_names_the_template_file_line_and_column(run: Run, tmp_path: Path) -> None:
    code, err, path = _render_with(run, tmp_path, "ok\n{% if %}x{% endif %}\n")
    assert (code, err) == (1, f"error: {path}:2:4: missing expression\n")


@pytest.mark.parametrize(
    ("template", "where", "message"),
    [
        # python-liquid gives these no place (they are found at the end of an expression);
        # revcli names the markup they are in: line, then the column of its "{".
        ("ok\n\n  {{ }}\n", "3:3", "expected a primitive expression, found end of expression"),
        (
            "{% if document %}\n  {{ document.number | }}\n{% endif %}\n",
            "2:3",
            "expected word, found end of expression",
        ),
        (
            "x\n{% for l in %}{% endfor %}\n",
            "2:1",
            "expected a primitive expression, found end of expression",
        ),
        # a block never closed: the tag that opens it
        (
            "x\n\n{% if document %} never closed\n",
            "3:1",
            "expected tag endif, found end of expression",
        ),
    ],
)
def test_a_syntax_error_liquid_gives_no_place_is_named_by_its_markup(
    run: Run, tmp_path: Path, template: str, where: str, message: str
) -> None:
    code, err, path = _render_with(run, tmp_path, template)
    assert (code, err) == (1, f"error: {path}:{where}: {message}\n")


def test_a_template_of_more_than_1000_markups_is_not_searched_for_the_place(
    run: Run, tmp_path: Path
) -> None:
    # The search parses the template about ten times; a hostile template of 60,000
    # outputs took 42 s to place its error. Beyond 1,000 the file is named without one.
    code, err, path = _render_with(run, tmp_path, "{{ document.number }}\n" * 1_000 + "{{ x | }}\n")
    assert (code, err) == (1, f"error: {path}: expected word, found end of expression\n")


def test_padding_width_that_is_not_a_number_names_the_template_file_line_and_column(
    run: Run, tmp_path: Path
) -> None:
    code, err, path = _render_with(run, tmp_path, 'x\n{{ buyer.name | ljust: "abc" }}\n')
    assert (code, err) == (
        1,
        # Column 17: where `ljust` starts in "{{ buyer.name | ljust: …".
        f"error: {path}:2:17: ljust: the width must be a whole number from 0 to 1000, "
        "found 'abc'\n",
    )


def test_template_that_is_not_utf8_is_an_error_naming_the_file(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "latin1.html.liquid"
    path.write_bytes("<p>\nFaktura for {{ buyer.name }} – Bø\n</p>\n".encode("cp1252"))
    result = run(
        "invoice",
        "render",
        "--data",
        SAMPLE,
        "--period",
        "2026-12",
        "--contract",
        "K-2026-0055",
        "--template",
        path,
    )
    # cp1252 writes "–" as the byte 0x96, on line 2.
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: {path}:2: the template is not UTF-8 text (byte 0x96); save it as UTF-8\n",
    )


def test_unknown_customer_locale_is_a_template_error_not_a_crash(
    sample: DataSet, december: list[Invoice]
) -> None:
    invoice = pick(december, "K-2026-0055")
    odd = dataclasses.replace(invoice, buyer=dataclasses.replace(invoice.buyer, locale="xx_XX"))
    maker = document_maker(sample.settings, SAMPLE, DocFormat.HTML, None)
    with pytest.raises(TemplateError) as info:
        maker.text(odd)
    assert re.fullmatch(
        rf"{re.escape(str(maker.path))}:\d+:\d+: (date|money|number|percent): unknown locale "
        r"'xx_XX' \(the customer's locale; expected e\.g\. nb_NO or en_GB\)",
        str(info.value),
    ), str(info.value)


@pytest.mark.parametrize(
    ("name", "template"),
    [
        ("money", "{{ 1 | money }}"),
        ("date", "{{ d | date }}"),
        ("date", "{{ d | date: 'numeric' }}"),
        ("number", "{{ 1 | number }}"),
        ("percent", "{{ 1 | percent }}"),
    ],
)
@pytest.mark.parametrize("locale", ["xx_XX", "nb-NO", ""])
def test_every_locale_filter_names_a_locale_babel_does_not_know(
    name: str, template: str, locale: str
) -> None:
    env = environment(shipped_templates(), autoescape=False)
    with pytest.raises(FilterArgumentError) as info:
        env.from_string(template).render(d=DEC_2026, document={"locale": locale})
    assert info.value.message == (
        f"{name}: unknown locale '{locale}' (the customer's locale; expected e.g. nb_NO or en_GB)"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 'NaN' | money }}", "money: expected a number, found 'NaN'"),
        ("{{ 'Infinity' | number }}", "number: expected a number, found 'Infinity'"),
        ("{{ '1e999999' | number }}", "number: cannot format '1e999999' (out of range)"),
        ("{{ '1e999999' | percent }}", "percent: cannot format '1e999999' (out of range)"),
        ("{{ '1e30' | money }}", "money: cannot format '1e30' in 'NOK' (out of range)"),
        ("{{ d | date: 'EEEEEEEE' }}", "date: cannot format a date with the pattern"),
        ("{{ d | date: 'b' }}", "date: cannot format a date with the pattern 'b'"),
    ],
)
def test_a_value_or_pattern_a_filter_cannot_format_is_a_filter_error(
    template: str, message: str
) -> None:
    env = environment(shipped_templates(), autoescape=False)
    with pytest.raises(FilterArgumentError) as info:
        env.from_string(template).render(d=DEC_2026, document={"locale": "nb_NO"})
    assert str(info.value.message).startswith(message)


def test_missing_template_is_an_error(run: Run, tmp_path: Path) -> None:
    result = run(
        "invoice",
        "render",
        "--data",
        SAMPLE,
        "--period",
        "2026-12",
        "--contract",
        "K-2026-0055",
        "--template",
        tmp_path / "nope.html.liquid",
    )
    # A --template that does not exist is a mistake on the command line (exit 2); a
    # missing template that revcli.yaml names is a problem of the data dir (exit 1).
    message = "".join(result.stderr.replace("│", " ").split())  # the box wraps the path
    assert result.exit_code == 2, result.stderr
    assert "Invalidvaluefor'--template'/'-t':file'" in message
    assert "nope.html.liquid'doesnotexist." in message


def test_html_escapes_customer_text_but_markdown_does_not_need_to(
    sample: DataSet, december: list[Invoice]
) -> None:
    invoice = pick(december, "K-2026-0055")
    buyer = dataclasses.replace(invoice.buyer, name="<b>Tom & Jerry | AS</b>")
    odd = dataclasses.replace(invoice, buyer=buyer)
    html = document_maker(sample.settings, SAMPLE, DocFormat.HTML, None).text(odd)
    assert "&lt;b&gt;Tom &amp; Jerry | AS&lt;/b&gt;" in html
    md = document_maker(sample.settings, SAMPLE, DocFormat.MD, None).text(odd)
    assert r"\<b\>Tom & Jerry \| AS\</b\>" in md


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "shown"),
    [
        ("12345.5", "NOK", "nb_NO", "12\xa0345,50\xa0kr"),
        ("12345.5", "GBP", "en_GB", "£12,345.50"),
        ("12345.5", "JPY", "en_GB", "JP¥12,346"),  # no minor unit; half-up
        ("1.0125", "KWD", "en_GB", "KWD1.013"),  # three decimals; half-up (Babel: 1.012)
        ("0.125", "NOK", "nb_NO", "0,13\xa0kr"),  # half-up (Babel alone: 0,12 kr)
        ("-0.125", "EUR", "de_DE", "-0,13\xa0€"),
    ],
)
def test_money_is_formatted_for_the_customers_locale(
    amount: str, currency: str, locale: str, shown: str
) -> None:
    assert format_money(D(amount), currency, locale) == shown


@pytest.mark.parametrize(
    ("template", "locale", "shown"),
    [
        ("{{ d | date }}", "nb_NO", "1. des. 2026"),
        ("{{ d | date }}", "en_GB", "1 Dec 2026"),
        ("{{ d | date: 'numeric' }}", "nb_NO", "1.12.2026"),
        ("{{ d | date: 'numeric' }}", "en_US", "12/1/2026"),
        ("{{ d | date: 'long' }}", "nb_NO", "1. desember 2026"),
        ("{{ d | date: '%Y-%m-%d' }}", "en_GB", "2026-12-01"),
        ("{{ 2.5 | number }}", "nb_NO", "2,5"),
        ("{{ 25 | percent }}", "nb_NO", "25\xa0%"),
        ("{{ 12.5 | percent }}", "en_GB", "12.5%"),
        ("{{ 'x' | ljust: 3 }}|{{ 'y' | rjust: 3 }}", "en_GB", "x  |  y"),
    ],
)
def test_date_and_number_filters_follow_the_locale(template: str, locale: str, shown: str) -> None:
    env = environment(shipped_templates(), autoescape=False)
    text = env.from_string(template).render(d=DEC_2026, document={"locale": locale})
    assert text == shown


def test_a_date_is_matched_to_the_locale_s_patterns_once_not_on_every_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Babel's skeleton matching was half of a render's time; the formatted date is kept
    # per (date, locale, pattern). 200 documents with 2 dates in 2 locales: 4 matches, and
    # every one still shows the locale's form (a cache keyed wrongly would mix them up).
    calls: list[str] = []

    def counted(skeleton: str, value: dt.date, locale: Any) -> str:
        calls.append(f"{value} {locale}")
        return str(babel_skeleton(skeleton, value, locale=locale))

    filters._format_date.cache_clear()
    monkeypatch.setattr(filters, "format_skeleton", counted)
    env = environment(shipped_templates(), autoescape=False)
    template = env.from_string("{{ d | date: 'numeric' }}")
    expected = {
        ("nb_NO", DEC_2026): "1.12.2026",
        ("en_US", DEC_2026): "12/1/2026",
        ("nb_NO", dt.date(2027, 1, 31)): "31.1.2027",  # d.M.y, as 1.12.2026
        ("en_US", dt.date(2027, 1, 31)): "1/31/2027",  # M/d/y, as 12/1/2026
    }
    for _ in range(50):
        for (locale, day), shown in expected.items():
            assert template.render(d=day, document={"locale": locale}) == shown
    assert len(calls) == len(expected)


# --- golden files -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [DocFormat.HTML, DocFormat.MD, DocFormat.TXT])
@pytest.mark.parametrize("kind", ["draft-nok", "draft-eur", "issued", "credit-note"])
def test_shipped_templates_on_sample_data_match_golden_files(
    fmt: DocFormat, kind: str, sample: DataSet, december: list[Invoice], golden: Golden
) -> None:
    invoice = kinds_of_documents(sample, december)[kind]
    text = document_maker(sample.settings, SAMPLE, fmt, None).text(invoice)
    golden(f"invoice/{kind}.{fmt.value}", text)


# --- PDF ----------------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_pdf_carries_the_invoice_text(sample: DataSet, december: list[Invoice]) -> None:
    issued = kinds_of_documents(sample, december)["issued"]
    pdf = document_maker(sample.settings, SAMPLE, DocFormat.PDF, None)(issued)
    assert pdf.startswith(b"%PDF-")
    text = _pdf_text(pdf).replace("\xa0", " ")
    for expected in (
        "FAKTURA",
        "Fakturanr. 2026-00001",
        "Org.nr. 924 681 357 MVA",
        "Foretaksregisteret",
        "Reinsfjell Bemanning AS",
        "Leveringsperiode 8.12.2026 – 7.3.2027",
        "Å betale 52 170,25 kr",
        "KID 2026000014",
        "1506.23.45672",
    ):
        assert expected in text, f"{expected!r} not in the PDF text: {text}"


CREDITED_SHOWN = {
    # how each face shows the label and the credited invoice, right after the date
    DocFormat.HTML: "<tr><td>{label}</td><td>{number}</td></tr>",
    DocFormat.MD: "| {label} | {number} |",
    DocFormat.TXT: "\n{label}:{pad}{number}\n",
    DocFormat.PDF: "{label} {number}",
}


@pytest.mark.parametrize("fmt", list(CREDITED_SHOWN))
@pytest.mark.parametrize(
    ("contract", "label"),
    [("K-2026-0055", "Krediterer faktura"), ("K-2024-0055", "Credits invoice")],
)
def test_a_credit_note_names_the_invoice_it_credits_once_beside_its_label(
    fmt: DocFormat, contract: str, label: str, sample: DataSet, december: list[Invoice]
) -> None:
    # nb_NO and en_GB buyers; the note's reason does not name the invoice, so the number
    # 2026-00007 shows only where the face itself prints it
    invoice = numbered(pick(december, contract), "2026-{seq:05d}", 7, sample.settings.company)
    note = numbered(
        credit_note(invoice, [], "Seats counted twice", dt.date(2026, 12, 20)),
        "2026-{seq:05d}",
        8,
        sample.settings.company,
    )
    maker = document_maker(sample.settings, SAMPLE, fmt, None)
    text = _pdf_text(maker(note)) if fmt is DocFormat.PDF else maker.text(note)
    assert text.count("2026-00007") == 1, text
    pad = " " * (26 - len(label) - 1)  # the text face's values start in column 27
    assert CREDITED_SHOWN[fmt].format(label=label, pad=pad, number="2026-00007") in text, text
    assert "Seats counted twice" in text


def test_pdf_bytes_are_reproducible_across_processes(
    sample: DataSet, december: list[Invoice]
) -> None:
    invoice = pick(december, "K-2024-0055")
    maker = document_maker(sample.settings, SAMPLE, DocFormat.PDF, None)
    first = maker(invoice)
    assert maker(invoice) == first
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("SOURCE_DATE_EPOCH", None)
    other = subprocess.run(
        [
            sys.executable,
            "-m",
            "revcli",
            "invoice",
            "render",
            "--data",
            str(SAMPLE),
            "--period",
            "2026-12",
            "--contract",
            "K-2024-0055",
            "--format",
            "pdf",
        ],
        capture_output=True,
        env=env,
        check=True,
    )
    assert other.stdout == first


def test_pdf_without_weasyprint_tells_how_to_install_it(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    result = run(
        "invoice",
        "render",
        "--data",
        SAMPLE,
        "--period",
        "2026-12",
        "--contract",
        "K-2026-0055",
        "--format",
        "pdf",
        "--out",
        tmp_path,
    )
    assert result.exit_code == 1
    # The command that works where this revcli is installed (see tests/test_extras.py).
    assert result.stderr == f"error: PDF output needs WeasyPrint: {install_hint('pdf')}\n"


def test_data_dir_template_overrides_the_shipped_one(run: Run, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(SAMPLE, root)
    (root / "templates").mkdir()
    (root / "templates" / "invoice.txt.liquid").write_text(
        "Hei {{ buyer.name }}!\n", encoding="utf-8"
    )
    result = run(
        "invoice",
        "render",
        "--data",
        root,
        "--period",
        "2026-12",
        "--contract",
        "K-2026-0055",
        "--format",
        "txt",
    )
    assert (result.exit_code, result.stdout) == (0, "Hei Reinsfjell Bemanning AS!\n")
