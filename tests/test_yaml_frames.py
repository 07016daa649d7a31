"""The frame reader of records files (data/yamlframes.py) against the general reader.

Wherever the frame reader takes a text, it must give what reading the text record by
record gives (libyaml's events or nodes): the same values, lines and positions. Where it
does not, it returns ``None`` and the general reader runs; these tests check both that
every file revcli writes is taken and that nothing it takes is read differently."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import revcli.data.reader as reader_module
from revcli.checks import CHECKS
from revcli.data.load import _yaml_contracts, read_raw
from revcli.data.reader import SourceReader
from revcli.data.source import FolderSource
from revcli.data.validate import validate
from revcli.data.yamlframes import _REFUSED, plain_frames
from revcli.data.yamlio import load_records
from revcli.errors import DataError
from revcli.importers.yamlout import dump_contracts, dump_records, key
from revcli.schema import LINE, SOURCE

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _general(text: str, list_key: str, child_key: str | None) -> tuple[pl.DataFrame, ...] | None:
    """The records as the general reader gives them, in the frame reader's shape; ``None``
    when it finds a problem (the frame reader must not take such a text)."""
    children = frozenset({child_key}) if child_key else frozenset()
    records, issues = load_records(text, "f.yaml", list_key, children)
    if issues:
        return None
    rows = [{**r.values, SOURCE: "f.yaml", LINE: r.line} for r in records]
    kids = [
        {**c.values, SOURCE: "f.yaml", LINE: c.line, "_parent": r.values.get("contract_id")}
        for r in records
        for c in (r.children.get(child_key, []) if child_key else [])
    ]
    where = [
        ("f.yaml", rec.line, key, line, child)
        for r in records
        for rec, child in [(r, False), *[(c, True) for c in r.children.get(child_key or "", [])]]
        for key, line in rec.value_lines.items()
    ]
    return _frame(rows), _frame(kids), _positions(where)


def _frame(rows: list[dict[str, str | int | None]]) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {SOURCE: pl.String(), LINE: pl.Int64()}
    for row in rows:
        for name in row:
            schema.setdefault(name, pl.String())
    return pl.DataFrame(rows, schema=schema, orient="row")


def _positions(rows: list[tuple[str, int, str, int, bool]]) -> pl.DataFrame:
    schema = [SOURCE, "record", "column", "line", "child"]
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.sort("line", "column")


def _same(text: str, list_key: str = "contracts", child_key: str | None = "lines") -> bool:
    """Whether the frame reader took ``text``; fails if it read it differently."""
    fast = plain_frames(text, "f.yaml", list_key, child_key)
    if fast is None:
        return False
    general = _general(text, list_key, child_key)
    assert general is not None, "the frame reader took a text the general reader refuses"
    records, children, where = general
    if fast.records.height or records.height:
        assert fast.records.select(records.columns).equals(records)
        assert sorted(fast.records.columns) == sorted(records.columns)
    if fast.children.height or children.height:
        assert fast.children.select(children.columns).equals(children)
        assert sorted(fast.children.columns) == sorted(children.columns)
    if where.height:
        assert fast.positions.sort("line", "column").equals(where)
    return True


# Values as users and exports write them: YAML's indicators, quotes, colons, hashes,
# escapes, white space of every kind, letters beyond ASCII and characters YAML refuses.
TEXT = st.text(
    alphabet=st.sampled_from(
        [
            *"aZ09 _.-@/+:#'\"\\,[]{}&*!|>%`?~=\t\n\r",
            *["\u00a0", "\u3000", "\u2028", "\u0085", "\ufeff", "\x07", "ø", "é", "\u0301", "😀"],
        ]
    ),
    max_size=12,
)
KEYS = st.sampled_from(
    ["contract_id", "customer_id", "start_date", "notes", "lines", "null", "a b", "x-y", "_line"]
)
RECORD = st.dictionaries(KEYS, TEXT, max_size=4)


@PROPERTY
@given(st.lists(st.tuples(RECORD, st.lists(RECORD, max_size=3)), max_size=5))
@example([({"contract_id": "A", "notes": "  padded  "}, [{"line_id": "1"}, {}])])
def test_every_contracts_file_revcli_writes_is_read_the_same(
    contracts: list[tuple[dict[str, str], list[dict[str, str]]]],
) -> None:
    # The writer's own output: taken by the frame reader whenever the general reader
    # reads it without a problem (no record without values, no child list named as a
    # value), and read the same.
    text = dump_contracts(
        (
            (
                [(k, v) for k, v in values.items() if k != "lines"],
                [list(line.items()) for line in lines],
            )
            for values, lines in contracts
        ),
        "Written by a test",
    )
    general = _general(text, "contracts", "lines")
    taken = _same(text)
    empty_record = any(not [k for k in v if k != "lines"] for v, _ in contracts) or any(
        not line for _, lines in contracts for line in lines
    )
    # Keys the writer quotes (null, _line) are left to the general reader.
    quoted = any(key(k) != k for v, ls in contracts for r in [v, *ls] for k in r)
    if contracts and general is not None and not empty_record and not quoted:
        assert taken, text


@PROPERTY
@given(st.lists(RECORD.filter(lambda r: "lines" not in r), max_size=5))
def test_every_customers_file_revcli_writes_is_read_the_same(
    customers: list[dict[str, str]],
) -> None:
    text = dump_records((list(r.items()) for r in customers), "customers", "")
    _same(text, "customers", None)


TYPED = st.text(
    alphabet=st.sampled_from([*"aZ09 _.-@/+:#'\"\\,[]{}&*!|>%`?~=", "\u00a0", "ø", "é"]),
    max_size=8,
)
NAMES = st.sampled_from(["contract_id", "customer_id", "start_date", "notes", "a b", "x-y"])
RAW = st.one_of(
    TYPED,
    st.tuples(st.sampled_from(["Acme", "0", "ø"]), TYPED).map("".join),
    TYPED.map(lambda t: f'"{t}"'),
    TYPED.map(lambda t: f"'{t}'"),
    TEXT,
    st.sampled_from(["", "~", "null", "'null'", "2026-01-31", "1.5", "[]", "{}", "*a", "&a x"]),
)
"""A value as somebody may type it after ``key: ``: plain, quoted (well or not), empty."""


@st.composite
def _layout_lines(draw: st.DrawFn) -> list[str]:
    """The layout revcli writes, values typed raw, sometimes with one line changed."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        keys = draw(
            st.lists(KEYS.filter(lambda k: k != "lines"), min_size=1, max_size=3, unique=True)
        )
        out += [f"{'  - ' if n == 0 else '    '}{k}: {draw(RAW)}" for n, k in enumerate(keys)]
        if draw(st.booleans()):
            out.append("    lines:")
            for _ in range(draw(st.integers(0, 2))):
                keys = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
                out += [
                    f"{'      - ' if n == 0 else '        '}{k}: {draw(RAW)}"
                    for n, k in enumerate(keys)
                ]
    change = draw(st.sampled_from(["none", "none", "indent", "comment", "blank", "bare"]))
    at = draw(st.integers(0, len(out)))
    if change == "indent" and at < len(out):
        out[at] = draw(st.sampled_from([" ", "   ", "  ", ""])) + out[at]
    elif change == "comment":
        out.insert(at, draw(st.sampled_from(["# note", "    # note", "#", "  #: x"])))
    elif change == "blank":
        out.insert(at, draw(st.sampled_from(["", "   "])))
    elif change == "bare":
        out.insert(at, draw(st.sampled_from(["    x", "      - y", "  -", "    - z: 1"])))
    return [line.rstrip("\n") for line in out]


