"""YAML read as text: every scalar stays a string and remembers its line."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from revcli.data.yamlevents import plain_records
from revcli.data.yamlrecord import (
    CPARSER,
    LONE_SURROGATE,
    NULLS,
    YamlRecord,
    joined_surrogates,
    mark_line,
)
from revcli.errors import Issue


def _scalar(node: yaml.ScalarNode) -> str | None:
    # A plain (unquoted) empty, ``~`` or ``null`` means "not set"; a quoted one is text.
    if node.style is None and node.value in NULLS:
        return None
    return str(node.value).strip()  # like a CSV cell: no stray block-scalar newline


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
            if isinstance(value_node, yaml.ScalarNode) and _scalar(value_node) is None:
                children[key] = []
            else:  # _records reports anything but a list of records
                children[key] = _records(value_node, source, frozenset(), issues, key)
        elif isinstance(value_node, yaml.ScalarNode):
            value = _scalar(value_node)
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


MAX_DEPTH = 50
"""Deepest nesting of lists and mappings a YAML file may have (data files need 5)."""

ALIAS_BUDGET = 10_000
"""Nodes aliases may add to a file (``<<: *defaults`` in every contract), or as many as
the file itself holds when it holds more: a bound on what a billion-laughs file costs."""

_MERGE = "tag:yaml.org,2002:merge"
_TEXT = "tag:yaml.org,2002:str"
_NOT_A_NAME = "a key must be a plain name (text), not a list or mapping"


class _Limit(Exception):
    """A YAML file that is valid but beyond what revcli reads (depth, aliases, keys)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Alias(yaml.Node):
    """Where an alias stands (``*name``) and the node it names, kept apart from the node
    so that its expansion can be counted and placed."""

    id = "alias"


def _key(node: yaml.Node) -> str | None:
    target = node.value if isinstance(node, _Alias) else node
    return str(target.value) if isinstance(target, yaml.ScalarNode) else None


class _Bounded(yaml.composer.Composer):
    """PyYAML's composer with bounds: nesting depth, aliases inside their own anchor, and
    duplicate keys (collected, not first-wins). The scanner and parser beneath it are
    PyYAML's own (:class:`_Composer`) or libyaml's (:class:`_FastComposer`)."""

    if TYPE_CHECKING:  # the scanner and parser beneath provide these

        def check_event(self, *choices: Any) -> bool: ...
        def get_event(self) -> Any: ...
        def peek_event(self) -> Any: ...
        def dispose(self) -> None: ...

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Every scalar is read as text, so the one tag a scalar's plain spelling decides
        # that matters is the merge key's (``<<``): PyYAML's resolver would try its
        # patterns for numbers, dates and booleans on every value.
        if kind is yaml.ScalarNode:
            return _MERGE if implicit[0] and value == "<<" else _TEXT
        return super().resolve(kind, value, implicit)  # type: ignore[misc]

    def _bound(self, source: str) -> None:
        self.source = source
        self.depth = 0
        self.nodes = 0
        self.aliases = False
        self.open_anchors: set[str] = set()
        self.anchored: set[int] = set()  # where each node written with &name starts
        self.problems: list[Issue] = []  # keys twice in a mapping, keys that are not names

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            alias: Any = self.get_event()
            line = mark_line(alias.start_mark)
            if alias.anchor in self.open_anchors:
                raise _Limit(line, f"alias *{alias.anchor} is used inside its own anchor")
            if alias.anchor not in self.anchors:
                raise _Limit(line, f"alias *{alias.anchor} names no anchor defined before it")
            self.aliases = True
            return _Alias("", self.anchors[alias.anchor], alias.start_mark, alias.end_mark)
        event: Any = self.peek_event()
        self.nodes += 1
        if event.anchor is not None:
            self.anchored.add(event.start_mark.index)
        if not isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            return super().compose_node(parent, index)
        if self.depth >= MAX_DEPTH:
            raise _Limit(
                mark_line(event.start_mark), f"nested deeper than {MAX_DEPTH} lists or mappings"
            )
        anchor = event.anchor
        self.depth += 1
        if anchor is not None:
            self.open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            self.open_anchors.discard(anchor or "")

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node = super().compose_mapping_node(anchor)
        first: dict[str, int] = {}
        for key_node, _ in node.value:
            key = _key(key_node)
            if key_node.tag == _MERGE:
                self.aliases = True  # merges are expanded with the aliases
            line = mark_line(key_node.start_mark)
            if key is None:
                self.problems.append(Issue(self.source, line, "", _NOT_A_NAME))
            elif key in first:
                self.problems.append(
                    Issue(
                        self.source,
                        line,
                        "",
                        f"key '{key}' appears twice in the same mapping (first on line "
                        f"{first[key]}); the second would silently replace the first",
                    )
                )
            else:
                first[key] = line
        return node


class _Composer(_Bounded, yaml.SafeLoader):
    """The composer on PyYAML's pure-Python scanner and parser: its messages are the ones
    revcli prints for a file with a problem."""

    def __init__(self, text: str, source: str) -> None:
        yaml.SafeLoader.__init__(self, text)
        self._bound(source)


if CPARSER is not None:

    class _FastComposer(_Bounded, CPARSER, SafeConstructor, Resolver):  # type: ignore[misc]
        """The same composer on libyaml's scanner and parser, several times faster: the
        nodes of a clean file are the same as :class:`_Composer`'s (a plain scalar's
        style normalised to ``None``); a file with any problem is read again by
        :class:`_Composer`, so messages do not depend on libyaml."""

        def __init__(self, text: str, source: str) -> None:
            CPARSER.__init__(self, text)
            yaml.composer.Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._bound(source)

        def compose_scalar_node(self, anchor: Any) -> yaml.ScalarNode:
            node = super().compose_scalar_node(anchor)
            if node.style == "":
                node.style = None
            return node


