"""Invoice faces an accountant signs off: every shown line multiplies out or says how its
amount arises; foreign-currency invoices show their code, IBAN and BIC, no KID; zero-rated
exports state their legal basis."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest

from revcli.billing.context import _how, document_context
from revcli.billing.labels import LABELS, language
from revcli.billing.run import billing_run
from revcli.billing.templates import DocFormat, document_maker
from revcli.checks import load_dataset
from revcli.einvoice.model import months as months_of
from revcli.einvoice.terms import line_terms
from tests.conftest import SAMPLE
from tests.einvoice_docs import amount_of
from tests.einvoice_docs import line as doc_line


@pytest.fixture(scope="module")
def contexts() -> list[dict[str, object]]:
    data = load_dataset(SAMPLE)
    drafts = billing_run(data, dt.date(2025, 1, 1), dt.date(2026, 12, 1))
    return [document_context(inv, data.settings) for inv in drafts]


def test_every_line_of_two_years_multiplies_out_or_says_how(
    contexts: list[dict[str, object]],
) -> None:
    seen = {"multiplies": 0, "how": 0}
    for ctx in contexts:
        for line in ctx["lines"]:  # type: ignore[attr-defined]
            # shown gross − shown discount = the line's amount
            assert line["gross"] - line["discount"] == line["amount"]
            if line["multiplies"]:
                seen["multiplies"] += 1
                product = Fraction(line["shown_quantity"]) * Fraction(line["shown_price"])
                assert product == abs(Fraction(line["gross"])), line
                assert line["how"] == ""
            else:
                seen["how"] += 1
                assert line["how"] != "", line
    assert seen["multiplies"] > 1000 and seen["how"] > 10


def test_foreign_currency_faces_show_code_iban_bic_and_no_kid(
    contexts: list[dict[str, object]],
) -> None:
    foreign = [c for c in contexts if c["document"]["currency"] != "NOK"]  # type: ignore[index]
    assert {c["document"]["currency"] for c in foreign} >= {"EUR", "SEK", "USD"}  # type: ignore[index]
    for ctx in foreign:
        document = ctx["document"]
        assert document["currency_code"] and document["pay_to_iban"]  # type: ignore[index]
        assert not document["payment_reference_is_kid"]  # type: ignore[index]
        assert ctx["seller"]["iban"] and ctx["seller"]["bic"]  # type: ignore[index]


def test_zero_rated_export_states_its_basis(contexts: list[dict[str, object]]) -> None:
    data = load_dataset(SAMPLE)
    exports = [
        c
        for c in contexts
        if c["buyer"]["country"] != "NO"  # type: ignore[index]
        and any(line["tax_rate"] == 0 for line in c["lines"])  # type: ignore[attr-defined]
    ]
    assert exports
    assert all(c["document"]["export_basis"] for c in exports)  # type: ignore[index]
    # and the text is on the face, with the reverse-charge note for such a customer
    inv = next(
        i for i in billing_run(data, dt.date(2026, 12, 1), dt.date(2026, 12, 1)) if i.reverse_charge
    )
    text = document_maker(data.settings, SAMPLE, DocFormat.TXT, None).text(inv)
    assert "§ 6-22" in text
    assert "accounts for the VAT" in text or "Kjøper beregner merverdiavgiften" in text
    assert "KID" not in text and "IBAN" in text


def test_a_price_with_more_places_than_the_currency_is_shown_whole() -> None:
    from revcli.billing.money import format_money

    assert format_money(Decimal("0.125"), "NOK", "nb_NO", exact=True) == "0,125\xa0kr"
    assert format_money(Decimal("0.125"), "NOK", "nb_NO") == "0,13\xa0kr"
    assert format_money(Decimal("1234.5"), "EUR", "en_GB", code=True) == "EUR 1,234.50"


def _face_how(locale: str, **changes: object) -> str:
    item = doc_line(**changes)
    item = replace(item, amount=amount_of(item))
    labels = LABELS[language(locale)]
    return _how(line_terms(item), "NOK", locale, labels, code=False, sign=Decimal(1))


@pytest.mark.parametrize(
    ("locale", "shown"),
    [
        (
            "nb_NO",
            "3 × 1 934,13 kr / periode × 1 av (6 + 15/30,4375) måneder ≈ 893,66 kr (avrundet)",
        ),
        ("en_GB", "3 × NOK1,934.13 / term × 1 of (6 + 15/30.4375) months ≈ NOK893.66 (rounded)"),
    ],
)
def test_a_term_price_billed_monthly_reads_one_month_of_the_term_on_the_face(
    locale: str, shown: str
) -> None:
    # one month of a 6-month-15-day term: 3 × 1,934.13 ÷ (6 + 15/30.4375) = 893.663… → 893.66
    # (it was "× 487/3162 periode")
    text = _face_how(
        locale,
        quantity=Decimal(3),
        unit_price=Decimal("1934.13"),
        price_period="term",
        price_months=months_of(6, 15),
    )
    assert text.replace("\xa0", " ") == shown


@pytest.mark.parametrize(
    ("locale", "shown"),
    [
        ("nb_NO", "2 × 1 000,00 kr / år × 1 av 12 måneder × 22 av 31 dager ≈ 118,28 kr (avrundet)"),
        ("en_GB", "2 × NOK1,000.00 / year × 1 of 12 months × 22 of 31 days ≈ NOK118.28 (rounded)"),
    ],
)
def test_a_year_price_billed_monthly_and_prorated_reads_months_then_days_on_the_face(
    locale: str, shown: str
) -> None:
    # 2 × 1,000 × 1/12 × 22/31 = 44,000/372 = 118.279… → 118.28 (was "× 22/31 … × 1/12 år")
    text = _face_how(
        locale,
        quantity=Decimal(2),
        unit_price=Decimal(1000),
        price_period="year",
        price_months=months_of(12),
        active_days=22,
    )
    assert text.replace("\xa0", " ") == shown


@pytest.mark.parametrize(
    ("locale", "shown"),
    [
        ("nb_NO", "1 × 999,995 kr ≈ 1 000,00 kr (avrundet)"),
        ("en_GB", "1 × NOK999.995 ≈ NOK1,000.00 (rounded)"),
    ],
)
def test_a_one_time_fee_on_the_face_is_no_price_per_period(locale: str, shown: str) -> None:
    # 999.995 rounds half up to 1,000.00; a fee paid once is not "/ engangs" or "/ one-time"
    text = _face_how(
        locale, unit_price=Decimal("999.995"), price_period="once", price_months=months_of(0)
    )
    assert text.replace("\xa0", " ") == shown
