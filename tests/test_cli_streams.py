"""Standard output and error as the shell gives them: ``--out /dev/stdout`` into a
redirected file, closed descriptors (``>&-``) and terminals that are not UTF-8.

Every test runs the installed ``revcli`` in a real shell (``bash -c``), so the
descriptors, redirections and encodings are the system's own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REVCLI = Path(sys.executable).with_name("revcli")
EMOJI_CUSTOMER = "Bjørn Müller 🚀 GmbH"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``revcli init`` data whose customer has a name only UTF-8 can write."""
    root = tmp_path_factory.mktemp("streams") / "data"
    subprocess.run([REVCLI, "init", root], check=True, capture_output=True)
    customers = root / "customers.csv"
    text = customers.read_text(encoding="utf-8")
    customers.write_text(text.replace("Nordlys Analyse AS", EMOJI_CUSTOMER), encoding="utf-8")
    return root


def sh(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``script`` in bash with ``$R`` the installed revcli; stdout and stderr as bytes."""
    environ = {**os.environ, "R": str(REVCLI), **env}
    environ.pop("NO_COLOR", None)
    return subprocess.run(
        ["bash", "-c", script], check=False, cwd=cwd, env=environ, capture_output=True, timeout=120
    )


def report_csv(data: Path) -> bytes:
    """The CSV ``revcli mrr`` writes with ``--out FILE``: what every other way must match."""
    out = data.parent / "reference.csv"
    done = subprocess.run(
        [REVCLI, "mrr", "--data", data, "--as-of", "2026-06-15", "--out", out],
        check=False,
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


MRR = '"$R" mrr --data data --as-of 2026-06-15 --format csv'


@pytest.mark.parametrize("target", ["/dev/stdout", "/proc/self/fd/1", "/dev/fd/1"])
def test_out_to_stdout_appends_to_the_file_stdout_was_appended_to(data: Path, target: str) -> None:
    numbers = "".join(f"{n}\n" for n in range(1, 2001)).encode()
    (data.parent / "app.txt").write_bytes(numbers)
    done = sh(f"{MRR} --out {target} >> app.txt", data.parent)
    assert done.returncode == 0, done.stderr
    assert (data.parent / "app.txt").read_bytes() == numbers + report_csv(data)


@pytest.mark.parametrize("target", ["/dev/stdout", "/proc/self/fd/1"])
def test_out_to_stdout_keeps_its_place_in_a_redirected_group(data: Path, target: str) -> None:
    done = sh(f"{{ echo HEADER; {MRR} --out {target}; echo FOOTER; }} > log.txt", data.parent)
    assert done.returncode == 0, done.stderr
    written = (data.parent / "log.txt").read_bytes()
    assert written == b"HEADER\n" + report_csv(data) + b"FOOTER\n"


def test_out_to_stderr_keeps_its_place_among_messages(data: Path) -> None:
    done = sh(f"{{ echo HEADER >&2; {MRR} --out /dev/stderr; echo FOOTER >&2; }} 2> log.txt",
              data.parent)  # fmt: skip
    assert done.returncode == 0
    written = (data.parent / "log.txt").read_bytes()
    assert written == b"HEADER\n" + report_csv(data) + b"wrote /dev/stderr\nFOOTER\n"


def test_out_to_a_process_substitution_still_works(data: Path) -> None:
    # The shell passes the pipe as /dev/fd/63 (a descriptor revcli inherited), and waits
    # for cat only when told: `wait $!`.
    done = sh(f"{MRR} --out >(cat > sub.csv); wait $!", data.parent)
    assert done.returncode == 0, done.stderr
    assert (data.parent / "sub.csv").read_bytes() == report_csv(data)
    assert b"wrote /dev/fd/" in done.stderr


SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
TO_STDOUT = {
    "mrr": "mrr --as-of 2026-11-23",
    "table": "mrr --format table --as-of 2026-11-23",
    "xlsx": "mrr --format xlsx --as-of 2026-11-23",
    "renewals-ics": "renewals --format ics --as-of 2026-11-23",
    "dashboard": "dashboard --as-of 2026-11-23",
    "dashboard-md": "dashboard --format markdown --as-of 2026-11-23",
    "invoice-list": "invoice list",
    "invoice-render": "invoice render --period 2026-12 --contract K-2026-0055 --format txt",
    "remind-dry-run": "remind --dry-run --as-of 2026-11-23",
}


@pytest.mark.parametrize("args", TO_STDOUT.values(), ids=TO_STDOUT.keys())
def test_output_to_a_closed_stdout_is_an_error_that_says_so(args: str, tmp_path: Path) -> None:
    done = sh(f'"$R" {args} --data "{SAMPLE}" >&-', tmp_path)
    assert (done.returncode, done.stderr) == (1, b"error: standard output is closed\n")


@pytest.mark.parametrize(
    "args",
    ["invoice issue --period 2026-12 --format txt", "invoice credit 2026-00001 --reason x"],
)
def test_issuing_to_a_closed_stdout_is_refused_before_anything_is_issued(
    args: str, tmp_path: Path
) -> None:
    # Issuing changes the register: with the list of what was issued bound for a closed
    # stdout, the run stops first, so it never reports a failure after issuing.
    root = tmp_path / "data"
    shutil.copytree(SAMPLE, root)
    done = sh(f'"$R" {args} --data "{root}" >&-', tmp_path)
    assert (done.returncode, done.stderr) == (1, b"error: standard output is closed\n")
    assert not (root / "invoices").exists()


def test_version_to_a_closed_stdout_is_an_error(tmp_path: Path) -> None:
    done = sh('"$R" --version >&-', tmp_path)
    assert (done.returncode, done.stderr) == (1, b"error: standard output is closed\n")


@pytest.mark.parametrize("closed", [">&-", "2>&-", ">&- 2>&-"])
def test_a_report_written_with_out_succeeds_with_stdout_or_stderr_closed(
    data: Path, closed: str
) -> None:
    done = sh(f"{MRR} --out c.csv {closed}; echo $? > rc", data.parent)
    assert (data.parent / "rc").read_text() == "0\n", done.stderr
    assert (data.parent / "c.csv").read_bytes() == report_csv(data)


def test_a_report_to_stdout_succeeds_with_stderr_closed(data: Path) -> None:
    # Warnings and "wrote" lines to a closed stderr are dropped; the result is whole.
    done = sh(f"{MRR} 2>&-", data.parent)
    assert done.returncode == 0
    assert done.stdout == report_csv(data)


MACHINE = {
    "mrr-json": "mrr --as-of 2026-06-15 --format json",  # its title holds "–"
    "renewals-csv": "renewals --as-of 2026-11-15 --format csv",  # the 🚀 customer
    "renewals-md": "renewals --as-of 2026-11-15 --format markdown",
    "renewals-ics": "renewals --as-of 2026-06-15 --within 365d --format ics",
    "dashboard-md": "dashboard --as-of 2026-06-15 --format markdown",
}


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("args", MACHINE.values(), ids=MACHINE.keys())
def test_machine_formats_on_stdout_are_the_utf8_bytes_out_writes(
    data: Path, args: str, encoding: str
) -> None:
    done = sh(f'"$R" {args} --data data --out ref && "$R" {args} --data data', data.parent,
              PYTHONIOENCODING=encoding)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == (data.parent / "ref").read_bytes()
    if "renewals" in args:
        assert EMOJI_CUSTOMER.encode() in done.stdout


def test_a_diff_of_an_import_dry_run_is_utf8_and_its_summary_never_crashes(
    tmp_path: Path,
) -> None:
    source = Path(__file__).resolve().parent.parent / "docs/examples/import/hubspot-companies.csv"
    text = source.read_text(encoding="utf-8").replace("Nordlys Analyse AS", EMOJI_CUSTOMER)
    (tmp_path / "companies.csv").write_text(text, encoding="utf-8")
    done = sh('"$R" import csv companies.csv --map hubspot-companies --data new --dry-run',
              tmp_path, PYTHONIOENCODING="ascii")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"+18342001,{EMOJI_CUSTOMER},".encode() in done.stdout
    # The summary's "→" is written as the terminal can: Python's \u escape on stderr.
    assert b"MRR 2026-12: n/a \\u2192 0.00 NOK" in done.stderr.splitlines()[4]
    assert not (tmp_path / "new").exists()


TABLE = '"$R" renewals --data data --as-of 2026-11-15 --format table --columns contract_id,customer_name'


def test_a_table_on_an_ascii_terminal_replaces_what_it_cannot_show(data: Path) -> None:
    done = sh(TABLE, data.parent, PYTHONIOENCODING="ascii", COLUMNS="100")
    assert done.returncode == 0, done.stderr
    shown = done.stdout.decode("ascii")
    assert "Bj?rn M?ller" in shown  # (the rocket takes two columns: the cell is cut)
    assert " ----" in shown  # its rules in ASCII, not "?" for each "━"


@pytest.fixture(scope="module")
def latin1_locale(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Latin-1 locale, built with localedef (skipped where the system has none)."""
    folder = tmp_path_factory.mktemp("locale")
    try:
        built = subprocess.run(
            ["localedef", "-i", "en_US", "-f", "ISO-8859-1", folder / "en_US.ISO-8859-1"],
            check=False,
            capture_output=True,
        )
    except FileNotFoundError:
        pytest.skip("no localedef")
    if not (folder / "en_US.ISO-8859-1").is_dir():
        pytest.skip(f"localedef failed: {built.stderr.decode(errors='replace')}")
    return folder


def test_in_a_latin1_locale_a_table_is_latin1_and_csv_is_utf8(
    data: Path, latin1_locale: Path
) -> None:
    locale = {"LOCPATH": str(latin1_locale), "LC_ALL": "en_US.ISO-8859-1", "COLUMNS": "100"}
    table = sh(TABLE, data.parent, **locale)
    assert table.returncode == 0, table.stderr
    assert "Bjørn Müller".encode("latin-1") in table.stdout
    csv = sh('"$R" renewals --data data --as-of 2026-11-15 --format csv', data.parent, **locale)
    assert csv.returncode == 0, csv.stderr
    assert EMOJI_CUSTOMER.encode() in csv.stdout


def test_an_invoice_on_stdout_is_the_utf8_document_out_writes(tmp_path: Path) -> None:
    render = f'"$R" invoice render --data "{SAMPLE}" --period 2026-12 --contract K-2026-0055'
    done = sh(f"{render} --out drafts && {render}", tmp_path, PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    (written,) = (tmp_path / "drafts").iterdir()
    assert done.stdout == written.read_bytes()
    assert not done.stdout.isascii()  # the customer's "ø" (or "–") was written as UTF-8
