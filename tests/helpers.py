"""Small helpers for tests that compute MRR tables from data-dir snippets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from revcli.data.validate import load_dataset
from revcli.metrics.report import mrr_frame


def month(text: str) -> dt.date:
    year, mon = text.split("-")
    return dt.date(int(year), int(mon), 1)


def mrr_of(root: Path, first: str, last: str, by: str | None = None) -> pl.DataFrame:
    data = load_dataset(root)
    return mrr_frame(data, month(first), month(last), by)


def row(table: pl.DataFrame, when: str, **keys: str) -> dict[str, Any]:
    """The row of month ``when`` (and group keys) as a dict."""
    mask = pl.col("month") == month(when)
    for name, value in keys.items():
        mask &= pl.col(name) == value
    rows = table.filter(mask).to_dicts()
    assert len(rows) == 1, f"expected one row for {when} {keys}, got {len(rows)}"
    return rows[0]


MOVES = ("new", "expansion", "upgrade", "reactivation", "downgrade", "cancellation", "churn")


def moves(table: pl.DataFrame, when: str, **keys: str) -> dict[str, float]:
    """The non-zero movements of a month, e.g. ``{"upgrade": 500.0}``."""
    r = row(table, when, **keys)
    return {k: r[k] for k in MOVES if r[k] != 0}
