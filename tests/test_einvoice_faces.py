"""Invoice faces an accountant signs off: every shown line multiplies out or says how its
amount arises; foreign-currency invoices show their code, IBAN and BIC, no KID; zero-rated
exports state their legal basis."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from revcli.billing.context import document_context
from revcli.billing.run import billing_run
from revcli.billing.templates import DocFormat, document_maker
from revcli.checks import load_dataset
from tests.conftest import SAMPLE


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
