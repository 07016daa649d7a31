"""Rendering the files of many documents on every core: WeasyPrint is CPU-bound (about
0.2 s a page), so a run of PDFs renders in a pool of processes, one per core.

The renderer is handed to the workers by ``fork`` (it holds loaded templates, which need
not be picklable); the invoices go to them and the files come back pickled, in order.
Nothing is written by the workers: the register appends each document itself, in number
order, so a crash or Ctrl-C mid-run leaves the register as a sequential run would.

A fork copies the parent's descriptors, among them the register's lock: each worker
closes its copies first (:func:`revcli.state.lock.close_inherited`), so that only the
parent holds the lock. And a worker ends when its parent does: a killed run leaves no
worker waiting for work that never comes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from revcli.billing.model import Invoice
from revcli.concurrency import usable_cores
from revcli.state.lock import close_inherited

Files = list[tuple[str, bytes]]
_RENDER: Callable[[Invoice], Files] | None = None
MIN_BATCH = 4
"""Fewer documents than this render in the calling process: a pool costs more than it saves."""
PARENT_CHECK_SECONDS = 1.0
"""How often a worker checks that the run that started it is still alive."""


def _start_worker(parent: int) -> None:
    """First thing in a worker: let go of the parent's locks, and watch the parent."""
    close_inherited()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool ends its workers with SIGTERM
    threading.Thread(
        target=_exit_with_parent, args=(parent,), name="revcli-parent-watch", daemon=True
    ).start()


def _exit_with_parent(parent: int) -> None:
    """End the worker at once when ``parent`` has ended (the worker then has a new
    parent): nothing it does is written anywhere, so there is nothing to finish."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _render(invoice: Invoice) -> Files:
    assert _RENDER is not None
    return _RENDER(invoice)


workers = usable_cores
"""The cores this process may use: one worker process each."""


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
        with ProcessPoolExecutor(
            max_workers=cores,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        ) as pool:
            yield from pool.map(_render, invoices, chunksize=1)
    finally:
        _RENDER = None
