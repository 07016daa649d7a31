"""An import parses the data dir's YAML once for the merge and the MRR before it.

``shared_parses`` lets ``load_records`` hand the records of a text it read before to the
next reader of an identical text. These tests pin what makes that safe: the key is the
text itself (a file changed between two reads is read anew), nothing is kept outside the
block, a text with problems is never shared, and no reader changes shared records.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from revcli.data import yamlio
from revcli.data.yamlio import load_records, shared_parses
from revcli.data.yamlrecord import YamlRecord
from revcli.importers import plan as plan_module
from revcli.importers.plan import plan_import
from revcli.importers.plan_output import write_plan
from revcli.importers.sources import read_mapped
from tests.conftest import ROOT

EXAMPLES = ROOT / "docs" / "examples" / "import"
TODAY = dt.date(2026, 12, 6)
TEXT = "contracts:\n  - contract_id: K1\n    lines:\n      - product: P\n        unit_price: 100\n"
SHAPE = ("contracts", frozenset({"lines"}))


def _dump(records: list[YamlRecord]) -> list[object]:
    return [
        (
            r.line,
            dict(r.values),
            dict(r.value_lines),
            {k: _dump(list(v)) for k, v in r.children.items()},
        )
        for r in records
    ]


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts ``load_records`` parses from now on (plain ones, read from events)."""
    parsed: list[str] = []
    real = yamlio.plain_records

    def counting(text: str, *args: object) -> list[YamlRecord] | None:
        parsed.append(text)
        return real(text, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(yamlio, "plain_records", counting)
    return parsed


def test_an_identical_text_is_parsed_once_within_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _counted(monkeypatch)
    with shared_parses():
        first, _ = load_records(TEXT, "a.yaml", *SHAPE)
        again, _ = load_records(TEXT[:-1] + "\n", "b.yaml", *SHAPE)  # equal, another object
    assert len(parsed) == 1
    assert _dump(again) == _dump(first)
    assert again is not first  # each reader has its own list
    again.clear()
    with shared_parses():
        assert load_records(TEXT, "a.yaml", *SHAPE)[0]  # nothing kept from the block before


def test_without_the_block_every_read_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _counted(monkeypatch)
    load_records(TEXT, "a.yaml", *SHAPE)
    load_records(TEXT, "a.yaml", *SHAPE)
    with shared_parses():
        pass
    load_records(TEXT, "a.yaml", *SHAPE)
    assert len(parsed) == 3


def test_a_changed_text_or_another_shape_is_parsed_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _counted(monkeypatch)
    changed = TEXT.replace("100", "200")
    with shared_parses(), shared_parses():  # nested blocks share the outer one's records
        before, _ = load_records(TEXT, "a.yaml", *SHAPE)
        after, _ = load_records(changed, "a.yaml", *SHAPE)
        _, flat = load_records(TEXT, "a.yaml", "contracts")  # lines: a value, not children
        load_records(TEXT, "a.yaml", *SHAPE)
    assert len(parsed) == 3
    assert before[0].children["lines"][0].values["unit_price"] == "100"
    assert after[0].children["lines"][0].values["unit_price"] == "200"
    assert [i.message for i in flat] == ["expected a single value, found a list or mapping"]


def test_a_text_with_a_problem_is_not_shared_and_names_each_file() -> None:
    text = "contracts:\n  - contract_id: K1\n    contract_id: K2\n"
    with shared_parses():
        _, first = load_records(text, "a.yaml", *SHAPE)
        _, second = load_records(text, "b.yaml", *SHAPE)
    assert [i.source for i in first] == ["a.yaml"]
    assert [i.source for i in second] == ["b.yaml"]


def _sheet_data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    for table in ("customers", "contracts", "lines"):
        batch = read_mapped(EXAMPLES / "sheet.csv", EXAMPLES / f"sheet-{table}.yaml")
        write_plan(plan_import(root, batch, today=TODAY, country="NO"))
    return root


def _raised_sheet(tmp_path: Path) -> Path:
    text = (EXAMPLES / "sheet.csv").read_text("utf-8").replace('"500,00"', '"600,00"')
    path = tmp_path / "sheet.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_import_parses_its_contracts_file_once_and_changes_no_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _sheet_data_dir(tmp_path)
    old = (root / "contracts" / "sheet.yaml").read_text("utf-8")
    given: list[tuple[str, list[YamlRecord], list[object]]] = []
    real = yamlio.plain_records

    def keeping(text: str, *args: object) -> list[YamlRecord] | None:
        found = real(text, *args)  # type: ignore[arg-type]
        if found is not None:
            given.append((text, found, copy.deepcopy(_dump(found))))
        return found

    monkeypatch.setattr(yamlio, "plain_records", keeping)
    batch = read_mapped(_raised_sheet(tmp_path), EXAMPLES / "sheet-lines.yaml")
    plan = plan_import(root, batch, today=TODAY)
    new = plan.files["contracts/sheet.yaml"]
    assert new != old
    # The old contracts file is parsed once (merge and MRR before), the would-be one once.
    assert [t for t, _, _ in given if t == old] == [old]
    assert [t for t, _, _ in given if t == new] == [new]
    # No reader changed the records it was handed (the merge and the loader share them).
    for _, records, seen in given:
        assert _dump(records) == seen
    assert plan.mrr_before == Decimal("5203.50")
    assert plan.mrr_after == Decimal("5303.50")


def test_a_file_changed_between_the_merge_and_the_mrr_before_is_read_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _sheet_data_dir(tmp_path)
    path = root / "contracts" / "sheet.yaml"
    real = plan_module.contracts_file

    def then_edited(*args: object) -> dict[str, str]:
        out = real(*args)  # type: ignore[arg-type]
        # A person doubles K2's price while the import merges: the MRR before is that file's.
        path.write_text(
            path.read_text("utf-8").replace("unit_price: 12000\n", "unit_price: 24000\n"), "utf-8"
        )
        return out

    monkeypatch.setattr(plan_module, "contracts_file", then_edited)
    batch = read_mapped(_raised_sheet(tmp_path), EXAMPLES / "sheet-lines.yaml")
    plan = plan_import(root, batch, today=TODAY)
    assert plan.mrr_before == Decimal("6203.50")  # 5,203.50 + 1,000.00 more for K2
