"""Reports at a git revision: read from git objects, never from the working tree."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from revcli.data.files import UnreadableFile
from revcli.data.source import GitSource, resolve_revision
from tests.conftest import SETTINGS, Run
from tests.gitrepo import GitRepo

CUSTOMERS = "customer_id,name\nA,Acme AS\n"
V1_LINES = "contract_id,product,unit_price\nC1,SaaS,1000\n"
V2_LINES = "contract_id,product,unit_price\nC1,SaaS,1500\n"
CONTRACTS = "contract_id,customer_id,start_date\nC1,A,2026-01-01\n"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "repo")
    r.write(
        {
            "revcli.yaml": SETTINGS,
            "customers.csv": CUSTOMERS,
            "contracts.csv": CONTRACTS,
            "contract_lines.csv": V1_LINES,
        }
    )
    r.commit("first", "2026-01-10T09:00:00+00:00", tag="v1")
    r.write({"contract_lines.csv": V2_LINES})
    r.commit("price rise", "2026-02-10T18:00:00+00:00", tag="v2")
    # The working tree moves on without a commit: 2,000.
    r.write({"contract_lines.csv": "contract_id,product,unit_price\nC1,SaaS,2000\n"})
    return r


def _mrr(run: Run, *args: str | Path) -> str:
    result = run("mrr", "--month", "2026-03", "--format", "csv", *args)
    assert result.exit_code == 0, result.output
    return next(csv.DictReader(io.StringIO(result.stdout)))["mrr"]


def test_rev_reports_the_committed_data_not_the_working_tree(repo: GitRepo, run: Run) -> None:
    index = repo.path / ".git" / "index"
    before = (index.stat().st_mtime_ns, repo.git("status", "--porcelain"))
    assert _mrr(run, "--data", repo.data) == "2000.00"
    assert _mrr(run, "--data", repo.data, "--rev", "v1") == "1000.00"
    assert _mrr(run, "--data", repo.data, "--rev", "HEAD") == "1500.00"
    assert _mrr(run, "--data", repo.data, "--rev", "HEAD~1") == "1000.00"
    # Neither the index nor the working tree was touched.
    assert (index.stat().st_mtime_ns, repo.git("status", "--porcelain")) == before
    assert "2000" in (repo.data / "contract_lines.csv").read_text()


def test_before_picks_the_last_commit_on_or_before_the_day(repo: GitRepo, run: Run) -> None:
    # v1 on 2026-01-10 09:00, v2 on 2026-02-10 18:00: the whole of 10 February counts.
    assert _mrr(run, "--data", repo.data, "--before", "2026-02-09") == "1000.00"
    assert _mrr(run, "--data", repo.data, "--before", "2026-02-10") == "1500.00"
    assert _mrr(run, "--data", repo.data, "--before", "2026-02-10", "--rev", "v1") == "1000.00"
    # Every date revcli takes works, also those git's own date parser does not read.
    assert _mrr(run, "--data", repo.data, "--before", "2150-06-30") == "1500.00"
    result = run("mrr", "--data", repo.data, "--before", "2026-01-09")
    assert result.exit_code == 2
    assert "no commit of HEAD was made on or before 2026-01-09" in result.stderr


def test_json_meta_and_table_name_the_revision(repo: GitRepo, run: Run) -> None:
    commit = repo.git("rev-parse", "v1").strip()
    result = run("mrr", "--data", repo.data, "--rev", "v1", "--month", "2026-03", "-f", "json")
    assert f'"commit": "{commit}"' in result.stdout
    assert '"revision": "v1"' in result.stdout
    table = run("mrr", "--data", repo.data, "--rev", "v1", "--month", "2026-03", "-f", "table")
    assert f"Data as of git revision v1 ({commit[:12]})." in table.stdout


def test_problems_at_a_revision_name_rev_colon_path_and_row(repo: GitRepo, run: Run) -> None:
    repo.write({"customers.csv": "customer_id,name\nA,Acme AS\nB\n"})
    repo.commit("broken", "2026-03-01T12:00:00+00:00", tag="bad")
    result = run("mrr", "--data", repo.data, "--rev", "bad")
    assert result.exit_code == 1
    assert "bad:data/customers.csv:3: row has 1 fields, the header has 2" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("rev", "message"),
    [
        ("main@{1}", "reflog names"),
        ("HEAD@{yesterday}", "reflog names"),
        ("no-such-tag", "'no-such-tag' is not a commit"),
        ("--all", "is not a revision"),
        ("--output=/tmp/x", "is not a revision"),
        ("-p", "is not a revision"),
        ("--upload-pack=touch x", "is not a revision"),
        ("v1 v2", "'v1 v2' is not a commit"),
    ],
)
def test_bad_revisions_are_usage_errors(repo: GitRepo, run: Run, rev: str, message: str) -> None:
    result = run("mrr", "--data", repo.data, f"--rev={rev}")
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_folder_outside_git_is_a_usage_error(tmp_path: Path, run: Run) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "revcli.yaml").write_text(SETTINGS)
    result = run("mrr", "--data", tmp_path / "d", "--rev", "HEAD")
    assert result.exit_code == 2
    assert "is not in a git repository" in result.stderr


def test_contract_folder_and_data_dir_at_the_repo_root(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r", data="")
    repo.write(
        {
            "revcli.yaml": SETTINGS,
            "customers.csv": CUSTOMERS,
            "contracts/c1.yaml": """
                contract_id: C1
                customer_id: A
                start_date: 2026-01-01
                lines:
                  - product: SaaS
                    unit_price: 700
            """,
        }
    )
    repo.commit("yaml", "2026-01-01T00:00:00+00:00")
    rev = resolve_revision(repo.data, "HEAD")
    with GitSource.open(repo.data, rev) as files:
        assert files.listdir("contracts") == ["contracts/c1.yaml"]
        assert files.is_dir("contracts") and not files.is_file("contracts")
        assert files.is_file("revcli.yaml") and not files.exists("fx_rates.csv")
        assert files.where("contracts/c1.yaml") == "HEAD:contracts/c1.yaml"
        assert b"unit_price: 700" in files.read("contracts/c1.yaml")
        with pytest.raises(UnreadableFile, match="is a directory"):
            files.read("contracts")


def test_symlinks_are_followed_inside_the_repository(tmp_path: Path, run: Run) -> None:
    """A data file or folder that is a symbolic link is read at a revision as on disk;
    a link out of the repository or a broken one is named, not read as its target text."""
    repo = GitRepo(tmp_path / "r")
    repo.write(
        {
            "revcli.yaml": SETTINGS,
            "customers.csv": CUSTOMERS,
            "contracts.csv": CONTRACTS,
            "../shared/lines.csv": V2_LINES,
            "../shared/contracts/c2.yaml": """
                contract_id: C2
                customer_id: A
                start_date: 2026-01-01
                lines:
                  - product: Support
                    unit_price: 250
            """,
        }
    )
    (repo.data / "contract_lines.csv").symlink_to("../shared/lines.csv")
    (repo.data / "contracts").symlink_to("../shared/contracts")
    repo.commit("links", "2026-01-01T00:00:00+00:00")
    # 1,500 (C1, through the linked file) + 250 (C2, in the linked folder).
    assert _mrr(run, "--data", repo.data) == "1750.00"
    assert _mrr(run, "--data", repo.data, "--rev", "HEAD") == "1750.00"

    (repo.data / "fx_rates.csv").symlink_to("/etc/hostname")
    (repo.data / "opportunities.csv").symlink_to("missing.csv")
    repo.commit("bad links", "2026-01-02T00:00:00+00:00")
    rev = resolve_revision(repo.data, "HEAD")
    with GitSource.open(repo.data, rev) as files:
        assert files.is_dir("contracts")
        assert files.listdir("contracts") == ["contracts/c2.yaml"]
        assert files.read("contract_lines.csv") == V2_LINES.encode()
        with pytest.raises(UnreadableFile, match="symbolic link out of the repository"):
            files.read("fx_rates.csv")
        with pytest.raises(UnreadableFile, match="broken symbolic link"):
            files.read("opportunities.csv")
    result = run("mrr", "--data", repo.data, "--rev", "HEAD")
    assert result.exit_code == 1
    assert "HEAD:data/fx_rates.csv: is a symbolic link out of the repository" in result.stderr
    assert "HEAD:data/opportunities.csv: is a broken symbolic link" in result.stderr
    assert "Traceback" not in result.output


def test_a_contracts_folder_linked_out_of_the_repository_is_named(tmp_path: Path, run: Run) -> None:
    # At a revision, a contracts/ folder that is a link out of the repository was
    # reported as "contracts.yaml: not found; expected contracts.yaml, contracts/*.yaml or
    # contracts.csv", which sent the user looking for a file that was never meant to be.
    repo = GitRepo(tmp_path / "r")
    repo.write({"revcli.yaml": SETTINGS, "customers.csv": CUSTOMERS})
    outside = tmp_path / "elsewhere" / "contracts"
    outside.mkdir(parents=True)
    (repo.data / "contracts").symlink_to(outside)
    repo.commit("linked out", "2026-01-01T00:00:00+00:00")
    result = run("mrr", "--data", repo.data, "--rev", "HEAD")
    assert result.exit_code == 1
    assert "HEAD:data/contracts: is a symbolic link out of the repository" in result.stderr
    assert "not found" not in result.stderr
    # on disk, a broken link is named the same way
    (repo.data / "contracts").unlink()
    (repo.data / "contracts").symlink_to(tmp_path / "gone")
    result = run("mrr", "--data", repo.data)
    assert result.exit_code == 1
    assert f"{repo.data / 'contracts'}: " in result.stderr
    assert "not found" not in result.stderr


def test_a_bare_repository_is_no_working_tree(tmp_path: Path, run: Run, repo: GitRepo) -> None:
    bare = tmp_path / "bare.git"
    repo.git("clone", "-q", "--bare", str(repo.path), str(bare))
    for folder in (bare, repo.path / ".git"):
        result = run("mrr", "--data", folder, "--rev", "HEAD")
        assert result.exit_code == 2
        assert "is not in a git repository's working tree" in result.stderr


def test_an_empty_revision_is_refused_not_taken_for_head(repo: GitRepo, run: Run) -> None:
    """``revcli diff "$BASE"`` with BASE unset in CI must not compare HEAD and pass."""
    for args in (("mrr", "--rev", ""), ("diff", ""), ("diff", " ", "v2")):
        result = run(*args, "--data", repo.data)
        assert result.exit_code == 2, args
        assert "an empty revision names no commit" in result.stderr


def test_a_name_of_both_a_tag_and_a_branch_is_refused(repo: GitRepo, run: Run) -> None:
    # git takes the tag v1 (1,000) and only warns; the branch v1 is at v2 (1,500).
    repo.git("branch", "v1", "v2")
    result = run("mrr", "--data", repo.data, "--rev", "v1")
    assert result.exit_code == 2
    assert "'v1' is ambiguous" in result.stderr
    assert "refs/tags/v1 or refs/heads/v1" in result.stderr
    assert _mrr(run, "--data", repo.data, "--rev", "refs/tags/v1") == "1000.00"
    assert _mrr(run, "--data", repo.data, "--rev", "refs/heads/v1") == "1500.00"


def test_a_shallow_clone_says_that_the_history_was_not_fetched(
    repo: GitRepo, run: Run, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone))
    data = clone / "data"
    assert _mrr(run, "--data", data, "--rev", "HEAD") == "1500.00"
    for args in (("--rev", "HEAD~1"), ("--before", "2026-01-31")):
        result = run("mrr", "--data", data, *args)
        assert result.exit_code == 2
        assert "the clone is shallow" in result.stderr
        assert "git fetch --unshallow" in result.stderr
    # A full clone that lacks the commit does not talk of depth.
    result = run("mrr", "--data", repo.data, "--rev", "HEAD~5")
    assert result.exit_code == 2
    assert "the clone is shallow" not in result.stderr


def test_without_git_the_message_says_git_is_not_installed(
    repo: GitRepo, run: Run, tmp_path: Path
) -> None:
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    for args in (("mrr", "--rev", "v1"), ("diff", "v1")):
        result = run(*args, "--data", repo.data, env={"PATH": str(empty)})
        assert result.exit_code == 2
        assert "git is not installed" in result.stderr
        assert "not in a git repository" not in result.stderr


def test_git_variables_of_the_environment_do_not_choose_the_repository(
    repo: GitRepo, run: Run, tmp_path: Path
) -> None:
    """A git hook exports GIT_DIR (and others): revcli still reads the data dir's own
    repository, not the one they name."""
    other = GitRepo(tmp_path / "other")
    other.write(
        {
            "revcli.yaml": SETTINGS,
            "customers.csv": CUSTOMERS,
            "contracts.csv": CONTRACTS,
            "contract_lines.csv": "contract_id,product,unit_price\nC1,SaaS,9999\n",
        }
    )
    other.commit("elsewhere", "2026-01-10T09:00:00+00:00", tag="v1")
    hooked = {
        "GIT_DIR": str(other.path / ".git"),
        "GIT_WORK_TREE": str(other.path),
        "GIT_INDEX_FILE": str(other.path / ".git" / "index"),
        "GIT_OBJECT_DIRECTORY": str(other.path / ".git" / "objects"),
    }
    result = run("mrr", "--month", "2026-03", "-f", "csv", "--data", repo.data, "--rev", "v1",
                 env=hooked)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert next(csv.DictReader(io.StringIO(result.stdout)))["mrr"] == "1000.00"
    # A hook's GIT_DIR is relative to where git started: ".git" from the top of the repo.
    result = run("diff", "v1", "v2", "--data", repo.data, "--from", "2026-03", "--to",
                 "2026-03", "-f", "csv", env={"GIT_DIR": ".git"})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "2026-03,total,,,,500.00," in result.stdout


def test_a_data_dir_that_did_not_exist_at_the_revision_is_named_once(
    tmp_path: Path, run: Run
) -> None:
    repo = GitRepo(tmp_path / "r", data="contracts")
    (repo.path / "README").write_text("before the data dir\n")
    repo.commit("readme", "2026-01-01T00:00:00+00:00", tag="empty")
    repo.write({"revcli.yaml": SETTINGS, "customers.csv": CUSTOMERS, "contracts.csv": CONTRACTS})
    repo.commit("data", "2026-01-02T00:00:00+00:00")
    result = run("mrr", "--data", repo.data, "--rev", "empty")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: data dir {repo.data} does not exist at git revision empty "
        "(its tree has no folder contracts)\n"
    )


def test_templates_named_in_settings_are_looked_for_in_the_revision(
    repo: GitRepo, run: Run, tmp_path: Path
) -> None:
    """Not on disk: a template the revision holds is no error, and a name out of the data
    dir (``../../etc/passwd``) is one, at the revision's ``revcli.yaml``."""
    settings = (
        SETTINGS
        + "invoice:\n  template: layout/mine.html.liquid\n"
        + "reminders:\n  template_text: mail/reminder.txt.liquid\n"
    )
    repo.write(
        {
            "revcli.yaml": settings,
            "layout/mine.html.liquid": "<p>{{ invoice.number }}</p>\n",
            "mail/reminder.txt.liquid": "{{ count }}\n",
        }
    )
    repo.commit("own templates", "2026-03-01T12:00:00+00:00", tag="own")
    assert run("validate", "--data", repo.data).exit_code == 0
    # The process runs elsewhere: the names are relative to the data dir at the revision.
    assert _mrr(run, "--data", repo.data, "--rev", "own") == "2000.00"
    assert run("diff", "v2", "own", "--data", repo.data, "-f", "csv").exit_code == 0

    # Gone from the working tree since: the revision still has them.
    repo.remove("layout/mine.html.liquid")
    assert _mrr(run, "--data", repo.data, "--rev", "own") == "2000.00"

    repo.write({"revcli.yaml": settings.replace("mail/reminder", "../../../../etc/passwd#")})
    repo.commit("out of the data dir", "2026-03-02T12:00:00+00:00", tag="out")
    result = run("mrr", "--data", repo.data, "--rev", "out")
    assert result.exit_code == 1
    assert (
        "out:data/revcli.yaml:10: reminders.template_text: '../../../../etc/passwd#.txt.liquid' "
        "is outside the data dir"
    ) in result.stderr
    # Named but never committed: not found at the revision (though it is on disk now).
    repo.write({"revcli.yaml": settings.replace("layout/mine", "layout/new")})
    repo.commit("a template not added", "2026-03-03T12:00:00+00:00", tag="missing")
    repo.write({"layout/new.html.liquid": "<p></p>\n"})
    result = run("mrr", "--data", repo.data, "--rev", "missing")
    assert result.exit_code == 1
    assert "missing:data/revcli.yaml:8: invoice.template: 'layout/new.html.liquid' not found" in (
        result.stderr
    )
