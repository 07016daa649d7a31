"""The invoice register (SPEC §1, §7): once only, gapless, crash-safe, locked, tamper-evident."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import revcli.output.files
from revcli.billing.register import check_register, read_register
from tests.billing_support import billing_dir, counting_opens, hooked_issue, revcli_process
from tests.conftest import INVOICE_TODAY, ROOT, Run
from tests.full_disk import fill_disk, free_disk

pytestmark = pytest.mark.usefixtures("pinned_today")

LINES = "contract_id,line_id,product,quantity,unit_price,price_period,discount_pct,start_date,end_date,tax_rate\n"


def five_contracts(root: Path) -> Path:
    """Five monthly contracts from 1 Jan 2026: five invoices in every billing run."""
    contracts = "contract_id,customer_id,start_date\n" + "".join(
        f"K{i},C1,2026-01-01\n" for i in range(1, 6)
    )
    lines = LINES + "".join(f"K{i},1,A,{i},100,month,,,,\n" for i in range(1, 6))
    return billing_dir(root, contracts, lines)


def one_contract(root: Path) -> Path:
    """One monthly contract from 1 Jan 2026: one invoice, 2026-00001, a month."""
    return billing_dir(
        root,
        "contract_id,customer_id,start_date\nK1,C1,2026-01-01\n",
        "contract_id,line_id,product,quantity,unit_price,price_period\nK1,1,A,1,100,month\n",
    )


def many_contracts(root: Path, n: int) -> Path:
    contracts = "contract_id,customer_id,start_date\n" + "".join(
        f"K{i:03d},C1,2026-01-01\n" for i in range(n)
    )
    lines = LINES + "".join(f"K{i:03d},1,A,1,100,month,,,,\n" for i in range(n))
    return billing_dir(root, contracts, lines)


def records(root: Path) -> list[dict[str, object]]:
    path = root / "invoices" / "register.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def numbers(root: Path) -> list[str]:
    return [str(r["number"]) for r in records(root)]


def issue(run: Run, root: Path, period: str, *extra: str) -> str:
    """Issue the run of ``period`` dated its first day when that has come (as the first
    edition dated invoices), else today; html only unless ``extra`` says otherwise."""
    if "--date" not in extra and f"{period}-01" <= INVOICE_TODAY:
        extra = (*extra, "--date", f"{period}-01")
    if "--format" not in extra:
        extra = (*extra, "--format", "html")
    result = run("invoice", "issue", "--data", root, "--period", period, *extra)
    assert result.exit_code == 0, result.stderr
    return result.stdout


# --- once only and gapless ---------------------------------------------------------------


def test_issue_numbers_a_run_in_order_and_writes_documents_beside_the_register(
    run: Run, tmp_path: Path
) -> None:
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    assert numbers(root) == [f"2026-0000{i}" for i in range(1, 6)]
    assert [r["contract_id"] for r in records(root)] == ["K1", "K2", "K3", "K4", "K5"]
    assert sorted(p.name for p in (root / "invoices").iterdir() if not p.name.startswith(".")) == [
        *(f"2026-0000{i}.html" for i in range(1, 6)),
        "HEAD",
        "register.jsonl",
    ]
    assert check_register(root) == []


def test_register_records_the_invoice_and_a_snapshot_of_every_line(
    run: Run, tmp_path: Path
) -> None:
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    first = records(root)[0]
    assert {k: first[k] for k in ("number", "kind", "contract_id", "customer_id", "currency")} == {
        "number": "2026-00001",
        "kind": "invoice",
        "contract_id": "K1",
        "customer_id": "C1",
        "currency": "NOK",
    }
    assert (first["period_start"], first["period_end"]) == ("2026-01-01", "2026-01-31")
    assert (first["net"], first["tax"], first["total"]) == ("100.00", "25.00", "125.00")
    assert first["lines"] == [
        {
            "line_id": "1",
            "product": "A",
            "description": "A",
            "kind": "recurring",
            "price_period": "month",
            "quantity": "1",
            "unit_price": "100",
            "discount_pct": "0",
            "service_start": "2026-01-01",
            "service_end": "2026-01-31",
            "active_days": 31,
            "period_days": 31,
            "tax_rate": "25",
            "amount": "100.00",
            "steps": [],
        }
    ]
    # One record per line, keys sorted: the register diffs well in git.
    line = (root / "invoices" / "register.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert list(json.loads(line)) == sorted(json.loads(line))


def test_rerun_issues_nothing_twice(run: Run, tmp_path: Path) -> None:
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    before = (root / "invoices" / "register.jsonl").read_bytes()
    result = run("invoice", "issue", "--data", root, "--period", "2026-01")
    assert result.exit_code == 0
    assert "Issued 0 invoices for 2026-01; 5 had been issued before." in result.stderr
    assert (root / "invoices" / "register.jsonl").read_bytes() == before


def test_a_rerun_names_the_fully_credited_invoices_it_does_not_issue_again(
    run: Run, tmp_path: Path
) -> None:
    # January: 2026-00001 … 2026-00005 (K1 … K5). K2's invoice (2026-00002, one line) is
    # credited in full, K3's is not credited: the rerun issues nothing (a period is
    # invoiced once) and names 2026-00002 as the one that will not come back.
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    credit = run("invoice", "credit", "2026-00002", "--data", root, "--reason", "Wrong seats",
                 "--date", "2026-01-20", "--format", "html")  # fmt: skip
    assert credit.exit_code == 0, credit.stderr
    result = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-20")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stderr.split())
    assert "Issued 0 invoices for 2026-01; 5 had been issued before." in text
    assert "Fully credited, so not issued again: 2026-00002. A period is invoiced once;" in text


def test_next_run_continues_the_series_and_a_new_year_restarts_it(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    issue(run, root, "2026-02")
    # {year} is the issue date's: the January 2027 run issued in 2027
    monkeypatch.setattr("revcli.cli.options.today", lambda: dt.date(2027, 1, 4))
    issue(run, root, "2027-01", "--date", "2027-01-04")
    assert numbers(root)[5:10] == [f"2026-0000{i}" for i in range(6, 10)] + ["2026-00010"]
    assert numbers(root)[10:] == [f"2027-0000{i}" for i in range(1, 6)]
    assert check_register(root) == []


def test_a_new_contract_in_an_issued_run_gets_the_next_number(run: Run, tmp_path: Path) -> None:
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    with (root / "contracts.csv").open("a", encoding="utf-8") as f:
        f.write("K0,C1,2026-01-01\n")
    with (root / "contract_lines.csv").open("a", encoding="utf-8") as f:
        f.write("K0,1,A,1,100,month,,,,\n")
    issue(run, root, "2026-01")
    assert records(root)[-1]["contract_id"] == "K0"
    assert numbers(root)[-1] == "2026-00006"


def test_issue_requires_the_sellers_legal_details(run: Run, tmp_path: Path) -> None:
    root = five_contracts(tmp_path)
    settings = (root / "revcli.yaml").read_text().replace('  bank_account: "1503.11.11118"\n', "")
    (root / "revcli.yaml").write_text(settings)
    result = run("invoice", "issue", "--data", root, "--period", "2026-01")
    assert result.exit_code == 1
    # The key is gone: the message points at "company:", line 1 of the seller's settings.
    assert (
        f"{root}/revcli.yaml:1: company.bank_account: is required on issued invoices"
        in result.stderr
    )
    assert not (root / "invoices" / "register.jsonl").exists()


def test_unusable_number_format_names_the_settings_line(run: Run, tmp_path: Path) -> None:
    root = five_contracts(tmp_path)
    text = (root / "revcli.yaml").read_text().replace("{year}-{seq:05d}", "{year}-{seq:05d}-{nr}")
    (root / "revcli.yaml").write_text(text)
    result = run("invoice", "issue", "--data", root, "--period", "2026-01")
    assert result.exit_code == 1
    assert (
        f"{root}/revcli.yaml:13: invoice.number_format: '{{year}}-{{seq:05d}}-{{nr}}' uses unknown "
        "field {nr}; only {year} and {seq} exist"
    ) in result.stderr


def test_a_disk_that_fills_mid_record_leaves_the_register_whole_and_the_next_run_completes_it(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured = five_contracts(tmp_path / "measured")
    issue(run, measured, "2026-01")
    lines = (measured / "invoices" / "register.jsonl").read_bytes().splitlines(keepends=True)

    root = five_contracts(tmp_path / "full")
    fill_disk(monkeypatch, room=len(lines[0] + lines[1]) + 40)  # two records, part of a third
    result = run(
        "invoice",
        "issue",
        "--data",
        root,
        "--period",
        "2026-01",
        "--date",
        "2026-01-01",
        "--format",
        "html",
    )
    assert result.exit_code == 1
    assert result.stderr == (  # what was issued is said, whatever the error
        "Issued and recorded before the run stopped: 2 invoices (2026-00001 … 2026-00002); "
        "run `revcli invoice issue` again to issue the rest.\n"
        f"error: {root}/invoices/register.jsonl: No space left on device\n"
    )
    assert numbers(root) == ["2026-00001", "2026-00002"]  # no half record after them
    assert (root / "invoices" / "HEAD").read_text().startswith("2 ")
    # The third document, whose record could not be written, is removed again (before the
    # fix it stayed, and `check` reported it as left by an interrupted run).
    assert not (root / "invoices" / "2026-00003.html").exists()
    assert check_register(root) == []

    free_disk(monkeypatch)
    issue(run, root, "2026-01")
    assert numbers(root) == [f"2026-0000{i}" for i in range(1, 6)]
    assert check_register(root) == []


TERM_MID_RECORD = """
import os, signal, sys
import revcli.state.log
from revcli.cli import main
from tests.full_disk import FullDisk

