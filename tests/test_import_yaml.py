"""The import's YAML writer: whatever text it writes, revcli's reader reads back exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.data.yamlio import load_records
from revcli.importers import yamlout
from revcli.importers.yamlout import dump_contracts, scalar

HOSTILE = [
    "NO",
    "no",
    "yes",
    "true",
    "1200.00",
    "0x1F",
    "1e3",
    "2026-01-01",
    "null",
    "~",
    "Null",
    "a: b",
    "key:",
    "# not a comment",
    "a #b",
    "'single'",
    '"double"',
    "mixed \"quotes\" and 'apostrophes'",
    "line one\nline two",
    "tab\there",
    "- dash",
    "? question",
    "&anchor",
    "*alias",
    "!tag",
    "%directive",
    "@at",
    "`tick",
    "{flow}",
    "[list]",
    "a, b",
    "|",
    ">",
    "Tromsø Kaffebrenneri AS",
    "東京株式会社",
    "emoji 🚀",
    "back\\slash",
    "nel\x85char",
    "ls\u2028ps\u2029end",
    "bom\ufeffinside",
    "del\x7f",
    "bell\x07",
    "=SUM(A1)",
]


def _read_back(value: str) -> str | None:
    text = dump_contracts([([("contract_id", "C1"), ("notes", value)], [])], "")
    records, issues = load_records(text, "t.yaml", "contracts", frozenset({"lines"}))
    assert issues == []
    return records[0].values["notes"]


def test_hostile_strings_read_back_exactly() -> None:
    for value in HOSTILE:
        assert _read_back(value) == value, value


def test_yaml_1_1_words_stay_text_and_plain() -> None:
    # The reader never resolves types, so NO and 1200.00 may stay plain; null words may not.
    assert scalar("NO") == "NO"
    assert scalar("1200.00") == "1200.00"
    assert scalar("null") == '"null"'
    assert scalar("") == '""'


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1).map(str.strip).filter(bool))
def test_any_text_reads_back_exactly(value: str) -> None:
    # Surrogates cannot be written as UTF-8 at all; everything else must survive.
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        return
    assert _read_back(value) == value


def test_amounts_convert_exactly_beyond_28_digits() -> None:
    from decimal import Decimal

    from revcli.importers.values import decimal_text, minor_to_text

    # 40 digits of minor units: Decimal's default context (28 digits) would round them.
    assert minor_to_text(Decimal("1" * 40), 2) == "1" * 38 + ".11"
    assert minor_to_text(Decimal(4900), 2) == "49.00"
    assert minor_to_text(Decimal(5000), 0) == "5000"
    assert minor_to_text(Decimal(12340), 3) == "12.340"
    assert decimal_text(Decimal("20.500")) == "20.5"
    assert decimal_text(Decimal("1E+3")) == "1000"


def _plain_by_character(text: str) -> bool:
    """The writer's rule for a plain value, character by character (the reference)."""
    if text in yamlout._NULL_WORDS or not text[0].isalnum() or not text.isprintable():
        return False
    return all(ch.isalnum() or ch in yamlout._PLAIN_MARKS for ch in text)


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        st.one_of(
            st.characters(),
            st.sampled_from("aZ09_ .@/+-:#'\"\t\u00e6\u00b2\u0663\u0301\u2028\u00a0"),
        )
    )
)
def test_the_plain_value_pattern_is_the_character_rule(value: str) -> None:
    # A value written plain (no quotes) is decided by one pattern for speed; it must
    # decide as the rule does for every text: letters and digits of any script
    # (isalnum, as superscripts and Arabic digits), the safe marks, and nothing else.
    assert yamlout._plain_ok(value) == _plain_by_character(value)


def test_the_plain_value_pattern_on_edges() -> None:
    for value in ["NO", "_x", "x_", "a b", "1.5", "²", "\u0663", "e\u0301", "a\u2028", "a\u00a0b"]:
        assert yamlout._plain_ok(value) == _plain_by_character(value), value
