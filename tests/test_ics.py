"""``revcli renewals --format ics``: parsed back with icalendar; stable UIDs; reproducible."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from icalendar import Calendar

from revcli.renewals.ics import event_uid, uid_domain
from tests.conftest import SETTINGS, MakeDir, Run
from tests.test_renewals_cli import AS_OF, FILES


@pytest.fixture
def root(make_data_dir: MakeDir) -> Path:
    return make_data_dir(
        FILES, SETTINGS.replace("company:\n", "company:\n  email: billing@fjordsoft.example\n")
    )


def ics(run: Run, root: Path, *args: str) -> bytes:
    result = run("renewals", "--data", root, "--format", "ics", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout.encode("utf-8")


def events(data: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_one_event_per_term_end_and_per_auto_renewal_notice_deadline(run: Run, root: Path) -> None:
    found = events(ics(run, root, "--as-of", AS_OF))
    # 6 term ends; notice deadlines of the auto-renewing X2, X3, X7 and locked-in X4.
    d = "fjordsoft.example"
    assert sorted(found) == sorted(
        [
            f"revcli-X1-term-end-20261231@{d}",
            f"revcli-X2-term-end-20270131@{d}",
            f"revcli-X3-term-end-20270215@{d}",
            f"revcli-X4-term-end-20261215@{d}",
            f"revcli-X5-term-end-20270110@{d}",
            f"revcli-X7-term-end-20261231@{d}",
            f"revcli-X2-notice-20261202@{d}",
            f"revcli-X3-notice-20270116@{d}",
            f"revcli-X4-notice-20261115@{d}",
            f"revcli-X7-notice-20261201@{d}",
        ]
    )


def test_events_are_all_day_with_customer_arr_and_owner(run: Run, root: Path) -> None:
    event = events(ics(run, root, "--as-of", AS_OF))["revcli-X2-notice-20261202@fjordsoft.example"]
    assert event.start == dt.date(2026, 12, 2)
    assert event.end == dt.date(2026, 12, 3)
    assert str(event["SUMMARY"]) == "Notice deadline: X2 Acme AS (term ends 2027-01-31)"
    description = str(event["DESCRIPTION"])
    assert "Customer: Acme AS (A)" in description
    assert "ARR: 24,000.00 NOK" in description
    assert "Owner: ola@example.no" in description
    assert "Notice deadline: 2026-12-02 (notice 60 days)" in description
    [alarm] = event.walk("VALARM")
    assert alarm["TRIGGER"].dt == dt.timedelta(days=-7)


def test_decision_appears_in_the_description(run: Run, root: Path) -> None:
    event = events(ics(run, root, "--as-of", AS_OF))[
        "revcli-X7-term-end-20261231@fjordsoft.example"
    ]
    assert "Decision: renew on 2026-11-20" in str(event["DESCRIPTION"])


def test_same_data_and_as_of_give_the_same_bytes(run: Run, root: Path) -> None:
    first = ics(run, root, "--as-of", AS_OF)
    assert first == ics(run, root, "--as-of", AS_OF)
    stamps = {e["DTSTAMP"].dt for e in events(first).values()}
    assert stamps == {dt.datetime(2026, 11, 23, tzinfo=dt.UTC)}


def test_uids_survive_a_later_export_so_reimport_updates(run: Run, root: Path) -> None:
    earlier = events(ics(run, root, "--as-of", AS_OF))
    later = events(ics(run, root, "--as-of", "2026-11-30"))
    # A week later X4 (2026-12-15) is still listed; its events keep their UIDs and carry a
    # newer DTSTAMP, which is what calendar apps compare to update an event in place.
    uid = "revcli-X4-term-end-20261215@fjordsoft.example"
    assert uid in earlier and uid in later
    assert later[uid]["DTSTAMP"].dt > earlier[uid]["DTSTAMP"].dt


def test_uid_encodes_contract_ids_so_they_never_collide() -> None:
    day = dt.date(2026, 12, 31)
    assert event_uid("CTR 1", "notice", day, "x.no") != event_uid("CTR-1", "notice", day, "x.no")
    assert event_uid("CTR/1@a", "notice", day, "x.no") == "revcli-CTR%2F1%40a-notice-20261231@x.no"


def test_uid_domain_defaults_when_the_company_has_no_email() -> None:
    assert uid_domain("") == "revcli.invalid"
    assert uid_domain("Billing@Example.NO") == "example.no"


def test_calendar_is_valid_icalendar_with_crlf_and_a_name(
    run: Run, root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cal.ics"
    ics(run, root, "--as-of", AS_OF, "--out", str(out))
    data = out.read_bytes()
    assert data.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//revcli//renewals//EN\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # folded lines
    cal = Calendar.from_ical(data)
    assert str(cal["X-WR-CALNAME"]) == "Renewals – Fjordsoft AS"
    assert str(cal["METHOD"]) == "PUBLISH"


def test_filters_apply_to_the_calendar(run: Run, root: Path) -> None:
    found = events(ics(run, root, "--as-of", AS_OF, "--status", "expires"))
    assert list(found) == ["revcli-X1-term-end-20261231@fjordsoft.example"]


def test_a_notice_deadline_already_passed_keeps_its_event_but_has_no_alarm(
    run: Run, root: Path
) -> None:
    # As of 2026-11-23, X4's notice deadline 2026-11-15 has passed (it is locked in): an
    # alarm 7 days before it would fire at once on import. X3's deadline 2027-01-16
    # lies ahead, so its alarm (2027-01-09) stays.
    found = events(ics(run, root, "--as-of", AS_OF))
    d = "fjordsoft.example"
    assert found[f"revcli-X4-notice-20261115@{d}"].walk("VALARM") == []
    assert len(found[f"revcli-X3-notice-20270116@{d}"].walk("VALARM")) == 1


def test_an_alarm_whose_day_has_passed_is_left_off(run: Run, make_data_dir: MakeDir) -> None:
    # As of 2026-01-20, four contracts ending 2026-02-28 with notice deadlines 0, 6, 7 and
    # 8 days ahead: 2026-02-28 − 39 d = 01-20, − 33 d = 01-26, − 32 d = 01-27, − 31 d =
    # 01-28. Their alarms, 7 days before, would be 01-13 and 01-19 (before the as-of
    # day: they would fire at once on import, so none), 01-20 (the as-of day) and 01-21.
    root = make_data_dir(
        {
            "customers.csv": """\
                customer_id,name,owner
                A,Acme AS,kari@example.no
            """,
            "contracts.csv": """\
                contract_id,customer_id,start_date,end_date,auto_renew,notice_days
                D0,A,2025-03-01,2026-02-28,true,39
                D6,A,2025-03-01,2026-02-28,true,33
                D7,A,2025-03-01,2026-02-28,true,32
                D8,A,2025-03-01,2026-02-28,true,31
            """,
            "contract_lines.csv": """\
                contract_id,product,unit_price
                D0,LIC,100
                D6,LIC,100
                D7,LIC,100
                D8,LIC,100
            """,
        }
    )
    found = events(ics(run, root, "--as-of", "2026-01-20"))
    alarms = {
        (event.start, tuple(alarm["TRIGGER"].dt for alarm in event.walk("VALARM")))
        for event in found.values()
        if "-notice-" in str(event["UID"])
    }
    week = dt.timedelta(days=-7)
    assert alarms == {
        (dt.date(2026, 1, 20), ()),
        (dt.date(2026, 1, 26), ()),
        (dt.date(2026, 1, 27), (week,)),
        (dt.date(2026, 1, 28), (week,)),
    }


def test_control_characters_in_names_never_reach_the_calendar(
    run: Run, make_data_dir: MakeDir
) -> None:
    # RFC 5545 allows no control character but tab in text: a \x01 in a customer name
    # (accepted as text by the data files) is left out of the event, the rest is kept.
    files = dict(FILES)
    files["customers.csv"] = FILES["customers.csv"].replace("Acme AS", "Acme\x01 AS\x7f")
    data = ics(run, make_data_dir(files), "--as-of", AS_OF)
    assert b"\x01" not in data and b"\x7f" not in data
    event = events(data)["revcli-X2-notice-20261202@revcli.invalid"]
    assert str(event["SUMMARY"]) == "Notice deadline: X2 Acme AS (term ends 2027-01-31)"
    assert "Customer: Acme AS (A)" in str(event["DESCRIPTION"])


def test_a_company_name_on_two_lines_names_the_calendar_on_one(
    run: Run, make_data_dir: MakeDir
) -> None:
    # company.name "Fjord\nsoft\r AS\x01" (valid as a setting) made icalendar fail on the
    # calendar's NAME line (an internal error), and a CR or U+0001 made the file invalid:
    # the name is written on one line, the break a space, control characters left out.
    settings = SETTINGS.replace("name: Fjordsoft AS", 'name: "Fjord\\nsoft\\r AS\\x01"')
    assert settings != SETTINGS
    cal = Calendar.from_ical(ics(run, make_data_dir(dict(FILES), settings), "--as-of", AS_OF))
    assert str(cal["X-WR-CALNAME"]) == "Renewals – Fjord soft AS"
    assert str(cal["NAME"]) == str(cal["X-WR-CALNAME"])


def test_a_backslash_n_in_a_customer_name_stays_text(run: Run, make_data_dir: MakeDir) -> None:
    # A customer "Acme\\N AS" (a backslash and a capital N, as typed) was written as
    # "Acme\\N AS": RFC 5545 reads \\N as a line break. The backslash is escaped, so the
    # file says "Acme\\\\N AS" and reads back as the name typed.
    files = dict(FILES)
    files["customers.csv"] = FILES["customers.csv"].replace("Acme AS", "Acme\\N AS")
    assert files["customers.csv"] != FILES["customers.csv"]
    data = ics(run, make_data_dir(files), "--as-of", AS_OF)
    assert b"\nSUMMARY:Notice deadline: X2 Acme\\\\N AS (term ends 2027-01-31)\n" in data
    event = events(data)["revcli-X2-notice-20261202@revcli.invalid"]
    assert str(event["SUMMARY"]) == "Notice deadline: X2 Acme\\N AS (term ends 2027-01-31)"
    assert "Customer: Acme\\N AS (A)\n" in str(event["DESCRIPTION"])


def test_the_calendar_name_is_escaped_as_text(run: Run, make_data_dir: MakeDir) -> None:
    # NAME and X-WR-CALNAME are text (RFC 7986; RFC 5545 §3.3.11): a comma, semicolon
    # and backslash in company.name are escaped there as in every event, where they were
    # written as given ("a, b" reads as two names; "\\N" as a line break).
    settings = SETTINGS.replace("name: Fjordsoft AS", 'name: "Fjord, Soft; \\\\N AS"')
    assert settings != SETTINGS
    data = ics(run, make_data_dir(dict(FILES), settings), "--as-of", AS_OF)
    name = "Renewals – Fjord\\, Soft\\; \\\\N AS".encode()
    assert b"\nNAME:" + name + b"\nX-WR-CALNAME:" + name + b"\n" in data  # stdout: \n


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"),
        max_size=400,
    )
)
@example("x" * 73 + "\\n" + "y" * 80)  # an escape whose backslash would end the first line
@example("x" * 74 + "^" + "y")  # a caret as the 75th octet: the fold comes before it anyway
@example("x" * 73 + "ø" * 40)  # a two-octet character across the 74th octet
@example("🎉" * 40)
@example("x" * 74)
@example("x" * 75)
def test_folding_gives_the_bytes_icalendar_folds(line: str) -> None:
    # fold() is the fast path of icalendar's own folding; the two must agree on any line.
    from icalendar.parser.string import _foldline

    from revcli.renewals.ics import fold

    assert fold(line) == _foldline(line).encode("utf-8")


def icalendar_objects(
    frame: pl.DataFrame, as_of: dt.date, *, currency: str, domain: str, name: str
) -> Calendar:
    """The calendar of :func:`revcli.renewals.ics.renewals_calendar` built the plain way,
    as icalendar components: the reference its line-by-line bytes are compared with."""
    from icalendar import Alarm, Event
    from icalendar.enums import TRANSP

    from revcli.renewals.ics import NOTICE_ALARM_DAYS, PRODID, _entries

    stamp = dt.datetime.combine(as_of, dt.time(0, 0), tzinfo=dt.UTC)
    cal = Calendar.new(
        prodid=PRODID,
        uid=f"revcli-renewals@{domain}",
        name=name,
        method="PUBLISH",
        calscale="GREGORIAN",
    )
    for entry in _entries(frame, as_of, currency, domain):
        event = Event.new(
            uid=entry.uid,
            summary=entry.summary,
            start=entry.day,
            end=entry.day + dt.timedelta(days=1),
            stamp=stamp,
            description=entry.description,
            categories=["Renewal"],
            transparency=TRANSP.TRANSPARENT,
        )
        if entry.alarm is not None:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", entry.alarm)
            alarm.add("trigger", dt.timedelta(days=-NOTICE_ALARM_DAYS))
            event.add_component(alarm)
        cal.add_component(event)
    return cal


def test_the_calendar_is_the_bytes_icalendar_writes(tmp_path: Path) -> None:
    # The whole file, written line by line, against icalendar's own: the calendar of
    # sample_data with customer names holding what is escaped (\, ;, a comma, a line
    # break, a carriage return), a tab, non-ASCII and emoji at every fold position. (A
    # text holding \N, and a calendar name holding what is escaped, are written apart
    # from icalendar on purpose: the tests below.)
    import polars as pl

    from revcli.checks import load_dataset
    from revcli.renewals import ics
    from revcli.renewals.report import RenewalQuery, select_renewals
    from tests.conftest import SAMPLE

    data = load_dataset(SAMPLE)
    frame = select_renewals(data, RenewalQuery(as_of=dt.date(2026, 11, 23)))
    names = ["Ø\\;,^\\n\n\r\t" * k + "🎉 AS" for k in range(1, 30)]
    frame = frame.with_columns(
        pl.Series("customer_name", (names * frame.height)[: frame.height], dtype=pl.String)
    )
    args: dict[str, Any] = {"currency": "NOK", "domain": "x.no", "name": "Renewals – Ø 🎉"}
    for as_of in (dt.date(2026, 11, 23), dt.date(2027, 1, 1)):  # alarms, and passed deadlines
        got = ics.renewals_calendar(frame, as_of, **args)
        assert got == icalendar_objects(frame, as_of, **args).to_ical()
    assert frame.height > 50


def test_a_calendar_written_on_a_terminal_shows_a_spinner(tmp_path: Path) -> None:
    # On a terminal (stderr a pseudo-terminal) the seconds a large calendar takes show a
    # spinner with what is being done; piped, stderr has only the "wrote" line.
    import os
    import subprocess
    import sys

    from tests.conftest import SAMPLE

    out = tmp_path / "r.ics"
    args = [sys.executable, "-m", "revcli", "renewals", "--data", str(SAMPLE)]
    args += ["--as-of", AS_OF, "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TTY_COMPATIBLE", "NO_COLOR")}
    main, other = os.openpty()
    subprocess.run(args, stderr=other, stdout=subprocess.DEVNULL, env=env, check=True, timeout=60)
    os.close(other)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the other end is closed: all read
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert "Writing the calendar …".encode() in shown
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR")
    piped = subprocess.run(args, capture_output=True, env=env, check=True, timeout=60)
    assert b"Writing the calendar" not in piped.stderr