class Slow(FullDisk):  # 20 bytes a write; SIGTERM (a real one) during the third
    def write(self, fd, data):
        self.room -= 1
        if self.room == 0:
            os.kill(os.getpid(), signal.SIGTERM)
        return os.write(fd, bytes(memoryview(data)[:20]))

revcli.state.log.os = Slow(3)
sys.argv = ["revcli", *sys.argv[1:]]
main()
"""


def test_sigterm_in_the_middle_of_a_record_cuts_it_off_and_exits_143(
    run: Run, tmp_path: Path
) -> None:
    root = five_contracts(tmp_path)
    args = ["invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-01"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-c", TERM_MID_RECORD, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (143, "interrupted (SIGTERM)\n")
    assert (root / "invoices" / "register.jsonl").read_bytes() == b""  # 40 bytes cut off
    assert check_register(root) == []  # and the first document, which it would have named
    issue(run, root, "2026-01")
    assert numbers(root) == [f"2026-0000{i}" for i in range(1, 6)]
    assert check_register(root) == []


# --- crash safety (a real process killed between two invoices) -----------------------------


def test_run_killed_between_two_invoices_is_completed_by_the_next_run(tmp_path: Path) -> None:
    root = five_contracts(tmp_path)
    proc = hooked_issue(root, "2026-01", "kill-after-record:2")
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert numbers(root) == ["2026-00001", "2026-00002"]
    assert check_register(root) == []  # what was recorded is consistent

    again = revcli_process("invoice", "issue", "--data", root, "--period", "2026-01")
    _, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert numbers(root) == [f"2026-0000{i}" for i in range(1, 6)]
    assert [r["contract_id"] for r in records(root)] == ["K1", "K2", "K3", "K4", "K5"]
    assert check_register(root) == []


def test_run_killed_after_a_document_but_before_its_record_reuses_no_number(
    run: Run, tmp_path: Path
) -> None:
    root = five_contracts(tmp_path)
    proc = hooked_issue(root, "2026-01", "kill-after-document:3")
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    # Two records; the third document exists but no record names it: check says so.
    assert numbers(root) == ["2026-00001", "2026-00002"]
    problems = [str(i) for i in check_register(root)]
    assert problems == [
        f"{root}/invoices/2026-00003.html: no record in the register names this document (left by "
        "an interrupted `revcli invoice issue`? run it again, or remove the file)"
    ]
    assert run("invoice", "check", "--data", root).exit_code == 1

    issue(run, root, "2026-01", "--date", INVOICE_TODAY)  # the killed run's day
    assert numbers(root) == [f"2026-0000{i}" for i in range(1, 6)]
    assert check_register(root) == []


def test_a_temporary_file_left_by_a_killed_write_is_removed_by_the_next_issue(
    run: Run, tmp_path: Path
) -> None:
    # A run killed inside write_atomic leaves `.NAME.xxxx.tmp`; today it stays for ever.
    root, _, _ = _issued(run, tmp_path)
    leftover = root / "invoices" / ".2026-00006.html.k9x2.tmp"
    leftover.write_text("<p>half")
    os.utime(leftover, (1_700_000_000, 1_700_000_000))  # long before the next run's lock
    issue(run, root, "2026-02")
    assert not leftover.exists()
    assert not [p.name for p in (root / "invoices").iterdir() if p.name.endswith(".tmp")]


def _children(pid: int) -> list[int]:
    """The processes ``pid`` has forked (the worker pool of a PDF run), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return sorted(found)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_pdf_run_killed_while_its_workers_render_leaves_no_lock_and_no_worker(
    tmp_path: Path,
) -> None:
    # 8 monthly contracts (K000..K007): January issued as html (2026-00001..8), then the
    # PDF run of February, 8 invoices: enough for the pool (MIN_BATCH 4). It is SIGKILLed
    # once all its workers exist: it holds the register's lock then. Before the fix the
    # workers held the lock too and waited for ever, so every later command hung.
    pytest.importorskip("weasyprint")
    from revcli.billing.parallel import MIN_BATCH, PARENT_CHECK_SECONDS, workers

    cores = workers()
    if cores < 2 or not Path("/proc/self/task").is_dir():
        pytest.skip("the pool needs two cores; finding its workers needs /proc")
    root = many_contracts(tmp_path, 8)
    assert MIN_BATCH <= 8
    january = revcli_process(
        "invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-15"
    )
    _, err = january.communicate(timeout=120)
    assert january.returncode == 0, err
    february = ("invoice", "issue", "--data", root, "--period", "2026-02", "--date", "2026-02-15")
    proc = revcli_process(*february, "--format", "pdf")
    pool: list[int] = []
    checking = None
    try:
        deadline = time.monotonic() + 60
        while len(pool) < cores and proc.poll() is None and time.monotonic() < deadline:
            pool = _children(proc.pid)
            time.sleep(0.01)
        assert len(pool) == cores, f"the pool did not start: {proc.poll()}"
        proc.kill()
        assert proc.wait(timeout=60) == -signal.SIGKILL

        checking = revcli_process("invoice", "check", "--data", root)
        checking.communicate(timeout=30)  # hung for ever before the fix
        assert checking.returncode in (0, 1)  # 1: a document written but not yet recorded

        deadline = time.monotonic() + 5 * PARENT_CHECK_SECONDS
        while any(_alive(pid) for pid in pool) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in pool if _alive(pid)] == []
    finally:  # never leave a hung process behind, whatever failed
        for pid in pool:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if checking is not None and checking.poll() is None:
            checking.kill()
            checking.communicate()
        proc.kill()
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):  # not read: the workers shared them
            if pipe is not None:
                pipe.close()

    again = revcli_process(*february, "--format", "pdf")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert [r["seq"] for r in records(root)] == list(range(1, 17))
    assert numbers(root) == [f"2026-{i:05d}" for i in range(1, 17)]
    assert [(r["contract_id"], r["period_start"]) for r in records(root)] == [
        (f"K00{i}", f"2026-{m:02d}-01") for m in (1, 2) for i in range(8)
    ]
    assert check_register(root) == []


