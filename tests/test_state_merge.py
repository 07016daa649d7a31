"""State that git merged: two branches each issued invoices (or each sent reminders), then
the branches were merged. What every command says must name the conflict and the way out."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from revcli.renewals.log import HEADER, chain, log_path
from revcli.state.log import merge_conflict_line
from tests.conftest import Run
from tests.gitrepo import GitRepo
from tests.test_invoice_register import five_contracts, issue, numbers

pytestmark = pytest.mark.usefixtures("pinned_today")

REGISTER_CONFLICT = (
    "holds a git merge conflict (this line is a conflict marker): two branches each issued "
    "documents, and registers cannot be merged, as both numbered on from the same record; keep "
    "one branch's invoices/ folder and issue the other's periods again (docs/invoicing.md, "
    "'Two branches that both issued')"
)
HEAD_CONFLICT = (
    "holds a git merge conflict: two branches each issued documents; resolve it together with "
    "the register (docs/invoicing.md, 'Two branches that both issued')"
)


def two_branches_issued(run: Run, tmp_path: Path) -> GitRepo:
    """January issued on main; then February on the branch `feb` and March on main, each
    numbering 2026-00006 … 2026-00010; then `feb` merged into main, with conflicts."""
    repo = GitRepo(tmp_path / "repo")
    five_contracts(repo.data)
    issue(run, repo.data, "2026-01")
    repo.commit("January", "2026-02-01T08:00:00+00:00")
    repo.git("checkout", "-q", "-b", "feb")
    issue(run, repo.data, "2026-02")
    repo.commit("February", "2026-02-02T08:00:00+00:00")
    repo.git("checkout", "-q", "main")
    issue(run, repo.data, "2026-03")
    repo.commit("March", "2026-03-02T08:00:00+00:00")
    with pytest.raises(subprocess.CalledProcessError):
        repo.git("merge", "feb")  # conflicts: register.jsonl, HEAD, 2026-00006 … 10.html
    return repo


def test_conflict_markers_are_git_s_and_nothing_revcli_writes() -> None:
    assert merge_conflict_line('{"a":1}\n<<<<<<< HEAD\n{"b":2}\n') == 2
    assert merge_conflict_line("x\n=======\r\n") == 2
    assert merge_conflict_line(">>>>>>> feb\n") == 1
    assert merge_conflict_line("||||||| merged common ancestors\n") == 1
    assert merge_conflict_line(">>>>>>>\n") == 1
    # Not markers: longer runs, a marker character inside a line, text after =======.
    assert merge_conflict_line("<<<<<<<<\n========\n== x\n======= x\nx <<<<<<< y\n") is None


def test_a_register_merged_with_conflicts_is_one_problem_that_says_what_to_do(
    run: Run, tmp_path: Path
) -> None:
    repo = two_branches_issued(run, tmp_path)
    register, head = repo.data / "invoices" / "register.jsonl", repo.data / "invoices" / "HEAD"
    # January's five records are lines 1-5; git's `<<<<<<< HEAD` is line 6 (and HEAD's 1).
    assert register.read_text(encoding="utf-8").splitlines()[5] == "<<<<<<< HEAD"
    expected = [f"{register}:6: {REGISTER_CONFLICT}", f"{head}:1: {HEAD_CONFLICT}"]
    check = run("invoice", "check", "--data", repo.data)
    assert check.exit_code == 1
    assert check.stdout.splitlines() == expected
    assert check.stderr == "2 problems in the invoice register.\n"
    validate = run("validate", "--data", repo.data)
    assert (validate.exit_code, validate.stdout.splitlines()) == (1, expected)
    for args in (("mrr", "--month", "2026-01"), ("invoice", "issue", "--period", "2026-04")):
        result = run(*args, "--data", repo.data)
        assert result.exit_code == 1
        assert sorted(result.stderr.splitlines()) == sorted(
            [*expected, "2 problems found; nothing was done."]
        )


def test_keeping_one_branch_s_register_and_issuing_the_other_s_month_again(
    run: Run, tmp_path: Path
) -> None:
    # The way out that docs/invoicing.md gives: keep main's invoices/, issue February anew.
    repo = two_branches_issued(run, tmp_path)
    repo.git("checkout", "--ours", "--", "data/invoices")
    repo.git("add", "data/invoices")
    repo.commit("merge feb, keeping main's register", "2026-03-03T08:00:00+00:00")
    assert run("invoice", "check", "--data", repo.data).exit_code == 0
    issue(run, repo.data, "2026-02", "--date", "2026-03-03")
    # January 1-5, March 6-10 (main's), February again with the next numbers, 11-15.
    assert numbers(repo.data) == [f"2026-{i:05d}" for i in range(1, 16)]
    assert run("invoice", "check", "--data", repo.data).exit_code == 0


def _log_line(previous: str, contract: str) -> tuple[str, str]:
    fields = [
        "2026-11-02T07:00:00Z",
        "2026-11-02",
        contract,
        "notice",
        "2026-12-01",
        "30",
        "0",
        "kari@example.no",
    ]
    check = chain(previous, fields)
    return ",".join([*fields, check]) + "\n", check


def test_a_reminder_log_merged_with_conflicts_is_one_problem_that_says_what_to_do(
    run: Run, tmp_path: Path
) -> None:
    root = five_contracts(tmp_path)
    first, check = _log_line("", "K1")
    ours, _ = _log_line(check, "K2")
    theirs, _ = _log_line(check, "K3")
    path = log_path(root)
    path.parent.mkdir()
    path.write_text(
        ",".join(HEADER)
        + "\n"
        + first
        + "<<<<<<< HEAD\n"
        + ours
        + "=======\n"
        + theirs
        + ">>>>>>> feb\n",
        encoding="utf-8",
    )
    result = run("mrr", "--data", root, "--month", "2026-01")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:3: holds a git merge conflict (this line is a conflict marker): two branches "
        "each sent reminders, and the log cannot be merged, as each line is chained to the one "
        "before; keep one side's log (`git checkout --ours -- .revcli/reminders.csv`, or "
        "--theirs): the next run sends again what only the other side logged "
        "(docs/renewals.md, 'The reminder log')",
        "1 problem found; nothing was done.",
    ]
