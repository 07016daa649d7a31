"""Problems found in user data, reported as values and raised only at the edge."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from revcli.visible import message_text


class Severity(StrEnum):
    """How bad a problem is: errors make the data invalid, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in one place: ``FILE:ROW: column: message``.

    ``line`` is the line on which the record (or, in YAML, the offending value) starts;
    ``None`` for a problem with a whole file. ``column`` is ``""`` when no column applies.
    """

    source: str
    line: int | None
    column: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        text = (
            f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )
        text = message_text(text)  # a value's escape sequence stays text, a huge one is cut
        return f"warning: {text}" if self.severity is Severity.WARNING else text

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Issues in reading order: by file, then line (whole-file problems first), then column."""
    return sorted(issues, key=lambda i: (i.source, i.line or 0, i.column, i.message))


class RevcliError(Exception):
    """Base of every error revcli reports to the user without a traceback."""

    exit_code = 1


class DataError(RevcliError):
    """The data dir is invalid; carries every problem found, not just the first."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = sort_issues(issues)
        errors = sum(1 for i in self.issues if i.is_error)
        super().__init__(f"{errors} problem{'s' if errors != 1 else ''} in the data")


class UsageError(RevcliError):
    """The command line asks for something impossible (exit code 2)."""

    exit_code = 2


class CheckFailed(RevcliError):
    """A check the user asked for (``--fail-on``, ``invoice check``) did not pass."""


def as_warnings(issues: Iterable[Issue]) -> list[Issue]:
    """The same problems as warnings: said, but stopping nothing."""
    return [dataclasses.replace(i, severity=Severity.WARNING) for i in issues]


def raise_if_errors(issues: Iterable[Issue]) -> list[Issue]:
    """Raise :class:`DataError` when any issue is an error; return the warnings otherwise."""
    issues = list(issues)
    if any(i.is_error for i in issues):
        raise DataError(issues)
    return issues