# --- two runs at once ------------------------------------------------------------------------


def test_two_concurrent_runs_never_share_or_skip_a_number(tmp_path: Path) -> None:
    root = many_contracts(tmp_path, 8)
    slow = "sleep-per-invoice:0.05"  # keeps each run busy long enough for the other to wait
    procs = [
        hooked_issue(root, period, slow) for period in ("2026-01", "2026-02", "2026-01", "2026-03")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    issued = records(root)
    assert len(issued) == 24  # 8 contracts × 3 months, January once although run twice
    assert [r["seq"] for r in issued] == list(range(1, 25))
    assert Counter((r["contract_id"], r["period_start"]) for r in issued).most_common(1)[0][1] == 1
    assert check_register(root) == []


# --- tamper evidence ----------------------------------------------------------------------


def _issued(run: Run, tmp_path: Path) -> tuple[Path, Path, list[str]]:
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    path = root / "invoices" / "register.jsonl"
    return root, path, path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_hand_edited_amount_is_detected(run: Run, tmp_path: Path) -> None:
    root, path, lines = _issued(run, tmp_path)
    lines[1] = lines[1].replace('"total":"250.00"', '"total":"240.00"')
    path.write_text("".join(lines), encoding="utf-8")
    result = run("invoice", "check", "--data", root)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:2: hash: the record does not match its hash: it was edited by hand",
        f"{path}:2: total: does not agree with the lines: expected 250.00",
    ]


