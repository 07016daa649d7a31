"""``python -m tests.hooked_import HOOK DATA_DIR EXPORT FX``: import a Baremetrics export
(``--country NO --fx-rates FX``) in a real process as ``revcli import baremetrics`` does,
under the data dir's lock, with a step callback injected into its write, for the crash
tests.

``kill-after-STEP:N`` SIGKILLs the process right after the N-th step STEP of
:func:`revcli.output.together.write_together`: ``journal`` (1: its first line, 2: the
whole journal), ``temporary`` (a temporary file written), ``rename`` or ``undo`` (the
journal of the old files, when files are put back); ``interrupt-after-STEP:N`` raises
KeyboardInterrupt there, as Ctrl-C would; ``pause-after-STEP:N`` creates the file
``DATA_DIR.paused`` there and waits (at most a minute) until ``DATA_DIR.go`` exists, and
``pause-before-write`` does so once the import is planned, before it writes anything:
for the tests of a command that runs while an import is under way. Several are joined
with commas. revcli itself
has no such hook: the callback is passed to :func:`revcli.importers.plan_output.write_plan` here.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import time
from pathlib import Path

from revcli.importers.lock import import_lock
from revcli.importers.plan import plan_import
from revcli.importers.plan_output import write_plan
from revcli.importers.sources import read_baremetrics
from revcli.output.together import Step


def step_hook(specs: str, root: Path) -> Step:
    hooks = [spec.partition(":")[::2] for spec in specs.split(",")]

    def on_step(stage: str, count: int) -> None:
        for name, value in hooks:
            if value != str(count):
                continue
            if name == f"kill-after-{stage}":
                os.kill(os.getpid(), signal.SIGKILL)
            if name == f"interrupt-after-{stage}":
                raise KeyboardInterrupt
            if name == f"pause-after-{stage}":
                _pause(root)

    return on_step


def _pause(root: Path) -> None:
    root.with_name(root.name + ".paused").touch()
    go = root.with_name(root.name + ".go")
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def main(hook: str, root: str, export: str, fx: str) -> int:
    data = Path(root)
    with import_lock(data):
        batch = read_baremetrics(Path(export))
        plan = plan_import(
            data, batch, today=dt.date(2026, 12, 6), country="NO", fx_file=Path(fx) if fx else None
        )
        if "pause-before-write" in hook.split(","):
            _pause(data)
        write_plan(plan, on_step=step_hook(hook, data))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
