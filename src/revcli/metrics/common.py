"""Names and settings shared by the modules of the MRR engine (see :mod:`revcli.metrics.mrr`)."""

from __future__ import annotations

import polars as pl

from revcli.settings import MetricsPolicy

DEFAULT_POLICY = MetricsPolicy()
"""The metric policy of a data dir without a ``metrics:`` section (SPEC §12)."""

CUSTOMER = "customer_id"

PRODUCT = "product"

MONTH = "month"

MOVEMENTS = ("new", "expansion", "upgrade", "reactivation", "downgrade", "cancellation", "churn")
"""Movement kinds in report order; positive ones add MRR, negative ones remove it."""

MOVEMENT = pl.Enum(MOVEMENTS)
"""The type of the ``movement`` and ``customer_movement`` columns: compared, grouped and
moved as small integers, shown and compared with text as the kinds' names."""

ROUND_DIGITS = 9
"""Digits kept of a cumulative sum: removes float noise far below a cent, so that equal
MRR compares equal (no phantom upgrade of 1e-13) while money stays unrounded to print."""

SPLIT_ROWS = 200_000
"""From this many rows on, the engine's steps that run on one core inside Polars work on
two halves of their rows side by side: :func:`mrr_events` on the schedule's lines,
:func:`classify` on the (customer, product, month) rows. Each row's result is its own, and
the halves are put together in the order of the whole."""