@PROPERTY
@given(_layout_lines())
def test_no_text_is_read_differently(lines: list[str]) -> None:
    # Values typed by hand (indicators, quotes, escapes, white space) in the layout, and
    # lines moved out of it: whatever the frame reader takes, it reads as the general
    # reader does (and it takes most of them: checked by hand while writing this test).
    _same("contracts:\n" + "\n".join(lines) + "\n")


def test_the_layout_revcli_writes_is_taken() -> None:
    # Worked by hand: two contracts, the first with two lines, values plain, quoted with
    # an escape and a doubled quote, not set, and a key no table knows.
    text = (
        "# Written by revcli\n"
        "contracts:\n"
        "  - contract_id: K-1\n"  # line 3
        '    notes: "tab\\there"\n'
        "    lines:\n"
        "      - line_id: 1\n"  # line 6
        "        product: Pro\n"
        "\n"
        "      - line_id: '2'''\n"  # line 9
        "        quantity:\n"
        "    owner: Kari Nordmann\n"  # after the list: still K-1's
        "  - contract_id: K-2\n"  # line 12
        "    custom: ~\n"
    )
    fast = plain_frames(text, "f.yaml", "contracts", "lines")
    assert fast is not None
    assert fast.records.to_dicts() == [
        {
            SOURCE: "f.yaml",
            LINE: 3,
            "contract_id": "K-1",
            "notes": "tab\there",
            "owner": "Kari Nordmann",
            "custom": None,
        },
        {
            SOURCE: "f.yaml",
            LINE: 12,
            "contract_id": "K-2",
            "notes": None,
            "owner": None,
            "custom": None,
        },
    ]
    assert fast.children.select(LINE, "line_id", "product", "quantity", "_parent").rows() == [
        (6, "1", "Pro", None, "K-1"),
        (9, "2'", None, None, "K-1"),
    ]
    assert fast.positions.filter(pl.col("column") == "quantity").row(0) == (
        "f.yaml",
        9,
        "quantity",
        10,
        True,
    )
    assert _same(text)


