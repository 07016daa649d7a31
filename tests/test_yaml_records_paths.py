"""Records read straight from libyaml's events are the records the node tree gives.

``load_records`` reads a plain records file (what an import writes) from the parser's
events, and leaves every other text to the composer, which reports its problems. Each
text here is read both ways: where the event path answers, its records (values, lines,
children) must equal the composer's, and the composer must find no problem.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.data import yamlevents, yamlio, yamlrecord
from revcli.data.yamlrecord import YamlRecord
from revcli.importers.yamlout import dump_contracts

ROOT = Path(__file__).parent.parent
FILES = sorted(
    p
    for p in ROOT.glob("**/*.y*ml")
    if ".venv" not in p.parts and ".git" not in p.parts and "contracts" in p.read_text("utf-8")
)
SHAPES = [
    ("contracts", frozenset({"lines"}), True),
    ("contracts", frozenset({"lines"}), False),
    ("customers", frozenset(), False),
]
PLAIN = [
    "contracts:\n  - contract_id: K1\n    lines:\n      - product: P\n        unit_price: 100\n",
    "contracts:\n  - contract_id: K1\n    lines: ~\n  - contract_id: K2\n    lines: []\n",
    "contracts: []\n",
    "contracts:\n",
    "- contract_id: K1\n  notes: |\n    two\n    lines\n  owner: ''\n  x: ~\n  y:\n",
    "contract_id: K1\nlines:\n  - {product: P, quantity: 2}\n",
    '---\ncontracts:\n  - "contract_id": "K1 "\n    notes: "\\U0001F600 \\u00e6"\n...\n',
    "customers:\n  - customer_id: C1\n    name: Null\n    country: NO\n",
]
NOT_PLAIN = [
    "",
    "# only a comment\n",
    "contracts:\n  - &a {contract_id: K1}\n  - *a\n",
    "defaults: &d {currency: EUR}\ncontracts:\n  - <<: *d\n    contract_id: K1\n",
    "contracts:\n  - contract_id: K1\n    contract_id: K2\n",
    "contracts:\n  - contract_id: K1\nnotes: beside\n",
    "contracts:\n  - contract_id: !!str K1\n",
    "contracts:\n  - contract_id: K1\n    lines:\n      - product: [P]\n",
    "contracts:\n  - contract_id: K1\n    lines: none\n",
    "contracts:\n  - contract_id: K1\n    notes: {a: b}\n",
    "contracts:\n  - K1\n",
    'contracts:\n  - notes: "\\ud83d"\n',
    'contracts:\n  - notes: "\\ud83d\\ude00"\n',  # libyaml refuses surrogate escapes
    "contracts: []\n---\ncontracts: []\n",
    "contracts:\n  - contract_id: K1\n   bad: indent\n",
    "a: b: c\n",
    "just text\n",
    "contracts: text\n",
    "{[a]: b}\n",
]


def _dump(records: list[YamlRecord]) -> list[object]:
    return [
        (r.line, r.values, r.value_lines, {k: _dump(v) for k, v in r.children.items()})
        for r in records
    ]


def _both(text: str, list_key: str, child_keys: frozenset[str], single: bool) -> bool:
    """Whether the event path read ``text``; when it did, it agrees with the composer."""
    fast = yamlevents.plain_records(text, list_key, child_keys, single)
    if fast is None:
        return False
    records, issues = yamlio._composed_records(text, "f.yaml", list_key, child_keys, single)
    assert issues == []
    assert _dump(fast) == _dump(records)
    return True


needs_libyaml = pytest.mark.skipif(
    yamlrecord.CPARSER is None, reason="PyYAML built without libyaml: only the composer exists"
)


@needs_libyaml
@pytest.mark.parametrize("text", PLAIN)
def test_plain_files_are_read_from_events_as_the_composer_reads_them(text: str) -> None:
    key = "customers" if text.startswith("customers") else "contracts"
    shapes = [s for s in SHAPES if s[0] == key]
    assert any(_both(text, *shape) for shape in shapes)


@needs_libyaml
@pytest.mark.parametrize("text", NOT_PLAIN)
def test_anything_else_is_left_to_the_composer(text: str) -> None:
    for shape in SHAPES:
        assert yamlevents.plain_records(text, *shape) is None


@needs_libyaml
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_projects_own_files_read_the_same_either_way(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for shape in SHAPES:
        _both(text, *shape)


@needs_libyaml
@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(["contract_id", "notes", "owner", "x y"]), st.text()),
            st.lists(st.dictionaries(st.sampled_from(["product", "line_id"]), st.text())),
        ),
        max_size=4,
    )
)
def test_any_file_an_import_writes_is_read_from_events(
    contracts: list[tuple[dict[str, str], list[dict[str, str]]]],
) -> None:
    text = dump_contracts(
        (
            ([("source_id", f"s:{i}"), *c.items()], [list(x.items()) for x in lines])
            for i, (c, lines) in enumerate(contracts)
        ),
        "header\nlines",
    )
    assert _both(text, "contracts", frozenset({"lines"}), True)