def test_deleted_record_is_detected_as_a_gap(run: Run, tmp_path: Path) -> None:
    root, path, lines = _issued(run, tmp_path)
    del lines[2]
    path.write_text("".join(lines), encoding="utf-8")
    assert [str(i) for i in check_register(root)][:2] == [
        f"{path}:3: prev_hash: does not match the previous record: a record was removed, "
        "inserted or moved",
        f"{path}:3: seq: 2026-00004: sequence 4 after 2 in series '2026-{{seq:05d}}' is a gap",
    ]


def test_reordered_records_are_detected(run: Run, tmp_path: Path) -> None:
    root, path, lines = _issued(run, tmp_path)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_text("".join(lines), encoding="utf-8")
    messages = [i.message for i in check_register(root)]
    assert any("a record was removed, inserted or moved" in m for m in messages)


def test_changed_or_missing_document_is_detected(run: Run, tmp_path: Path) -> None:
    root, path, _ = _issued(run, tmp_path)
    (root / "invoices" / "2026-00002.html").write_text("<p>paid</p>", encoding="utf-8")
    (root / "invoices" / "2026-00004.html").unlink()
    assert [str(i) for i in check_register(root)] == [
        f"{path}:2: document: {root}/invoices/2026-00002.html was changed after it was issued",
        f"{path}:4: document: '2026-00004.html' is missing from {root}/invoices",
    ]


