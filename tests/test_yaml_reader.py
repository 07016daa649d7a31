"""The YAML reader on libyaml reads exactly what the pure-Python reader reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from revcli.data import yamlcompose, yamlrecord

ROOT = Path(__file__).parent.parent
FILES = sorted(
    p
    for p in ROOT.glob("**/*.y*ml")
    if not {".venv", ".git", ".node", "node_modules"} & set(p.parts)
)
"""The project's own YAML files: not those of the packages CI installs (tests/.node, from
the npm registry), which change with each release of theirs."""
TEXTS = [
    'a: ""\nb: \'\'\nc: ~\nd:\ne: |\n  x\n  y\nf: >\n  z\ng: "q"\nh: null\ni: NO\nj: 1200.00\n',
    "- &x {a: 1, b: [1, 2]}\n- *x\n- <<: *x\n  b: 2\n",
    "contracts:\n  - contract_id: K1\n    lines:\n      - product: P\n        unit_price: 100\n",
    "contracts:\n- contract_id: K1\n  lines:\n  - product: P\n    unit_price: 100\n",
]
needs_libyaml = pytest.mark.skipif(
    yamlrecord.CPARSER is None, reason="PyYAML built without libyaml: only one reader exists"
)


def _tree(node: Any) -> Any:
    if isinstance(node, yamlcompose._Alias):
        return ("alias", node.start_mark.line, _tree(node.value))
    mark = (node.tag, node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return (*mark, node.value, node.style)
    # A block collection's flow_style is False from libyaml and, for a sequence written
    # at its key's indent ("steps:\n- a"), None from PyYAML's own parser: both mean block.
    flow = bool(node.flow_style)
    if isinstance(node, yaml.SequenceNode):
        return (*mark, flow, [_tree(v) for v in node.value])
    return (*mark, flow, [(_tree(k), _tree(v)) for k, v in node.value])


@needs_libyaml
@pytest.mark.parametrize("text", [p.read_text(encoding="utf-8") for p in FILES] + TEXTS)
def test_both_readers_give_the_same_nodes_and_lines(text: str) -> None:
    fast = yamlcompose._FastComposer(text, "f.yaml").get_single_node()
    slow = yamlcompose._Composer(text, "f.yaml").get_single_node()
    assert _tree(fast) == _tree(slow)


@needs_libyaml
def test_a_file_with_a_problem_gets_the_pure_python_message() -> None:
    # libyaml words this error differently; revcli prints PyYAML's words and line.
    assert yamlcompose.compose("a: b: c\n", "f.yaml") == (
        None,
        [
            yamlcompose.Issue(
                "f.yaml", 1, "", "YAML syntax error: mapping values are not allowed here"
            )
        ],
    )
