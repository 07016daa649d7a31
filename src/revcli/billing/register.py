"""The invoice register: ``invoices/register.jsonl``, append-only, hash-chained, under a lock.

One issued invoice or credit note per line (:mod:`.records`). Each record carries the
SHA-256 of the previous record and of itself, and of its document, so that an edit, a
deletion, a reordering or a changed document is detected; ``invoices/HEAD`` repeats the
count of records and the last hash, so that deleting the last records is detected too (a
register written before HEAD existed is valid without it; the next issue writes it).
Issuing (:class:`revcli.billing.append.Register`) holds an exclusive lock on
``invoices/.lock`` (:mod:`revcli.state.lock`) and re-reads the register under it, so two
runs at once never share or skip a number. Each invoice's document is written first
(atomically), then its record is appended and flushed to disk, then HEAD: a crash between
the two leaves a document that no record names, which the next run overwrites with the
same number.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from decimal import InvalidOperation
from pathlib import Path
from typing import Any

from revcli.billing.contents import Contents, Entry, state_log
from revcli.billing.model import INVOICE
from revcli.billing.records import canonical, from_record, record_hash
from revcli.billing.verify import MERGED, Progress, check_contents
from revcli.data.files import UnreadableFile, read_bytes
from revcli.errors import DataError, Issue
from revcli.state.log import Link, incomplete_last_line, merge_conflict_line, verify_chain


def register_path(root: Path) -> Path:
    return state_log(root).path


def _parse(number: int, raw: str, out: Contents) -> dict[str, Any] | None:
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        out.problem(number, "", f"is not valid JSON ({exc.msg}); was the register edited by hand?")
        return None
    if not isinstance(record, dict):
        out.problem(number, "", "is not a JSON object; was the register edited by hand?")
        return None
    return record


def _link(number: int, raw: str, record: dict[str, Any]) -> Link:
    intact = canonical(record) == raw
    return Link(
        number,
        own=str(record.get("hash", "?")),
        computed=record_hash(record) if intact and "hash" in record else "",
        prev=str(record.get("prev_hash")),
    )


def _text(path: Path, out: Contents) -> str | None:
    """The register's text; ``None`` with the problem in ``out`` when it cannot be read or
    holds a git merge conflict (each record would be a problem of its own: one is told)."""
    try:
        text = read_bytes(path).decode("utf-8")
    except (UnreadableFile, UnicodeDecodeError) as exc:  # a FIFO is refused, not waited on
        out.problem(
            None, "", str(exc) if isinstance(exc, UnreadableFile) else f"cannot be read: {exc}"
        )
        return None
    merged = merge_conflict_line(text)
    if merged is not None:
        out.problem(merged, "", MERGED)
        out.merged = True
        return None
    return text


def read_register(root: Path) -> Contents:
    """Parse the register and verify its hash chain and HEAD; an absent register is empty."""
    log = state_log(root)
    path = log.path
    out = Contents(str(path))
    if not os.path.lexists(path):  # a broken symlink is reported, not ignored
        return out
    text = _text(path, out)
    if text is None:
        return out
    rows = text.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    elif rows:
        out.problem(len(rows), "", incomplete_last_line("invoice issue"))
        rows.pop()
    records = [_parse(number, raw, out) for number, raw in enumerate(rows, start=1)]
    links: list[Link | None] = []
    for number, (raw, record) in enumerate(zip(rows, records, strict=True), start=1):
        links.append(None if record is None else _link(number, raw, record))
        if record is not None and "hash" not in record:
            links.append(None)
    broken = {(b.line, b.altered) for b in verify_chain(links)}
    for number, record in enumerate(records, start=1):
        if record is None:
            continue
        if (number, True) in broken:
            out.problem(number, "hash", "the record does not match its hash: it was edited by hand")
        if (number, False) in broken:
            out.problem(
                number,
                "prev_hash",
                "does not match the previous record: a record was removed, inserted or moved",
            )
        try:
            invoice = from_record(record)
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            out.problem(number, "", f"a field is missing or invalid ({exc!s})")
            continue
        out.entries.append(Entry(number, record, invoice))
    out.hashes = [None if r is None else str(r.get("hash", "?")) for r in records]
    if out.hashes:
        out.last_hash = out.hashes[-1] or "?"
    return out


def checked_register(
    root: Path, *, orphans: bool = True, progress: Progress | None = None
) -> Contents:
    """The register of ``root`` read once, under the shared lock, with every problem: its
    entries, and in ``issues`` those of reading it (the hash chain) and of
    :func:`check_contents` (the options as there). Empty when there is none."""
    with state_log(root).shared():
        contents = read_register(root)
        check_contents(contents, root, orphans=orphans, progress=progress)
    return contents


def check_register(
    root: Path, *, orphans: bool = True, progress: Progress | None = None
) -> list[Issue]:
    """All problems of the register of ``root`` (none when there is none); the options as
    in :func:`check_contents`."""
    return checked_register(root, orphans=orphans, progress=progress).issues


def load_register(root: Path) -> list[Entry]:
    """The register's entries; raise :class:`DataError` on any problem (SPEC §1). A
    document no record names (an interrupted run's) does not stop it: ``invoice check``
    and ``validate`` report those."""
    contents = checked_register(root, orphans=False)
    if contents.issues:
        raise DataError(contents.issues)
    return contents.entries


def issued_keys(entries: Sequence[Entry]) -> set[tuple[str, dt.date]]:
    """The (contract, period start) of every invoice of ``entries``: issued once only."""
    return {e.invoice.key for e in entries if e.invoice.kind == INVOICE}
