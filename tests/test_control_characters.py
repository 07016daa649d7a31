"""Control characters in the data (an escape sequence in a customer's name, a right-to-left
override in a line's description) never reach a terminal, a spreadsheet or an invoice as
they are: tables, Markdown, CSV and messages show them as ``<U+001B>``; an invoice that
would print one is refused by file, row and column; ``--raw-csv`` and JSON keep the data."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.errors import Issue, Severity
from revcli.output.plain import render_csv
from revcli.output.report import Report
from revcli.scaffold import scaffold
from revcli.visible import CONTROL_CLASS, message_text, visible
from tests.billing_support import own_seller
from tests.conftest import ROOT, Run

ESC = "\x1b"
RLO = "\u202e"


@pytest.mark.parametrize(
    ("text", "keep", "every_format", "expected"),
    [
        ("Nordlys Analyse AS", "", False, "Nordlys Analyse AS"),
        ("Blåbær Ørsta AS", "", False, "Blåbær Ørsta AS"),
        ("a\x1b[31mb", "", False, "a<U+001B>[31mb"),  # an escape sequence: its text stays
        ("\x00\x07\x7f", "", False, "<U+0000><U+0007><U+007F>"),
        ("x\x85y\x9bz", "", False, "x<U+0085>y<U+009B>z"),  # C1 controls (NEL, CSI)
        ("abc\u202edef", "", False, "abc<U+202E>def"),  # right-to-left override
        ("a\uffffb", "", False, "a<U+FFFF>b"),  # no XML can hold it
        ("two\nlines", "", False, "two<U+000A>lines"),
        ("two\nlines\tand tab", "\n\t", False, "two\nlines\tand tab"),
        ("no\u00a0break", "", False, "no\u00a0break"),  # a no-break space is shown as such
        ("zero\u200bwidth", "", False, "zero\u200bwidth"),  # a format character...
        ("zero\u200bwidth", "", True, "zero<U+200B>width"),  # ...shown in messages
        ("soft\u00adhyphen", "", True, "soft<U+00AD>hyphen"),
    ],
)
def test_visible(text: str, keep: str, every_format: bool, expected: str) -> None:
    assert visible(text, keep=keep, every_format=every_format) == expected


def test_a_message_shows_the_characters_of_a_value() -> None:
    issue = Issue("f.csv", 2, "end_date", f"'2026-01-01{ESC}]0;x\x07' is not a date")
    assert str(issue) == "f.csv:2: end_date: '2026-01-01<U+001B>]0;x<U+0007>' is not a date"
    warning = Issue("f.csv", 3, "customer_id", "'C\u200b1' looks like 'C1'", Severity.WARNING)
    assert str(warning) == "warning: f.csv:3: customer_id: 'C<U+200B>1' looks like 'C1'"


NAME = f"Nordlys {ESC}]0;pwned\x07Analyse AS"
"""A name with an OSC sequence (sets a terminal's title; OSC 52 would write the clipboard)."""
SHOWN = "Nordlys <U+001B>]0;pwned<U+0007>Analyse AS"
HEADER = "customer_id,name,country,segment,region,owner,billing_email,address\n"
TAIL = "NO,SMB,Oslo,kari@example.no,faktura@nordlys.example"


def _data(root: Path, name: str = NAME, address: str = "Storgata 1") -> Path:
    """init's data dir with a seller of its own (init's is refused on an issued invoice)."""
    scaffold(root, force=False)
    own_seller(root)
    with (root / "customers.csv").open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        csv.writer(f, lineterminator="\n").writerow(["CUST-001", name, *TAIL.split(","), address])
    return root


def _overridden(root: Path) -> Path:
    """The data dir with a right-to-left override in a line's description (a YAML escape),
    on line 17 of its contract file."""
    contract = root / "contracts" / "CTR-001.yaml"
    text = contract.read_text(encoding="utf-8")
    contract.write_text(
        text.replace("description: Onboarding workshop", 'description: "Onboard\\u202Eing"'),
        encoding="utf-8",
    )
    return root


def test_reports_show_control_characters_by_their_code(tmp_path: Path, run: Run) -> None:
    root = _data(tmp_path / "data")
    args = ("mrr", "--data", root, "--month", "2026-03", "--by", "name")
    table = run(*args, "--format", "table", env={"COLUMNS": "200"})
    markdown = run(*args, "--format", "markdown")
    spreadsheet = run(*args, "--format", "csv")
    for result in (table, markdown, spreadsheet):
        assert result.exit_code == 0, result.output
        assert ESC not in result.stdout and "\x07" not in result.stdout
    assert SHOWN in table.stdout
    # Markdown shows "<" as &lt; (no HTML in a job summary), so the code reads the same.
    assert SHOWN.replace("<", "&lt;") in markdown.stdout
    rows = list(csv.DictReader(io.StringIO(spreadsheet.stdout)))
    # 10 seats × 490.00 a month; the onboarding fee is once, not MRR.
    assert [(r["name"], r["mrr"]) for r in rows] == [(SHOWN, "4900.00")]
    # For programs the data stays as it is.
    raw = run("--raw-csv", *args, "--format", "csv")
    assert next(csv.DictReader(io.StringIO(raw.stdout)))["name"] == NAME
    data = json.loads(run(*args, "--format", "json").stdout)
    assert data["rows"][0]["name"] == NAME


@pytest.mark.parametrize("name", ["\x00--\x00", "\x001e999\x00", "\x00123\x00"])
def test_json_keeps_a_text_that_looks_like_a_number_mark_a_text(
    tmp_path: Path, run: Run, name: str
) -> None:
    # JSON wrote a decimal as NUL, its digits, NUL inside a string and unquoted every such
    # string afterwards: a customer named NUL "--" NUL (a "\x00" escape in YAML) came out as
    # the bare `"name": --`, and the JSON did not parse; NUL "123" NUL became the number 123.
    root = tmp_path / "data"
    scaffold(root)
    (root / "customers.csv").unlink()
    escaped = name.replace("\x00", "\\x00")  # a YAML escape: the file holds no NUL
    (root / "customers.yaml").write_text(
        f'customers:\n  - customer_id: CUST-001\n    name: "{escaped}"\n', encoding="utf-8"
    )
    result = run("mrr", "--data", root, "--month", "2026-03", "--by", "name", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    # 10 seats × 490.00 a month; the onboarding fee is once, not MRR.
    assert [(r["name"], r["mrr"]) for r in rows] == [(name, 4900.0)]
    assert '"mrr": 4900.00,' in result.stdout  # money keeps its two decimals


def test_an_invoice_that_would_show_a_control_character_is_refused(
    tmp_path: Path, run: Run
) -> None:
    root = _overridden(_data(tmp_path / "data"))
    result = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-05")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{root}/contracts/CTR-001.yaml:17: description: holds the direction-formatting "
        "character <U+202E>, which an invoice cannot show; remove it",
        f"{root}/customers.csv:2: name: holds the control character <U+001B>, which an "
        "invoice cannot show; remove it",
        "2 problems found; nothing was done.",
    ]
    assert not (root / "invoices").exists()
    drafts = run(
        "invoice", "render", "--data", root, "--period", "2026-01", "--contract", "CTR-001"
    )
    assert drafts.exit_code == 1 and "<U+202E>" in drafts.stderr


def test_an_address_on_two_lines_is_invoiced(tmp_path: Path, run: Run) -> None:
    root = _data(tmp_path / "data", name="Nordlys Analyse AS", address="Storgata 1\r\n0155 Oslo")
    result = run(
        "invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-05",
        "--format", "md",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    face = (root / "invoices" / "2026-00001.md").read_text(encoding="utf-8")
    assert "Storgata 1" in face and "0155 Oslo" in face


def test_an_error_message_shows_a_typed_control_character_by_its_code(
    tmp_path: Path, run: Run
) -> None:
    root = _data(tmp_path / "data", name="Nordlys Analyse AS")
    result = run(
        "invoice", "render", "--data", root, "--period", "2026-01", "--contract", f"K{ESC}[2J"
    )
    assert result.exit_code == 2
    assert result.stderr == "error: there is no contract_id 'K<U+001B>[2J' in the data\n"


def test_a_reminder_dry_run_shows_control_characters_by_their_code(
    tmp_path: Path, run: Run
) -> None:
    root = _data(tmp_path / "data")
    # CTR-001 renews on 2027-01-01 unless notice is given 60 days before: by 2026-11-01,
    # whose 30-day reminder is due on 2026-10-02.
    result = run("remind", "--data", root, "--dry-run", "--as-of", "2026-10-02")
    assert result.exit_code == 0, result.output
    assert ESC not in result.stdout
    # 10 seats × 490.00 × 12 = 58,800.00 a year.
    assert f"* CTR-001 · {SHOWN} · ARR 58,800.00 NOK\n" in result.stdout


def test_validate_warns_of_each_control_character_by_file_row_and_column(
    tmp_path: Path, run: Run
) -> None:
    root = _overridden(_data(tmp_path / "data"))
    customers = root / "customers.csv"
    customers.write_text(
        customers.read_text(encoding="utf-8").replace(",SMB,", ",S\x85MB,"), encoding="utf-8"
    )
    result = run("validate", "--data", root)
    assert result.exit_code == 0, result.output  # reports run: they show the codes
    assert result.stdout.splitlines() == [
        f"warning: {root}/contracts/CTR-001.yaml:17: description: holds the direction-formatting "
        "character <U+202E>; reports never print it as it is, and an invoice that prints it is "
        "refused",
        f"warning: {root}/customers.csv:2: name: holds the control character <U+001B>; "
        "reports never print it as it is, and an invoice that prints it is refused",
        # No invoice prints a segment; U+0085 is a C1 control (next line).
        f"warning: {root}/customers.csv:2: segment: holds the control character <U+0085>; "
        "reports never print it as it is",
    ]
    clean = _data(tmp_path / "clean", name="Nordlys Analyse AS", address="Storgata 1\n0155 Oslo")
    assert run("validate", "--data", clean).stdout == ""


def test_validate_warns_of_control_characters_in_the_signal_files(tmp_path: Path, run: Run) -> None:
    # A ticket subject from a helpdesk export clearing the screen; the risk report shows
    # the code, and validate says where it is.
    root = _data(tmp_path / "data", name="Nordlys Analyse AS")
    (root / "tickets.csv").write_text(
        "ticket_id,customer_id,opened_on,severity,subject\n"
        f"T1,CUST-001,2026-03-02,high,Login{ESC}[2J fails\n",
        encoding="utf-8",
    )
    result = run("validate", "--data", root)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"warning: {root}/tickets.csv:2: subject: holds the control character <U+001B>; "
        "reports never print it as it is",
    ]


def test_an_import_shows_and_warns_of_the_control_characters_it_brings(
    tmp_path: Path, run: Run
) -> None:
    export = (ROOT / "docs/examples/import/baremetrics-subscriptions.csv").read_text("utf-8")
    bad = tmp_path / "subscriptions.csv"
    bad.write_text(export.replace("Nordlys Analyse AS", f"Nordlys{ESC}]0;pwn\x07 AS"), "utf-8")
    root = tmp_path / "data"
    args = ("import", "baremetrics", bad, "--data", root, "--country", "NO")
    dry = run(*args, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert ESC not in dry.stdout
    assert "+cus-001,Nordlys<U+001B>]0;pwn<U+0007> AS," in dry.stdout
    warning = (
        f"warning: {root}/customers.csv:2: name: holds the control character <U+001B>; "
        "reports never print it as it is, and an invoice that prints it is refused"
    )
    assert warning in dry.stderr.splitlines()
    done = run(*args)
    assert done.exit_code == 0, done.output
    assert warning in done.stderr.splitlines()


def test_an_import_dry_run_diff_keeps_a_name_with_a_vertical_tab_on_its_line(
    tmp_path: Path, run: Run
) -> None:
    # The diff broke lines where str.splitlines does (VT, U+0085, U+2028), inventing a
    # "+" in the middle of a record; only a line feed ends a line of the file.
    export = (ROOT / "docs/examples/import/baremetrics-subscriptions.csv").read_text("utf-8")
    bad = tmp_path / "subscriptions.csv"
    bad.write_text(export.replace("Nordlys Analyse AS", "Nordlys\vAna\x85lyse\u2028AS"), "utf-8")
    args = ("import", "baremetrics", bad, "--data", tmp_path / "data", "--country", "NO")
    dry = run(*args, "--dry-run")
    assert dry.exit_code == 0, dry.output
    (line,) = [x for x in dry.stdout.split("\n") if x.startswith("+cus-001,")]
    assert line.startswith("+cus-001,Nordlys<U+000B>Ana<U+0085>lyse\u2028AS,")


def test_a_credit_note_reason_with_a_control_character_is_refused(tmp_path: Path, run: Run) -> None:
    root = _data(tmp_path / "data", name="Nordlys Analyse AS")
    d = ("--data", root)
    issued = run("invoice", "issue", *d, "--period", "2026-01", "--date", "2026-01-05")
    assert issued.exit_code == 0, issued.output
    credit = ("invoice", "credit", "2026-00001", *d, "--date", "2026-01-06", "--reason")
    refused = run(*credit, f"Seats{ESC}]0;pwn\x07 reduced")
    assert refused.exit_code == 2
    assert refused.stderr == (
        "error: --reason holds the control character <U+001B>, which an invoice cannot show\n"
    )
    bidi = run(*credit, f"Seats reduced {RLO}321")
    assert bidi.exit_code == 2 and "direction-formatting character <U+202E>" in bidi.stderr
    assert run(*credit, "Seats reduced").exit_code == 0


def test_a_seller_text_with_a_control_character_stops_the_invoices(
    tmp_path: Path, run: Run
) -> None:
    root = _data(tmp_path / "data", name="Nordlys Analyse AS")
    settings = root / "revcli.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "  name: Fjordsoft AS\n" in text.splitlines(keepends=True)[2]  # line 3
    settings.write_text(text.replace("name: Fjordsoft AS", 'name: "Fjordsoft\\e[31m AS"'), "utf-8")
    result = run("invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-05")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{root}/revcli.yaml:3: company.name: holds the control character <U+001B>, which an "
        "invoice cannot show; remove it",
        "1 problem found; nothing was done.",
    ]
    assert not (root / "invoices").exists()


def test_csv_quotes_a_carriage_return_and_shows_a_lone_one_by_its_code() -> None:
    frame = pl.DataFrame({"name": ["Evil AS\rGood", "Storgata 1\r\n0155 Oslo", "Acme"]})
    report = Report("t", frame)
    # A lone CR is no line break: a spreadsheet or terminal gets its code. CRLF stays a
    # line break, quoted as the csv module quotes LF.
    assert render_csv(report) == 'name\nEvil AS<U+000D>Good\n"Storgata 1\r\n0155 Oslo"\nAcme\n'
    raw = render_csv(report, raw=True)
    assert raw == 'name\n"Evil AS\rGood"\n"Storgata 1\r\n0155 Oslo"\nAcme\n'
    # Read back, the raw CSV has the three names as they were (before: four rows).
    assert [r["name"] for r in csv.DictReader(io.StringIO(raw, newline=""))] == [
        "Evil AS\rGood",
        "Storgata 1\r\n0155 Oslo",
        "Acme",
    ]


def test_the_calendar_and_the_dashboard_keep_no_control_character(tmp_path: Path, run: Run) -> None:
    root = _data(tmp_path / "data", name=f"Nordlys {ESC}[31m Analyse{RLO} \x9b2J AS")
    ics = run(
        "renewals", "--data", root, "--as-of", "2026-10-01", "--within", "120d", "--format", "ics"
    )
    assert ics.exit_code == 0, ics.output
    # Removed from the calendar (RFC 5545 text may not hold C0 controls; C1 controls and
    # direction overrides go too): the rest of the name stays.
    assert "SUMMARY:Term ends (auto-renews): CTR-001 Nordlys [31m Analyse 2J AS\n" in ics.stdout
    for char in (ESC, RLO, "\x9b"):
        assert char not in ics.stdout
    page = run("dashboard", "--data", root, "--as-of", "2026-10-01", "--format", "html")
    assert page.exit_code == 0, page.output
    assert "Nordlys &lt;U+001B&gt;[31m Analyse&lt;U+202E&gt; &lt;U+009B&gt;2J AS" in page.stdout
    for char in (ESC, RLO, "\x9b"):
        assert char not in page.stdout


def test_an_error_message_shows_an_invisible_character_by_its_code(
    tmp_path: Path, run: Run
) -> None:
    root = _data(tmp_path / "data", name="Nordlys Analyse AS")
    result = run(
        "invoice", "render", "--data", root, "--period", "2026-01", "--contract", "CTR\u200b-001"
    )
    assert result.exit_code == 2
    assert result.stderr == "error: there is no contract_id 'CTR<U+200B>-001' in the data\n"


def test_a_value_revcli_refuses_on_the_command_line_is_quoted_by_its_codes(
    tmp_path: Path, run: Run
) -> None:
    root = _data(tmp_path / "data", name="Nordlys Analyse AS")
    result = run("mrr", "--data", root, "--by", f"na{ESC}]0;pwn\x07me", env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert ESC not in result.stderr
    assert "Invalid value for --by: 'na<U+001B>]0;pwn<U+0007>me' is not a customer" in result.stderr


def test_a_huge_value_is_cut_in_the_middle_of_a_message() -> None:
    # 100,000 characters quoted in a message: the line keeps its first 600 characters
    # (the place and the start of the value) and its last 300 (the end of the value and
    # the rule), and says how many it leaves out: 35 + 100,000 + 17 - 900 = 99,152.
    value = "9" * 100_000
    issue = Issue("contract_lines.csv", 7, "unit_price", f"'{value}' is not a number")
    head = "contract_lines.csv:7: unit_price: '" + "9" * (600 - 35)
    tail = "9" * (300 - 17) + "' is not a number"
    assert str(issue) == head + " … (99,152 characters left out) … " + tail
    # a line of exactly 1,000 characters is whole; the cut never parts a letter and its
    # accent: the head ends before the e whose accent would start the cut part (1,601
    # characters: 599 kept, 1,601 - 300 - 599 = 702 left out)
    assert message_text("x" * 1_000) == "x" * 1_000
    accented = "a" * 599 + "e\u0301" + "b" * 1_000
    assert message_text(accented).startswith("a" * 599 + " … (702 characters left out) … ")
    # each line of a message is cut on its own, counted as shown: an escape shows as the
    # eight characters of its code, so 600 // 8 = 75 escapes head the line and 300 // 8 =
    # 37 end it (296 characters), leaving out 2,000 - 112 = 1,888
    two = message_text("\x1b" * 2_000 + "\nshort", keep="\n")
    first, second = two.split("\n")
    assert first == "<U+001B>" * 75 + " … (1,888 characters left out) … " + "<U+001B>" * 37
    assert second == "short"
    # 200 escapes are 1,600 characters shown: cut too (75 + 37 kept, 88 left out)
    assert message_text("\x1b" * 200).count("<U+001B>") == 112
    assert "(88 characters left out)" in message_text("\x1b" * 200)


@pytest.mark.parametrize(
    ("whole", "at"),
    [
        ("\u0e01\u0e31", 1),  # Thai ko kai with mai han-akat (a mark, though not "combining")
        ("\u0915\u093f", 1),  # Devanagari ka with vowel sign i (a spacing mark)
        ("\u2764\ufe0f", 1),  # heart with variation selector 16
        ("\U0001f468\u200d\U0001f4bb", 2),  # man + joiner + laptop: cut before the laptop
        ("\U0001f1f3\U0001f1f4", 1),  # the flag of Norway: two regional indicators
        ("\U0001f44d\U0001f3fd", 1),  # thumbs up with a skin tone
    ],
)
def test_a_message_is_never_cut_inside_a_letter_or_emoji(whole: str, at: int) -> None:
    # 599 letters, then the sequence across the 600th character: the head ends before it
    # (599 kept), and the line's tail (300 "z") is whole.
    line = "a" * (600 - at) + whole + "z" * 1_000
    cut = message_text(line)
    assert cut.startswith("a" * (600 - at) + " … (")
    left_out = len(line) - (600 - at) - 300
    assert cut.endswith(f" … ({left_out:,} characters left out) … " + "z" * 300)


def test_a_run_of_marks_longer_than_a_letter_is_cut_anyway() -> None:
    # 2,000 accents: no letter boundary within reach, so the cut stays at 600 and 300.
    cut = message_text("\u0301" * 2_000)
    assert cut == "\u0301" * 600 + " … (1,100 characters left out) … " + "\u0301" * 300


def test_a_message_of_many_lines_keeps_its_first_40_and_last_10() -> None:
    text = "\n".join(f"line {i}" for i in range(1, 60_001))
    lines = message_text(text, keep="\n").split("\n")
    assert lines[:40] == [f"line {i}" for i in range(1, 41)]
    assert lines[40] == "… (59,950 lines left out) …"
    assert lines[41:] == [f"line {i}" for i in range(59_991, 60_001)]
    # 51 lines (as many as a cut message has) are shown whole; 52 are cut to 40 + 1 + 10
    whole = "\n".join("x" * 51)
    assert message_text(whole, keep="\n") == whole
    cut = message_text("\n".join("y" * 52), keep="\n").split("\n")
    assert (len(cut), cut[40]) == (51, "… (2 lines left out) …")


_MESSAGE_CHARS = st.characters(blacklist_characters="<", codec=None) | st.sampled_from(
    ["\x1b", "\x07", "\u202e", "\u200b", "\u0301", "\u200d", "\U0001f1f3", "\ufe0f", "\n"]
)


@settings(max_examples=200, deadline=None)
@given(st.text(_MESSAGE_CHARS, max_size=3_000), st.sampled_from(["", "\n"]))
def test_a_message_shows_no_control_character_and_no_line_longer_than_its_cut(
    text: str, keep: str
) -> None:
    shown = message_text(text, keep=keep)
    assert not re.search(f"[{CONTROL_CLASS}]", shown.replace("\n", ""))
    for line in shown.split("\n"):
        # a cut line: at most 600 + 300 shown characters and the note between them
        assert len(line) <= 600 + 300 + len(" … (3,000 characters left out) … ")
    # every code is whole, and showing a message again changes nothing
    assert re.fullmatch(r"(?:[^<]|<U\+[0-9A-F]{4,6}>)*", shown, re.DOTALL)
    assert message_text(shown, keep=keep) == shown


def test_a_huge_refused_value_is_cut_in_the_message(tmp_path: Path, run: Run) -> None:
    root = _data(tmp_path / "data", name="Nordlys Analyse AS")
    owner = f"{ESC}]52;c;" + "A" * 100_000 + "\x07"
    result = run("renewals", "--data", root, "--owner", owner)
    assert result.exit_code == 2
    assert ESC not in result.stderr
    assert "characters left out" in result.stderr
    assert len(result.stderr) < 3_000


def test_paths_in_revcli_s_own_lines_show_their_codes(
    tmp_path: Path, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    # A folder named with an OSC sequence (sets the terminal's title) in "wrote FILE" and
    # in the line a run prints before it waits for a lock.
    from revcli.state.lock import say_waiting

    folder = tmp_path / f"esc{ESC}]0;PWNED\x07dir"
    root = _data(folder / "data", name="Nordlys Analyse AS")
    out = folder / "mrr.csv"
    result = run("mrr", "--data", root, "--month", "2026-01", "--out", out)
    assert result.exit_code == 0, result.stderr
    shown = str(tmp_path / "esc<U+001B>]0;PWNED<U+0007>dir")
    assert result.stderr == f"wrote {shown}/mrr.csv\n"
    say_waiting(root)
    assert capsys.readouterr().err == f"waiting for another revcli run to release {shown}/data …\n"


def _seller_with_escape(root: Path) -> Path:
    """The data dir with an escape in ``company.name`` (line 3 of its revcli.yaml)."""
    settings = root / "revcli.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "  name: Fjordsoft AS\n" in text.splitlines(keepends=True)[2]
    settings.write_text(text.replace("name: Fjordsoft AS", 'name: "Fjordsoft\\e[31m AS"'), "utf-8")
    return root


def test_a_draft_is_refused_for_a_seller_text_with_a_control_character(
    tmp_path: Path, run: Run
) -> None:
    root = _seller_with_escape(_data(tmp_path / "data", name="Nordlys Analyse AS"))
    result = run(
        "invoice", "render", "--data", root, "--period", "2026-01", "--contract", "CTR-001",
        "--format", "txt",
    )  # fmt: skip
    assert result.exit_code == 1
    assert ESC not in result.stdout
    assert result.stderr.splitlines()[0] == (
        f"{root}/revcli.yaml:3: company.name: holds the control character <U+001B>, which an "
        "invoice cannot show; remove it"
    )


def test_an_invoice_issued_with_a_control_character_is_not_credited(
    tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As an older revcli did: the invoice is issued with the escape in the buyer's name.
    root = _data(tmp_path / "data")
    with monkeypatch.context() as older:
        older.setattr("revcli.billing.run.text_problems", lambda *_: [])
        issued = run(
            "invoice", "issue", "--data", root, "--period", "2026-01", "--date", "2026-01-05"
        )
        assert issued.exit_code == 0, issued.output
    before = {p.name: p.read_bytes() for p in (root / "invoices").iterdir()}
    credit = run(
        "invoice", "credit", "2026-00001", "--data", root, "--reason", "seats", "--date",
        "2026-01-06",
    )  # fmt: skip
    assert credit.exit_code == 1
    assert credit.stderr.splitlines()[0] == (
        f"{root}/invoices/register.jsonl:1: buyer.name: invoice 2026-00001 holds the control "
        "character <U+001B>, which a credit note cannot show; credit it with a document made "
        "outside revcli"
    )
    assert {p.name: p.read_bytes() for p in (root / "invoices").iterdir()} == before
    assert "2026-00001.html" in before  # nothing written, nothing recorded


def test_an_import_writes_a_carriage_return_in_a_quoted_cell(tmp_path: Path, run: Run) -> None:
    examples = ROOT / "docs/examples/import"
    customers = tmp_path / "customers.json"
    text = (examples / "stripe-customers.json").read_text(encoding="utf-8")
    customers.write_text(
        text.replace('"Nordlys Analyse AS"', '"Totally Legit Bank ASA\\rNordlys Analyse AS"'),
        encoding="utf-8",
    )
    files = [customers, examples / "stripe-subscriptions.json", examples / "stripe-products.json"]
    root = tmp_path / "data"
    fx = examples / "fx-rates.csv"
    done = run("import", "stripe", *files, "--data", root, "--fx-rates", fx)
    assert done.exit_code == 0, done.output
    with (root / "customers.csv").open(encoding="utf-8", newline="") as f:
        written = f.read()
    # The CR is quoted: read back, the name is one cell of one record (it read as two).
    assert '"Totally Legit Bank ASA\rNordlys Analyse AS"' in written
    names = [r["name"] for r in csv.DictReader(io.StringIO(written, newline=""))]
    assert "Totally Legit Bank ASA\rNordlys Analyse AS" in names
    assert run("validate", "--data", root).exit_code == 0


def test_validate_warns_of_a_seller_text_with_a_control_character(tmp_path: Path, run: Run) -> None:
    root = _seller_with_escape(_data(tmp_path / "data", name="Nordlys Analyse AS"))
    result = run("validate", "--data", root)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"warning: {root}/revcli.yaml:3: company.name: holds the control character <U+001B>, "
        "which an invoice cannot show; remove it\n"
    )


def test_a_table_cell_keeps_the_codes_rich_would_drop() -> None:
    from revcli.output.render import shown
    from revcli.output.report import ColumnKind

    # Rich's Text drops a bell, backspace or form feed without a trace.
    assert shown("Nordlys\x07\x08 AS", ColumnKind.TEXT) == "Nordlys<U+0007><U+0008> AS"
