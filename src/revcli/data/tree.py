"""Nested YAML settings read as text, each scalar with its line number."""

from __future__ import annotations

import yaml

from revcli.data.yamlcompose import compose
from revcli.data.yamlrecord import LONE_SURROGATE, joined_surrogates, mark_line, scalar_text
from revcli.errors import Issue
from revcli.settings_tree import Items, Scalar, Section, Tree

__all__ = ["Items", "Scalar", "Section", "Tree", "load_tree"]


def _convert(node: yaml.Node, source: str, found: list[Issue], key_line: int = 0) -> Tree:
    """``node`` as a tree; a section or list keeps the line of its key (``key_line``; its
    own first line in a list or at the top), a scalar the line of its value."""
    line = mark_line(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        pairs = [(k, _convert(v, source, found, mark_line(k.start_mark))) for k, v in node.value]
        return Section(((str(k.value), v) for k, v in pairs), key_line or line)
    if isinstance(node, yaml.SequenceNode):
        return Items((_convert(v, source, found) for v in node.value), key_line or line)
    assert isinstance(node, yaml.ScalarNode)
    value = scalar_text(node)
    if value is not None:
        value = joined_surrogates(value)
        if value is None:
            found.append(Issue(source, line, "", LONE_SURROGATE))
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
