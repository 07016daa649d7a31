"""A hostile or careless data dir cannot make revcli overwrite issued documents or books:
injective file names, no overwrite of an issued file, bounded number formats, orphans
that do not block, no credit notes in the future, files with the user's umask."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from revcli.billing.numbering import SAFE_CHARACTERS, file_part
from revcli.billing.records import canonical, record_hash
from revcli.billing.register import check_register
from tests.billing_support import billing_dir, hooked_issue
from tests.conftest import Run

LINES = "contract_id,line_id,product,quantity,unit_price,price_period\n"


def contracts_dir(root: Path, ids: list[str]) -> Path:
    contracts = "contract_id,customer_id,start_date\n" + "".join(
        f"{i},C1,2026-01-01\n" for i in ids
    )
    lines = LINES + "".join(f"{i},1,A,1,100,month\n" for i in ids)
    return billing_dir(root, contracts, lines)


def set_number_format(root: Path, fmt: str) -> None:
    path = root / "revcli.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("number_format:")
    end = text.index("\n", start)
    path.write_text(text[:start] + f'number_format: "{fmt}"' + text[end:], encoding="utf-8")


def issue(run: Run, root: Path, period: str, *extra: str) -> None:
    result = run("invoice", "issue", "--data", root, "--period", period, *extra)
    assert result.exit_code == 0, result.stderr


def digests(root: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (root / "invoices").iterdir()
        if p.suffix == ".html"
    }


# --- file names are injective ---------------------------------------------------------------


def test_file_part_examples() -> None:
    assert file_part("2026-00001") == "2026-00001"
    assert file_part("INV/1") == "INV%2F1"
    assert file_part("INV_1") == "INV_1"
    assert file_part("100%") == "100%25"
    assert file_part("..") == "%2E."
    assert file_part("Sjø 1") == "Sj%C3%B8%201"


@given(st.text(min_size=1), st.text(min_size=1))
def test_file_part_is_injective_and_safe(a: str, b: str) -> None:
    name = file_part(a)
    assert set(name) <= SAFE_CHARACTERS | {"%"}
    assert not name.startswith(".")
    if a != b:
        assert file_part(b) != name


def test_drafts_of_contracts_x_slash_1_and_x_underscore_1_do_not_overwrite_each_other(
    run: Run, tmp_path: Path
) -> None:
    # Today both become draft-X_1-2026-01-01.html: the second overwrites the first.
    root = contracts_dir(tmp_path / "d", ["X/1", "X_1"])
    out = tmp_path / "drafts"
    result = run("invoice", "render", "--data", root, "--period", "2026-01", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "draft-X%2F1-2026-01-01.html",
        "draft-X_1-2026-01-01.html",
    ]


def test_render_into_a_symbolic_link_to_nothing_says_so(run: Run, tmp_path: Path) -> None:
    # drafts -> missing: revcli makes no folder through a link, and the system's own
    # "File exists" named neither the link nor its target.
    root = contracts_dir(tmp_path / "d", ["K1"])
    out = tmp_path / "drafts"
    out.symlink_to(tmp_path / "missing")
    result = run("invoice", "render", "--data", root, "--period", "2026-01", "--out", out)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --out {out}: {out} is a symbolic link to {tmp_path / 'missing'}, which does "
        "not exist; create that folder, or pass another --out folder\n"
    )
    assert not (tmp_path / "missing").exists()


def test_changing_the_number_format_never_overwrites_an_issued_document(
    run: Run, tmp_path: Path
) -> None:
    # INV/1 and INV_1 used to share the file INV_1.html: the second issue overwrote the
    # first invoice's document, and the register no longer matched it.
    root = contracts_dir(tmp_path, ["K1"])
    set_number_format(root, "INV/{seq}")
    issue(run, root, "2026-01")
    before = digests(root)
    assert list(before) == ["INV%2F1.html"]
    set_number_format(root, "INV_{seq}")
    issue(run, root, "2026-02")
    after = digests(root)
    assert after["INV%2F1.html"] == before["INV%2F1.html"]
    assert sorted(after) == ["INV%2F1.html", "INV_1.html"]
    assert check_register(root) == []


def test_a_run_whose_later_number_is_taken_issues_nothing(run: Run, tmp_path: Path) -> None:
    # {seq:b}0 issued 10 and 100 (seq 1 and 2); {seq:b} writes seq 1 as 1 (free) and
    # seq 2 as 10 (taken). The run issued 1 and then stopped at 10, saying "nothing was
    # done": one invoice was issued for good under a format the user was told to change.
    root = contracts_dir(tmp_path, ["K1", "K2"])
    set_number_format(root, "{seq:b}0")
    issue(run, root, "2026-01")
    before = {p.name: p.read_bytes() for p in (root / "invoices").iterdir()}
    assert {"10.html", "10.xml", "100.html", "100.xml"} < set(before)
    set_number_format(root, "{seq:b}")
    result = run("invoice", "issue", "--data", root, "--period", "2026-02")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{root}/invoices/register.jsonl:1: number: 10 is issued already; a new document "
        "would get the same number (a series counts from 1 again when the format changes): "
        "change invoice.number_format so that new numbers differ\n"
        "1 problem found; nothing was done.\n"
    )
    assert {p.name: p.read_bytes() for p in (root / "invoices").iterdir()} == before
    assert check_register(root) == []


def test_a_number_format_that_writes_the_same_numbers_issues_none_again(
    run: Run, tmp_path: Path
) -> None:
    # INV{seq} and INV{seq:d} are two series that write the same numbers. With the faces
    # in another format no file was in the way: INV1 and INV2 were issued a second time,
    # and the register (which can only grow) held each number twice for good.
    root = contracts_dir(tmp_path, ["K1", "K2"])
    set_number_format(root, "INV{seq}")
    issue(run, root, "2026-01", "--format", "html")
    set_number_format(root, "INV{seq:d}")
    result = run("invoice", "issue", "--data", root, "--period", "2026-02", "--format", "md")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{root}/invoices/register.jsonl:1: number: INV1 is issued already; "
    )
    # A credit note takes the next number of the series too: INV1 again.
    result = run("invoice", "credit", "INV2", "--reason", "Wrong price", "--data", root)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{root}/invoices/register.jsonl:1: number: INV1 is issued already; a new document "
        "would get the same number"
    )
    assert sorted(p.name for p in (root / "invoices").glob("INV*")) == ["INV1.html", "INV2.html"]
    assert check_register(root) == []


def _as_issued_before_percent_encoding(root: Path) -> None:
    """Rewrite the register as the old naming wrote it: INV/1's document is INV_1.html."""
    folder = root / "invoices"
    path = folder / "register.jsonl"
    prev = ""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for document in record["documents"]:
            old = document["name"].replace("%2F", "_")
            (folder / document["name"]).rename(folder / old)
            document["name"] = old
        record["prev_hash"] = prev
        record["hash"] = record_hash(record)
        prev = record["hash"]
        out.append(canonical(record) + "\n")
    path.write_text("".join(out), encoding="utf-8")
    (folder / "HEAD").unlink()


