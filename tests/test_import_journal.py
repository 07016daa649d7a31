"""An import killed (SIGKILL) between the renames of its files, with real processes: the
next command that reads the data dir completes it from the journal, so the data dir is
the fully imported one byte for byte; a journal cut short is cleared, leaving the data
dir as it was; a data dir revcli cannot write, and one read at a git revision, are left
as they are."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, Run
from tests.gitrepo import GitRepo
from tests.test_import_safety import export

JOURNAL = ".revcli-import-journal"
EUR_ROW = "pro_e,Pro,EUR,10000,month,1,cB,cB AS,,s-cB,2026-02-01,,1\n"
FILES = "contracts/baremetrics.yaml, customers.csv, fx_rates.csv"
COMPLETED = "an import was interrupted before all its files were in place; completed it"
CLEARED = (
    "an import was interrupted before it changed any file; removed its journal and temporary files"
)


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (``None``) under ``root``; a temporary file
    ``.NAME.TOKEN.xxxx.tmp`` is shown as ``.NAME.tmp``."""
    return {
        re.sub(r"\.[0-9a-f]{16}\.[^/]*\.tmp$", ".tmp", str(p.relative_to(root))): (
            p.read_bytes() if p.is_file() else None
        )
        for p in sorted(root.rglob("*"))
    }


class Scene:
    """A data dir ``data`` holding customer c0 (imported), and the second import: it adds
    customer cB with a EUR subscription and its rate, so it writes three files, in this
    order: contracts/baremetrics.yaml, customers.csv and fx_rates.csv (new)."""

    def __init__(self, run: Run, tmp_path: Path, root: Path | None = None) -> None:
        self.root = root or tmp_path / "data"
        self.cwd = tmp_path
        first = export(tmp_path, "0.csv", "c0")
        done = run("import", "baremetrics", first, "--data", self.root, "--country", "NO")
        assert done.exit_code == 0, done.stderr
        self.export = export(tmp_path, "1.csv", "c0")
        with self.export.open("a", encoding="utf-8") as f:
            f.write(EUR_ROW)
        self.fx = tmp_path / "fx.csv"
        self.fx.write_text("date,currency,rate\n2026-01-01,EUR,11.5\n", encoding="utf-8")
        self.before = snapshot(self.root)
        # The fully imported data dir: the same import, not interrupted, into a copy.
        full = tmp_path / "full"
        shutil.copytree(self.root, full)
        done = run("import", *self.import_args(), "--data", full)
        assert done.exit_code == 0, done.stderr
        self.full = snapshot(full)
        # What `validate` says of it: warnings (no IBAN and BIC for EUR invoices).
        checked = run("validate", "--data", full)
        assert (checked.exit_code, checked.stderr) == (0, "")
        self.warnings = checked.stdout.replace(str(full), str(self.root))

    def import_args(self) -> list[str | Path]:
        return ["baremetrics", self.export, "--country", "NO", "--fx-rates", self.fx]

    def killed(self, hook: str) -> None:
        """The second import in a real process, SIGKILLed at ``hook``."""
        killed_import(hook, self.root, self.export, self.fx, cwd=self.cwd)

    def half_imported(self) -> dict[str, bytes | None]:
        """The data dir's files after the second import was killed between its first and
        second rename."""
        self.killed("kill-after-rename:1")
        return snapshot(self.root)


