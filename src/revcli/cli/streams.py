"""Standard output and error as the shell gives them: closed (``>&-``), or a terminal
whose encoding is not UTF-8. Every write of a command to stdout goes through here.

Loaded on every start: the standard library and :mod:`revcli.errors` only.
"""

from __future__ import annotations

import io
import sys
from typing import TextIO

from revcli.errors import RevcliError

STDOUT_CLOSED = "standard output is closed"


class _Dropped(io.TextIOBase):
    """What stands for a closed stderr: messages written to it are dropped."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        return len(text)


def settle_streams() -> None:
    """Run once at start: a closed stderr (``2>&-``) becomes a sink, so a message never
    fails the run that wrote its result; a closed stdout stays ``None`` (see
    :func:`stdout`)."""
    if sys.stderr is None:
        sys.stderr = _Dropped()


def stdout() -> TextIO:
    """``sys.stdout``; :class:`RevcliError` ``standard output is closed`` when it is."""
    if sys.stdout is None:
        raise RevcliError(STDOUT_CLOSED)
    return sys.stdout


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (a closed one is not)."""
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return isatty is not None and bool(isatty())
    except ValueError:  # closed after start
        return False


def write_data(data: str | bytes) -> None:
    """A machine format (CSV, JSON, iCalendar, Markdown, HTML, XLSX, a diff) on stdout:
    always UTF-8 bytes, exactly what ``--out FILE`` writes, whatever the locale."""
    out = stdout()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    out.flush()
    out.buffer.write(raw)
    out.buffer.flush()


def write_text(text: str, *, needed: bool = True) -> None:
    """Text for a person on stdout (a table, a preview, a list of problems) in the
    terminal's encoding: a character it cannot show is replaced, never a crash.

    When stdout is closed this is an error, unless the text is not ``needed`` (a line of
    progress whose record is kept elsewhere): then it is dropped."""
    if sys.stdout is None and not needed:
        return
    out = stdout()
    if isinstance(out, io.TextIOWrapper) and out.errors in ("strict", "surrogateescape"):
        out.reconfigure(errors="replace")
    out.write(text)
    out.flush()


def stdout_is_unicode() -> bool:
    """Whether text for a person on stdout can hold any character (UTF-8, UTF-16, …);
    a closed stdout counts as UTF-8."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    return encoding.lower().replace("-", "").replace("_", "").startswith("utf")
