"""Records files in the layout revcli writes, read line by line into frames by Polars.

An import writes ``contracts:`` files of tens of thousands of records, and every later
command reads them. Read event by event through libyaml (:mod:`revcli.data.yamlevents`)
that costs a few seconds for 50,000 contract lines; this reader takes each line apart
with one regular expression over all lines at once and checks the layout with column
expressions, so the same file is read in a fraction of that.

It accepts only a narrow layout, in which a line means the same to YAML as to the
regular expression: the list key alone on its line (``contracts:``), then records whose
first key follows ``- `` at two spaces, further keys at four, and under ``lines:`` (at
four) child records at six and eight; each value on its key's line, plain (no ``#`` or
``:``, no YAML indicator first), single- or double-quoted, or left empty (not set),
spaces after it ignored; blank lines and comments at column 0 between them. Any other
text — a tab, a carriage return, a control character, an anchor, a flow list, a key
twice, a value over two lines, a comment after a value, another indentation — returns
``None``, and the caller reads the file the general way, which also reports its
problems. The records are the same either way: tests compare the two readers.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import polars as pl
import yaml

from revcli.data.yamlrecord import NULLS, joined_surrogates
from revcli.schema import LINE, SOURCE

_REFUSED = r"[\x00-\x08\x0b-\x0d\x0e-\x1f\x7f-\x9f\t\x{2028}\x{2029}\x{feff}\x{fffe}\x{ffff}]"
"""Characters this reader leaves to libyaml: those YAML does not allow, tabs, YAML's other
line breaks (NEL, LS, PS) and a byte-order mark inside (the text's line ends are ``\\n``,
as :func:`~revcli.data.csvio.decode_bytes` leaves them)."""

_LINE = (
    r"^(?<ind>(?:  )+)(?<dash>- )?"
    r"(?<key>[A-Za-z0-9_](?:[A-Za-z0-9_ .@/+-]*[A-Za-z0-9_.@/+-])?):"
    r"(?: (?<value>.+))?$"
)
"""An indented ``key: value`` line, a record's first with ``- ``; a key of letters,
digits and ``_ .@/+-`` (not last a space), as the writer leaves keys plain."""

_PLAIN = r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^#:]*[^\s#:])?$"
"""A plain value that YAML reads as exactly its text: no indicator first, no ``#`` or
``:`` anywhere (no comment, no nested mapping), no white space first or last."""

_DOUBLE = r'^"(?:[^"\\]|\\.)*"$'
_SINGLE = r"^'(?:[^']|'')*'$"


MIN_LINE_CHARS = 8
"""The shortest a file's lines are on average for this reader to take it (a line of the
layout has at least ``  - k: v``): each line costs a frame row of 16 bytes and more, so a
file of newlines would take many times its size."""


class _NotPlain(Exception):
    """A text outside the layout: the general reader takes it."""


@dataclass(frozen=True)
class RecordFrames:
    """The records of one file as frames of text columns (each with ``_source`` and
    ``_line``, the line of the record), the child records with ``_parent`` (their
    record's ``contract_id``), and where each value is: ``_source``, ``record`` (its
    record's line), ``column`` and ``line``."""

    records: pl.DataFrame
    children: pl.DataFrame
    positions: pl.DataFrame


def plain_frames(
    text: str,
    source: str,
    list_key: str,
    child_key: str | None,
    columns: tuple[Collection[str], Collection[str]] | None = None,
) -> RecordFrames | None:
    """The records of ``text`` if it is in the narrow layout (see the module), else ``None``.

    ``columns``: the keys the records and the child records keep as columns (the others
    stay in ``positions`` only); all of them without it."""
    try:
        return _frames(text, source, list_key, child_key, columns)
    except _NotPlain:
        return None


def _frames(
    text: str,
    source: str,
    list_key: str,
    child_key: str | None,
    columns: tuple[Collection[str], Collection[str]] | None,
) -> RecordFrames:
    if text.count("\n") * MIN_LINE_CHARS > len(text):
        raise _NotPlain  # mostly empty lines, as no file revcli writes: a frame row each
    lines = (
        pl.Series("text", [text])
        .str.split("\n")
        .explode()
        .to_frame()
        .with_row_index("line", offset=1)
    )
    if lines.select(pl.col("text").str.contains(_REFUSED).any()).item():
        raise _NotPlain
    lines = lines.filter(~pl.col("text").str.contains(r"^ *$|^#"))
    if lines.height == 0 or lines.item(0, "text") != f"{list_key}:":
        raise _NotPlain
    body = (
        lines.slice(1)
        .select(
            pl.col("line").cast(pl.Int64),
            # Spaces at the end of a line are no part of a value in YAML, quoted or not.
            pl.col("text").str.strip_chars_end(" ").str.extract_groups(_LINE).alias("parts"),
        )
        .unnest("parts")
        .with_columns(pl.col("ind").str.len_chars(), pl.col("dash").is_not_null())
    )
    body = _checked(body, child_key)
    body = body.with_columns(_decoded(body.get_column("value")))
    low = pl.col("ind") <= 4
    values = body.filter(~pl.col("opens"))
    own, kids = columns or (None, None)
    records = _wide(values.filter(low), "_record", source, own)
    children = _wide(values.filter(~low), "_child", source, kids)
    parents = records.select(
        "_record",
        (
            pl.col("contract_id") if "contract_id" in records.columns else pl.lit(None, pl.String)
        ).alias("_parent"),
    )
    children = children.join(parents, on="_record", how="left", maintain_order="left")
    positions = values.select(
        pl.lit(source).alias(SOURCE),
        pl.when(low).then("_record_line").otherwise("_child_line").alias("record"),
        pl.col("key").alias("column"),
        "line",
        (~low).alias("child"),
    )
    return RecordFrames(records.drop("_record"), children.drop("_record", "_child"), positions)


def _checked(body: pl.DataFrame, child_key: str | None) -> pl.DataFrame:
    """``body`` with the record and child record of each line, their lines, and where a
    child list opens; raises :class:`_NotPlain` unless every line fits the layout."""
    ind, key, line = pl.col("ind"), pl.col("key"), pl.col("line")
    child = pl.lit(child_key or "")  # no key is empty
    body = body.with_columns(
        ((ind == 4) & (key == child) & pl.col("value").is_null()).fill_null(False).alias("opens"),
        (ind == 2).cast(pl.Int64).cum_sum().alias("_record"),
        (ind == 6).cast(pl.Int64).cum_sum().alias("_child"),
        pl.when(ind == 2).then(line).forward_fill().alias("_record_line"),
        pl.when(ind == 6).then(line).forward_fill().alias("_child_line"),
    )
    # For each line of a child record: does the list it is in open under its record?
    in_list = pl.when(ind <= 4).then(pl.col("opens")).forward_fill().fill_null(False)
    bad = (
        key.is_null()  # no key: value line
        | key.str.starts_with("_")  # the columns this reader adds (_source, _line …)
        | ~ind.is_in([2, 4, 6, 8])
        | (pl.col("dash") != ind.is_in([2, 6]))  # a record starts where, and only where
        | ((ind <= 4) & (key == child) & ~pl.col("opens"))  # the child list as a value
        | ((ind >= 6) & ~in_list)
        | ((ind == 8) & ~ind.shift(1).is_in([6, 8]).fill_null(False))
    )
    if body.height and (body.item(0, "ind") != 2 or body.select(bad.any()).item()):
        raise _NotPlain
    # A key twice in a record (or a child record) is left to the general reader.
    owner = pl.when(ind <= 4).then(pl.col("_record")).otherwise(-pl.col("_child"))
    if body.select(pl.struct(owner.alias("owner"), key).is_duplicated().any()).item():
        raise _NotPlain
    return body


def _decoded(value: pl.Series) -> pl.Series:
    """The values as the general reader gives them: ``None`` where not set, quotes
    undone, stripped; raises :class:`_NotPlain` for a value it would read otherwise."""
    v = pl.col("value")
    inner = v.str.slice(1, v.str.len_chars() - 2)
    kind = (
        pl.when(v.is_null() | v.is_in(sorted(NULLS - {""})))
        .then(pl.lit("null"))
        .when(v.str.contains(_PLAIN))
        .then(pl.lit("plain"))
        .when(v.str.contains(_SINGLE))
        .then(pl.lit("single"))
        .when(v.str.contains(_DOUBLE) & ~v.str.contains("\\", literal=True))
        .then(pl.lit("double"))
        .when(v.str.contains(_DOUBLE))
        .then(pl.lit("escaped"))
    )
    frame = value.to_frame("value").with_columns(kind.alias("kind"))
    if frame.get_column("kind").null_count():
        raise _NotPlain
    out = frame.select(
        pl.when(pl.col("kind") == "plain")
        .then(v)
        .when(pl.col("kind") == "single")
        .then(inner.str.replace_all("''", "'", literal=True).str.strip_chars())
        .when(pl.col("kind") == "double")
        .then(inner.str.strip_chars())
    ).to_series()
    escaped = frame.with_row_index("at").filter(pl.col("kind") == "escaped")
    if escaped.height:  # few: each decoded by libyaml itself, as the general reader does
        out = out.scatter(
            escaped.get_column("at"), [_unescaped(t) for t in escaped.get_column("value")]
        )
    return out.alias("value")


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _unescaped(quoted: str) -> str:
    try:
        text = yaml.load(quoted, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        raise _NotPlain from None
    if not isinstance(text, str):
        raise _NotPlain
    value = joined_surrogates(text.strip())
    if value is None:
        raise _NotPlain
    return value


def _wide(values: pl.DataFrame, by: str, source: str, keep: Collection[str] | None) -> pl.DataFrame:
    """One row per record (per ``by``) of its values (of the keys in ``keep``), in reading
    order, with its line."""
    starts = values.filter(pl.col("dash")).select(
        *dict.fromkeys([by, "_record"]), pl.lit(source).alias(SOURCE), pl.col("line").alias(LINE)
    )
    if keep is not None:
        values = values.filter(pl.col("key").is_in(list(keep)))
    if values.height == 0:
        return starts
    table = values.pivot(on="key", index=by, values="value", aggregate_function=None)
    return starts.join(table, on=by, how="left", maintain_order="left")