@pytest.mark.parametrize(
    "text",
    [
        "contracts:\n  - contract_id: A\n    contract_id: B\n",  # a key twice
        "contracts:\n  - contract_id: A # a comment\n",
        "contracts:\n  - contract_id: &x A\n",
        "contracts:\n  - contract_id: A\n    lines: []\n",
        "contracts:\n  - contract_id: A\n    notes: one\n      two\n",  # over two lines
        "contracts:\n- contract_id: A\n",  # the list at the key's own indentation
        "contracts:\n  - contract_id: A\n    lines:\n    - line_id: 1\n",
        "contracts:\n  - contract_id:\tA\n",
        "contracts:\n  - contract_id: A\nother: 1\n",
        "contracts: []\n",
        "- contract_id: A\n",  # a list alone: the general reader takes it
        "contracts:\n  - contract_id: 'A\n",
        # Mostly empty lines (a frame row each, many times the file's size in memory).
        "contracts:\n" + "\n" * 1000 + "  - contract_id: A\n",
    ],
)
def test_other_texts_are_left_to_the_general_reader(text: str) -> None:
    assert plain_frames(text, "f.yaml", "contracts", "lines") is None


def test_its_white_space_is_pythons() -> None:
    # Quoted values are stripped by Polars here and by str.strip in the general reader:
    # the two must agree on every character the frame reader lets through.
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    series = pl.Series(chars)
    through = ~series.str.contains(_REFUSED)
    stripped = series.str.strip_chars().str.len_chars() == 0
    python = pl.Series([c.isspace() for c in chars])
    assert (stripped.filter(through) == python.filter(through)).all()


def _read(root: Path) -> tuple[list[pl.DataFrame], list[str]]:
    """The typed tables and every problem and warning of the data dir, as text."""
    try:
        data, issues = validate(read_raw(root), CHECKS)
    except DataError as exc:
        return [], [str(i) for i in exc.issues]
    return [data.customers, data.contracts, data.lines], [str(i) for i in issues]


@pytest.mark.parametrize("problem", [None, "bad date", "unknown key"])
def test_a_data_dir_reads_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: str | None
) -> None:
    # The sample's contracts in one file in the written layout; read with the frame
    # reader (every size) and without it: the same tables, the same problems at the same
    # lines (a problem of a value is named at the value's own line).
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    contracts = []
    for path in sorted((data / "contracts").glob("*.yaml")):
        found, issues = load_records(
            path.read_text(), str(path), "contracts", frozenset({"lines"}), allow_single=True
        )
        assert not issues
        contracts += [
            (list(r.values.items()), [list(c.values.items()) for c in r.children.get("lines", [])])
            for r in found
        ]
        path.unlink()
    if problem == "bad date":
        values, lines = contracts[1]
        contracts[1] = ([(k, "2026-02-30" if k == "start_date" else v) for k, v in values], lines)
    if problem == "unknown key":
        contracts[2][1][0].append(("colour", "blue"))
    text = dump_contracts(contracts, "one file")
    (data / "contracts" / "all.yaml").write_text(text)
    monkeypatch.setattr(reader_module, "FRAME_CHARS", 0)
    fast = _read(data)
    monkeypatch.setattr(reader_module, "FRAME_CHARS", 10**12)
    slow = _read(data)
    assert fast[1] == slow[1]
    assert len(fast[0]) == len(slow[0])
    for a, b in zip(fast[0], slow[0], strict=True):
        assert a.equals(b)
    if problem is not None:
        value = "start_date: 2026-02-30" if problem == "bad date" else "colour: blue"
        line = next(n for n, t in enumerate(text.splitlines(), 1) if t.endswith(value))
        where = f"{data / 'contracts' / 'all.yaml'}:{line}:"
        assert any(where in m and value.split(":", maxsplit=1)[0] in m for m in fast[1]), fast[1]


@pytest.mark.parametrize("frames", [True, False])
def test_keys_no_table_knows_are_warned_of_and_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frames: bool
) -> None:
    # A file of 3,000 contracts, each with a key of its own: every key is a warning at
    # its line, and none becomes a column of the raw frame. Kept, they made a frame of
    # 3,000 columns by 3,000 rows (20,000 such keys, a 1.7 MB file: 6.5 GB and minutes).
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns("contracts"))
    rows = [
        f"  - contract_id: X{i}\n    customer_id: CUST-001\n    start_date: 2026-01-01\n"
        f"    made_up_{i}: v\n"
        for i in range(3000)
    ]
    (data / "contracts.yaml").write_text("contracts:\n" + "".join(rows))
    monkeypatch.setattr(reader_module, "FRAME_CHARS", 0 if frames else 10**12)
    files = FolderSource(data)
    r = SourceReader(files)
    contracts, _ = _yaml_contracts(r, ["contracts.yaml"], "contracts")
    assert [c for f in contracts.frames for c in f.columns if c.startswith("made_up")] == []
    warned = [i for i in r.issues if "made_up_" in i.column]
    assert len(warned) == 3000
    # Contract X7's key is on line 2 + 4 × 7 + 3 = 33.
    assert [(i.line, i.column) for i in warned if i.column == "made_up_7"] == [(33, "made_up_7")]
