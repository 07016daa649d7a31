"""Renewals as an iCalendar file: one event per term end and per notice deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import polars as pl

from revcli.data.validate import DataSet
from revcli.decimals import round_half_up
from revcli.output.report import group_digits
from revcli.renewals.report import RenewalQuery, select_renewals
from revcli.visible import BIDI_CONTROLS, NONCHARACTERS

PRODID = "-//revcli//renewals//EN"
NOTICE_ALARM_DAYS = 7
"""A notice-deadline event carries an alarm this many days before."""
NOTICE_ALARM_BEFORE = dt.timedelta(days=NOTICE_ALARM_DAYS)


def event_uid(contract_id: str, kind: str, day: dt.date, domain: str) -> str:
    """``revcli-<contract>-<kind>-<YYYYMMDD>@<domain>``: the same event always gets the
    same UID, so re-importing a newer file updates it instead of adding a duplicate.
    The contract id is percent-encoded so that distinct ids never share a UID."""
    return f"revcli-{quote(contract_id, safe='')}-{kind}-{day:%Y%m%d}@{domain}"


def uid_domain(company_email: str) -> str:
    """The domain part of UIDs: the company e-mail's domain, else ``revcli.invalid``."""
    _, _, domain = company_email.rpartition("@")
    return domain.strip().lower() or "revcli.invalid"


def _description(row: dict[str, Any], currency: str, as_of: dt.date) -> str:
    arr = group_digits(round_half_up(row["arr"], 2))
    lines = [
        f"Customer: {row['customer_name'] or ''} ({row['customer_id']})",
        f"Contract: {row['contract_id']}",
        f"Term end: {row['term_end']:%Y-%m-%d} ({row['status']})",
        f"Notice deadline: {row['notice_deadline']:%Y-%m-%d} (notice {row['notice_rule']})",
        f"ARR: {arr} {currency}",
        f"Owner: {row['owner'] or '(none)'}",
    ]
    if row["renewal_decision"]:
        decided = row["renewal_decided_on"]
        lines.append(
            f"Decision: {row['renewal_decision']}"
            + (f" on {decided:%Y-%m-%d}" if decided else "")
            + (f" — {row['renewal_decision_note']}" if row["renewal_decision_note"] else "")
        )
    lines.append(f"As of {as_of:%Y-%m-%d}, from revcli.")
    return "\n".join(lines)


_CONTROLS = dict.fromkeys(
    [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), *map(ord, BIDI_CONTROLS + NONCHARACTERS)]
)
"""Control characters RFC 5545 forbids in text (tab and line break are allowed;
:func:`_escape` escapes the line break): a customer name holding one would make the file
invalid. The C1 controls, direction-formatting characters (a right-to-left override
would reverse a name in the calendar) and U+FFFE/U+FFFF go too."""


def _text(value: str) -> str:
    return value.translate(_CONTROLS)


FOLD_OCTETS = 74
"""The most octets of a content line on one physical line, as icalendar folds: it breaks
before the character that would make 75 (RFC 5545 asks for at most 75)."""

_FOLD = b"\r\n "
_ESCAPES = frozenset(b"\\^")
_CONTINUATION = 0b1100_0000
_LEAD = 0b1000_0000


def fold(line: str) -> bytes:
    """``line`` folded (RFC 5545 §3.1) in UTF-8, byte for byte as icalendar's own folding
    (its ``_foldline``), which looks at each character in Python, the most time a large
    calendar took: lines of at most :data:`FOLD_OCTETS` octets, never a character cut in
    two, and a backslash or caret that would end a line (the start of an escape) moved to
    the next one, once: of ``\\\\`` at the fold, the first still ends the line (legal:
    unfolding joins the lines before any escape is read)."""
    data = line.encode("utf-8")
    if len(data) <= FOLD_OCTETS:
        return data
    parts = []
    start = 0
    while len(data) - start > FOLD_OCTETS:
        end = start + FOLD_OCTETS
        while data[end] & _CONTINUATION == _LEAD:  # inside a character: break before it
            end -= 1
        if data[end - 1] in _ESCAPES and end - 1 > start:
            end -= 1
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return _FOLD.join(parts)


@dataclass(frozen=True)
class _Entry:
    """One event of the calendar, its texts as written (control characters removed)."""

    uid: str
    summary: str
    day: dt.date
    description: str
    alarm: str | None  # the alarm's text, when it has one


