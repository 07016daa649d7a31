"""YAML records read as text: every scalar stays a string and remembers its line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import yaml

from revcli.data.yamlcompose import compose_text
from revcli.data.yamlevents import plain_records
from revcli.data.yamlrecord import LONE_SURROGATE, YamlRecord, joined_surrogates, scalar_text
from revcli.errors import Issue


def _record(
    node: yaml.MappingNode, source: str, child_keys: frozenset[str], issues: list[Issue]
) -> YamlRecord:
    values: dict[str, str | None] = {}
    value_lines: dict[str, int] = {}
    children: dict[str, list[YamlRecord]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        line = value_node.start_mark.line + 1
        if key in child_keys:
            if isinstance(value_node, yaml.ScalarNode) and scalar_text(value_node) is None:
                children[key] = []
            else:  # _records reports anything but a list of records
                children[key] = _records(value_node, source, frozenset(), issues, key)
        elif isinstance(value_node, yaml.ScalarNode):
            value = scalar_text(value_node)
            if value is not None:
                value = joined_surrogates(value)
                if value is None:
                    issues.append(Issue(source, line, key, LONE_SURROGATE))
            values[key] = value
            value_lines[key] = line
        else:
            issues.append(
                Issue(source, line, key, "expected a single value, found a list or mapping")
            )
    return YamlRecord(node.start_mark.line + 1, values, value_lines, children)


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
    A plain file (no anchors, aliases, tags or problems: every file an import writes) is
    read straight from libyaml's events; any other is composed and checked node by node.
    Within :func:`shared_parses` a plain text read before is not parsed again: its
    records are shared (read-only, see :class:`YamlRecord`).
    """
    shared = _SHARED[-1] if _SHARED else None
    key = (text, list_key, child_keys, allow_single)
    if shared is not None and key in shared:
        return list(shared[key]), []
    fast = plain_records(text, list_key, child_keys, allow_single)
    if fast is not None:
        if shared is not None:
            shared[key] = fast
            return list(fast), []
        return fast, []
    return _composed_records(text, source, list_key, child_keys, allow_single)


_SharedKey = tuple[str, str, frozenset[str], bool]
_SHARED: list[dict[_SharedKey, list[YamlRecord]]] = []
"""One entry per open :func:`shared_parses` block (nested blocks share the outermost's):
the records of the plain texts read within, by the text itself and the shape asked for.
Empty outside: every text is parsed each time it is read."""


@contextmanager
def shared_parses() -> Iterator[None]:
    """Within: :func:`load_records` parses each plain records text once and hands the same
    (read-only) records to every later reader of an identical text.

    An import reads a data dir's ``contracts/SOURCE.yaml`` to merge into it and again for
    the MRR before it (through the loader): one parse, not two. (The loader reads a file
    of at least :data:`~revcli.data.reader.FRAME_CHARS` in the layout revcli writes
    into frames instead, without records: faster than sharing them.) The key is the text
    itself, so a file changed between two reads is parsed anew. A text with a problem
    (composed, with messages naming its file) is never shared. What was kept is released
    when the outermost block ends."""
    _SHARED.append(_SHARED[-1] if _SHARED else {})
    try:
        yield
    finally:
        _SHARED.pop()


def _composed_records(
    text: str, source: str, list_key: str, child_keys: frozenset[str], allow_single: bool
) -> tuple[list[YamlRecord], list[Issue]]:
    """:func:`load_records` through the node tree: any file, every problem reported."""
    root, issues, anchored = compose_text(text, source)
    if issues or root is None:
        return [], issues
    if isinstance(root, yaml.SequenceNode):
        return _records(root, source, child_keys, issues, list_key), issues
    if isinstance(root, yaml.MappingNode):
        keys = {str(k.value): v for k, v in root.value}
        if list_key in keys:
            issues += _beside_list(root, list_key, anchored, source)
            value = keys[list_key]
            if isinstance(value, yaml.ScalarNode) and scalar_text(value) is None:
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


def _beside_list(
    root: yaml.MappingNode, list_key: str, anchored: set[int], source: str
) -> list[Issue]:
    """Keys beside the ``list_key:`` list are problems, as nothing reads them; but a key
    whose value defines an anchor (``defaults: &defaults {...}``, for ``<<:`` merges in
    the records) is fine. An alias's copy starts where its anchor does, before its key."""
    issues = []
    for key_node, value_node in root.value:
        key = str(key_node.value)
        start = value_node.start_mark.index
        if key == list_key or (start in anchored and start > key_node.start_mark.index):
            continue
        issues.append(
            Issue(
                source,
                key_node.start_mark.line + 1,
                key,
                f"this file has a '{list_key}:' list, so '{key}' must go inside one of its "
                "records (a key beside the list is not read)",
            )
        )
    return issues