def test_interrupted_last_write_is_reported(run: Run, tmp_path: Path) -> None:
    root, path, lines = _issued(run, tmp_path)
    path.write_text("".join(lines) + '{"kind":"invoi', encoding="utf-8")
    assert [str(i) for i in check_register(root)] == [
        f"{path}:6: the last line is incomplete (a write was interrupted); delete this line, "
        "then run `revcli invoice issue` again"
    ]


def test_duplicate_record_is_reported(run: Run, tmp_path: Path) -> None:
    root, path, lines = _issued(run, tmp_path)
    path.write_text("".join([*lines, lines[0]]), encoding="utf-8")
    messages = [i.message for i in check_register(root)]
    assert "2026-00001 appears twice; first on line 1" in messages
    assert "contract K1, period 2026-01-01 was already invoiced on line 1" in messages


def test_issue_refuses_to_continue_on_a_damaged_register(run: Run, tmp_path: Path) -> None:
    root, path, lines = _issued(run, tmp_path)
    path.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")
    result = run("invoice", "issue", "--data", root, "--period", "2026-02")
    assert result.exit_code == 1
    assert "nothing was done" in result.stderr
    assert len(read_register(root).entries) == 4


def test_validate_runs_the_register_check(run: Run, tmp_path: Path) -> None:
    root, path, lines = _issued(run, tmp_path)
    assert run("validate", "--data", root).exit_code == 0
    path.write_text("".join(lines[:4]), encoding="utf-8")
    (root / "invoices" / "2026-00005.html").unlink()
    (root / "invoices" / "HEAD").unlink()  # as a register written before HEAD existed
    assert run("validate", "--data", root).exit_code == 0  # a shorter register is still whole
    lines[0] = lines[0].replace('"C1"', '"C2"')
    path.write_text("".join(lines[:4]), encoding="utf-8")
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    assert (
        f"{path}:1: hash: the record does not match its hash: it was edited by hand"
        in result.stdout
    )


# --- HEAD: the register's end, recorded a second time -----------------------------------------


def test_deleting_the_last_records_is_detected_by_head(run: Run, tmp_path: Path) -> None:
    # Five invoices issued: HEAD says 5 records. Cutting the last two (and their documents)
    # leaves a chain that is whole by itself; only HEAD shows that 2 are gone.
    root, path, lines = _issued(run, tmp_path)
    head = root / "invoices" / "HEAD"
    assert head.read_text().split(" ")[0] == "5"
    path.write_text("".join(lines[:3]), encoding="utf-8")
    for n in (4, 5):
        (root / "invoices" / f"2026-0000{n}.html").unlink()
    result = run("invoice", "check", "--data", root)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{head}:1: records 5 records, but {path} has 3: records were deleted; restore them "
        "from git"
    ]


def test_deleting_the_whole_register_is_detected_by_head(run: Run, tmp_path: Path) -> None:
    # Five invoices issued, then register.jsonl deleted: HEAD still says 5 records, and the
    # five documents are named by no record. Before the fix `check` said "No invoice
    # register yet" and exited 0, while validate, list, export and credit refused.
    root, path, _ = _issued(run, tmp_path)
    path.unlink()
    head = root / "invoices" / "HEAD"
    result = run("invoice", "check", "--data", root)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{root}/invoices/2026-0000{n}.html: no record in the register names this document "
        "(left by an interrupted `revcli invoice issue`? run it again, or remove the file)"
        for n in range(1, 6)
    ] + [
        f"{head}:1: records 5 records, but {path} has 0: records were deleted; restore them "
        "from git"
    ]
    assert result.stderr == "6 problems in the invoice register.\n"
    assert run("validate", "--data", root).exit_code == 1  # as validate says


