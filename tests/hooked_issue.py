"""``python -m tests.hooked_issue HOOK DATA_DIR MONTH``: issue a billing run in a real
process, with a step callback injected, for the crash and concurrency tests.

``kill-after-document:N`` / ``kill-after-record:N`` SIGKILL the process right after its
N-th document / record is written; ``sleep-per-invoice:SECONDS`` slows each invoice so
that concurrent runs overlap. revcli itself has no such hook: the callback is passed to
:func:`revcli.billing.issue.issue_invoices` here.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import time
from pathlib import Path

from revcli.billing.documents import DocumentFiles
from revcli.billing.issue import issue_invoices
from revcli.checks import load_dataset
from revcli.cli.options import parse_month
from revcli.state.log import Step
from tests.conftest import INVOICE_TODAY


def step_hook(spec: str) -> Step:
    name, _, value = spec.partition(":")

    def on_step(stage: str, count: int) -> None:
        if name == f"kill-after-{stage}" and value == str(count):
            os.kill(os.getpid(), signal.SIGKILL)
        if name == "sleep-per-invoice" and stage == "record":
            time.sleep(float(value))

    return on_step


def main(hook: str, root: str, period: str) -> int:
    data = load_dataset(Path(root))
    files = DocumentFiles(data.settings, data.root, ["html"])
    month = parse_month(period, "--period")
    # every run dated the day the invoice tests run on (tests/conftest.py)
    day = dt.date.fromisoformat(INVOICE_TODAY)
    result = issue_invoices(data, month, month, files, on=day, today=day, on_step=step_hook(hook))
    print(len(result.issued))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
