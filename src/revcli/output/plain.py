"""The plain renderers, CSV, JSON and Markdown: pure ``Report -> str`` functions that need
no Rich."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from revcli import __version__
from revcli.output.csvrows import csv_line
from revcli.output.formulas import spreadsheet_safe, spreadsheet_safe_expr
from revcli.output.report import (
    FORMAT_VERSION,
    NUMERIC_KINDS,
    ColumnKind,
    Report,
    cell,
    column_cells,
    rows,
)
from revcli.visible import CONTROL_CLASS, visible

if TYPE_CHECKING:
    import polars as pl


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_csv(report: Report, *, raw: bool = False) -> str:
    """One header row, raw values: plain decimals, ISO dates, empty for not set.

    Text cells that a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``@SUM(…)``,
    also past leading spaces or invisible characters, and full-width ``＝``) get a ``'``
    in front (:mod:`revcli.output.formulas`, one expression per column); numbers never do,
    so ``-12.50`` stays a number. A control character other than tab and line breaks (an escape that
    would drive the terminal the CSV is printed to) is written as its code, ``<U+001B>``.
    ``raw`` writes every text exactly as it is, for pipelines.
    """
    import polars as pl  # loaded already: the report holds a frame

    safe = (lambda v: v) if raw else _for_spreadsheet
    header = [safe(c) for c in report.frame.columns]
    # The csv module writes None as an empty cell and any other value as str() of it, as
    # _plain does; only text (made safe) and flags (true/false) are converted here.
    cells: list[list[Any]] = []
    carriage_return = any("\r" in c for c in header)
    for series in report.frame.get_columns():
        kind = report.kind(series.name)
        if kind is ColumnKind.TEXT and _is_text(series.dtype):
            texts = series.cast(pl.String)
            texts = texts if raw else _csv_texts(texts)
            carriage_return = carriage_return or bool(texts.str.contains("\r", literal=True).any())
            cells.append(texts.to_list())
        elif kind is ColumnKind.TEXT:  # whole numbers, flags or dates: no formula
            cells.append(
                [safe(v) if isinstance(v, str) else _plain(v) for v in column_cells(series, kind)]
            )
        elif series.dtype == pl.Boolean:
            cells.append([_plain(v) for v in series.to_list()])
        else:
            cells.append(column_cells(series, kind))
    rows = [header, *zip(*cells, strict=True)]
    if carriage_return:
        return "".join(csv_line(row) for row in rows)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _is_text(dtype: Any) -> bool:
    import polars as pl

    return dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)


def _csv_texts(series: pl.Series) -> pl.Series:
    """:func:`_for_spreadsheet` of every text of ``series`` without a Python call per cell:
    the formula rule is one expression over the column, and only the texts that hold a
    control character (a tab or a line break among them) go through
    :func:`_for_spreadsheet` one by one, since :func:`visible` writes most of those as
    codes before the rule is applied, which can change the verdict (``\x1b=1`` is
    ``<U+001B>=1``)."""
    import polars as pl

    safe = series.to_frame("t").select(spreadsheet_safe_expr(pl.col("t"))).to_series()
    controls = series.str.contains(f"[{CONTROL_CLASS}]").fill_null(False)
    if not controls.any():
        return safe
    where = controls.arg_true()
    shown = [_for_spreadsheet(t) for t in series.gather(where).to_list()]
    return safe.scatter(where, pl.Series(shown, dtype=pl.String))


def _for_spreadsheet(text: str) -> str:
    """A text cell of CSV for a spreadsheet or a terminal: no formula (:func:`spreadsheet_safe`)
    and no control character but tab and line breaks (:func:`visible`; a carriage return
    alone is no line break)."""
    return spreadsheet_safe(visible(_LONE_CR.sub("<U+000D>", text), keep="\t\n\r"))


_LONE_CR = re.compile("\r(?!\n)")
"""A carriage return that does not end a line (a terminal writes what follows it over the
start of the line)."""


def _json_text(value: Any, depth: int = 0) -> str:
    """``value`` as ``json.dumps(value, ensure_ascii=False, indent=2, default=str)`` writes
    it, except that a ``Decimal`` is a JSON number with exactly its digits (1234.50, a JPY
    1000, a KWD 1.235): through a float it would lose trailing zeros and, past 15 digits,
    digits. Written here rather than by marking decimals inside strings for ``json.dumps``
    and unquoting them after: a text of the data that looks like such a mark (a name of
    NUL, ``--``, NUL) was then written as a bare ``--``, and the JSON did not parse."""
    if isinstance(value, str):
        return _quoted(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else _quoted(str(value))
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, dict | list | tuple):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        inner = "\n" + "  " * (depth + 1)
        parts = [
            (f"{_quoted(str(k))}: " if isinstance(value, dict) else "") + _json_text(v, depth + 1)
            for k, v in items
        ]
        ends = "{}" if isinstance(value, dict) else "[]"
        if not parts:
            return ends
        return ends[0] + inner + ("," + inner).join(parts) + "\n" + "  " * depth + ends[1]
    return _quoted(str(value))  # a date, as json.dumps(default=str) writes it


_quoted = json.encoder.encode_basestring
"""A text as a JSON string, as ``json.dumps(ensure_ascii=False)`` writes it (the C one)."""


def render_json(report: Report) -> str:
    """``{"meta": {...}, "rows": [...]}`` with money as numbers rounded to 2 decimals."""
    doc = {
        "meta": {
            "report": report.name,
            "title": report.title,
            "format_version": FORMAT_VERSION,
            "revcli_version": __version__,
            **report.meta,
            **(
                {"policy": report.policy.name, "policy_version": report.policy.version}
                if report.policy
                else {}
            ),
            "notes": list(report.notes),
        },
        "rows": rows(report),
    }
    return _json_text(doc) + "\n"


LINE_BREAK = re.compile("\r\n|[\n\r\u2028\u2029]")
"""A line break as a person writes one: ``\\n``, ``\\r\\n`` (one break), a lone ``\\r``
and Unicode's line and paragraph separators. The other characters :meth:`str.splitlines`
breaks at (vertical tab, form feed, the file, group and record separators U+001C-U+001E,
next line U+0085) are control characters, shown by their codes like any other."""


_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
"""An ``&`` that Markdown would read as the start of an entity (``&amp;``, ``&#60;``)."""


_AUTOLINK = re.compile(r"(?<=:)/|(?<=www)\.", re.IGNORECASE)
"""Where GitHub would begin a link of a bare web address (``https://…``, ``www.…``): the
``/`` after a ``:`` and the ``.`` after ``www`` get a backslash, which shows them as
they are and links nothing."""


def _md_escape(text: str) -> str:
    """Markdown text: ``\\`` and ``|`` escaped (a ``\\|`` in the text keeps its backslash),
    a line break as a space (a table row is one line), any other control character by its
    code (:func:`visible`), and HTML and Markdown's own image and link syntax shown as
    text (GitHub renders both in a job summary, so a customer named ``<img src=…>`` or
    ``![x](https://…)`` would otherwise load an image there): ``[`` after a backslash
    (no link or image opens), ``<`` as ``&lt;``, and the ``&`` that begins an entity as
    ``&amp;`` (so ``AT&amp;T`` shows as typed; ``R & D`` stays as it is); and a bare web
    address is no link (:data:`_AUTOLINK`)."""
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[")
    text = _AUTOLINK.sub(r"\\\g<0>", text)
    text = _ENTITY.sub("&amp;", visible(LINE_BREAK.sub(" ", text)))
    return text.replace("<", "&lt;")


def render_markdown(report: Report) -> str:
    """A GitHub-flavoured table under a heading, for CI job summaries and pull requests."""
    columns = report.frame.columns
    align = ["---:" if report.kind(c) in NUMERIC_KINDS else "---" for c in columns]
    lines = [f"### {_md_escape(report.title)}", ""]
    lines.append("| " + " | ".join(_md_escape(c) for c in columns) + " |")
    lines.append("| " + " | ".join(align) + " |")
    for row in rows(report):
        lines.append("| " + " | ".join(_md_escape(_plain(v)) for v in row.values()) + " |")
    if report.totals:
        total = [_md_escape(_plain(cell(report.totals.get(c), report.kind(c)))) for c in columns]
        total[0] = total[0] or "Total"
        lines.append("| " + " | ".join(f"**{t}**" if t else "" for t in total) + " |")
    lines += [f"\n{_md_escape(n)}" for n in report.footer]
    return "\n".join(lines) + "\n"
