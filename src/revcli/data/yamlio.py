"""YAML read as text: every scalar stays a string and remembers its line."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from revcli.errors import Issue

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


@dataclass
class YamlRecord:
    """One mapping of a YAML file: its scalar values as text, with 1-based line numbers."""

    line: int
    values: dict[str, str | None] = field(default_factory=dict)
    value_lines: dict[str, int] = field(default_factory=dict)
    children: dict[str, list[YamlRecord]] = field(default_factory=dict)


def _scalar(node: yaml.ScalarNode) -> str | None:
    # A plain (unquoted) empty, ``~`` or ``null`` means "not set"; a quoted one is text.
    if node.style is None and node.value in _NULLS:
        return None
    return str(node.value).strip()  # like a CSV cell: no stray block-scalar newline


def _record(
    node: yaml.MappingNode, source: str, child_keys: frozenset[str], issues: list[Issue]
) -> YamlRecord:
    rec = YamlRecord(line=node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = value_node.start_mark.line + 1
        if key in rec.values or key in rec.children:
            issues.append(Issue(source, line, key, "appears twice in the same record"))
            continue
        if key in child_keys:
            if isinstance(value_node, yaml.ScalarNode) and _scalar(value_node) is None:
                rec.children[key] = []
            else:  # _records reports anything but a list of records
                rec.children[key] = _records(value_node, source, frozenset(), issues, key)
        elif isinstance(value_node, yaml.ScalarNode):
            rec.values[key] = _scalar(value_node)
            rec.value_lines[key] = line
        else:
            issues.append(
                Issue(source, line, key, "expected a single value, found a list or mapping")
            )
    return rec


def _records(
    node: yaml.Node, source: str, child_keys: frozenset[str], issues: list[Issue], what: str
) -> list[YamlRecord]:
    if not isinstance(node, yaml.SequenceNode):
        issues.append(Issue(source, node.start_mark.line + 1, what, "expected a list of records"))
        return []
    out = []
    for item in node.value:
        if isinstance(item, yaml.MappingNode):
            out.append(_record(item, source, child_keys, issues))
        else:
            issues.append(
                Issue(source, item.start_mark.line + 1, what, "expected a record (key: value)")
            )
    return out


def load_records(
    text: str,
    source: str,
    list_key: str,
    child_keys: frozenset[str] = frozenset(),
    *,
    allow_single: bool = False,
) -> tuple[list[YamlRecord], list[Issue]]:
    """Parse a YAML document holding records.

    Accepted shapes: a list of records; a mapping with a ``list_key`` list; and, with
    ``allow_single``, one record mapping. Returns the records and the problems found.
    """
    issues: list[Issue] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        return [], [Issue(source, line, "", f"YAML syntax error: {problem}")]
    except yaml.YAMLError as exc:
        return [], [Issue(source, None, "", f"YAML syntax error: {exc}")]
    if root is None:
        return [], []
    if isinstance(root, yaml.SequenceNode):
        return _records(root, source, child_keys, issues, list_key), issues
    if isinstance(root, yaml.MappingNode):
        keys = {str(k.value): v for k, v in root.value}
        if list_key in keys:
            value = keys[list_key]
            if isinstance(value, yaml.ScalarNode) and _scalar(value) is None:
                return [], issues
            return _records(value, source, child_keys, issues, list_key), issues
        if allow_single:
            return [_record(root, source, child_keys, issues)], issues
        return [], [
            Issue(
                source, root.start_mark.line + 1, "", f"expected a list of records or '{list_key}:'"
            )
        ]
    return [], [Issue(source, 1, "", "expected a list of records, found a single value")]
