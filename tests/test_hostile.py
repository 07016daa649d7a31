"""Hostile data dirs (issue 8): files an attacker with write access to the data dir could
commit. Every one is run by ``validate``, ``mrr``, ``invoice render`` and
``remind --dry-run`` in a child process, which must stop with exit code 1 and a
``FILE: message`` naming the culprit: no traceback, no hang (a generous wall-clock guard)
and peak memory under 500 MB (``ru_maxrss`` of the child, from ``os.wait4``)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from revcli.data.validate import load_dataset
from revcli.data.yamlio import compose
from revcli.scaffold import scaffold
from tests.conftest import MakeDir, Run

TIME_LIMIT = 20.0
"""Seconds: a hang guard only (a run takes about a second; a hang never ends)."""
MEMORY_LIMIT_MB = 500


def _laughs(levels: int = 9) -> str:
    """A billion-laughs YAML: each anchor lists the previous one nine times (9**9 values
    once expanded: hundreds of GB with a naive loader)."""
    text = 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for n in range(1, levels):
        text += f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]\n"
    return text


def _fifo(root: Path, name: str) -> None:
    os.mkfifo(root / name)


def _symlink(target: str) -> Callable[[Path, str], None]:
    def make(root: Path, name: str) -> None:
        (root / name).symlink_to(target)

    return make


def _self_link(root: Path, name: str) -> None:
    (root / name).symlink_to(name)


@dataclass(frozen=True)
class Case:
    """A data dir made from the scaffold: ``files`` replaced or added (text), ``special``
    files made by a function (FIFO, symlinks); ``culprit`` the file the message names and
    ``message`` a part of it."""

    files: dict[str, str] = field(default_factory=dict)
    special: dict[str, Callable[[Path, str], None]] = field(default_factory=dict)
    culprit: str = ""
    message: str = ""


CASES: dict[str, Case] = {
    "billion-laughs-contract": Case(
        files={"contracts/CTR-002.yaml": _laughs() + "contract_id: CTR-002\n"},
        culprit="contracts/CTR-002.yaml:5",  # l4 = 9**4 values: the budget runs out there
        message="aliases expand to more than",
    ),
    "billion-laughs-settings": Case(
        files={"revcli.yaml": "company:\n  name: X\n" + _laughs()},
        culprit="revcli.yaml:7",
        message="aliases expand to more than",
    ),
    "alias-inside-itself": Case(
        files={"contracts/CTR-002.yaml": "contract_id: &c\n  - *c\n"},
        culprit="contracts/CTR-002.yaml:2",
        message="alias *c is used inside its own anchor",
    ),
    "deep-nesting": Case(
        files={"contracts/CTR-002.yaml": "x: " + "[" * 100_000 + "]" * 100_000 + "\n"},
        culprit="contracts/CTR-002.yaml:1",
        message="nested deeper than 50",
    ),
    "second-contracts-key": Case(
        files={
            "contracts.yaml": "contracts:\n  - contract_id: X1\ncontracts:\n  - contract_id: X2\n"
        },
        culprit="contracts.yaml:3",
        message="key 'contracts' appears twice",
    ),
    "duplicate-setting": Case(
        files={"revcli.yaml": "invoice:\n  default_tax_rate: 25\n  default_tax_rate: 0\n"},
        culprit="revcli.yaml:3",
        message="key 'default_tax_rate' appears twice",
    ),
    "dev-zero-as-customers": Case(
        special={"customers.csv": _symlink("/dev/zero")},
        culprit="customers.csv",
        message="is a character device",
    ),
    "fifo-as-customers": Case(
        special={"customers.csv": _fifo},
        culprit="customers.csv",
        message="is a named pipe",
    ),
    "fifo-as-contract": Case(
        special={"contracts/CTR-002.yaml": _fifo},
        culprit="contracts/CTR-002.yaml",
        message="is a named pipe",
    ),
    "symlink-to-itself": Case(
        special={"customers.csv": _self_link},
        culprit="customers.csv",
        message="cannot be read: Too many levels of symbolic links",
    ),
    "fifo-as-settings": Case(
        special={"revcli.yaml": _fifo},
        culprit="revcli.yaml",
        message="is a named pipe",
    ),
}

COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": ("validate",),
    "mrr": ("mrr", "--from", "2026-01", "--to", "2026-12", "--format", "csv"),
    "invoice-render": ("invoice", "render", "--period", "2026-01", "--out", "{out}"),
    "remind": ("remind", "--dry-run", "--as-of", "2026-10-15"),
}


def build(root: Path, case: Case) -> Path:
    """The scaffold's data dir with the case's files."""
    scaffold(root, force=False)
    for name, text in case.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for name, make in case.special.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        make(root, name)
    return root


@dataclass(frozen=True)
class Child:
    """What a finished child process did."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def run_child(args: list[str], cwd: Path) -> Child:
    """Run ``python -m revcli ARGS``; kill it after :data:`TIME_LIMIT`; measure its peak
    resident memory with ``os.wait4``."""
    out, err = cwd / "child.out", cwd / "child.err"
    start = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "revcli", *args],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            cwd=cwd,
            env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
        )
        timer = threading.Timer(TIME_LIMIT, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Child(
        code=proc.returncode,
        stdout=out.read_text(encoding="utf-8", errors="replace"),
        stderr=err.read_text(encoding="utf-8", errors="replace"),
        seconds=time.monotonic() - start,
        peak_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_data_dir(name: str, command: str, tmp_path: Path) -> None:
    case = CASES[name]
    root = build(tmp_path / "data", case)
    args = [a.replace("{out}", str(tmp_path / "out")) for a in COMMANDS[command]]
    child = run_child([*args, "--data", "data"], tmp_path)
    both = child.stdout + child.stderr
    assert child.seconds < TIME_LIMIT, f"{name}: {command} hung (killed after {TIME_LIMIT}s)"
    assert child.code == 1, both
    assert f"data/{case.culprit}" in both and case.message in both, both
    assert "Traceback" not in both and "internal error" not in both, both
    assert child.peak_mb < MEMORY_LIMIT_MB, f"{name}: {command} used {child.peak_mb:.0f} MB"
    assert root.is_dir()


# --- in-process checks of the rules the corpus exercises ----------------------------------


def test_merge_keys_and_aliases_work_in_data_files(make_data_dir: MakeDir) -> None:
    # The contract takes currency and billing_period from &defaults and overrides
    # billing_period itself; its line takes unit_price and price_period from &seat.
    root = make_data_dir(
        {
            "customers.csv": "customer_id,name\nA,Acme AS\n",
            "contracts.yaml": """
                defaults: &defaults
                  currency: NOK
                  billing_period: quarter
                  start_date: 2026-01-01
                seat: &seat {unit_price: 100, price_period: month}
                contracts:
                  - <<: *defaults
                    contract_id: C1
                    customer_id: A
                    billing_period: month
                    lines:
                      - <<: *seat
                        product: PRO
                        quantity: 3
            """,
        }
    )
    data = load_dataset(root)
    contract = data.contracts.row(0, named=True)
    assert (contract["currency"], contract["billing_period"]) == ("NOK", "month")
    line = data.lines.row(0, named=True)
    assert (line["product"], line["quantity"], line["price_period"]) == ("PRO", 3, "month")
    # MRR = 3 seats × 100 a month = 300.
    assert line["unit_price"] * line["quantity"] == 300


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a: 1\nb: 2\na: 3\n",
            "x.yaml:3: key 'a' appears twice in the same mapping (first on line 1)",
        ),
        ("a: &a [*a]\n", "x.yaml:1: alias *a is used inside its own anchor"),
        ("a: *b\n", "x.yaml:1: alias *b names no anchor defined before it"),
        ("a: " + "[" * 51 + "]" * 51 + "\n", "x.yaml:1: nested deeper than 50 lists or mappings"),
        (
            "a: &a {x: 1}\nb:\n  <<: [*a, 3]\n",
            "x.yaml:3: '<<' merges a mapping or a list of mappings (e.g. <<: *defaults)",
        ),
    ],
)
def test_yaml_limits(text: str, expected: str) -> None:
    _, issues = compose(text, "x.yaml")
    assert [str(i).split(";")[0] for i in issues] == [expected]


