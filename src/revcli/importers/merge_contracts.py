"""Merging an import's contracts and their lines into the source's contracts file, and
that file's text."""

from __future__ import annotations

from revcli.errors import Issue, Severity
from revcli.importers.merge import SOURCE_ID, Counts, Merged, gone_warning, merge_values, public
from revcli.importers.records import Batch, Row
from revcli.importers.textfiles import YamlContract
from revcli.importers.yamlout import dump_contracts, ordered
from revcli.schema import CONTRACTS, LINES


def _merge_lines(
    old_lines: list[dict[str, str]],
    new_lines: list[Row],
    mapped: frozenset[str],
    counts: Counts,
) -> list[dict[str, str]]:
    out = [dict(line) for line in old_lines]
    by_sid = {line.get(SOURCE_ID): i for i, line in enumerate(out) if line.get(SOURCE_ID)}
    fresh = []
    for row in new_lines:
        values = public(row)
        sid = values[SOURCE_ID]
        if sid in by_sid:
            old = out[by_sid[sid]]
            new = merge_values(old, values, mapped)
            counts.count(old, new)
            out[by_sid[sid]] = new
        else:
            counts.count(None, values)
            fresh.append(values)
    return out + sorted(fresh, key=lambda r: (r.get("line_id", ""), r[SOURCE_ID]))


def merge_contracts(
    existing: list[YamlContract],
    batch: Batch,
    where: str,
    merged: Merged,
    other_ids: frozenset[str] = frozenset(),
) -> list[YamlContract]:
    """The source's contracts file after the import, sorted by ``contract_id``.

    A new contract whose ``contract_id`` another contract file already holds (written by
    hand, or by another source: ``other_ids``) is left out with a warning, its lines too,
    as a customer is: the existing record is kept."""
    mapped_c = batch.mapped.get("contracts", frozenset())
    mapped_l = batch.mapped.get("lines", frozenset())
    out = [
        YamlContract(dict(c.values), [dict(x) for x in c.lines], c.value_lines, c.line_starts)
        for c in existing
    ]
    by_sid = {c.values.get(SOURCE_ID): i for i, c in enumerate(out) if c.values.get(SOURCE_ID)}
    seen: set[str] = set()
    skipped: set[str] = set()
    for contract in batch.contracts:
        values = public(contract.values)
        sid = values[SOURCE_ID]
        seen.add(sid)
        if sid in by_sid:
            index = by_sid[sid]
            old = out[index]
            new = merge_values(old.values, values, mapped_c - contract.keeps)
            merged.issues += _cleared(old, new, where, batch.source)
            merged.counts["contracts"].count(old.values, new)
            lines = _merge_lines(old.lines, contract.lines, mapped_l, merged.counts["lines"])
            if contract.lines:  # a contracts map brings no lines: none is gone
                merged.issues += _gone_lines(old, contract.lines, where, batch.source)
            out[index] = YamlContract(new, lines)
        elif values.get("contract_id", "") in other_ids:
            skipped.add(values["contract_id"])
            merged.issues.append(
                Issue(  # at the export's row, as a customer's is
                    contract.values.get("_source", where),
                    int(contract.values["_line"]) if "_line" in contract.values else None,
                    "contract_id",
                    f"'{values['contract_id']}' already exists in another contract file "
                    f"without {sid} as its source_id; the existing contract is kept and "
                    "this one is not imported",
                    Severity.WARNING,
                )
            )
        else:
            merged.counts["contracts"].count(None, values)
            lines = _merge_lines([], contract.lines, mapped_l, merged.counts["lines"])
            out.append(YamlContract(values, lines))
    if "contracts" in batch.covers or batch.contracts:
        merged.issues += [
            _gone_contract(c, where, batch)
            for c in existing
            if c.values.get(SOURCE_ID, "").startswith(f"{batch.source}:")
            and c.values[SOURCE_ID] not in seen
        ]
    _attach_lines(out, batch, where, merged, mapped_l, skipped=skipped)
    return sorted(out, key=lambda c: (c.values.get("contract_id", ""), c.values.get(SOURCE_ID, "")))


