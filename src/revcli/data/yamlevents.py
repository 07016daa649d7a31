"""Plain records files read straight from libyaml's events, without a node tree (every
file an import writes is one); anything else is left to :mod:`revcli.data.yamlio`."""

from __future__ import annotations

from typing import Any

import yaml

from revcli.data.yamlrecord import CPARSER, NULLS, YamlRecord, joined_surrogates


class _NotPlain(Exception):
    """A YAML text that :func:`_plain_records` leaves to the composer."""


_BARE = frozenset(
    {
        yaml.StreamStartEvent,
        yaml.StreamEndEvent,
        yaml.DocumentStartEvent,
        yaml.DocumentEndEvent,
        yaml.SequenceEndEvent,
        yaml.MappingEndEvent,
    }
)


class _Events:
    """Records straight from libyaml's events, without a node tree: a few objects per
    value instead of a node and two marks, so a file of 100,000 records is read in linear
    time and memory. Anything a plain records file does not hold — an anchor, alias, tag
    or ``<<`` key, a key twice, a list or mapping where a value goes, a lone surrogate, a
    second document, a syntax error — raises :class:`_NotPlain`, and the caller reads the
    text the general way, which reports it (the records are the same either way: tests
    compare the two)."""

    def __init__(self, text: str) -> None:
        self.parser = CPARSER(text)
        self.get_event = self.parser.get_event

    def next(self) -> Any:
        event = self.get_event()
        # An alias has an anchor (the one it names); the events without either attribute
        # (starts and ends of the stream and document, ends of lists and mappings) pass.
        if event.__class__ not in _BARE and (event.anchor is not None or event.tag is not None):
            raise _NotPlain
        return event

    def document(
        self, list_key: str, child_keys: frozenset[str], allow_single: bool
    ) -> list[YamlRecord]:
        self.expect(yaml.StreamStartEvent)
        self.expect(yaml.DocumentStartEvent)
        root = self.next()
        own = dict.fromkeys(child_keys, frozenset[str]())
        if isinstance(root, yaml.SequenceStartEvent):
            records = self.records(own)
        elif isinstance(root, yaml.MappingStartEvent):
            rec = self.record(root, {**own, list_key: child_keys})
            children = dict(rec.children)
            listed = children.pop(list_key, None)
            if listed is not None and not rec.values and not children:
                records = list(listed)
            elif listed is None and allow_single:
                records = [rec]
            else:  # keys beside the list, or not a records file
                raise _NotPlain
        else:
            raise _NotPlain
        self.expect(yaml.DocumentEndEvent)
        self.expect(yaml.StreamEndEvent)
        return records

    def expect(self, kind: type) -> None:
        if not isinstance(self.next(), kind):
            raise _NotPlain

    def records(self, child_keys: dict[str, frozenset[str]]) -> list[YamlRecord]:
        """The mappings of a list whose start was read, up to its end."""
        out: list[YamlRecord] = []
        while True:
            event = self.next()
            if isinstance(event, yaml.SequenceEndEvent):
                return out
            if not isinstance(event, yaml.MappingStartEvent):
                raise _NotPlain
            out.append(self.record(event, child_keys))

    def record(self, start: Any, child_keys: dict[str, frozenset[str]]) -> YamlRecord:  # noqa: PLR0912 - one loop, no call per value
        """A mapping whose start was read, as :func:`_record` reads it: text values, and
        lists of records under ``child_keys`` (each with the child keys of its own).

        The hot loop of a large file: :meth:`next`'s checks are inlined (an event that
        may carry an anchor or a tag is checked for one before it is used), and events
        are told apart by their exact class, as libyaml's parser makes them."""
        values: dict[str, str | None] = {}
        lines: dict[str, int] = {}
        children: dict[str, list[YamlRecord]] = {}
        get_event = self.get_event
        while True:
            event = get_event()
            kind = event.__class__
            if kind is _MAPPING_END:
                return YamlRecord(start.start_mark.line + 1, values, lines, children)
            if (
                kind is not _SCALAR
                or event.anchor is not None
                or event.tag is not None
                or event.value == "<<"
            ):
                raise _NotPlain
            key = event.value
            if key in values or key in children:
                raise _NotPlain
            event = get_event()
            kind = event.__class__
            if kind is not _SCALAR and kind is not _SEQUENCE_START:
                raise _NotPlain  # a mapping or alias where a value goes, or no value
            if event.anchor is not None or event.tag is not None:
                raise _NotPlain
            if kind is _SEQUENCE_START:
                if key not in child_keys:
                    raise _NotPlain
                grandchildren = dict.fromkeys(child_keys[key], frozenset[str]())
                children[key] = self.records(grandchildren)
                continue
            text = event.value
            if event.style in (None, "") and text in NULLS:  # plain null: not set
                if key in child_keys:
                    children[key] = []
                else:
                    values[key] = None
                    lines[key] = event.start_mark.line + 1
                continue
            if key in child_keys:
                raise _NotPlain
            text = text.strip()
            value = text if text.isascii() else joined_surrogates(text)
            if value is None:
                raise _NotPlain
            values[key] = value
            lines[key] = event.start_mark.line + 1


_MAPPING_END = yaml.MappingEndEvent
_SCALAR = yaml.ScalarEvent
_SEQUENCE_START = yaml.SequenceStartEvent


def plain_records(
    text: str,
    list_key: str,
    child_keys: frozenset[str],
    allow_single: bool,
) -> list[YamlRecord] | None:
    """The records of a plain records file read from libyaml's events, or ``None`` for
    any other text (and without libyaml)."""
    if CPARSER is None:
        return None
    events = _Events(text)
    try:
        return events.document(list_key, child_keys, allow_single)
    except (_NotPlain, yaml.YAMLError):
        return None
    finally:
        events.parser.dispose()
