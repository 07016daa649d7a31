"""What an import guarantees against other runs and signals, with real processes: two
imports at once keep both imports' records; SIGTERM rolls an import back like Ctrl-C;
a killed import's leftovers are removed by the next one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from revcli.state.lock import locked
from tests.conftest import ROOT, Run

HEADER = (
    "plan_oid,plan_name,plan_currency,plan_amount,plan_interval,plan_interval_count,"
    "customer_oid,customer_name,customer_email,subscription_oid,subscription_started_at,"
    "subscription_canceled_at,subscription_quantity\n"
)
WAITING = "waiting for another revcli run to release"


def export(folder: Path, name: str, *customers: str) -> Path:
    """A Baremetrics export with one 490 NOK monthly subscription ``s-C`` per customer ``C``."""
    path = folder / name
    rows = "".join(
        f"pro,Pro,NOK,49000,month,1,{c},{c} AS,,s-{c},2026-01-15,,1\n" for c in customers
    )
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def start(log: Path, *args: str | Path) -> subprocess.Popen[bytes]:
    """``python -m revcli ARGS`` as a real process, its stderr into ``log``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "revcli", *map(str, args)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def wait_for(text: str, *logs: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(text in log.read_text() for log in logs):
        assert time.monotonic() < deadline, [log.read_text() for log in logs]
        time.sleep(0.05)


def test_two_imports_at_once_keep_the_records_of_both(run: Run, tmp_path: Path) -> None:
    root = tmp_path / "data"
    first = run(
        "import", "baremetrics", export(tmp_path, "0.csv", "c0"), "--data", root, "--country", "NO"
    )
    assert first.exit_code == 0, first.stderr
    a, b = export(tmp_path, "a.csv", "cA1", "cA2"), export(tmp_path, "b.csv", "cB1")
    # Both start while the data dir is locked (as by a `remind` run), so both are ready to
    # write at the same moment it is released: without a lock of their own, each would
    # read customers.csv before the other wrote it and the last to write would win.
    with locked(root):
        procs = [
            start(
                tmp_path / f"{x}.err",
                "import",
                "baremetrics",
                path,
                "--data",
                root,
                "--country",
                "NO",
            )
            for x, path in (("a", a), ("b", b))
        ]
        wait_for(WAITING, tmp_path / "a.err", tmp_path / "b.err")
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    customers = (root / "customers.csv").read_text()
    contracts = (root / "contracts" / "baremetrics.yaml").read_text()
    for c in ("c0", "cA1", "cA2", "cB1"):
        assert f"\n{c}," in customers
        assert f"contract_id: s-{c}\n" in contracts
    assert run("validate", "--data", root).exit_code == 0
