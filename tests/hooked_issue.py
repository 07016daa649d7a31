"""``python -m tests.hooked_issue HOOK DATA_DIR MONTH``: issue a billing run in a real
process, with a step callback injected, for the crash and concurrency tests.

``kill-after-document:N`` / ``kill-after-record:N`` SIGKILL the process right after its
N-th document / record is written; ``sleep-per-invoice:SECONDS`` slows each invoice so
that concurrent runs overlap. revcli itself has no such hook: the callback is passed to
:func:`revcli.billing.issue.issue_invoices` here.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from revcli.billing.issue import issue_invoices
from revcli.billing.templates import document_maker
from revcli.checks import load_dataset
from revcli.cli.common import parse_month
from revcli.state.log import Step


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
    maker = document_maker(data.settings, data.root, None, None)
    month = parse_month(period, "--period")
    result = issue_invoices(data, month, month, maker, maker.extension, on_step=step_hook(hook))
    print(len(result.issued))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
