"""Checks of ids across rows: the same key twice, ids that look alike, rows in the order
of the ids they point at."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from revcli.errors import Issue, Severity
from revcli.rowchecks import any_repeated, frame_issues
from revcli.schema import LINE, SOURCE


def _where(prefix: str = "") -> pl.Expr:
    return pl.col(f"{prefix}{SOURCE}") + ":" + pl.col(f"{prefix}{LINE}").cast(pl.String)


def duplicates(frame: pl.DataFrame, keys: list[str], column: str, what: str) -> list[Issue]:
    """An error on every repeat of a key, naming where it was first seen."""
    present = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
    keyed = pl.struct(keys) if len(keys) > 1 else pl.col(keys[0])
    if not any_repeated(frame, keys):
        return []
    # Hashes first (one integer per row), the keys themselves only where hashes repeat.
    hashed = frame.filter(present & keyed.hash().is_duplicated())
    repeated = hashed.filter(keyed.is_duplicated())  # cheap when nothing repeats
    ranked = repeated.with_columns(
        _first=_where().first().over(keys, order_by=[SOURCE, LINE]),
        _rank=pl.int_range(pl.len()).over(keys, order_by=[SOURCE, LINE]),
    )
    label = pl.concat_str([pl.col(k) for k in keys], separator="/")
    return frame_issues(
        ranked,
        pl.col("_rank") > 0,
        column,
        pl.lit(f"{what} '") + label + "' appears twice; first at " + pl.col("_first"),
    )


_INVISIBLE = r"\p{Cf}"
"""Unicode format characters: zero-width space and joiners, word joiner, soft hyphen,
byte-order mark, direction marks — invisible in an editor, different to a computer."""


def _folded(spelling: pl.Expr) -> pl.Expr:
    """The form in which ids that a person reads as one are equal: Unicode compatibility
    form (NFKC: ``Å`` as one character or as ``A`` and a combining ring, a full-width
    ``Ａ``, the ligature ``ﬁ``), then lower case. Invisible characters stay; the caller
    removes them when it must."""
    return spelling.str.normalize("NFKC").str.to_lowercase()


def one_case(frame: pl.DataFrame, column: str) -> bool:
    """Whether the ids of ``column`` are ASCII with no lower-case letter (``CUS0001``,
    line numbers), or with no upper-case one: then no two distinct ids are the same
    in lower case and none holds an invisible character, so none looks like another."""
    # All ids as one text: one pass over their characters, not one call per id.
    text: str = frame.select(pl.col(column).str.join("")).item()
    return text.isascii() and (text.upper() == text or text.lower() == text)


def lookalike_ids(
    frame: pl.DataFrame, column: str, what: str, scope: Sequence[str] = ()
) -> list[Issue]:
    """Warnings for ids that a person reads as one but revcli as two: ``ACME`` and
    ``acme``, ``K-1`` and ``K-1`` with a zero-width space, ``Å`` written as one character
    and as ``A`` with a combining ring (:func:`_folded`). Every spelling after the first
    (in file order) names the first; an id with an invisible character is named too."""
    spelling = pl.col(column)
    if one_case(frame, column):
        return []
    lower = _folded(spelling)
    # Twins are distinct ids (in a scope) that share a key; without invisible characters
    # the key is the id folded (:func:`_folded`), so no two share one when there are as
    # many distinct keys (or even key hashes) as distinct ids, or when folding changes no id.
    if scope:
        invisible, changed = frame.select(
            spelling.str.contains(_INVISIBLE).any().alias("invisible"),
            (lower != spelling).any().alias("changed"),
        ).row(0)
        shared = changed
        if not invisible and changed:
            ids, keys = frame.select(
                pl.struct(*scope, spelling).n_unique().alias("ids"),
                pl.struct(*scope, lower).hash().n_unique().alias("keys"),
            ).row(0)
            shared = keys < ids
    else:
        invisible, keys = frame.select(
            spelling.str.contains(_INVISIBLE).any().alias("invisible"),
            lower.hash().n_unique().alias("keys"),
        ).row(0)
        # As many key hashes as rows: every key (and so every id) is different.
        shared = keys < frame.height and keys < frame.select(spelling.n_unique()).item()
    if not invisible and not shared:
        return []
    key = _folded(spelling.str.replace_all(_INVISIBLE, ""))
    groups = [*scope, "_key"]
    # Keys are compared over the distinct ids only; ids of ASCII characters other than
    # letters (plain line numbers), which folding leaves as they are, are left out unless
    # a twin of theirs is among them (a full-width ``１`` folds to ``1``).
    spelled = frame.get_column(column).str.contains(r"\p{L}|[^\x00-\x7F]").fill_null(False)
    candidates = frame.filter(spelled)
    if candidates.height < frame.height:
        keys = candidates.select(key.unique().alias("_key"))
        plain = frame.filter(~spelled).join(keys, left_on=column, right_on="_key", how="semi")
        candidates = pl.concat([candidates, plain])
    pairs = candidates.select(*scope, column).unique().with_columns(key.alias("_key"))
    shared = pairs.group_by(groups).len().filter(pl.col("len") > 1).drop("len")
    issues: list[Issue] = []
    if shared.height:
        twin_pairs = pairs.join(shared, on=groups, how="semi")
        twins = frame.join(twin_pairs, on=[*scope, column])
        ordered = twins.sort(SOURCE, LINE).with_columns(
            pl.col(column).first().over(groups).alias("_first_id"),
            _where().first().over(groups).alias("_first_at"),
        )
        rows = ordered.filter(pl.col(column) != pl.col("_first_id")).select(
            SOURCE, LINE, column, "_first_id", "_first_at"
        )
        issues += [
            Issue(
                source,
                line,
                column,
                f"{what} '{value}' differs from '{first}' (at {at}) only "
                "in upper/lower case, invisible characters or Unicode form; write one id the "
                "same way everywhere",
                Severity.WARNING,
            )
            for source, line, value, first, at in rows.iter_rows()
        ]
    if not invisible:
        return issues
    hidden = frame.filter(pl.col(column).str.contains(_INVISIBLE))
    issues += [
        Issue(
            source,
            line,
            column,
            f"'{value}' contains an invisible character; retype the id",
            Severity.WARNING,
        )
        for source, line, value in hidden.select(SOURCE, LINE, column).iter_rows()
    ]
    return issues


def lookalike_heads(customers: pl.DataFrame, contracts: pl.DataFrame) -> list[Issue]:
    """:func:`lookalike_ids` of the customer ids and the contract ids."""
    return [
        *lookalike_ids(customers, "customer_id", "customer_id"),
        *lookalike_ids(contracts, "contract_id", "contract_id"),
    ]


def in_order_of(keys: pl.Series, ids: pl.Series) -> pl.Series | None:
    """For each row of ``keys``, the row of ``ids`` holding its key, when ``keys`` lists
    every id of ``ids`` in turn (lines grouped by contract in the order of the contracts,
    contracts by customer in the order of the customers, as exports usually are);
    ``None`` otherwise or where either holds a null.

    Where it holds, a lookup of each key among the ids (a join, ``is_in``) is a walk along
    both in step, whose cost grows with the rows, not faster as hash tables outgrow caches.
    """
    if keys.null_count() or ids.null_count() or not keys.len():
        return None
    runs = keys.rle_id()
    if runs[-1] + 1 != ids.len():
        return None
    firsts = keys.filter(runs.diff().fill_null(1) != 0)
    return runs if firsts.equals(ids) else None
