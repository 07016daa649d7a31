"""Standard output and error as the shell gives them: ``--out /dev/stdout`` into a
redirected file, closed descriptors (``>&-``) and terminals that are not UTF-8.

Every test runs the installed ``revcli`` in a real shell (``bash -c``), so the
descriptors, redirections and encodings are the system's own.
"""

from __future__ import annotations

import os
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