def _entries(frame: pl.DataFrame, as_of: dt.date, currency: str, domain: str) -> Iterator[_Entry]:
    """The events of :func:`renewals_calendar`, in the file's order."""
    for row in frame.sort("term_end", "contract_id").iter_rows(named=True):
        cid, who = row["contract_id"], row["customer_name"] or row["customer_id"]
        text = _text(_description(row, currency, as_of))
        end = row["term_end"]
        yield _Entry(
            event_uid(cid, "term-end", end, domain),
            _text(f"Term ends ({row['status']}): {cid} {who}"),
            end,
            text,
            None,
        )
        if row["status"] in ("auto-renews", "locked-in"):
            deadline = row["notice_deadline"]
            yield _Entry(
                event_uid(cid, "notice", deadline, domain),
                _text(f"Notice deadline: {cid} {who} (term ends {end:%Y-%m-%d})"),
                deadline,
                text,
                _text(f"Notice deadline for {cid} {who} in a week")
                if deadline - NOTICE_ALARM_BEFORE >= as_of
                else None,
            )


def _header(domain: str, name: str) -> list[str]:
    """The calendar's own lines, before its events: its name (``NAME``, RFC 7986, and the
    ``X-WR-CALNAME`` most clients read) escaped as text like every other, on one line
    and without control characters (a line break in ``company.name`` made the file
    invalid)."""
    title = _escape(_text(name).replace("\n", " "))
    return [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{title}",
        f"X-WR-CALNAME:{title}",
        f"UID:{_escape(f'revcli-renewals@{domain}')}",
    ]


def _escape(text: str) -> str:
    """A TEXT value escaped (RFC 5545 §3.3.11): a backslash, semicolon and comma each
    after a backslash, a line break as ``\\n``. Text that holds ``\\N`` keeps it (as
    ``\\\\N``): icalendar's own escaping reads it as a line break first."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def renewals_calendar(
    frame: pl.DataFrame, as_of: dt.date, *, currency: str, domain: str, name: str
) -> bytes:
    """An iCalendar (RFC 5545) file of the renewals in ``frame``.

    In: rows of :func:`revcli.renewals.terms.upcoming_renewals`. Each row gives an
    all-day event on its term end; an auto-renewing row (``auto-renews``,
    ``locked-in``) also one on its notice deadline, with an alarm
    :data:`NOTICE_ALARM_DAYS` days before — unless that alarm day lies before ``as_of``
    (a deadline passed or fewer than :data:`NOTICE_ALARM_DAYS` days ahead): the event
    stays (the history is useful) but an alarm already due would only fire at once on
    import. UIDs come from :func:`event_uid`;
    ``DTSTAMP`` is ``as_of`` at 00:00 UTC, so the same data and ``as_of`` give the
    same bytes.

    The file is written line by line, each text escaped once: for text without ``\\N``
    the bytes icalendar's ``Calendar.to_ical()`` gives for the same events
    (tests/test_ics.py builds them so and compares), without its object per property
    (about 0.3 ms an event). Two differences are on purpose: a ``\\N`` in a name stays
    text (icalendar turns it into a line break), and the calendar's name is escaped as
    text (icalendar writes ``NAME`` and ``X-WR-CALNAME`` as given, commas and all).
    """
    stamp = f"DTSTAMP:{as_of:%Y%m%d}T000000Z"
    lines = _header(domain, name)
    trigger = f"TRIGGER:-P{NOTICE_ALARM_DAYS}D"
    description = ("", "")  # the last text and its escaped form: both events of a row share it
    for entry in _entries(frame, as_of, currency, domain):
        if entry.description != description[0]:
            description = (entry.description, _escape(entry.description))
        lines += (
            "BEGIN:VEVENT",
            f"SUMMARY:{_escape(entry.summary)}",
            f"DTSTART;VALUE=DATE:{entry.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{entry.day + dt.timedelta(days=1):%Y%m%d}",
            stamp,
            f"UID:{_escape(entry.uid)}",
            "CATEGORIES:Renewal",
            f"DESCRIPTION:{description[1]}",
            "TRANSP:TRANSPARENT",
        )
        if entry.alarm is not None:
            lines += (
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"DESCRIPTION:{_escape(entry.alarm)}",
                trigger,
                "END:VALARM",
            )
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return b"\r\n".join(fold(line) for line in lines) + b"\r\n"


def calendar_of(data: DataSet, query: RenewalQuery, upcoming: pl.DataFrame | None = None) -> bytes:
    """The renewals ``query`` selects from ``data`` as an iCalendar file (``upcoming``:
    as for :func:`revcli.renewals.report.select_renewals`)."""
    company = data.settings.company
    return renewals_calendar(
        select_renewals(data, query, upcoming),
        query.as_of,
        currency=data.settings.base_currency,
        domain=uid_domain(company.email),
        name=f"Renewals – {company.name}" if company.name else "Renewals",
    )