def test_documents_named_the_old_way_are_found_and_never_overwritten(
    run: Run, tmp_path: Path
) -> None:
    root = contracts_dir(tmp_path, ["K1"])
    set_number_format(root, "INV/{seq}")
    issue(run, root, "2026-01")
    _as_issued_before_percent_encoding(root)
    assert check_register(root) == []  # the name the record holds is where check looks
    old = (root / "invoices" / "INV_1.html").read_bytes()

    set_number_format(root, "INV_{seq}")
    result = run("invoice", "issue", "--data", root, "--period", "2026-02")
    assert result.exit_code == 1
    assert (
        f"{root}/invoices/INV_1.html: is the issued document of INV/1 (register line 1); INV_1 "
        "would be written to the same file, and an issued document is never overwritten: "
        "change invoice.number_format so that new numbers differ"
    ) in result.stderr
    assert (root / "invoices" / "INV_1.html").read_bytes() == old
    assert check_register(root) == []


def test_numbers_differing_only_in_case_are_refused_as_one_file(run: Run, tmp_path: Path) -> None:
    # On macOS and Windows inv-1.html and INV-1.html are one file.
    root = contracts_dir(tmp_path, ["K1"])
    set_number_format(root, "inv-{seq}")
    issue(run, root, "2026-01")
    set_number_format(root, "INV-{seq}")
    result = run("invoice", "issue", "--data", root, "--period", "2026-02")
    assert result.exit_code == 1
    assert "is the issued document of inv-1 (register line 1)" in result.stderr


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        (
            "{seq:999999999d}",
            "'{seq:999999999d}': {seq} is 999999999 characters wide; at most 20, "
            "e.g. '{year}-{seq:05d}'",
        ),
        (
            "{year}-{seq:.99999999}",
            "'{year}-{seq:.99999999}': {seq} is 99999999 characters wide; at most 20, "
            "e.g. '{year}-{seq:05d}'",
        ),
        ("{seq:{year}}", "'{seq:{year}}': the format of {seq} cannot contain another field"),
        ("INV-{year}", "'INV-{year}' must contain {seq} exactly once, e.g. '{year}-{seq:05d}'"),
        # {seq:.0e} writes 10 and 11 both as 1e+01: the 11th invoice of a run was refused
        # (its file was the 10th's) after ten numbers had been used for good.
        (
            "{year}-{seq:.0e}",
            "'{year}-{seq:.0e}': {seq:.0e} does not write the number as whole digits; use "
            "the type d (the default), b or o, e.g. '{year}-{seq:05d}'",
        ),
        # {seq:c} writes seq 1 as U+0001 and seq 10 as a line break: numbers no invoice can
        # show, and an e-invoice without its ID.
        (
            "{seq:c}",
            "'{seq:c}': {seq:c} does not write the number as whole digits; use the type d "
            "(the default), b or o, e.g. '{year}-{seq:05d}'",
        ),
        (
            "{seq:%}",
            "'{seq:%}': {seq:%} does not write the number as whole digits; use the type d "
            "(the default), b or o, e.g. '{year}-{seq:05d}'",
        ),
        (
            "{seq:n}",
            "'{seq:n}': {seq:n} does not write the number as whole digits; use the type d "
            "(the default), b or o, e.g. '{year}-{seq:05d}'",
        ),
        # A KID is the number's digits and a check digit: with {seq:x}, A1 and A1a (seq 1
        # and 26) both had KID 18, two invoices that one payment could be matched to.
        (
            "A{seq:x}",
            "'A{seq:x}': {seq:x} does not write the number as whole digits; use the type d "
            "(the default), b or o, e.g. '{year}-{seq:05d}'",
        ),
        # !s makes the number a text, and a precision then cuts it: 1 and 10 are both '1'.
        (
            "{seq!s:.1}",
            "'{seq!s:.1}': {seq!s} turns the number into a text; leave out !s, "
            "e.g. '{year}-{seq:05d}'",
        ),
        # A digit as the padding: {seq:0<2} writes seq 1 as 10 and seq 10 as 10 too, so
        # validate passed and the 10th invoice of a run was refused after nine were issued.
        (
            "{year}-{seq:0<2}",
            "'{year}-{seq:0<2}': {seq:0<2} writes 1 as '10', not as its digits; pad with "
            "zeros before it, if at all, e.g. '{year}-{seq:05d}'",
        ),
        (
            "{seq:<05}",
            "'{seq:<05}': {seq:<05} writes 1 as '10000', not as its digits; pad with zeros "
            "before it, if at all, e.g. '{year}-{seq:05d}'",
        ),
        (
            "{seq:1>3}",
            "'{seq:1>3}': {seq:1>3} writes 1 as '111', not as its digits; pad with zeros "
            "before it, if at all, e.g. '{year}-{seq:05d}'",
        ),
        # The YAML escapes put a right-to-left override and a bell into every number.
        (
            r"INV\u202E{seq}",
            "'INV<U+202E>{seq}' holds the direction-formatting character <U+202E>, which "
            "an invoice number cannot show; remove it",
        ),
        (
            r"{seq:\x07>5}",
            "'{seq:<U+0007>>5}' holds the control character <U+0007>, which an invoice "
            "number cannot show; remove it",
        ),
    ],
)
def test_absurd_number_format_is_a_settings_error(
    run: Run, tmp_path: Path, fmt: str, message: str
) -> None:
    # Today validate accepts '{seq:999999999d}' and issue dies of a MemoryError.
    root = contracts_dir(tmp_path, ["K1"])
    set_number_format(root, fmt)
    lines = (root / "revcli.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "number_format:" in text)
    for args in (["validate"], ["invoice", "issue", "--period", "2026-01"]):
        result = run(*args, "--data", root)
        assert result.exit_code == 1
        assert f"{root}/revcli.yaml:{line}: invoice.number_format: {message}" in (
            result.stdout + result.stderr
        )
    assert not (root / "invoices").exists()


# --- reports never land in the register's folder ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "target"),
    [
        (["invoice", "export", "--format", "csv", "--out"], "register.jsonl"),
        (["invoice", "list", "--format", "csv", "--out"], "HEAD"),
        (["mrr", "--format", "csv", "--out"], "2026-00001.html"),
        (["invoice", "export", "--format", "csv", "--out"], "journal.csv"),
        (["invoice", "render", "--period", "2026-02", "--out"], "."),
        (["invoice", "export", "--format", "xml", "--out"], "."),
    ],
)
def test_no_report_or_draft_is_written_into_the_register_folder(
    run: Run, tmp_path: Path, args: list[str], target: str
) -> None:
    # `invoice export --out invoices/register.jsonl` replaced the register with the journal
    # (every later command: "is not valid JSON"), `--out invoices/HEAD` replaced HEAD, a
    # report over an issued document replaced it, and a journal or drafts written beside
    # the documents made `check` fail ("no record in the register names this document").
    root = contracts_dir(tmp_path, ["K1"])
    issue(run, root, "2026-01", "--date", "2026-01-05")
    before = {p.name: p.read_bytes() for p in (root / "invoices").iterdir()}
    out = root / "invoices" / target
    result = run(*args, out, "--data", root)
    assert result.exit_code == 2, result.stderr
    assert f"{root / 'invoices'} holds the invoice register" in result.stderr
    assert {p.name: p.read_bytes() for p in (root / "invoices").iterdir()} == before
    assert run("invoice", "check", "--data", root).exit_code == 0


