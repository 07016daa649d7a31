"""Nested YAML settings read as text, each scalar with its line number."""

from __future__ import annotations

import yaml

from revcli.data.yamlio import _scalar, compose
from revcli.errors import Issue
from revcli.settings import Scalar, Tree

__all__ = ["Scalar", "Tree", "load_tree"]


def _convert(node: yaml.Node) -> Tree:
    if isinstance(node, yaml.MappingNode):
        return {str(k.value): _convert(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v) for v in node.value]
    assert isinstance(node, yaml.ScalarNode)
    return Scalar(_scalar(node), node.start_mark.line + 1)


def load_tree(text: str, source: str) -> tuple[dict[str, Tree], list[Issue]]:
    """Parse a YAML mapping into nested dicts of :class:`Scalar` leaves."""
    root, issues = compose(text, source)
    if issues:
        return {}, issues
    if root is None:
        return {}, []
    tree = _convert(root)
    if not isinstance(tree, dict):
        return {}, [Issue(source, 1, "", "expected a mapping of settings (key: value)")]
    return tree, []
