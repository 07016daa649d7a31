"""Modules follow their seams: the size limits docs/architecture.md states, checked on the
source tree (a module that outgrows them wants splitting where its sections part)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "src" / "revcli"

BILLING_LIMIT = 300
"""Lines a module of ``billing/`` may have (it was split from modules of 700 lines)."""

MODULE_LIMIT = 420
"""Lines any other module may have: the aim is about 300, and the largest today,
``metrics/mrr.py`` (the :class:`Book` and the name of every engine step), is near 410."""


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_source_tree_is_found() -> None:
    assert (PACKAGE / "billing").is_dir()
    assert len(list(PACKAGE.rglob("*.py"))) > 100


def test_no_billing_module_is_over_300_lines() -> None:
    sizes = {p.name: _lines(p) for p in (PACKAGE / "billing").glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > BILLING_LIMIT} == {}


def test_no_module_is_over_420_lines() -> None:
    sizes = {str(p.relative_to(PACKAGE)): _lines(p) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > MODULE_LIMIT} == {}
