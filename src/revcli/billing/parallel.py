"""Rendering the files of many documents on every core: WeasyPrint is CPU-bound (about
0.2 s a page), so a run of PDFs renders in a pool of processes, one per core.

The renderer is handed to the workers by ``fork`` (it holds loaded templates, which need
not be picklable); the invoices go to them and the files come back pickled, in order.
Nothing is written by the workers: the register appends each document itself, in number
order, so a crash or Ctrl-C mid-run leaves the register as a sequential run would.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from revcli.billing.model import Invoice

Files = list[tuple[str, bytes]]
_RENDER: Callable[[Invoice], Files] | None = None
MIN_BATCH = 4
"""Fewer documents than this render in the calling process: a pool costs more than it saves."""


def _render(invoice: Invoice) -> Files:
    assert _RENDER is not None
    return _RENDER(invoice)


def workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def render_all(
    render: Callable[[Invoice], Files], invoices: Sequence[Invoice], *, parallel: bool
) -> Iterator[Files]:
    """The files of each of ``invoices``, in order; on a pool of processes when
    ``parallel`` (PDF output), there are enough of them and more than one core."""
    global _RENDER  # noqa: PLW0603 - handed to forked workers, see the module docstring
    cores = workers()
    if (
        not parallel
        or len(invoices) < MIN_BATCH
        or cores < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for invoice in invoices:
            yield render(invoice)
        return
    _RENDER = render
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=cores, mp_context=context) as pool:
            yield from pool.map(_render, invoices, chunksize=1)
    finally:
        _RENDER = None