# --- orphans, future credit notes -------------------------------------------------------------


def test_an_orphan_document_of_another_format_does_not_block_list(run: Run, tmp_path: Path) -> None:
    root = contracts_dir(tmp_path, ["K1"])
    issue(run, root, "2026-01")
    orphan = root / "invoices" / "2026-00002.pdf"
    orphan.write_bytes(b"%PDF- left by a run that was killed")
    result = run("invoice", "list", "--data", root, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "2026-00001" in result.stdout
    check = run("invoice", "check", "--data", root)
    assert check.exit_code == 1
    assert f"{orphan}: no record in the register names this document" in check.stdout


def test_a_leftover_of_the_same_number_in_another_format_is_removed_when_it_is_issued(
    run: Run, tmp_path: Path
) -> None:
    root = contracts_dir(tmp_path, ["K1", "K2", "K3"])
    proc = hooked_issue(root, "2026-01", "kill-after-document:3")
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert (root / "invoices" / "2026-00003.html").exists()  # written, never recorded
    issue(run, root, "2026-01", "--format", "md")
    assert not (root / "invoices" / "2026-00003.html").exists()
    assert (root / "invoices" / "2026-00003.md").exists()
    assert check_register(root) == []


def test_crediting_an_unknown_number_touches_nothing(run: Run, tmp_path: Path) -> None:
    # The number is looked up before the register is opened for writing: nothing is
    # created (a read-only data dir gets this message, not "Read-only file system").
    root = contracts_dir(tmp_path, ["K1"])
    result = run("invoice", "credit", "NOPE", "--reason", "x", "--data", root)
    assert result.exit_code == 2
    assert "there is no issued invoice NOPE" in result.stderr
    assert not (root / "invoices").exists()


def test_a_credit_note_dated_after_today_is_refused(run: Run, tmp_path: Path) -> None:
    root = contracts_dir(tmp_path, ["K1"])
    issue(run, root, "2026-01")
    register = (root / "invoices" / "register.jsonl").read_bytes()
    tomorrow = dt.datetime.now().astimezone().date() + dt.timedelta(days=1)
    result = run(
        "invoice", "credit", "2026-00001", "--reason", "typo", "--data", root,
        "--date", tomorrow.isoformat(),
    )  # fmt: skip
    assert result.exit_code == 2
    assert (
        f"--date {tomorrow} is in the future (today is {tomorrow - dt.timedelta(days=1)}); "
        "documents are dated the day they are issued"
    ) in result.stderr
    assert (root / "invoices" / "register.jsonl").read_bytes() == register


def test_a_future_issue_date_is_refused_also_when_nothing_is_left_to_issue(
    run: Run, tmp_path: Path
) -> None:
    # January is issued; issuing it again dated tomorrow issues nothing, but the date is
    # still refused (exit 2), as when invoices are pending.
    root = contracts_dir(tmp_path, ["K1"])
    issue(run, root, "2026-01")
    tomorrow = dt.datetime.now().astimezone().date() + dt.timedelta(days=1)
    result = run(
        "invoice", "issue", "--period", "2026-01", "--data", root, "--date", tomorrow.isoformat()
    )
    assert result.exit_code == 2
    assert f"--date {tomorrow} is in the future" in result.stderr


# --- permissions --------------------------------------------------------------------------------


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_documents_and_reports_take_the_users_umask(
    run: Run, tmp_path: Path, umask_027: None
) -> None:
    # Today every file revcli writes is 0600 (the temporary file's mode), whatever the umask.
    root = contracts_dir(tmp_path / "d", ["K1"])
    issue(run, root, "2026-01")
    report = tmp_path / "mrr.csv"
    result = run("mrr", "--data", root, "--format", "csv", "--out", report, "--month", "2026-01")
    assert result.exit_code == 0, result.stderr
    for path in (root / "invoices" / "2026-00001.html", root / "invoices" / "HEAD", report):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path


def test_an_invoice_is_never_issued_in_the_name_of_init_s_example_seller(
    run: Run, tmp_path: Path
) -> None:
    # `revcli init` (and an import into a new data dir) writes a made-up seller into
    # company:. A draft may show it; an issued invoice, whose number is used for good,
    # may not: each example value is a problem at its line of revcli.yaml.
    root = tmp_path / "data"
    assert run("init", root).exit_code == 0
    draft = run("invoice", "render", "--data", root, "--period", "2026-01", "--contract", "CTR-001")
    assert draft.exit_code == 0, draft.stderr
    result = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-05")
    assert result.exit_code == 1
    edit = "an issued invoice must name the real seller: edit company: in revcli.yaml"
    assert result.stderr.splitlines() == [
        f"{root}/revcli.yaml:3: company.name: is still the example revcli init wrote "
        f"('Example AS'); {edit}",
        f"{root}/revcli.yaml:5: company.vat_id: is still the example revcli init wrote "
        f"('NO999999999MVA'); {edit}",
        f"{root}/revcli.yaml:8: company.bank_account: is still the example revcli init wrote "
        f"('1234.56.78903'); {edit}",
        "3 problems found; nothing was done.",
    ]
    assert not (root / "invoices").exists()


def test_the_example_seller_is_the_one_init_writes(tmp_path: Path) -> None:
    from revcli.scaffold import FILES
    from revcli.settings import EXAMPLE_SELLER

    for key, value in EXAMPLE_SELLER.items():
        assert f"  {key}: {value}\n" in FILES["revcli.yaml"].replace('"', "")