def killed_import(hook: str, root: Path, export: Path, fx: Path | str, *, cwd: Path) -> None:
    """An import of ``export`` (and ``fx``, or none when ``""``) into ``root`` in a real
    process (:mod:`tests.hooked_import`), SIGKILLed at ``hook``."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.hooked_import", hook, root, export, fx],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def test_a_data_dir_named_relative_to_the_current_folder(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `--data data`: the journal names the files relative to the data dir (the temporary
    # files too, which the system names by their absolute paths), and the message names
    # the data dir as the user wrote it.
    monkeypatch.chdir(tmp_path)
    scene = Scene(run, tmp_path, root=Path("data"))
    scene.killed("kill-after-rename:1")
    result = run("validate", "--data", "data")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"data: {COMPLETED} ({FILES})\n"
    assert snapshot(tmp_path / "data") == scene.full


def test_a_kill_between_two_renames_leaves_half_the_files_and_the_journal(
    run: Run, tmp_path: Path
) -> None:
    # Killed after the first rename: contracts/baremetrics.yaml is the new one,
    # customers.csv the old one and fx_rates.csv not there yet; the two new files wait
    # in their (whole) temporary files, and the complete journal names all three.
    scene = Scene(run, tmp_path)
    half = scene.half_imported()
    journal = half.pop(JOURNAL)
    assert half == {
        ".customers.csv.tmp": scene.full["customers.csv"],
        ".fx_rates.csv.tmp": scene.full["fx_rates.csv"],
        "contracts": None,
        "contracts/baremetrics.yaml": scene.full["contracts/baremetrics.yaml"],
        "customers.csv": scene.before["customers.csv"],
        "revcli.yaml": scene.before["revcli.yaml"],
    }
    assert journal is not None
    lines = journal.decode().splitlines()
    assert [re.search(r'"target": "([^"]+)"', line)[1] for line in lines[1:-1]] == [  # type: ignore[index]
        "contracts/baremetrics.yaml",
        "customers.csv",
        "fx_rates.csv",
    ]
    assert lines[-1].startswith('{"end": 3, "sha256": "')


def _beside_a_paused_import(
    scene: Scene, hook: str, command: list[str | Path]
) -> tuple[int, str, str]:
    """Run ``revcli COMMAND --data ROOT`` (a real process) while an import into the data
    dir is paused at ``hook`` (:mod:`tests.hooked_import`), holding the data dir's lock;
    check that the command says it waits, then let the import go on. Returns the import's
    exit code, and the command's stdout and the rest of its stderr."""
    root = scene.root
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    args = [sys.executable, "-m", "tests.hooked_import", hook, root, scene.export, scene.fx]
    importer = subprocess.Popen(args, cwd=scene.cwd, env=env, stderr=subprocess.PIPE, text=True)
    paused = root.with_name("data.paused")
    deadline = time.monotonic() + 60
    while not paused.exists() and importer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert paused.exists(), importer.communicate()
    reader = subprocess.Popen(
        [sys.executable, "-m", "revcli", *command, "--data", root],
        cwd=scene.cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stderr is not None
        told = reader.stderr.readline()  # blocks until the command says why it waits
        assert told == f"waiting for another revcli run to release {root} …\n"
        assert reader.poll() is None
    finally:
        root.with_name("data.go").touch()
    out, rest = reader.communicate(timeout=120)
    importer.wait(timeout=120)
    assert reader.returncode == 0, rest
    return importer.returncode, out, rest


@pytest.mark.parametrize(
    "hook",
    [
        # planned, nothing written yet, no journal: a read would race the renames
        "pause-before-write",
        # every temporary file written, the journal not yet complete
        "pause-after-temporary:3",
        # between the first and second rename: contracts/baremetrics.yaml is new,
        # customers.csv still old (a contract of a customer that is not there yet)
        "pause-after-rename:1",
    ],
)
def test_a_command_waits_for_an_import_that_is_running(run: Run, tmp_path: Path, hook: str) -> None:
    # `validate` waits, and once the import is done sees all of it: the warnings of the
    # fully imported data, and no completion of an interrupted import.
    scene = Scene(run, tmp_path)
    done, out, rest = _beside_a_paused_import(scene, hook, ["validate"])
    assert (done, out, rest) == (0, scene.warnings, "")
    assert snapshot(scene.root) == scene.full


@pytest.mark.parametrize(
    ("command", "after"),
    [
        (["validate"], []),
        # a dry run too (it holds the lock shared, as a reading command)
        (["IMPORT", "--dry-run"], ["dry run: nothing was written"]),
    ],
)
def test_a_command_that_waited_for_an_import_killed_meanwhile_completes_it_first(
    run: Run, tmp_path: Path, command: list[str], after: list[str]
) -> None:
    # The import the command waits for is killed between its renames. The command, once
    # it has the lock, finds the journal, completes the import (naming the data dir),
    # and reads the whole of it.
    scene = Scene(run, tmp_path)
    args = [
        a for c in command for a in (["import", *scene.import_args()] if c == "IMPORT" else [c])
    ]
    hook = "pause-before-write,kill-after-rename:1"
    killed, out, rest = _beside_a_paused_import(scene, hook, args)
    assert killed == -signal.SIGKILL
    lines = rest.splitlines()
    assert lines[0] == f"{scene.root}: {COMPLETED} ({FILES})"
    assert lines[len(lines) - len(after) :] == after
    assert len(lines) > 1 or not after
    assert not any(COMPLETED in line or "journal" in line for line in lines[1:])
    assert out == (scene.warnings if command == ["validate"] else "")
    assert snapshot(scene.root) == scene.full


@pytest.mark.parametrize(
    ("hook", "command"),
    [
        # between two renames; the next command only reads (validate prints nothing else)
        ("kill-after-rename:1", ["validate"]),
        # the journal complete, no file renamed yet: all three are renamed by a report
        ("kill-after-journal:2", ["mrr", "--as-of", "2026-12-06", "--format", "csv"]),
        # after the last rename, before the journal was removed; the next import
        # completes it first, then finds nothing to change
        ("kill-after-rename:3", ["import", "IMPORT"]),
        # a dry run completes it too (under the lock an import writes with), then shows
        # an empty diff
        ("kill-after-rename:2", ["import", "IMPORT", "--dry-run"]),
    ],
)
def test_the_next_command_completes_an_import_killed_between_its_renames(
    run: Run, tmp_path: Path, hook: str, command: list[str]
) -> None:
    scene = Scene(run, tmp_path)
    scene.killed(hook)
    args = [a for c in command for a in (scene.import_args() if c == "IMPORT" else [c])]
    result = run(*args, "--data", scene.root)
    assert result.exit_code == 0, result.stderr
    first, *rest = result.stderr.splitlines()
    assert first == f"{scene.root}: {COMPLETED} ({FILES})"
    if command == ["validate"]:
        assert (result.stdout, rest) == (scene.warnings, [])
    if command[0] == "import":
        assert rest[-1] == (
            "dry run: nothing was written" if "--dry-run" in command else "nothing changed"
        )
        assert result.stdout == ""  # the dry run's diff: nothing to change
    assert snapshot(scene.root) == scene.full
    again = run("validate", "--data", scene.root)  # done once: the next run says nothing
    assert (again.exit_code, again.stdout, again.stderr) == (0, scene.warnings, "")


@pytest.mark.parametrize(
    ("hook", "keep"),
    [
        # killed while its temporary files were written: the journal has its first line
        # only, and two of the three temporary files exist
        ("kill-after-temporary:2", None),
        # its entries and end line written but lost by a power cut before they reached
        # the disk: only part of the end line is there
        ("kill-after-journal:2", -10),
        # created, but its first line lost: nothing else had been written yet
        ("kill-after-journal:1", 0),
    ],
)
def test_a_journal_cut_short_is_cleared_and_the_data_dir_stays_as_it_was(
    run: Run, tmp_path: Path, hook: str, keep: int | None
) -> None:
    scene = Scene(run, tmp_path)
    scene.killed(hook)
    journal = scene.root / JOURNAL
    if keep is not None:
        journal.write_bytes(journal.read_bytes()[:keep])
    left = snapshot(scene.root)
    assert left != scene.before  # the journal, and temporary files but for the last case
    result = run("mrr", "--as-of", "2026-12-06", "--format", "csv", "--data", scene.root)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"{scene.root}: {CLEARED}\n"
    assert snapshot(scene.root) == scene.before


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """``folder`` as a folder this process cannot change: read-only for a user; for root,
    whom permissions do not stop, immutable (``chattr +i``, where the file system has it)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        pytest.skip("root and no chattr: no folder root cannot write")
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {made.stderr!r}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_data_dir_it_cannot_write_is_a_clear_error_and_is_left_as_it_is(
    run: Run, tmp_path: Path
) -> None:
    scene = Scene(run, tmp_path)
    half = scene.half_imported()
    with unwritable(scene.root):
        result = run("mrr", "--as-of", "2026-12-06", "--format", "csv", "--data", scene.root)
        assert result.exit_code == 1
        assert re.fullmatch(
            f"error: {scene.root}: an import was interrupted before all its files were in "
            f"place; completing it failed: cannot write {scene.root}/customers.csv: "
            f"(Permission denied|Operation not permitted); run revcli as a user who can "
            f"write {scene.root} to complete it\n",
            result.stderr,
        ), result.stderr
        assert result.stdout == ""
        assert snapshot(scene.root) == half
    # Once it can write the data dir, the next command completes the import.
    result = run("validate", "--data", scene.root)
    assert result.exit_code == 0, result.stderr
    assert snapshot(scene.root) == scene.full


def test_a_data_dir_it_cannot_write_without_a_journal_is_only_read(
    run: Run, tmp_path: Path
) -> None:
    scene = Scene(run, tmp_path)
    with unwritable(scene.root):
        result = run("validate", "--data", scene.root)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_reading_a_git_revision_never_completes_or_writes(run: Run, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    scene = Scene(run, tmp_path, root=repo.data)
    repo.commit("c0", "2026-12-01T12:00:00+00:00")
    half = scene.half_imported()
    at_head = run(
        "mrr", "--rev", "HEAD", "--as-of", "2026-12-06", "--format", "csv", "--data", scene.root
    )
    assert at_head.exit_code == 0, at_head.stderr
    assert at_head.stderr == ""
    assert snapshot(scene.root) == half
    # The working tree is completed by the first command that reads it.
    assert run("validate", "--data", scene.root).exit_code == 0
    assert snapshot(scene.root) == scene.full


def test_files_put_back_by_an_interrupted_undo_are_finished_by_the_next_command(
    run: Run, tmp_path: Path
) -> None:
    # Ctrl-C after the second rename: the import puts contracts/baremetrics.yaml and
    # customers.csv back through a journal of their old bytes, and is killed right after
    # writing it. The next command finishes putting them back (in the undo's order) and
    # removes fx_rates.csv's temporary file: the data dir is as before the import.
    scene = Scene(run, tmp_path)
    scene.killed("interrupt-after-rename:2,kill-after-undo:1")
    result = run("validate", "--data", scene.root)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"{scene.root}: an import was interrupted while its files were put back; put back "
        "the old files (customers.csv, contracts/baremetrics.yaml)\n"
    )
    assert snapshot(scene.root) == scene.before


def test_a_file_changed_after_the_kill_stops_the_completion(run: Run, tmp_path: Path) -> None:
    # contracts/baremetrics.yaml, renamed into place before the kill, is edited by hand:
    # it is neither the import's new file nor its temporary file, so nothing is done.
    scene = Scene(run, tmp_path)
    scene.killed("kill-after-rename:1")
    with (scene.root / "contracts" / "baremetrics.yaml").open("a") as f:
        f.write("# a hand edit\n")
    half = snapshot(scene.root)
    result = run("mrr", "--as-of", "2026-12-06", "--format", "csv", "--data", scene.root)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {scene.root}: an import was interrupted before all its files were in place, "
        f"and {scene.root}/contracts/baremetrics.yaml is not the file it wrote (was it changed "
        f"since?): check the data dir's files (restore them from git), then delete "
        f"{scene.root}/{JOURNAL} and the temporary files (.NAME.….tmp) it names\n"
    )
    assert snapshot(scene.root) == half


def test_a_journal_that_names_a_file_outside_the_data_dir_is_refused(
    run: Run, tmp_path: Path
) -> None:
    # A complete journal (its end line counts one entry and hashes the lines before it)
    # committed to a repository by someone else, naming ../outside.txt: nothing is renamed.
    scene = Scene(run, tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("mine\n")
    temp = tmp_path / ".outside.txt.0123456789abcdef.x.tmp"
    temp.write_text("theirs\n")
    theirs = hashlib.sha256(temp.read_bytes()).hexdigest()
    body = (
        '{"journal": "revcli", "version": 1, "token": "0123456789abcdef", "undo": false}\n'
        '{"target": "../outside.txt", "temp": "../.outside.txt.0123456789abcdef.x.tmp", '
        f'"sha256": "{theirs}"}}\n'
    )
    end = f'{{"end": 1, "sha256": "{hashlib.sha256(body.encode()).hexdigest()}"}}\n'
    (scene.root / JOURNAL).write_text(body + end)
    result = run("validate", "--data", scene.root)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {scene.root}: an import was interrupted before all its files were in place, "
        f"and its journal {scene.root}/{JOURNAL} cannot be used: {NOT_AN_IMPORTS}\n"
    )
    assert (outside.read_text(), temp.read_text()) == ("mine\n", "theirs\n")


NOT_AN_IMPORTS = (
    "it names a file that an import does not write (one outside the data dir, or under a "
    "folder such as .git) or no temporary file of this import's, so revcli did not write "
    "it: delete it"
)
TOKEN = "0123456789abcdef"


def complete_journal(*entries: tuple[str, str | None, bytes]) -> bytes:
    """A complete journal (as revcli writes one: header, entries, the end line counting
    and hashing them) of (target, temporary file, the bytes it brings)."""
    body = f'{{"journal": "revcli", "version": 1, "token": "{TOKEN}", "undo": false}}\n'
    for target, temp, data in entries:
        digest = hashlib.sha256(data).hexdigest()
        body += json.dumps({"target": target, "temp": temp, "sha256": digest}) + "\n"
    end = {"end": len(entries), "sha256": hashlib.sha256(body.encode()).hexdigest()}
    return (body + json.dumps(end) + "\n").encode()


def refused(run: Run, root: Path, why: str) -> None:
    """``validate`` refuses the journal in ``root`` with one line saying ``why``."""
    result = run("validate", "--data", root)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {root}: an import was interrupted before all its files were in place, "
        f"and its journal {root}/{JOURNAL} cannot be used: {why}\n"
    )


def test_a_journal_that_came_with_a_clone_never_touches_git(run: Run, tmp_path: Path) -> None:
    # A journal committed to a repository, naming .git/HEAD (whose bytes anyone can guess)
    # as a file to remove, and a worktree's .git file to replace: only the files an import
    # writes may be named, so `validate` refuses it and .git is as it was.
    repo = GitRepo(tmp_path / "repo", data="")
    shutil.copytree(ROOT / "sample_data", repo.path, dirs_exist_ok=True)
    head = (repo.path / ".git" / "HEAD").read_bytes()
    (repo.path / f"..git.{TOKEN}.x.tmp").write_text("gitdir: elsewhere\n")
    (repo.path / JOURNAL).write_bytes(
        complete_journal(
            (".git/HEAD", None, head), (".git", f"..git.{TOKEN}.x.tmp", b"gitdir: elsewhere\n")
        )
    )
    refused(run, repo.path, NOT_AN_IMPORTS)
    assert (repo.path / ".git" / "HEAD").read_bytes() == head
    assert (repo.path / JOURNAL).exists()


def test_a_journal_never_reaches_through_a_symlinked_folder(run: Run, tmp_path: Path) -> None:
    # contracts/ is a symbolic link to a folder outside the data dir (git checks symlinks
    # out as they are): a journal naming contracts/x.yaml, a file an import may write,
    # would remove the file outside. It is refused; the file stays.
    root = tmp_path / "data"
    shutil.copytree(ROOT / "sample_data", root)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text("precious\n")
    shutil.rmtree(root / "contracts", ignore_errors=True)
    (root / "contracts").symlink_to(outside, target_is_directory=True)
    (root / JOURNAL).write_bytes(complete_journal(("contracts/x.yaml", None, b"precious\n")))
    refused(
        run,
        root,
        f"it names a file under {root}/contracts, which is not a folder of the data dir "
        "(a symbolic link?): delete it",
    )
    assert (outside / "x.yaml").read_text() == "precious\n"


@pytest.mark.parametrize(
    "line",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the JSON reader's recursion
        b'{"target": "customers\\ud800.csv", "temp": null, "sha256": "' + b"0" * 64 + b'"}',
    ],
    ids=["nested", "lone-surrogate"],
)
def test_a_malformed_journal_is_refused_in_one_line(run: Run, tmp_path: Path, line: bytes) -> None:
    # A line nested 100,000 deep, or a path holding a lone surrogate (no file name can hold
    # one), gave an internal error; each is now a journal revcli did not write.
    root = tmp_path / "data"
    shutil.copytree(ROOT / "sample_data", root)
    header = f'{{"journal": "revcli", "version": 1, "token": "{TOKEN}", "undo": false}}\n'
    body = header.encode() + line + b"\n"
    end = {"end": 1, "sha256": hashlib.sha256(body).hexdigest()}
    (root / JOURNAL).write_bytes(body + json.dumps(end).encode() + b"\n")
    result = run("validate", "--data", root)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    if line.startswith(b"["):  # not an entry at all: a journal cut short, cleared
        assert (result.exit_code, result.stderr) == (0, f"{root}: {CLEARED}\n")
    else:
        assert result.exit_code == 1
        assert NOT_AN_IMPORTS in result.stderr


def test_a_temporary_file_must_carry_the_journal_s_token(run: Run, tmp_path: Path) -> None:
    # Every temporary file of an import carries the token of its journal's first line: a
    # journal naming another (here one an earlier import left) was not written for it.
    root = tmp_path / "data"
    shutil.copytree(ROOT / "sample_data", root)
    temp = ".customers.csv.fedcba9876543210.x.tmp"
    (root / temp).write_text("customer_id,name\n")
    (root / JOURNAL).write_bytes(complete_journal(("customers.csv", temp, b"customer_id,name\n")))
    before = (root / "customers.csv").read_bytes()
    refused(run, root, NOT_AN_IMPORTS)
    assert (root / "customers.csv").read_bytes() == before


def test_a_first_import_into_a_new_folder_killed_is_completed_by_the_next_import(
    run: Run, tmp_path: Path
) -> None:
    # The first import into a new folder, killed after its first rename: the folder holds
    # part of a data dir and no revcli.yaml yet. The next import is not refused as "not a
    # data dir and not empty": it completes the first, then imports (nothing new).
    root = tmp_path / "new"
    first = export(tmp_path, "0.csv", "c0")
    killed_import("kill-after-rename:1", root, first, "", cwd=tmp_path)
    assert (root / JOURNAL).exists() and not (root / "revcli.yaml").exists()
    again = run("import", "baremetrics", first, "--data", root, "--country", "NO")
    assert again.exit_code == 0, again.stderr
    assert not (root / JOURNAL).exists()
    assert (root / "revcli.yaml").is_file()
    assert run("validate", "--data", root).exit_code == 0
