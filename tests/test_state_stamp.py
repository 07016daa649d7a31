"""The verified-state stamp (SPEC §1, docs/rules.md "State revcli writes"): a register found
clean and not changed since is not verified again by every command; any change, or a
stamp revcli cannot trust, means the full check with the messages it always gave.

The data dirs are sample_data with the December 2026 run issued by ``revcli invoice
issue``; stamps go to a cache folder of each test (``XDG_CACHE_HOME``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from revcli import __version__
from revcli.billing.register import check_register
from revcli.state.stamp import MAX_STAMP_BYTES, RACY_SECONDS
from tests.billing_support import counting_opens
from tests.conftest import ROOT, Run

DOCUMENT = "2026-00002.html"
"""An issued document of the December run (the html face of its second invoice)."""

COPIES = 30
"""Data dirs made before the module's tests run, so that one wait makes them all old
enough to be stamped (:data:`RACY_SECONDS`)."""


@pytest.fixture(scope="module")
def settled(issued: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Copies of the issued sample data whose files were all written more than
    :data:`RACY_SECONDS` ago: a clean check of them is stamped."""
    base = tmp_path_factory.mktemp("settled")
    copies = [shutil.copytree(issued, base / f"data{n}") for n in range(COPIES)]
    time.sleep(RACY_SECONDS + 0.5)
    return copies


@pytest.fixture
def data(settled: list[Path], tmp_path: Path, issued: Path) -> Path:
    """A data dir of the test's own, with its invoices issued and no stamp yet."""
    if settled:
        return settled.pop()
    root = shutil.copytree(issued, tmp_path / "data")
    time.sleep(RACY_SECONDS + 0.5)
    return root


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder revcli keeps its stamps in, for this test only."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "revcli"


def stamp_file(cache: Path) -> Path:
    """The one stamp in the cache folder."""
    stamps = sorted(cache.glob("*.json"))
    assert len(stamps) == 1, stamps
    return stamps[0]


def report(run: Run, root: Path) -> Result:
    return run("mrr", "--data", root, "--format", "csv", "--month", "2026-12")