def test_head_naming_another_last_record_is_detected(run: Run, tmp_path: Path) -> None:
    # The last record replaced by a re-issued one with a valid chain: HEAD's hash differs.
    root, _, _ = _issued(run, tmp_path)
    head = root / "invoices" / "HEAD"
    head.write_text("5 " + "0" * 64 + "\n")
    assert [str(i) for i in check_register(root)] == [
        f"{head}:1: record 5 of {root}/invoices/register.jsonl is not the one HEAD names: the "
        "register was rewritten; restore it from git"
    ]
    head.write_text("five\n")
    assert [i.message for i in check_register(root)] == [
        "is not 'COUNT HASH' (was it edited?); restore it from git"
    ]


def test_a_fifo_as_head_is_named_for_what_it_is(run: Run, tmp_path: Path) -> None:
    # Before: "is not 'COUNT HASH' (was it edited?)", as if it were a file of bad text.
    root, _, _ = _issued(run, tmp_path)
    head = root / "invoices" / "HEAD"
    head.unlink()
    os.mkfifo(head)
    result = run("invoice", "check", "--data", root)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"{head}: is a named pipe (FIFO), expected a file"]


def test_register_without_head_stays_valid_and_gets_one_on_the_next_issue(
    run: Run, tmp_path: Path
) -> None:
    root, path, _ = _issued(run, tmp_path)
    head = root / "invoices" / "HEAD"
    head.unlink()
    assert check_register(root) == []
    issue(run, root, "2026-02")
    last = json.loads(path.read_text().splitlines()[-1])
    assert head.read_text() == f"10 {last['hash']}\n"
    assert check_register(root) == []


def test_head_behind_the_register_is_accepted(run: Run, tmp_path: Path) -> None:
    # A run killed after appending record 5 but before writing HEAD leaves HEAD at 4:
    # the register extends it, so it is valid (the next issue brings HEAD up to date).
    root, path, _ = _issued(run, tmp_path)
    fourth = json.loads(path.read_text().splitlines()[3])
    (root / "invoices" / "HEAD").write_text(f"4 {fourth['hash']}\n")
    assert check_register(root) == []


def test_check_without_a_register_is_clean(run: Run, tmp_path: Path) -> None:
    root = five_contracts(tmp_path)
    result = run("invoice", "check", "--data", root)
    assert (result.exit_code, result.stdout) == (0, "")
    assert "No invoice register yet" in result.stderr


def test_check_of_one_document_says_one_document(run: Run, tmp_path: Path) -> None:
    root = one_contract(tmp_path)
    issue(run, root, "2026-01", "--format", "html")
    result = run("invoice", "check", "--data", root)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"{root}/invoices/register.jsonl: 1 document, all consistent.\n"


def test_a_document_that_cannot_be_written_leaves_none_of_its_files(
    run: Run, tmp_path: Path
) -> None:
    # The e-invoice's path is a folder: its face was written first, and stayed behind with
    # no record naming it, so `invoice check` failed until the next issue removed it.
    root = one_contract(tmp_path)
    (root / "invoices" / "2026-00001.xml").mkdir(parents=True)
    both = ("--format", "html", "--format", "xml")
    result = run("invoice", "issue", "--data", root, "--period", "2026-01", *both)
    assert result.exit_code == 1
    assert "2026-00001.xml" in result.stderr
    assert sorted(p.name for p in (root / "invoices").iterdir()) == [".lock", "2026-00001.xml"]
    (root / "invoices" / "2026-00001.xml").rmdir()
    assert run("invoice", "check", "--data", root).exit_code == 0


def test_check_reads_the_register_once(run: Run, tmp_path: Path) -> None:
    # `invoice check` verifies the register, then checks the e-invoices of its entries
    # against the Peppol rules: one read of register.jsonl serves both (it read it twice).
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01", "--format", "xml")
    checking = counting_opens("register.jsonl", "invoice", "check", "--data", root)
    out, err = checking.communicate(timeout=120)
    assert checking.returncode == 0, err
    # the buyer has no Peppol address: a warning per e-invoice, so all five were checked
    assert out.splitlines() == [
        f"warning: {root}/invoices/2026-0000{n}.xml: PEPPOL-EN16931-R010: the buyer's "
        "electronic address (EndpointID with schemeID) is missing"
        for n in range(1, 6)
    ]
    assert err.splitlines() == [
        f"{root}/invoices/register.jsonl: 5 documents, all consistent.",
        "5 Peppol findings in the e-invoices (warnings: fix the data before sending them "
        "through Peppol).",
        "opened register.jsonl: 1",
    ]


