"""The state log shared by the invoice register and the reminder log: locks (with and
without ``fcntl``), durable appends, chain verification, HEAD, stale temporaries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from revcli.errors import RevcliError
from revcli.state.lock import fallback_path, locked, made_and_locked, read_lock
from revcli.state.log import Broken, Head, Link, StateLog, UnreadableHead, verify_chain
from tests.billing_support import billing_dir, revcli_process
from tests.conftest import ROOT
from tests.full_disk import fill_disk, free_disk


def test_chain_reports_an_edited_line_and_a_line_that_does_not_follow() -> None:
    links = [
        Link(1, own="a", computed="a", prev=""),
        Link(2, own="b", computed="x", prev="a"),  # edited: its hash is not its content's
        Link(3, own="c", computed="c", prev="z"),  # names a previous line that is not line 2
        Link(4, own="d", computed="d", prev="c"),
    ]
    assert list(verify_chain(links)) == [Broken(2, altered=True), Broken(3, altered=False)]


def test_chain_does_not_check_the_line_after_an_unreadable_one() -> None:
    links = [Link(1, "a", "a", ""), None, Link(3, "c", "c", "whatever"), Link(4, "d", "d", "c")]
    assert list(verify_chain(links)) == []


def test_append_writes_whole_lines_and_creates_the_folder(tmp_path: Path) -> None:
    log = StateLog(tmp_path / "state" / "log.txt", lock=tmp_path / "state" / ".lock")
    log.append("one\n")
    log.append("two\nthree\n")
    assert log.path.read_text() == "one\ntwo\nthree\n"


def test_head_round_trip_and_bad_text(tmp_path: Path) -> None:
    log = StateLog(tmp_path / "log", lock=tmp_path / ".lock", head=tmp_path / "HEAD")
    assert log.read_head() is None  # a log written before heads existed
    log.write_head(Head(3, "abc"))
    assert (tmp_path / "HEAD").read_text() == "3 abc\n"
    assert log.read_head() == Head(3, "abc")
    (tmp_path / "HEAD").write_text("²3 abc\n")  # not ASCII digits
    assert log.read_head() == "²3 abc\n"


def test_a_head_that_is_no_file_is_not_read_but_named(tmp_path: Path) -> None:
    log = StateLog(tmp_path / "log", lock=tmp_path / ".lock", head=tmp_path / "HEAD")
    os.mkfifo(tmp_path / "HEAD")  # opening it to read would wait for a writer for ever
    assert log.read_head() == UnreadableHead("is a named pipe (FIFO), expected a file")


def test_stale_temporaries_older_than_the_lock_are_removed(tmp_path: Path) -> None:
    log = StateLog(tmp_path / "register.jsonl", lock=tmp_path / ".lock")
    stale = tmp_path / ".2026-00003.html.abc123.tmp"
    stale.write_text("half a document")
    os.utime(stale, (time.time() - 60, time.time() - 60))
    fresh = tmp_path / ".2026-00004.html.def456.tmp"
    fresh.write_text("being written")
    keep = tmp_path / "2026-00001.html"
    keep.write_text("issued")
    log.remove_stale_temporaries(time.time() - 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == [fresh.name, keep.name]


# --- locks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("use_flock", [True, False], ids=["flock", "lock-file"])
def test_an_exclusive_lock_makes_the_second_holder_wait(tmp_path: Path, use_flock: bool) -> None:
    from revcli.state.lock import FLOCK

    flock = FLOCK if use_flock else None
    target = tmp_path / ".lock"
    order: list[str] = []
    ready = threading.Event()

    def second() -> None:
        ready.wait()
        with locked(target, flock=flock):
            order.append("second in")

    thread = threading.Thread(target=second)
    thread.start()
    with locked(target, flock=flock):
        ready.set()
        time.sleep(0.3)  # the second thread is waiting all this time
        order.append("first out")
    thread.join(timeout=10)
    assert order == ["first out", "second in"]


@pytest.mark.parametrize("use_flock", [True, False], ids=["flock", "lock-file"])
def test_a_holder_that_must_wait_says_so_once_first(tmp_path: Path, use_flock: bool) -> None:
    from revcli.state.lock import FLOCK

    flock = FLOCK if use_flock else None
    target = tmp_path / ".lock"
    told: list[Path] = []
    waits = threading.Event()

    def waiting(path: Path) -> None:
        told.append(path)
        waits.set()

    def second() -> None:
        with locked(target, flock=flock, waiting=waiting):
            pass

    with locked(target, flock=flock, waiting=waiting):
        thread = threading.Thread(target=second)
        thread.start()
        assert waits.wait(timeout=10)  # said before the lock is free
    thread.join(timeout=10)
    # flock waits on the target itself; without it, on the lock file beside it
    assert told == [target if use_flock else fallback_path(target)]


def test_a_command_that_finds_the_register_locked_says_so_on_stderr_before_it_waits(
    tmp_path: Path,
) -> None:
    root = billing_dir(
        tmp_path,
        "contract_id,customer_id,start_date\nK1,C1,2026-01-01\n",
        "contract_id,line_id,product,quantity,unit_price,price_period\nK1,1,A,1,100,month\n",
    )
    lock = root / "invoices" / ".lock"
    lock.parent.mkdir()
    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with locked(lock):
            held.set()
            release.wait(timeout=60)  # at the latest: a hung test still ends

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(timeout=10)
    proc = revcli_process("invoice", "list", "--data", root, "--format", "csv")
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # comes while the lock is still held
    finally:
        release.set()
        holder.join()
    _, rest = proc.communicate(timeout=60)
    assert first == f"waiting for another revcli run to release {lock} …\n"
    assert (proc.returncode, rest) == (0, "")


def test_a_forked_child_that_closes_inherited_locks_leaves_none_held_after_its_parent(
    tmp_path: Path,
) -> None:
    # A real process takes the lock, forks a child that lives on, and dies holding it.
    # flock locks belong to the open file, shared across fork: without close_inherited
    # the child would keep the lock for as long as it lives.
    import fcntl

    target = tmp_path / ".lock"
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from revcli.state.lock import close_inherited, locked\n"
        "with locked(Path(sys.argv[1])):\n"
        "    child = os.fork()\n"
        "    if child == 0:\n"
        "        close_inherited()\n"
        "        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n"  # let run() end
        "        os.dup2(1, 2)\n"
        "        time.sleep(60)\n"
        "        os._exit(0)\n"
        "    print(child, flush=True)\n"
        "    os._exit(0)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", script, target],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    child = int(done.stdout)
    try:
        fd = os.open(target, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if held
        finally:
            os.close(fd)
    finally:
        os.kill(child, signal.SIGKILL)


def test_a_read_lock_within_this_process_s_own_lock_takes_nothing(tmp_path: Path) -> None:
    # An import reads the data dir it holds: a second flock from this process would wait
    # for the first for ever. In a thread, so that a wait shows as a thread still alive.
    done = threading.Event()

    def read() -> None:
        with read_lock(tmp_path):
            done.set()

    with locked(tmp_path):
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        waited = not done.wait(timeout=10)
    reader.join(timeout=10)
    assert not waited


def test_a_read_lock_of_a_missing_folder_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "data"
    with read_lock(missing):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_folder_lock_never_creates_a_file(tmp_path: Path) -> None:
    # A folder removed by another run must not come back as a lock file in its place.
    missing, file = tmp_path / "gone", tmp_path / "file"
    file.write_text("x")
    with pytest.raises(FileNotFoundError), locked(missing, folder=True):
        pass
    with pytest.raises(RevcliError, match="file: is not a folder"), locked(file, folder=True):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_run_that_waited_for_a_folder_removed_meanwhile_locks_the_new_one(
    tmp_path: Path,
) -> None:
    # The first holder made the folder and, having put nothing in it, removes it at the
    # end, still under its lock. The second, which waited on the removed folder, makes a
    # new one and locks that: inside its block the folder is there (a lock on the removed
    # one would guard nothing another run could find), and it is removed in turn.
    folder = tmp_path / ".revcli"
    got: list[bool] = []

    def second() -> None:
        with made_and_locked(folder):
            got.append(folder.is_dir())

    with made_and_locked(folder):
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.2)  # the second run waits for the lock
        assert not got
    waiter.join(timeout=10)
    assert got == [True]
    assert not folder.exists()


def test_a_folder_made_for_a_lock_stays_when_the_block_wrote_into_it(tmp_path: Path) -> None:
    folder = tmp_path / "a" / ".revcli"
    with made_and_locked(folder):
        (folder / "log").write_text("x")
    assert (folder / "log").read_text() == "x"


def test_a_symbolic_link_to_nothing_is_refused_not_made_for_ever(tmp_path: Path) -> None:
    link = tmp_path / "data"
    link.symlink_to(tmp_path / "nowhere")
    refused = pytest.raises(RevcliError, match="data: is a symbolic link to a folder that does")
    with refused, made_and_locked(link):
        pass
    assert not (tmp_path / "nowhere").exists()


def test_lock_file_is_removed_on_release_and_a_folder_target_gets_its_own(tmp_path: Path) -> None:
    with locked(tmp_path, flock=None):
        assert fallback_path(tmp_path).exists()
        assert fallback_path(tmp_path).parent == tmp_path
    assert not fallback_path(tmp_path).exists()


def test_a_lock_file_left_by_a_killed_run_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / ".lock"
    fallback_path(target).write_text("4242\n")
    lock = locked(target, flock=None, timeout=0.2)
    with pytest.raises(RevcliError, match=r"\.lock\.excl: another revcli run holds this lock"):
        lock.__enter__()


def test_without_fcntl_revcli_imports_issues_and_checks(tmp_path: Path) -> None:
    # As on Windows: `import fcntl` fails. Today's main cannot even import revcli.
    root = billing_dir(
        tmp_path,
        "contract_id,customer_id,start_date\nK1,C1,2026-01-01\n",
        "contract_id,line_id,product,quantity,unit_price,price_period\nK1,1,A,1,100,month\n",
    )
    script = (
        "import sys\n"
        "sys.modules['fcntl'] = None\n"  # makes `import fcntl` raise ImportError
        "from revcli.cli import main\n"
        "sys.argv = ['revcli', *sys.argv[1:]]\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for args in (["invoice", "issue", "--period", "2026-01"], ["invoice", "check"]):
        done = subprocess.run(
            [sys.executable, "-c", script, *args, "--data", str(root)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert (root / "invoices" / "HEAD").exists()
    assert not fallback_path(root / "invoices" / ".lock").exists()


# --- a write that fails part-way (a full disk, an interrupt) ------------------------------------


def test_an_append_that_fills_the_disk_leaves_the_log_as_it_was_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = StateLog(tmp_path / "log.txt", lock=tmp_path / ".lock")
    log.append("one\n")
    fill_disk(monkeypatch, room=5)  # "two\nt" lands, then the disk is full
    with pytest.raises(OSError) as failed:
        log.append("two\nthree\n")
    assert (failed.value.filename, failed.value.strerror) == (
        str(log.path),
        "No space left on device",
    )
    assert log.path.read_bytes() == b"one\n"  # cut back: no half line
    free_disk(monkeypatch)
    log.append("two\n")
    assert log.path.read_bytes() == b"one\ntwo\n"


def test_an_append_that_cannot_even_be_cut_back_says_how_to_repair_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = StateLog(tmp_path / "log.txt", lock=tmp_path / ".lock")
    log.append("one\n")
    fill_disk(monkeypatch, room=2, truncate_fails=True)
    with pytest.raises(OSError) as failed:
        log.append("two\n")
    assert failed.value.filename == str(log.path)
    assert failed.value.strerror == (
        "No space left on device; cutting it back to its last whole line failed too "
        "(Input/output error): delete its incomplete last line, then run the command again"
    )
    assert log.path.read_bytes() == b"one\ntw"


def test_an_append_interrupted_part_way_is_cut_back_and_the_interrupt_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = StateLog(tmp_path / "log.txt", lock=tmp_path / ".lock")
    log.append("one\n")
    calls = []

    def write(fd: int, data: bytes) -> int:
        calls.append(fd)
        if len(calls) > 1:
            raise KeyboardInterrupt  # Ctrl-C (or SIGTERM) between two writes
        return os.write(fd, bytes(data[:3]))

    disk = fill_disk(monkeypatch, room=0)
    monkeypatch.setattr(disk, "write", write)
    with pytest.raises(KeyboardInterrupt):
        log.append("two\n")
    assert log.path.read_bytes() == b"one\n"
