"""The reminder log: one line per reminder sent, append-only, checked on every run.

``.revcli/reminders.csv`` in the data dir, meant to be committed by the scheduled job::

    sent_at,as_of,contract_id,kind,deadline,lead_days,late_days,recipient,check
    2026-11-23T07:00:04Z,2026-11-23,CTR-0012,notice,2026-12-01,30,22,kari@example.no,5d1c…

``check`` chains every line to the one before (the first 16 hex digits of SHA-256 of
the previous check and this line's fields), so an edited, removed or reordered line is
found on the next run. Lines are appended and fsynced after each e-mail the SMTP server
accepted, so the log never claims a reminder that was not sent. Locking, appending and the
chain check are :mod:`revcli.state`'s, shared with the invoice register.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from revcli.data.files import UnreadableFile, read_bytes
from revcli.errors import DataError, Issue, RevcliError
from revcli.output.csvrows import csv_line
from revcli.renewals.remind import KINDS, sent_keys_schema
from revcli.state.lock import made_and_locked
from revcli.state.log import (
    Link,
    StateLog,
    incomplete_last_line,
    merge_conflict_line,
    verify_chain,
)

LOG_DIR = ".revcli"
LOG_NAME = "reminders.csv"
MERGED = (
    "holds a git merge conflict (this line is a conflict marker): two branches each sent "
    "reminders, and the log cannot be merged, as each line is chained to the one before; keep "
    "one side's log (`git checkout --ours -- .revcli/reminders.csv`, or --theirs): the next "
    "run sends again what only the other side logged (docs/renewals.md, 'The reminder log')"
)
"""The problem of a reminder log that git merged with conflict markers."""

HEADER = (
    "sent_at",
    "as_of",
    "contract_id",
    "kind",
    "deadline",
    "lead_days",
    "late_days",
    "recipient",
    "check",
)


def log_path(root: Path) -> Path:
    """Where the reminder log of a data dir lives."""
    return root / LOG_DIR / LOG_NAME


def chain(previous: str, fields: list[str]) -> str:
    """The ``check`` of a line: SHA-256 over the previous check and the line's fields."""
    digest = hashlib.sha256("\x1f".join([previous, *fields]).encode("utf-8"))
    return digest.hexdigest()[:16]


def _line(fields: list[str]) -> str:
    return csv_line(fields)  # a carriage return in a field is quoted


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _whole(text: str) -> bool:
    """ASCII digits only, few enough for Int64 (``str.isdigit`` accepts '²', which
    ``int`` refuses)."""
    return re.fullmatch(r"[0-9]{1,9}", text) is not None