def test_fifty_levels_of_nesting_are_fine() -> None:
    root, issues = compose("a: " + "[" * 49 + "]" * 49 + "\n", "x.yaml")
    assert issues == [] and root is not None


def test_alias_budget_counts_values_added_by_aliases() -> None:
    # &a holds 100 values; 99 aliases add 99 × (1 list + 100 values) = 9,999 ≤ 10,000;
    # the 100th alias adds 101 more: 10,100 > 10,000 is refused, on its line.
    values = "[" + ", ".join(["1"] * 100) + "]"
    ok = f"a: &a {values}\n" + "".join(f"b{i}: *a\n" for i in range(99))
    assert compose(ok, "x.yaml")[1] == []
    bad = ok + "c: *a\n"
    _, issues = compose(bad, "x.yaml")
    assert [str(i) for i in issues] == [
        "x.yaml:101: aliases expand to more than 10,000 values; write the values out or use "
        "fewer nested aliases"
    ]


def test_out_path_with_brackets_is_not_markup(tmp_path: Path, run: Run) -> None:
    root = build(tmp_path / "data", Case())
    out = tmp_path / "[/x].csv"
    result = run("mrr", "--data", root, "--month", "2026-01", "--out", out)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("month,mrr,")
    assert f"wrote {out}" in result.stderr
