"""CSV records whose cells with a carriage return are quoted.

Python's csv module quotes a cell that holds the delimiter, the quote or a character of
its line terminator. With ``\n`` as the terminator a cell holding a lone ``\r`` is written
bare, and every CSV reader (revcli's, Python's, a spreadsheet's) then ends the record
there: ``Evil AS\rGood`` reads as two records. With ``\r\n`` as the terminator both are
quoted; each record's own ``\r\n`` is then its last two characters, and is put back as
the terminator asked for.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def has_carriage_return(fields: Iterable[object]) -> bool:
    """Whether a text among ``fields`` holds a carriage return."""
    return any(isinstance(f, str) and "\r" in f for f in fields)


def csv_line(fields: Sequence[object], newline: str = "\n") -> str:
    """One CSV record ended by ``newline``; a cell with a carriage return is quoted."""
    terminator = "\r\n" if "\r" not in newline and has_carriage_return(fields) else newline
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=terminator).writerow(fields)
    text = buffer.getvalue()
    return text if terminator == newline else text[: -len(terminator)] + newline
