"""Markdown outputs (GitHub job summaries) show HTML from the data as text, never as tags."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, Run

HOSTILE = "<img src=http://e.example/t.png> Hardanger | AS"


@pytest.fixture
def hostile_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns("invoices", ".revcli"))
    customers = data / "customers.csv"
    text = customers.read_text(encoding="utf-8")
    assert "Hardangereiendomsforvaltning AS" in text
    customers.write_text(
        text.replace("Hardangereiendomsforvaltning AS", HOSTILE, 1), encoding="utf-8"
    )
    return data


@pytest.mark.parametrize(
    "args",
    [
        ["risk", "--as-of", "2026-11-23", "--top", "1"],
        ["dashboard", "--as-of", "2026-11-23"],
    ],
)
def test_a_customer_name_with_html_is_escaped_in_markdown(
    run: Run, hostile_data: Path, args: list[str]
) -> None:
    result = run(*args, "--data", hostile_data, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert "<img" not in result.stdout
    # The "/" after "http:" gets a backslash too: GitHub would link a bare web address.
    assert "&lt;img src=http:\\//e.example/t.png> Hardanger \\| AS" in result.stdout


def test_a_backslash_and_a_line_break_in_a_markdown_cell(run: Run, tmp_path: Path) -> None:
    # The name "A | B", a line break, then "C \| D": in a GitHub table cell `|` is written
    # `\|` and a backslash `\\`, so "C \| D" becomes "C \\\| D" (the table reads `\|` as a
    # pipe, then `\\` as one backslash: the text comes back as written); the line break
    # becomes a space, since a table row is one line.
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns("invoices", ".revcli"))
    customers = data / "customers.csv"
    text = customers.read_text(encoding="utf-8")
    customers.write_text(
        text.replace("Hardangereiendomsforvaltning AS", '"A | B\nC \\| D"', 1), encoding="utf-8"
    )
    result = run("risk", "--as-of", "2026-11-23", "--data", data, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert "| A \\| B C \\\\\\| D |" in result.stdout


MARKDOWN_SYNTAX = "![t](http://e.example/t.png) [x](http://e.example) AT&amp;T &lt;b&gt;"


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["risk", "--as-of", "2026-11-23", "--top", "1"], "Hardangereiendomsforvaltning AS"),
        (["renewals", "--as-of", "2026-11-23", "--within", "14d"], "Sjøbris Service AS"),
        (["dashboard", "--as-of", "2026-11-23"], "Hardangereiendomsforvaltning AS"),
    ],
)
def test_a_customer_name_with_markdown_syntax_is_shown_as_written(
    run: Run, tmp_path: Path, args: list[str], name: str
) -> None:
    # Markdown's own image and link syntax would load an image (or show a link) in a job
    # summary just as <img> would, and an entity would show as another text ("AT&T",
    # "<b>"): GitHub renders a table cell's inline Markdown. The cell shows the name as
    # written: no image, no link, the entities as typed.
    from markdown_it import MarkdownIt

    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns("invoices", ".revcli"))
    customers = data / "customers.csv"
    text = customers.read_text(encoding="utf-8")
    assert name in text
    customers.write_text(text.replace(name, MARKDOWN_SYNTAX, 1), encoding="utf-8")
    result = run(*args, "--data", data, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    tokens = MarkdownIt("commonmark").enable("table").parse(result.stdout)
    children = [c for t in tokens if t.type == "inline" for c in t.children or []]
    assert not [c.type for c in children if c.type in ("image", "link_open", "html_inline")]
    cells = ["".join(c.content for c in t.children or []) for t in tokens if t.type == "inline"]
    assert MARKDOWN_SYNTAX in cells


WEB_ADDRESSES = "https://e.example/login www.e.example FTP://e.example/x"


@pytest.mark.parametrize("name", [WEB_ADDRESSES, MARKDOWN_SYNTAX, HOSTILE])
def test_github_shows_a_name_as_written_without_a_link(run: Run, tmp_path: Path, name: str) -> None:
    # Rendered by cmark-gfm, GitHub's renderer, with its extensions (tables, autolinks):
    # a bare web address in a name would be a link there, as would Markdown's link
    # syntax. The risk table's customer cell shows the name as written, and no web link
    # or <img> is anywhere in the page.
    import html

    import cmarkgfm

    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns("invoices", ".revcli"))
    customers = data / "customers.csv"
    text = customers.read_text(encoding="utf-8")
    customers.write_text(
        text.replace("Hardangereiendomsforvaltning AS", f'"{name}"', 1), encoding="utf-8"
    )
    result = run("risk", "--as-of", "2026-11-23", "--top", "1", "--data", data, "-f", "markdown")
    assert result.exit_code == 0, result.stderr
    page = cmarkgfm.github_flavored_markdown_to_html(result.stdout)
    assert "<img" not in page
    # GitHub links an e-mail address (the owner's) to itself; nothing else is a link.
    assert {href.split(":")[0] for href in re.findall(r'<a href="([^"]*)"', page)} == {"mailto"}
    cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", page)]
    assert name in cells