def opens(name: str, *args: str | Path) -> tuple[str, int]:
    """Run revcli ``args`` in a real process: its stdout, and how often it opened ``name``."""
    process = counting_opens(name, *args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    last = err.splitlines()[-1]
    assert last.startswith(f"opened {name}: "), err
    return out, int(last.rsplit(" ", 1)[1])


def python(script: str, root: Path) -> subprocess.CompletedProcess[str]:
    """``script`` run by a fresh interpreter with the data dir ``root`` as its argument."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-c", script, str(root)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )


def register(root: Path) -> Path:
    return root / "invoices" / "register.jsonl"


# --- an unchanged register is not verified again --------------------------------------------


def test_a_second_report_does_not_open_the_documents_again(data: Path, cache: Path) -> None:
    args = ("mrr", "--data", data, "--format", "csv", "--month", "2026-12")
    first, opened = opens(DOCUMENT, *args)
    assert opened == 1  # verified: its SHA-256 compared with the register's
    assert stamp_file(cache).is_file()
    again, opened = opens(DOCUMENT, *args)
    assert (again, opened) == (first, 0)
    _, opened = opens("register.jsonl", *args)
    assert opened == 1  # read once, to hash its bytes; not parsed


def test_a_stamp_that_matches_loads_no_register_code(data: Path, run: Run) -> None:
    # The every-run check of a register that has not changed parses nothing: the billing
    # code that would (revcli.billing.register) is not even imported.
    assert report(run, data).exit_code == 0
    script = (
        "import json, sys\nfrom pathlib import Path\nfrom revcli.checks import check_state\n"
        "issues = check_state(Path(sys.argv[1]), orphans=False)\n"
        "print(json.dumps([len(issues), 'revcli.billing.register' in sys.modules]))"
    )
    result = python(script, data)
    assert json.loads(result.stdout) == [0, False], result.stderr


def test_a_data_dir_without_invoices_loads_no_stamp_code(tmp_path: Path) -> None:
    root = shutil.copytree(ROOT / "sample_data", tmp_path / "data")
    script = (
        "import sys\nfrom pathlib import Path\nfrom revcli.checks import check_state\n"
        "assert check_state(Path(sys.argv[1]), orphans=False) == []\n"
        "print([m for m in ('revcli.state.stamp', 'revcli.billing.stamped', "
        "'revcli.billing.register') if m in sys.modules])"
    )
    result = python(script, root)
    assert result.stdout == "[]\n", result.stderr


def test_validate_and_invoice_check_read_every_document_with_a_stamp(
    data: Path, run: Run, cache: Path
) -> None:
    assert report(run, data).exit_code == 0
    assert stamp_file(cache).is_file()
    _, opened = opens(DOCUMENT, "validate", "--data", data)
    assert opened == 1
    _, opened = opens(DOCUMENT, "invoice", "check", "--data", data)
    assert opened == 1


def test_a_report_right_after_issuing_leaves_no_stamp(
    issued: Path, tmp_path: Path, run: Run, cache: Path
) -> None:
    # Files written within RACY_SECONDS of a check could change again in the same tick of
    # the file system's clock: such a state is checked in full until it has settled.
    root = shutil.copytree(issued, tmp_path / "data")
    assert report(run, root).exit_code == 0
    assert not cache.exists() or list(cache.iterdir()) == []


# --- any change: the full check, with its messages -------------------------------------------


def _edit_record(root: Path) -> None:
    path = register(root)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = re.sub(r'"due_date":"(\d{4})', lambda m: f'"due_date":"{int(m[1]) + 1}', lines[1])
    path.write_text("".join(lines), encoding="utf-8")


def _edit_document(root: Path, *, keep_mtime: bool = False) -> None:
    path = root / "invoices" / DOCUMENT
    before = path.stat()
    text = path.read_bytes()
    assert b"2026" in text
    path.write_bytes(text.replace(b"2026", b"2027", 1))  # the same size
    if keep_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = path.stat()
        assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def _truncate(root: Path) -> None:
    path = register(root)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")


def _edit_head(root: Path) -> None:
    head = root / "invoices" / "HEAD"
    count = head.read_text(encoding="utf-8").split(" ")[0]
    head.write_text(f"{count} {'0' * 64}\n", encoding="utf-8")


TAMPERING: dict[str, tuple[Callable[[Path], None], str]] = {
    "a record edited by hand": (
        _edit_record,
        "{register}:2: hash: the record does not match its hash: it was edited by hand",
    ),
    "a document edited": (
        _edit_document,
        "{register}:2: document: {root}/invoices/2026-00002.html was changed after it was issued",
    ),
    "a document edited, its mtime put back": (
        lambda root: _edit_document(root, keep_mtime=True),
        "{register}:2: document: {root}/invoices/2026-00002.html was changed after it was issued",
    ),
    "a document deleted": (
        lambda root: (root / "invoices" / DOCUMENT).unlink(),
        "{register}:2: document: '2026-00002.html' is missing from {root}/invoices",
    ),
    "the register truncated": (
        _truncate,
        "{root}/invoices/HEAD:1: records 69 records, but {register} has 68: records were "
        "deleted; restore them from git",
    ),
    "HEAD edited": (
        _edit_head,
        "{root}/invoices/HEAD:1: record 69 of {register} is not the one HEAD names: the "
        "register was rewritten; restore it from git",
    ),
}


@pytest.mark.parametrize("change", TAMPERING)
def test_after_any_change_the_report_refuses_as_it_always_did(
    change: str, data: Path, run: Run, cache: Path
) -> None:
    assert report(run, data).exit_code == 0
    stamp = stamp_file(cache).read_bytes()
    tamper, message = TAMPERING[change]
    tamper(data)
    expected = [str(i) for i in check_register(data, orphans=False)]  # the full check's
    assert message.format(root=data, register=register(data)) in expected
    for _ in range(2):  # the stamp is not rewritten: the next run refuses too
        result = report(run, data)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[:-1] == expected
        assert "nothing was done" in result.stderr.splitlines()[-1]
        assert stamp_file(cache).read_bytes() == stamp


def test_a_state_with_a_problem_is_never_stamped(data: Path, run: Run, cache: Path) -> None:
    (data / "invoices" / DOCUMENT).unlink()
    assert report(run, data).exit_code == 1
    assert not cache.exists() or list(cache.iterdir()) == []


# --- a stamp revcli cannot trust is ignored; a cache it cannot use is no stamp -----------------


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00not json\xff")


def _nested(path: Path) -> None:
    path.write_text("[" * 200_000, encoding="utf-8")


def _wrong_types(path: Path) -> None:
    stamp = json.loads(path.read_text(encoding="utf-8"))
    stamp.update(hashes="0" * 64, names=[1, None], stats=["x"])
    path.write_text(json.dumps(stamp), encoding="utf-8")


def _names_outside(path: Path) -> None:
    stamp = json.loads(path.read_text(encoding="utf-8"))
    stamp["names"] = ["../../../etc/passwd"]
    path.write_text(json.dumps(stamp), encoding="utf-8")


def _huge(path: Path) -> None:
    with path.open("r+b") as handle:  # sparse: no disk space used
        handle.truncate(MAX_STAMP_BYTES + 1)


GARBAGE: dict[str, Callable[[Path], None]] = {
    "not JSON": _garbage,
    "empty": lambda path: path.write_bytes(b""),
    "deeply nested": _nested,
    "wrong types": _wrong_types,
    "names outside the folder": _names_outside,
    "larger than the cap": _huge,
}


@pytest.mark.parametrize("kind", GARBAGE)
def test_a_garbage_stamp_is_ignored_and_replaced(
    kind: str, data: Path, run: Run, cache: Path
) -> None:
    first = report(run, data)
    path = stamp_file(cache)
    good = path.read_bytes()
    GARBAGE[kind](path)
    result = report(run, data)
    assert (result.exit_code, result.stdout) == (0, first.stdout)
    assert path.read_bytes() == good  # the full check ran, and stamped the state again


@pytest.mark.parametrize("field", ["revcli", "format"])
def test_a_stamp_of_another_version_is_ignored(
    field: str, data: Path, run: Run, cache: Path
) -> None:
    assert report(run, data).exit_code == 0
    path = stamp_file(cache)
    stamp = json.loads(path.read_text(encoding="utf-8"))
    stamp[field] = "0.0.1" if field == "revcli" else stamp["format"] + 1
    path.write_text(json.dumps(stamp), encoding="utf-8")
    _, opened = opens(DOCUMENT, "mrr", "--data", data, "--format", "csv", "--month", "2026-12")
    assert opened == 1  # verified in full
    rewritten = json.loads(path.read_text(encoding="utf-8"))
    assert (rewritten["revcli"], rewritten["format"]) == (__version__, 1)


@pytest.mark.parametrize("what", ["a FIFO", "a folder"])
def test_a_stamp_that_is_no_file_neither_blocks_nor_fails_a_report(
    what: str, data: Path, run: Run, cache: Path
) -> None:
    first = report(run, data)
    path = stamp_file(cache)
    path.unlink()
    if what == "a FIFO":
        os.mkfifo(path)
    else:
        path.mkdir()
    for _ in range(2):
        result = report(run, data)
        assert (result.exit_code, result.stdout) == (0, first.stdout)


def test_a_cache_folder_that_cannot_be_written_still_gives_the_report(
    data: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    first = report(run, data)
    again = report(run, data)
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert first.stdout == again.stdout != ""
    assert blocked.read_text(encoding="utf-8") == "not a folder\n"


def _aged(path: Path, days: float, text: str | None = '{"format":1,"revcli":"x"}\n') -> Path:
    """``path`` written (a folder when ``text`` is ``None``) and last modified ``days`` ago."""
    if text is None:
        path.mkdir()
    else:
        path.write_text(text, encoding="utf-8")
    then = time.time() - days * 86400
    os.utime(path, (then, then), follow_symlinks=False)
    return path


def test_writing_a_stamp_removes_the_stamps_not_written_for_90_days(
    data: Path, run: Run, cache: Path
) -> None:
    cache.mkdir(parents=True)
    stale = _aged(cache / ("0" * 32 + ".json"), 91)  # a stamp of a data dir not checked since
    kept = [
        _aged(cache / ("1" * 32 + ".json"), 89),  # written within 90 days
        _aged(cache / "notes.json", 400),  # not named as revcli names a stamp
        _aged(cache / ("2" * 31 + ".json"), 400),
        _aged(cache / ("ABCDEF" + "0" * 26 + ".json"), 400),  # revcli writes lower case
        _aged(cache / ("3" * 32 + ".json"), 400, "[1, 2, 3]\n"),  # not what revcli writes
        _aged(cache / ("4" * 32 + ".json"), 400, None),  # a folder
    ]
    (cache / ("5" * 32 + ".json")).symlink_to(kept[1])
    assert report(run, data).exit_code == 0
    assert not stale.exists()
    assert all(path.exists() for path in kept) and (cache / ("5" * 32 + ".json")).is_symlink()
    written = sorted(set(cache.glob("*.json")) - {*kept, cache / ("5" * 32 + ".json")})
    assert len(written) == 1  # the stamp of this data dir
    assert json.loads(written[0].read_text(encoding="utf-8"))["data"] == str(data.resolve())


def test_a_cache_folder_that_is_a_link_is_not_pruned(
    data: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # $XDG_CACHE_HOME/revcli pointing elsewhere: the stamp may go there, but no file of
    # that folder is ever removed.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    old = _aged(elsewhere / ("0" * 32 + ".json"), 400)
    home = tmp_path / "linked-cache"
    home.mkdir()
    (home / "revcli").symlink_to(elsewhere)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    assert report(run, data).exit_code == 0
    assert old.exists()


def test_without_an_absolute_xdg_cache_home_the_stamp_goes_to_the_home_cache(
    data: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the XDG spec says: ignore it
    assert report(run, data).exit_code == 0
    assert stamp_file(tmp_path / "home" / ".cache" / "revcli").is_file()
    assert not (Path.cwd() / "relative").exists()


# --- a stamp covers what the check read, and only the user's own stamp is trusted ---------


def _stamp_of(root: Path) -> tuple[object, list[str]]:
    """The :class:`~revcli.state.stamp.Stamp` of ``root``'s register, and the names of the
    documents its register names (what the every-run check passes to ``record``)."""
    from revcli.billing.layout import HEAD_FILE, REGISTER_DIR, REGISTER_FILE
    from revcli.billing.register import read_register
    from revcli.state.stamp import Stamp

    folder = root / REGISTER_DIR
    stamp = Stamp.of(root, (folder / REGISTER_FILE, folder / HEAD_FILE), folder)
    names = [name for entry in read_register(root).entries for name, _ in entry.documents]
    return stamp, names


def test_an_invoices_folder_swapped_during_the_check_is_not_stamped(
    settled: list[Path], cache: Path
) -> None:
    # Between the start of a check and its stamp, invoices/ is renamed away and another
    # one (with an edited document, say) renamed in: the files' own times do not move, so
    # only the folder's identity shows that the stamp would not cover what was checked.
    # Without the swap, the same steps stamp (the control).
    from revcli.state.stamp import Stamp

    data, other, control = settled.pop(), settled.pop(), settled.pop()
    stamp, names = _stamp_of(control)
    assert isinstance(stamp, Stamp) and not stamp.unchanged()
    stamp.record(names)
    assert stamp_file(cache).is_file()
    stamp_file(cache).unlink()

    stamp, names = _stamp_of(data)
    assert isinstance(stamp, Stamp) and not stamp.unchanged()
    (data / "invoices").rename(data / "invoices-checked")
    (other / "invoices").rename(data / "invoices")
    stamp.record(names)
    assert list(cache.glob("*.json")) == []


def test_a_stamp_another_user_could_write_is_not_trusted(data: Path, cache: Path) -> None:
    # A stamp is written readable by its user alone; one that others may write (a shared
    # XDG_CACHE_HOME), or that belongs to another user, is no stamp: the documents are
    # verified again, and the stamp written afresh.
    args = ("mrr", "--data", data, "--format", "csv", "--month", "2026-12")
    _, opened = opens(DOCUMENT, *args)
    path = stamp_file(cache)
    assert (opened, path.stat().st_mode & 0o777) == (1, 0o600)
    path.chmod(0o666)
    _, opened = opens(DOCUMENT, *args)
    assert (opened, stamp_file(cache).stat().st_mode & 0o777) == (1, 0o600)
    if os.getuid() == 0:  # root can give the file away: another user's stamp
        os.chown(stamp_file(cache), 4242, -1)
        _, opened = opens(DOCUMENT, *args)
        assert opened == 1
    _, opened = opens(DOCUMENT, *args)
    assert opened == 0  # its own stamp again


def test_an_empty_home_keeps_no_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    # HOME="" reads as "/" to Python: no stamp folder under the root of the file system.
    from revcli.state.stamp import cache_folder

    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "")
    assert cache_folder() is None
    monkeypatch.setenv("HOME", "/home/someone")
    assert cache_folder() == Path("/home/someone/.cache/revcli")
