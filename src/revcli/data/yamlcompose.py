"""The bounded YAML composer: nesting, aliases and keys checked; aliases and merges expanded."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from revcli.data.yamlrecord import CPARSER, mark_line
from revcli.errors import Issue

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
    root, issues, _ = compose_text(text, source)
    return root, issues


def compose_text(text: str, source: str) -> tuple[yaml.Node | None, list[Issue], set[int]]:
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
