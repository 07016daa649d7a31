"""The command line: exit codes, stdout/stderr, formats, --out, data dir discovery, init."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from revcli import __version__
from revcli.cli import app
from tests.conftest import SAMPLE, MakeDir, Run

FILES = {
    "customers.csv": "customer_id,name,segment\nA,Acme AS,SMB\nB,[Bergen] AS,\n",
    "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\nC2,B,2026-02-01\n",
    "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,1000.50\nC2,LIC,55.125\n",
}


def test_version(run: Run) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"revcli {__version__}"


def test_every_command_help_shows_an_example(run: Run) -> None:
    for command in app.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert "Example" in result.stdout, name


def test_mrr_csv_rounds_half_away_from_zero(run: Run, make_data_dir: MakeDir) -> None:
    # February: MRR 1,000.50 + 55.125 = 1,055.625 → 1055.63 (half away from zero);
    # new 55.125 → 55.13; ARR 12 × 1,055.625 = 12,667.50; ARPA 1,055.625 / 2 = 527.8125 → 527.81.
    root = make_data_dir(FILES)
    result = run("mrr", "--data", root, "--month", "2026-02", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    header, line = result.stdout.strip().splitlines()
    assert header.split(",")[:5] == ["month", "mrr", "arr", "customers", "new"]
    values = dict(zip(header.split(","), line.split(","), strict=True))
    assert values["month"] == "2026-02"
    assert values["mrr"] == "1055.63"
    assert values["arr"] == "12667.50"
    assert values["new"] == "55.13"
    assert values["growth_pct"] == "5.51"  # 100 × 55.125 / 1000.50 = 5.5097…
    assert values["arpa"] == "527.81"


def test_negative_movements_round_away_from_zero(run: Run, make_data_dir: MakeDir) -> None:
    files = dict(FILES)
    files["contract_lines.csv"] = (
        "contract_id,product,unit_price,end_date\nC1,LIC,1000.50,\nC2,LIC,55.125,2026-02-28\n"
    )
    result = run("mrr", "--data", make_data_dir(files), "--month", "2026-03", "-f", "json")
    [row] = json.loads(result.stdout)["rows"]
    assert row["churn"] == -55.13
    assert row["churned_customers"] == 1


def test_json_has_meta_with_format_version(run: Run, make_data_dir: MakeDir) -> None:
    result = run(
        "mrr", "--data", make_data_dir(FILES), "--from", "2026-01", "--to", "2026-02", "-f", "json"
    )
    doc = json.loads(result.stdout)
    assert doc["meta"]["format_version"] == 1
    assert doc["meta"]["currency"] == "NOK"
    assert [r["month"] for r in doc["rows"]] == ["2026-01", "2026-02"]
    assert doc["rows"][0]["growth_pct"] is None


def test_markdown_and_table(run: Run, make_data_dir: MakeDir) -> None:
    root = make_data_dir(FILES)
    md = run("mrr", "--data", root, "--month", "2026-02", "-f", "markdown").stdout
    assert md.startswith("### MRR 2026-02 (NOK)")
    assert "| 2026-02 | 1055.63 |" in md
    table = run(
        "mrr", "--data", root, "--month", "2026-02", "-f", "table", "--by", "customer_id"
    ).stdout
    # One row per customer, and the total of both in the footer.
    assert "│" not in table
    assert "1,000.50" in table and "55.13" in table
    assert "1,055.63" in table.split("Total")[1]


def test_out_infers_format_and_writes_atomically(
    run: Run, make_data_dir: MakeDir, tmp_path: Path
) -> None:
    out = tmp_path / "reports" / "mrr.json"
    result = run("mrr", "--data", make_data_dir(FILES), "--month", "2026-02", "--out", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text())["rows"][0]["mrr"] == 1055.63
    assert [p.name for p in out.parent.iterdir()] == ["mrr.json"]  # no temporary left


def test_invalid_data_exits_1_with_problems_on_stderr(run: Run, make_data_dir: MakeDir) -> None:
    files = dict(FILES)
    files["contracts.csv"] = "contract_id,customer_id,start_date\nC1,A,2026-01-01\nC2,B,soon\n"
    root = make_data_dir(files)
    result = run("mrr", "--data", root, "--month", "2026-02")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        f"{root}/contracts.csv:3: start_date: 'soon' is not a date from 1900 to 2199; expected YYYY-MM-DD"
        in result.stderr
    )
    assert "1 problem found" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_command_line_exits_2(run: Run, make_data_dir: MakeDir) -> None:
    root = make_data_dir(FILES)
    assert run("mrr", "--data", root, "--month", "2026-13").exit_code == 2
    assert run("mrr", "--data", root, "--from", "2026-05", "--to", "2026-01").exit_code == 2
    assert run("mrr", "--data", root, "--by", "colour").exit_code == 2
    assert run("mrr", "--data", root, "--format", "xml").exit_code == 2
    assert run("mrr", "--data", root / "nope").exit_code == 2


@pytest.mark.parametrize(
    "command",
    [["mrr"], ["nrr"], ["cohorts"], ["dashboard"], ["diff", "HEAD"]],
    ids=lambda command: command[0],
)
def test_a_from_after_the_default_to_says_where_the_to_came_from(
    run: Run, make_data_dir: MakeDir, command: list[str]
) -> None:
    # --to was not typed: it is the month of --as-of (2026-03), and the error says so;
    # without --as-of it is today's month (the year 2199 is after any today of ours).
    root = make_data_dir(FILES)
    wide = {"COLUMNS": "200"}  # the error box on one line
    result = run(*command, "--data", root, "--from", "2026-05", "--as-of", "2026-03-01", env=wide)
    assert result.exit_code == 2
    assert (
        "--from 2026-05 is after --to 2026-03 (the default: the month of --as-of)" in result.stderr
    )
    assert result.stdout == ""
    result = run(*command, "--data", root, "--from", "2199-12", env=wide)
    assert result.exit_code == 2
    assert "(the default: the month of --as-of, today)" in result.stderr
    # A typed --to is named as it was typed.
    result = run(*command, "--data", root, "--from", "2026-05", "--to", "2026-03", env=wide)
    assert result.exit_code == 2
    assert "--from 2026-05 is after --to 2026-03" in result.stderr
    assert "default" not in result.stderr


def test_default_range_is_twelve_months_up_to_as_of(run: Run, make_data_dir: MakeDir) -> None:
    result = run("mrr", "--data", make_data_dir(FILES), "--as-of", "2026-03-15", "-f", "csv")
    months = [line.split(",")[0] for line in result.stdout.strip().splitlines()[1:]]
    assert months[0] == "2025-04"
    assert months[-1] == "2026-03"
    assert len(months) == 12


def test_data_dir_from_env_and_from_parent_folders(
    run: Run, make_data_dir: MakeDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_data_dir(FILES)
    by_env = run("mrr", "--month", "2026-02", "-f", "csv", env={"REVCLI_DATA": str(root)})
    assert by_env.exit_code == 0
    nested = root / "reports" / "2026"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    upward = run("mrr", "--month", "2026-02", "-f", "csv")
    assert upward.stdout == by_env.stdout


def test_validate_is_silent_when_clean(run: Run, make_data_dir: MakeDir) -> None:
    result = run("validate", "--data", make_data_dir(FILES))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == ""


def test_validate_lists_every_problem_and_a_count(run: Run, make_data_dir: MakeDir) -> None:
    files = dict(FILES)
    files["contract_lines.csv"] = "contract_id,product,unit_price,colour\nC1,LIC,x,\nC2,LIC,-5,\n"
    root = make_data_dir(files)
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"warning: {root}/contract_lines.csv:1: colour: unknown column; it is ignored",
        f"{root}/contract_lines.csv:2: unit_price: 'x' is not a number; expected digits with a decimal point, e.g. 1200.50",
        f"{root}/contract_lines.csv:3: unit_price: '-5' must be at least 0",
    ]
    assert result.stderr.strip() == "2 problems and 1 warning found."


def test_init_scaffolds_a_clean_data_dir(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "revenue"
    result = run("init", target)
    assert result.exit_code == 0
    assert (target / "README.md").exists()
    assert run("validate", "--data", target).exit_code == 0
    # 10 seats × 490 NOK per month; onboarding is one-time and never MRR.
    mrr = run("mrr", "--data", target, "--month", "2026-01", "-f", "csv").stdout
    assert mrr.splitlines()[1].startswith("2026-01,4900.00,58800.00,1,4900.00")
    assert f"created {target / 'revcli.yaml'}" in result.stderr.splitlines()
    again = run("init", target)
    assert again.exit_code == 2
    assert "--force" in again.stderr
    (target / "README.md").unlink()
    (target / "README.md").symlink_to(target / "nowhere")  # a dangling link is a file there
    assert run("init", target).exit_code == 2
    (target / "README.md").unlink()
    forced = run("init", target, "--force")
    assert forced.exit_code == 0
    lines = forced.stderr.splitlines()
    assert f"replaced {target / 'revcli.yaml'}" in lines
    assert f"created {target / 'README.md'}" in lines


def test_init_writes_all_its_files_or_none(run: Run, tmp_path: Path) -> None:
    # A file named contracts stood where the folder belongs: init wrote revcli.yaml and
    # customers.csv, then failed, and the next init refused ("already holds revcli
    # files") the half-made data dir it had left.
    target = tmp_path / "revenue"
    target.mkdir()
    (target / "contracts").write_text("not a folder\n", encoding="utf-8")
    result = run("init", target)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot write {target / 'contracts' / 'CTR-001.yaml'}: "
        f"{target / 'contracts'} is a file, not a folder; nothing was changed\n"
    )
    assert sorted(p.name for p in target.iterdir()) == ["contracts"]
    (target / "contracts").unlink()
    assert run("init", target).exit_code == 0


def test_rounding_handles_any_magnitude() -> None:
    from decimal import Decimal

    from revcli.decimals import round_half_up

    assert round_half_up(1.2345e106, 2) == Decimal("1.2345E+106")
    assert round_half_up(-55.125, 2) == Decimal("-55.13")
    assert round_half_up(1.005, 2) == Decimal("1.01")
    assert round_half_up(float("inf"), 2) == Decimal("Infinity")


def test_unwritable_out_is_a_clear_error(run: Run, make_data_dir: MakeDir) -> None:
    root = make_data_dir(FILES)
    target = root / "customers.csv" / "mrr.csv"  # a file where a folder would be
    result = run("mrr", "--data", root, "--month", "2026-02", "--out", target)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot write {target}: ")
    assert f"{root / 'customers.csv'} is a file, not a folder" in result.stderr
    assert "internal error" not in result.stderr


def test_out_in_a_folder_that_is_a_symbolic_link_to_nothing_names_the_link(
    run: Run, make_data_dir: MakeDir, tmp_path: Path
) -> None:
    # reports -> nowhere/reports: the write said only "File exists".
    root = make_data_dir(FILES)
    link = tmp_path / "reports"
    link.symlink_to(tmp_path / "nowhere" / "reports")
    target = link / "mrr.csv"
    result = run("mrr", "--data", root, "--month", "2026-02", "--out", target)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot write {target}: {link} is a symbolic link to "
        f"{tmp_path / 'nowhere' / 'reports'}, which does not exist\n"
    )
    assert not (tmp_path / "nowhere").exists()


def test_out_in_a_loop_of_symbolic_links_is_a_write_error(
    run: Run, make_data_dir: MakeDir, tmp_path: Path
) -> None:
    # a -> b -> a: Python 3.11 resolves it with a RuntimeError, which ended in an internal
    # error before the write could name the loop.
    root = make_data_dir(FILES)
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    target = tmp_path / "a" / "mrr.csv"
    result = run("mrr", "--data", root, "--month", "2026-02", "--out", target)
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot write {target}: Too many levels of symbolic links\n"


def test_out_writes_into_devices_and_pipes_and_replaces_symlinks(
    run: Run, make_data_dir: MakeDir, tmp_path: Path
) -> None:
    """``--out`` replaces a regular file atomically, but a device or a pipe is written
    into as it is (never swapped for a file), and a symlink is replaced, never followed:
    a link committed to a repo cannot make a CI job overwrite the file it points to."""
    import os
    import stat
    import threading

    root = make_data_dir(FILES)
    args = ("mrr", "--data", root, "--month", "2026-02", "--format", "csv")
    expected = run(*args).stdout
    assert expected.startswith("month,mrr")

    assert run(*args, "--out", "/dev/null").exit_code == 0
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)

    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()))
    reader.start()
    result = run(*args, "--out", pipe)
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert received == [expected]
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)

    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "passwd").write_text("root:x:0:0\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(tmp_path / "shared" / "passwd")
    assert run(*args, "--out", link).exit_code == 0
    assert not link.is_symlink()
    assert link.read_text() == expected
    assert (tmp_path / "shared" / "passwd").read_text() == "root:x:0:0\n"

    loop = tmp_path / "loop.csv"
    loop.symlink_to("loop.csv")
    result = run(*args, "--out", loop)
    assert result.exit_code == 1
    assert f"cannot write {loop}: Too many levels of symbolic links" in result.stderr
    assert loop.is_symlink()

    folder = tmp_path / "folder.csv"
    folder.mkdir()
    result = run(*args, "--out", folder)
    assert result.exit_code == 2  # a usage error, before any work
    assert "is a directory" in result.stderr


def test_overflowing_amounts_are_refused_not_printed(run: Run, make_data_dir: MakeDir) -> None:
    # Monthly renewals doubling the price since 1900: 2^1,510 overflows a float. The
    # report says so (exit 1) instead of printing Infinity or NaN.
    files = dict(FILES)
    files["contracts.csv"] = (
        "contract_id,customer_id,start_date,end_date,auto_renew,renewal_term_months,renewal_uplift_pct\n"
        "C1,A,1900-01-01,1900-01-31,true,1,100\n"
    )
    files["contract_lines.csv"] = "contract_id,product,unit_price\nC1,LIC,10\n"
    result = run("mrr", "--data", make_data_dir(files), "--month", "2026-02", "-f", "json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "too large to compute" in result.stderr


def test_a_rust_panic_is_reported_as_an_internal_error(capsys: pytest.CaptureFixture[str]) -> None:
    # Polars raises panics as pyo3's PanicException, a BaseException: still no traceback.
    import datetime as dt

    import polars as pl
    import typer

    from revcli.cli.common import error_boundary

    with pytest.raises(typer.Exit) as info, error_boundary():
        frame = pl.DataFrame({"d": [dt.date(2026, 11, 30)]})
        frame.select(pl.col("d") - pl.duration(days=99_999_999)).rows()  # out-of-range date
    assert info.value.exit_code == 1
    assert "internal error: PanicException" in capsys.readouterr().err


def test_a_data_dir_that_is_a_device_is_a_usage_error(run: Run) -> None:
    result = run("mrr", "--data", "/dev/null")
    assert result.exit_code == 2
    assert "data dir /dev/null is not a folder" in result.stderr


def test_a_data_dir_whose_path_is_not_utf8_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    # A folder named in Latin-1 ("d\xffx"): every report failed with an internal error
    # (its files' names are UTF-8 text in messages and outputs, and to Polars). It is now
    # refused up front, the byte shown as it is; from inside it, revcli reads it as ".".
    import os
    import shutil

    root = Path(os.fsdecode(os.fsencode(tmp_path) + b"/d\xffx"))
    shutil.copytree(SAMPLE, root)
    for command in (["mrr"], ["validate"], ["invoice", "list"]):
        result = run(*command, "--data", root)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == (
            f"error: data dir {tmp_path}/d\\xffx: its path is not UTF-8 text; rename the "
            "folder (or the folders above it) with UTF-8 names\n"
        )


def test_columns_beyond_any_terminal_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    # COLUMNS=99999999999 made Rich lay out help boxes that wide (MemoryError, or a hang).
    from revcli.cli import MAX_COLUMNS, _sane_columns
    from revcli.cli.common import table_width

    for given, kept in (("99999999999", str(MAX_COLUMNS)), ("120", "120"), ("-5", None)):
        monkeypatch.setenv("COLUMNS", given)
        _sane_columns()
        import os

        assert os.environ.get("COLUMNS") == kept
    monkeypatch.setenv("COLUMNS", "99999999999")
    assert table_width() == MAX_COLUMNS


@pytest.mark.parametrize(
    ("option", "value"),
    [("--month", "２０２６-01"), ("--as-of", "２０２６-01-31"), ("--month", "٢٠٢٦-01")],
)
def test_months_and_days_take_ascii_digits_only(run: Run, option: str, value: str) -> None:
    # Python's \d and int() read full-width and Arabic-Indic digits; a typed value that
    # only looks like a month is refused as a usage error, as data cells are.
    result = run("mrr", "--data", SAMPLE, option, value)
    assert result.exit_code == 2
    assert f"Invalid value for {option}" in result.stderr
