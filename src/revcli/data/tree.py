"""Nested YAML settings read as text, each scalar with its line number."""

from __future__ import annotations

import yaml

from revcli.data.yamlio import LONE_SURROGATE, _scalar, compose, joined_surrogates
from revcli.errors import Issue
from revcli.settings import Scalar, Tree

__all__ = ["Scalar", "Tree", "load_tree"]


def _convert(node: yaml.Node, source: str, issues: list[Issue]) -> Tree:
    if isinstance(node, yaml.MappingNode):
        return {str(k.value): _convert(v, source, issues) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, source, issues) for v in node.value]
    assert isinstance(node, yaml.ScalarNode)
    line = node.start_mark.line + 1
    value = _scalar(node)
    if value is not None:
        value = joined_surrogates(value)
        if value is None:
            issues.append(Issue(source, line, "", LONE_SURROGATE))
    return Scalar(value, line)


def load_tree(text: str, source: str) -> tuple[dict[str, Tree], list[Issue]]:
    """Parse a YAML mapping into nested dicts of :class:`Scalar` leaves."""
    root, issues = compose(text, source)
    if issues:
        return {}, issues
    if root is None:
        return {}, []
    found: list[Issue] = []
    tree = _convert(root, source, found)
    if found:
        return {}, found
    if not isinstance(tree, dict):
        return {}, [Issue(source, 1, "", "expected a mapping of settings (key: value)")]
    return tree, []