def _gone_contract(contract: YamlContract, where: str, batch: Batch) -> Issue:
    """A contract of the source that the import does not bring: gone from the source, or
    sent but with no day of service (ended before its first paid day) — kept either way,
    and said which."""
    sid = contract.values[SOURCE_ID]
    line = contract.value_lines.get("contract_id")
    why = batch.no_service.get(sid)
    if why is None:
        return gone_warning(where, line, "contract", sid)
    start = contract.values.get("start_date", "its start_date")
    return Issue(
        where,
        line,
        SOURCE_ID,
        f"contract {sid}: {batch.source} sends it as {why}, but an earlier import wrote it, "
        f"and it is kept as it is: it counts from {start} until you delete it by hand",
        Severity.WARNING,
    )


def _gone_lines(old: YamlContract, sent: list[Row], where: str, source: str) -> list[Issue]:
    """The source's lines of ``old`` that the import no longer sends for it (kept)."""
    sids = {x[SOURCE_ID] for x in sent}
    starts = old.line_starts or [0] * len(old.lines)
    return [
        gone_warning(where, start, "line", x[SOURCE_ID])
        for x, start in zip(old.lines, starts, strict=True)
        if x.get(SOURCE_ID, "").startswith(f"{source}:") and x[SOURCE_ID] not in sids
    ]


def _cleared(old: YamlContract, new: dict[str, str], where: str, source: str) -> list[Issue]:
    """A re-import that removes a contract's ``cancelled_on`` says so: a cancellation
    that disappears silently would bring a stopped contract back into MRR unseen."""
    day = old.values.get("cancelled_on")
    if day is None or "cancelled_on" in new:
        return []
    return [
        Issue(
            where,
            old.value_lines.get("cancelled_on"),
            old.values.get("contract_id", old.values.get(SOURCE_ID, "")),
            f"cancelled_on {day} removed: {source} sends no cancellation for it any more "
            f"(to stop the contract for good, cancel it in {source})",
            Severity.WARNING,
        )
    ]


def _attach_lines(
    contracts: list[YamlContract],
    batch: Batch,
    where: str,
    merged: Merged,
    mapped: frozenset[str],
    *,
    skipped: set[str],
) -> None:
    """Lines of a line-items import go to the contracts this source wrote (the lines of
    a contract left out as ``skipped`` are left out with it)."""
    by_id = {c.values.get("contract_id"): c for c in contracts}
    grouped: dict[str, list[Row]] = {}
    for row in batch.lines:
        cid = row.get("contract_id", "")
        if cid in skipped:
            continue
        if cid not in by_id:
            merged.issues.append(
                Issue(
                    row.get("_source", where),
                    int(row["_line"]) if "_line" in row else None,
                    "contract_id",
                    f"'{cid}' is not a contract of {where}; import the contracts with "
                    f"source {batch.source} first",
                )
            )
            continue
        grouped.setdefault(cid, []).append({k: v for k, v in row.items() if k != "contract_id"})
    if "lines" in batch.covers or batch.lines:
        # The export holds every line of the source: one it no longer has is reported.
        for contract in contracts:
            cid = contract.values.get("contract_id", "")
            merged.issues += _gone_lines(contract, grouped.get(cid, []), where, batch.source)
    for cid, rows in grouped.items():
        contract = by_id[cid]
        contract.lines = _merge_lines(contract.lines, rows, mapped, merged.counts["lines"])


CONTRACT_HEADER = """\
Written by {command}; a re-import rewrites this file. The source wins for
the fields it maps; fields you add (owner, notes, renewal terms …) and records without a
source_id are kept. Comments are not kept: write notes in `notes:`."""


def render_contracts(contracts: list[YamlContract], source: str) -> str:
    """The text of ``contracts/SOURCE.yaml``."""
    line_order = [n for n in LINES.names if n != "contract_id"]
    return dump_contracts(
        (
            (ordered(c.values, CONTRACTS.names), [ordered(x, line_order) for x in c.lines])
            for c in contracts
        ),
        CONTRACT_HEADER.format(
            command=f"`revcli import {source}`"
            if source in ("stripe", "baremetrics")
            else f"`revcli import csv` (source {source})"
        ),
    )
