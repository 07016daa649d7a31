"""What an importer returns: plain records of the data dir's tables, and its reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from revcli.errors import Issue

Row = dict[str, str]
"""One record: column → text; a column that is not set is absent."""


@dataclass
class Contract:
    """A contract record and its line records.

    ``keeps`` names mapped fields this record leaves to a person: the source sends no
    value for them here, and a value already in the file is kept (a hand-set
    ``cancelled_on`` of a Stripe subscription that is ``past_due``).
    """

    values: Row
    lines: list[Row] = field(default_factory=list)
    keeps: frozenset[str] = frozenset()


@dataclass
class Batch:
    """Everything one import brings, before it is merged into a data dir.

    ``mapped`` names, per table (customers, contracts, lines, opportunities), the fields
    the source owns: on a re-import they take the source's value (absent = not set) and
    every other field keeps what a person wrote. ``lines`` holds lines for contracts the
    same source imported earlier (a spreadsheet of line items). ``issues`` are the
    problems (errors stop the import) and reports of what was skipped (warnings).

    ``covers`` names the tables the input holds in full (a customers map: customers; a
    Stripe input with subscriptions in it: contracts): a record of such a table that the
    source no longer sends is reported, even when the input holds none at all.
    ``no_service`` holds the ``source_id`` of contracts the source sends but that had no
    day of service (ended before their first paid day), with why: left out of the
    import, and reported when an earlier import wrote them.
    """

    source: str
    customers: list[Row] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    lines: list[Row] = field(default_factory=list)
    opportunities: list[Row] = field(default_factory=list)
    mapped: dict[str, frozenset[str]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    covers: frozenset[str] = frozenset()
    no_service: dict[str, str] = field(default_factory=dict)


def source_id(source: str, native: str) -> str:
    """The ``source_id`` of a record: ``SOURCE:the source's own id``."""
    return f"{source}:{native}"
