"""The cores a process may use, and two pieces of work side by side (for Polars steps that
run on one core each).

Light to import (the command line asks for :func:`usable_cores` before it loads a command):
Polars and the thread pool load when work is done side by side.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import polars as pl

A = TypeVar("A")
B = TypeVar("B")


def usable_cores() -> int:
    """The processors this process may run on (its CPU affinity on Linux)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def side_by_side(other: Callable[[], A], here: Callable[[], B]) -> tuple[A, B]:
    """``other()`` on a second thread while ``here()`` runs on this one; both results.

    Polars works without holding Python's lock, so two queries whose steps each keep one
    core busy (a sort, a binary search, a running sum) finish in about the time of the
    longer. An exception of either is raised here, after both have ended; so is Ctrl-C.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        later = pool.submit(other)
        result = here()
        return later.result(), result


def in_halves(frame: pl.DataFrame, work: Callable[[pl.DataFrame], A]) -> tuple[A, A]:
    """``work`` of the first and of the second half of ``frame``'s rows, side by side (for
    work whose result for each row is its own); the results in the halves' order."""
    half = frame.height // 2
    second, first = side_by_side(
        lambda: work(frame.slice(half)), lambda: work(frame.slice(0, half))
    )
    return first, second
