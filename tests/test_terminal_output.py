"""Tables on a real terminal (a pseudo-terminal, colours on): no line ends in spaces."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.billing_support import billing_dir
from tests.conftest import SAMPLE

ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_a_terminal(*args: str, columns: int = 100) -> str:
    """What ``revcli ARGS`` shows on a terminal ``columns`` wide, colour codes removed."""
    leader, follower = os.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "revcli", *args],
        stdout=follower, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes when the program has exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=120) == 0
    return ESCAPE.sub("", b"".join(chunks).decode("utf-8")).replace("\r\n", "\n")


@pytest.mark.parametrize(
    "args",
    [
        ("cohorts", "--from", "2026-06", "--to", "2026-11", "--as-of", "2026-11-30"),
        ("renewals", "--as-of", "2026-11-23", "--within", "30d"),
        ("pipeline", "--as-of", "2026-11-23", "--by", "type"),
    ],
    ids=lambda a: a[0],
)
def test_no_line_ends_in_spaces_on_a_colour_terminal(args: tuple[str, ...]) -> None:
    shown = on_a_terminal(*args, "--data", str(SAMPLE))
    assert shown.strip(), "nothing was shown"
    padded = [line for line in shown.splitlines() if line != line.rstrip()]
    assert not padded, padded[:3]
    assert max(len(line) for line in shown.splitlines()) <= 100


def test_trailing_padding_goes_and_colour_codes_stay_on_long_lines() -> None:
    # Line by line from the end: a cell of 100,000 characters is one pass (the regex it
    # replaces backtracked over each run of padding).
    from revcli.output.render import _no_trailing_spaces

    text = "a  \x1b[1m  \x1b[0m  \nb\t \n  c\n" + "x" * 100_000 + " " * 50_000 + "\x1b[0m "
    assert _no_trailing_spaces(text) == "a\x1b[1m\x1b[0m\nb\n  c\n" + "x" * 100_000 + "\x1b[0m"


def test_a_narrow_table_of_issued_invoices_names_a_command_that_shows_every_column(
    tmp_path: Path,
) -> None:
    # `invoice issue` has no --columns, and its --format names document formats (csv is
    # refused): the note under its narrow table pointed at both.
    root = billing_dir(
        tmp_path,
        "contract_id,customer_id,start_date\nK1,C1,2026-01-01\n",
        "contract_id,line_id,product,quantity,unit_price,price_period\nK1,1,A,1,100,month\n",
    )
    shown = on_a_terminal(
        "invoice", "issue", "--data", str(root), "--period", "2026-01", "--date", "2026-01-01",
        "--format", "md", columns=80,
    )  # fmt: skip
    note = " ".join(shown[shown.index("Not shown at 80") :].split())
    assert "See all with revcli invoice list --format csv." in note, shown
    assert "--columns" not in note, shown