def test_check_of_a_damaged_register_reads_it_once_too(run: Run, tmp_path: Path) -> None:
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01", "--format", "xml")
    path = root / "invoices" / "register.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")  # record 3 removed
    checking = counting_opens("register.jsonl", "invoice", "check", "--data", root)
    out, err = checking.communicate(timeout=120)
    assert checking.returncode == 1
    assert out.splitlines()[0] == (
        f"{path}:3: prev_hash: does not match the previous record: a record was removed, "
        "inserted or moved"
    )
    assert err.splitlines()[-2:] == [
        f"{len(out.splitlines())} problems in the invoice register.",
        "opened register.jsonl: 1",
    ]


# --- credit notes -----------------------------------------------------------------------------


def credit(run: Run, root: Path, *args: str) -> tuple[int, str, str]:
    result = run("invoice", "credit", *args, "--data", root, "--date", "2026-01-20")
    return result.exit_code, result.stdout, result.stderr


class HeadDiskFull:
    """``tempfile`` for :mod:`revcli.output.files` on a disk that fills once the register's
    record is written: making the temporary file of HEAD fails with ENOSPC."""

    def __getattr__(self, name: str) -> Any:
        return getattr(tempfile, name)

    def mkstemp(self, *args: Any, prefix: str = "", **options: Any) -> tuple[int, str]:
        if prefix.startswith(".HEAD."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return tempfile.mkstemp(*args, prefix=prefix, **options)


def test_a_credit_note_recorded_before_a_failure_is_said_to_be_issued(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: only `error: cannot write …/HEAD: No space left on device`; the person took
    # the credit note as not issued, yet 2026-00006 was in the register.
    root, _, _ = _issued(run, tmp_path)
    monkeypatch.setattr(revcli.output.files, "tempfile", HeadDiskFull())
    code, out, err = credit(run, root, "2026-00003", "--reason", "Duplicate seats")
    assert (code, out) == (1, "")
    assert err == (
        "Issued and recorded before the run stopped: credit note 2026-00006; invoice "
        "2026-00003 is credited by it.\n"
        f"error: cannot write {root}/invoices/HEAD: No space left on device\n"
    )
    assert numbers(root)[-1] == "2026-00006"
    monkeypatch.undo()
    assert check_register(root) == []  # a register longer than HEAD is whole
    assert credit(run, root, "2026-00003", "--reason", "Again")[0] == 2  # fully credited


@pytest.mark.parametrize("lines", ["", " ", ","])
def test_credit_with_lines_naming_no_line_is_a_usage_error(
    run: Run, tmp_path: Path, lines: str
) -> None:
    # Before: an empty --lines credited every line of the invoice.
    root, path, before = _issued(run, tmp_path)
    code, out, err = credit(run, root, "2026-00003", "--lines", lines, "--reason", "Seats")
    assert (code, out) == (2, "")
    assert (
        f"--lines {lines!r} names no line id: give ids such as --lines 1,3, or leave --lines "
        "out to credit every line not yet credited"
    ) in " ".join(err.split())
    assert path.read_text(encoding="utf-8").splitlines(keepends=True) == before


def test_credit_note_references_the_original_which_stays_unchanged(
    run: Run, tmp_path: Path
) -> None:
    root, path, lines = _issued(run, tmp_path)
    code, _, err = credit(run, root, "2026-00003", "--reason", "Duplicate seats")
    assert code == 0, err
    after = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert after[:5] == lines  # the originals are byte for byte the same
    note = json.loads(after[5])
    # Same series, next number; K3 was 3 × 100.00 + 25 % = 375.00.
    assert (note["number"], note["kind"], note["credits"]) == (
        "2026-00006",
        "credit_note",
        "2026-00003",
    )
    assert (note["net"], note["tax"], note["total"]) == ("-300.00", "-75.00", "-375.00")
    assert (note["issue_date"], note["reason"]) == ("2026-01-20", "Duplicate seats")
    assert (root / "invoices" / "2026-00006.html").is_file()
    assert check_register(root) == []


def test_credit_of_some_lines_then_the_rest_then_nothing_left(run: Run, tmp_path: Path) -> None:
    contracts = "contract_id,customer_id,start_date\nK1,C1,2026-01-01\n"
    lines = LINES + "K1,1,A,1,100,month,,,,\nK1,2,B,1,0.50,month,,,,\n"
    root = billing_dir(tmp_path, contracts, lines)
    issue(run, root, "2026-01")
    code, _, _ = credit(run, root, "2026-00001", "--lines", "2", "--reason", "Not delivered")
    assert code == 0
    # −0.50 × 25 % = −0.125 → −0.13.
    assert (records(root)[1]["net"], records(root)[1]["tax"]) == ("-0.50", "-0.13")
    code, _, err = credit(run, root, "2026-00001", "--lines", "2", "--reason", "Again")
    assert code == 2
    assert "line 2 of 2026-00001 is already credited" in err
    assert credit(run, root, "2026-00001", "--reason", "The rest")[0] == 0
    assert [line["line_id"] for line in records(root)[2]["lines"]] == ["1"]  # type: ignore[index]
    code, _, err = credit(run, root, "2026-00001", "--reason", "More")
    assert (code, "is already fully credited" in err) == (2, True)
    assert check_register(root) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2026-00009", "--reason", "x"), "there is no issued invoice 2026-00009"),
        (("2026-00001", "--lines", "7", "--reason", "x"), "invoice 2026-00001 has no line 7"),
        (("2026-00001", "--reason", " "), "--reason must say why the invoice is credited"),
    ],
)
def test_credit_usage_errors(run: Run, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    code, _, err = credit(run, root, *args)
    assert (code, message in err) == (2, True)


def test_a_credit_note_cannot_be_credited(run: Run, tmp_path: Path) -> None:
    root = five_contracts(tmp_path)
    issue(run, root, "2026-01")
    credit(run, root, "2026-00001", "--reason", "x")
    code, _, err = credit(run, root, "2026-00006", "--reason", "y")
    assert (code, "2026-00006 is a credit note" in err) == (2, True)


def test_credit_note_is_never_dated_before_its_invoice(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The January run dates invoices 2026-01-01. An explicit earlier --date is refused.
    root, _, _ = _issued(run, tmp_path)
    refused = run(
        "invoice", "credit", "2026-00001", "--data", root, "--reason", "x", "--date", "2025-12-15"
    )
    assert refused.exit_code == 2
    assert "cannot precede the invoice" in refused.stderr
    # SPEC §7 (second edition): never dated in the future, so an invoice dated in advance
    # (first edition) is credited on or after its date
    monkeypatch.setattr("revcli.cli.options.today", lambda: dt.date(2025, 12, 15))
    early = run("invoice", "credit", "2026-00001", "--data", root, "--reason", "Wrong seats")
    assert early.exit_code == 2
    assert "dated in advance: credit it on or after 2026-01-01" in early.stderr
    monkeypatch.setattr("revcli.cli.options.today", lambda: dt.date(2026, 1, 1))
    done = run("invoice", "credit", "2026-00001", "--data", root, "--reason", "Wrong seats")
    assert done.exit_code == 0, done.stderr
    note = read_register(root).entries[-1]
    assert note.invoice.issue_date == dt.date(2026, 1, 1)
    assert check_register(root) == []


def test_an_interrupt_after_the_record_is_on_disk_keeps_its_document(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C arrives while the new register's folder is made durable: the first record is
    # whole on disk, so its document must stay (removing it left a record naming a missing
    # file), and the run says the invoice was issued.
    root = five_contracts(tmp_path)
    register = root / "invoices" / "register.jsonl"
    fsync, raised = os.fsync, []

    def interrupted_fsync(fd: int) -> None:
        if not raised and register.exists() and stat.S_ISDIR(os.fstat(fd).st_mode):
            raised.append(fd)
            raise KeyboardInterrupt
        fsync(fd)

    monkeypatch.setattr(os, "fsync", interrupted_fsync)
    result = run(
        "invoice",
        "issue",
        "--data",
        root,
        "--period",
        "2026-01",
        "--date",
        "2026-01-01",
        "--format",
        "html",
    )
    monkeypatch.undo()
    assert raised and result.exit_code == 130
    assert result.stderr.startswith(
        "Issued and recorded before the run stopped: invoice 2026-00001;"
    )
    assert numbers(root) == ["2026-00001"]
    assert (root / "invoices" / "2026-00001.html").is_file()
    assert check_register(root) == []


def test_the_number_series_is_the_issue_dates_year_not_the_periods(
    run: Run, tmp_path: Path
) -> None:
    # {year} is the issue date's year (docs/invoicing.md, "Numbering"): January 2027 billed
    # in advance on today, 2026-12-20, is the first number of the 2026 series, not 2027's.
    root = one_contract(tmp_path)
    issue(run, root, "2027-01")
    assert [(r["number"], r["issue_date"], r["period_start"]) for r in records(root)] == [
        ("2026-00001", "2026-12-20", "2027-01-01")
    ]
