"""What an import guarantees against other runs and signals, with real processes: two
imports at once keep both imports' records; SIGTERM rolls an import back like Ctrl-C;
a killed import's leftovers are removed by the next one."""

from __future__ import annotations

import os
import signal
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
    root = imported(run, tmp_path)
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


# A real process running revcli's entry point, made to stop at an exact point: right after
# the first rename into the data dir it writes a marker file and sleeps, for the test to
# signal it there.
PAUSED_AFTER_FIRST_RENAME = """
import pathlib, sys, time
from revcli.cli import main
marker, root = pathlib.Path(sys.argv[1]), sys.argv[2]
real = pathlib.Path.replace
renames = []
def replace(self, target):
    done = real(self, target)
    renames.append(target)
    if len(renames) == 1 and str(target).startswith(root):
        marker.write_text(str(target))
        time.sleep(60)
    return done
pathlib.Path.replace = replace
sys.argv = ["revcli", *sys.argv[3:]]
main()
"""


def imported(run: Run, tmp_path: Path) -> Path:
    """A data dir ``tmp_path/data`` holding one import (customer ``c0``)."""
    root = tmp_path / "data"
    first = run(
        "import", "baremetrics", export(tmp_path, "0.csv", "c0"), "--data", root, "--country", "NO"
    )
    assert first.exit_code == 0, first.stderr
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_an_import_into_a_symbolic_link_to_nothing_is_refused(run: Run, tmp_path: Path) -> None:
    # It looped for ever: the link "exists" for mkdir, but no folder can be opened there.
    root = tmp_path / "data"
    root.symlink_to(tmp_path / "nowhere")
    result = run("import", "baremetrics", export(tmp_path, "b.csv", "c0"), "--data", root)
    assert result.exit_code == 1
    assert result.stderr == f"error: {root}: is a symbolic link to a folder that does not exist\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.csv", "data"]


def test_sigterm_between_the_renames_of_an_import_puts_every_file_back(
    run: Run, tmp_path: Path
) -> None:
    root = imported(run, tmp_path)
    before = snapshot(root)
    marker = tmp_path / "renamed"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PAUSED_AFTER_FIRST_RENAME,
            marker,
            root,
            "import",
            "baremetrics",
            export(tmp_path, "a.csv", "cA"),
            "--data",
            root,
            "--country",
            "NO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
        time.sleep(0.05)
    assert snapshot(root) != before  # one file is replaced, the others not yet
    proc.send_signal(signal.SIGTERM)  # what CI sends when a job is cancelled or times out
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert stderr.endswith("interrupted (SIGTERM)\n")
    assert snapshot(root) == before  # the replaced file has its old bytes, no .tmp is left


def test_a_temporary_file_left_by_a_killed_import_is_removed_by_the_next(
    run: Run, tmp_path: Path
) -> None:
    root = imported(run, tmp_path)
    left = [root / ".customers.csv.k1ll3d.tmp", root / "contracts" / ".baremetrics.yaml.x.tmp"]
    for path in left:
        path.write_text("half")
        os.utime(path, (time.time() - 5, time.time() - 5))  # before the next import's lock
    mine = root / ".report.csv.abc.tmp"  # no file an import writes: not the import's
    mine.write_text("another command's")
    again = run(
        "import", "baremetrics", export(tmp_path, "a.csv", "cA"), "--data", root, "--country", "NO"
    )
    assert again.exit_code == 0, again.stderr
    assert [p.exists() for p in left] == [False, False]
    assert mine.exists()


def test_putting_files_back_holds_a_second_interrupt_until_it_is_done() -> None:
    # A second Ctrl-C (or CI's SIGTERM after its SIGINT) must not cut the undo short: a
    # real signal sent inside the held block is delivered only when the block ends.
    from revcli.output.together import signals_held

    seen: list[str] = []

    def note(signum: int, frame: object) -> None:
        seen.append("after" if held_done else "during")

    # Other threads run beside the main one (Polars' pool does in revcli): the system may
    # hand the signal to any of them, and Python still runs the handler in the main one.
    import threading

    stop = threading.Event()
    beside = threading.Thread(target=stop.wait, daemon=True)
    beside.start()
    previous = signal.signal(signal.SIGTERM, note)
    held_done = False
    try:
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # a handler that could run would have run by now
            held_done = True
        time.sleep(0.05)
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop.set()
    assert seen == ["after"]