class ReminderLog:
    """Reads, verifies and appends to the reminder log of one data dir."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = log_path(root)
        self.log = StateLog(self.path, lock=self.path.parent)
        self.last_check = ""

    def read(self) -> pl.DataFrame:
        """The keys (``contract_id, kind, deadline, lead_days``) of every reminder sent.

        Raises :class:`DataError` listing every line that is malformed, duplicated or
        does not match the check chain (a hand edit, a removed line, a bad merge).
        """
        empty = pl.DataFrame(schema=sent_keys_schema())
        self._refuse_bad_folder()
        if not os.path.lexists(self.path):  # a broken symlink is reported, not ignored
            return empty
        source = str(self.path)
        text = self._text(source)
        if not text:
            return empty
        issues: list[Issue] = []
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows or tuple(rows[0]) != HEADER:
            raise DataError(
                [
                    Issue(
                        source,
                        1,
                        "",
                        f"expected the header {','.join(HEADER)}; restore the log from git",
                    )
                ]
            )
        if not text.endswith("\n"):
            issues.append(Issue(source, len(rows), "", incomplete_last_line("remind")))
            rows.pop()  # half a line: its other problems are that one
        keys: list[tuple[str, str, dt.date, int]] = []
        first_seen: dict[tuple[str, str, dt.date, int], int] = {}
        body = list(enumerate(rows[1:], start=2))
        links, previous = [], ""
        for number, row in body:
            links.append(
                Link(number, own=row[-1] if row else "", computed=chain(previous, row[:-1]))
            )
            previous = row[-1] if row else previous
        broken = {b.line for b in verify_chain(links)}
        for number, row in body:
            problem = self._problem(row)
            if problem:
                issues.append(Issue(source, number, problem[0], problem[1]))
                continue
            if number in broken:
                issues.append(
                    Issue(
                        source,
                        number,
                        "check",
                        "does not follow from the line before: the log was edited, a line "
                        "was removed or lines were reordered; restore it from git",
                    )
                )
            deadline = _date(row[4])
            assert deadline is not None
            key = (row[2], row[3], deadline, int(row[5]))
            if key in first_seen:
                issues.append(
                    Issue(
                        source,
                        number,
                        "contract_id",
                        f"reminder {row[2]} {row[3]} {row[4]} at {row[5]} days is logged "
                        f"twice; first at line {first_seen[key]}",
                    )
                )
            first_seen.setdefault(key, number)
            keys.append(key)
        if issues:
            raise DataError(issues)
        self.last_check = previous
        return pl.DataFrame(keys, schema=sent_keys_schema(), orient="row")

    def _text(self, source: str) -> str:
        """The log's text; :class:`DataError` when it cannot be read or holds a git merge
        conflict (each line after it would be a problem of its own: one is told)."""
        try:
            text = read_bytes(self.path).decode("utf-8")
        except UnreadableFile as exc:
            raise DataError([Issue(source, None, "", f"the reminder log {exc}")]) from None
        except UnicodeDecodeError as exc:
            raise DataError(
                [Issue(source, None, "", f"cannot read the reminder log: {exc}")]
            ) from None
        merged = merge_conflict_line(text)
        if merged is not None:
            raise DataError([Issue(source, merged, "", MERGED)])
        return text

    @staticmethod
    def _problem(row: list[str]) -> tuple[str, str] | None:
        if len(row) != len(HEADER):
            return "", f"expected {len(HEADER)} fields, found {len(row)}"
        checks = (
            ("as_of", _date(row[1]) is not None, "is not a date"),
            ("contract_id", bool(row[2]), "is empty"),
            ("kind", row[3] in KINDS, f"is not one of {', '.join(KINDS)}"),
            ("deadline", _date(row[4]) is not None, "is not a date"),
            ("lead_days", _whole(row[5]), "is not a whole number"),
            ("late_days", _whole(row[6]), "is not a whole number"),
        )
        for column, ok, message in checks:
            if not ok:
                return column, f"'{row[HEADER.index(column)]}' {message}"
        return None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock so two runs on one data dir never send the same reminder.

        The lock is taken on the log's folder (``.revcli``), not on the data dir, whose
        lock the commands that read the data hold shared: they would wait for a run that
        sends e-mails. A run takes it only when it has something to send or record. A
        folder made for the lock is removed again when the run wrote nothing into it
        (:func:`~revcli.state.lock.made_and_locked`; where the system has no ``flock``, a
        lock file exists in it while the run holds it).
        """
        problem = self.folder_problem()
        if problem is not None:
            raise RevcliError(f"{self.path.parent}: {problem}")
        with made_and_locked(self.path.parent):
            yield

    def folder_problem(self) -> str | None:
        """What is wrong with the log's folder ``.revcli``, if anything: it must be a folder
        of the data dir, not a file (no log could be written in it, and every run would
        send its e-mails again) nor a symbolic link (the log would be written elsewhere,
        wherever a link that came with a clone points)."""
        folder = self.path.parent
        if folder.is_symlink():
            return "is a symbolic link; the reminder log is kept in the data dir: make it a folder"
        if os.path.lexists(folder) and not folder.is_dir():
            return "is not a folder; the reminder log is kept in it: remove it or move it away"
        return None

    def _refuse_bad_folder(self) -> None:
        problem = self.folder_problem()
        if problem is not None:
            raise DataError([Issue(str(self.path.parent), None, "", problem)])

    def append(self, entries: list[list[str]]) -> None:
        """Append lines (fields without ``check``), chained, then fsync file and folder.

        Each entry is ``sent_at, as_of, contract_id, kind, deadline, lead_days,
        late_days, recipient``. The header is written first when the log is empty.
        """
        new = not self.path.exists() or self.path.stat().st_size == 0
        chunk = _line(list(HEADER)) if new else ""
        check = self.last_check
        for fields in entries:
            check = chain(check, fields)
            chunk += _line([*fields, check])
        self.log.append(chunk)  # all or nothing: a failed append leaves the log as it was
        self.last_check = check