class _Expander:
    """Aliases and ``<<`` merge keys replaced by copies, within :data:`ALIAS_BUDGET`."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.created = 0

    def expand(self, node: yaml.Node, depth: int = 0, alias: _Alias | None = None) -> yaml.Node:
        if isinstance(node, _Alias):
            return self.expand(node.value, depth, alias or node)
        line = (alias or node).start_mark.line + 1
        if alias is not None:
            self.created += 1
            if self.created > self.budget:
                raise _Limit(
                    line,
                    f"aliases expand to more than {self.budget:,} values; write the "
                    "values out or use fewer nested aliases",
                )
        if depth > MAX_DEPTH:
            raise _Limit(line, f"aliases nest deeper than {MAX_DEPTH} lists or mappings")
        if isinstance(node, yaml.SequenceNode):
            items = [self.expand(v, depth + 1, alias) for v in node.value]
            return yaml.SequenceNode(node.tag, items, node.start_mark, node.end_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth, alias)
        return node

    def _mapping(self, node: yaml.MappingNode, depth: int, alias: _Alias | None) -> yaml.Node:
        own: list[tuple[yaml.Node, yaml.Node]] = []
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged = self._merged(value_node, depth, alias) + merged
                continue
            own.append(
                (self.expand(key_node, depth + 1, alias), self.expand(value_node, depth + 1, alias))
            )
        if merged:
            taken = {_key(k) for k, _ in own}
            extra: list[tuple[yaml.Node, yaml.Node]] = []
            for key_node, value_node in merged:
                key = _key(key_node)
                if key not in taken:
                    taken.add(key)
                    extra.append((key_node, value_node))
            own = extra + own
        return yaml.MappingNode(node.tag, own, node.start_mark, node.end_mark)

    def _merged(
        self, value: yaml.Node, depth: int, alias: _Alias | None
    ) -> list[tuple[yaml.Node, yaml.Node]]:
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        seen: set[str | None] = set()
        for source in sources:
            expanded = self.expand(source, depth + 1, alias)
            if not isinstance(expanded, yaml.MappingNode):
                raise _Limit(
                    (alias or source).start_mark.line + 1,
                    "'<<' merges a mapping or a list of mappings (e.g. <<: *defaults)",
                )
            for key_node, value_node in expanded.value:
                if _key(key_node) not in seen:  # the first mapping listed wins
                    seen.add(_key(key_node))
                    pairs.append((key_node, value_node))
        return pairs


def compose(text: str, source: str) -> tuple[yaml.Node | None, list[Issue]]:
    """The node tree of a one-document YAML text, with aliases and ``<<`` merges expanded.

    Bounded: nesting deeper than :data:`MAX_DEPTH`, an alias inside its own anchor,
    aliases that expand beyond :data:`ALIAS_BUDGET` nodes, a key that appears twice in
    one mapping or is not a plain name, and a character YAML does not allow are problems
    ``FILE:LINE: message``, found before anything is expanded.
    """
    root, issues, _ = _compose_text(text, source)
    return root, issues


def _compose_text(text: str, source: str) -> tuple[yaml.Node | None, list[Issue], set[int]]:
    """:func:`compose`, and where each node written with an anchor (``&name``) starts."""
    loader: _Bounded
    if CPARSER is not None:
        loader = _FastComposer(text, source)
        root, issues = _compose(loader, source)
        if not issues:
            return root, issues, loader.anchored
    try:
        loader = _Composer(text, source)  # checks every character before it parses
    except yaml.reader.ReaderError as exc:
        return None, [_not_allowed(text, source, exc.position)], set()
    root, issues = _compose(loader, source)
    return root, issues, loader.anchored


_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
"""Line breaks as YAML counts them."""


def _not_allowed(text: str, source: str, index: int) -> Issue:
    """The problem of a character YAML does not allow in a file (a control character such
    as BEL, or a noncharacter such as U+FFFE), at its line."""
    char = text[index]
    code = ord(char)
    kind = "control character" if unicodedata.category(char) == "Cc" else "character"
    if code <= 0xFF:
        escape = f"\\x{code:02x}"
    elif code <= 0xFFFF:
        escape = f"\\u{code:04x}"
    else:
        escape = f"\\U{code:08x}"
    return Issue(
        source,
        len(_BREAKS.findall(text, 0, index)) + 1,
        "",
        f"the {kind} U+{code:04X} is not allowed in YAML; remove it, or write it as the "
        f'escape "{escape}" in a double-quoted string',
    )


def _compose(loader: _Bounded, source: str) -> tuple[yaml.Node | None, list[Issue]]:
    try:
        root = loader.get_single_node()
        if loader.problems:
            return None, loader.problems
        if root is not None and loader.aliases:
            root = _Expander(max(ALIAS_BUDGET, loader.nodes)).expand(root)
    except _Limit as exc:
        return None, [Issue(source, exc.line, "", exc.message)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        return None, [Issue(source, line, "", f"YAML syntax error: {problem}")]
    except yaml.YAMLError as exc:
        return None, [Issue(source, None, "", f"YAML syntax error: {exc}")]
    finally:
        loader.dispose()
    return root, []


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

    An import reads a data dir's large ``contracts/SOURCE.yaml`` to merge into it and again
    for the MRR before it (through the loader): one parse, not two. The key is the text
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
    root, issues, anchored = _compose_text(text, source)
    if issues or root is None:
        return [], issues
    if isinstance(root, yaml.SequenceNode):
        return _records(root, source, child_keys, issues, list_key), issues
    if isinstance(root, yaml.MappingNode):
        keys = {str(k.value): v for k, v in root.value}
        if list_key in keys:
            issues += _beside_list(root, list_key, anchored, source)
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
