"""Command help reads well: it wraps at the terminal, names values in words, and every
short option means one thing across commands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer

from revcli.cli.helptext import reflow
from tests.conftest import Run


def commands() -> Iterator[tuple[list[str], Any]]:
    """Every command of the app with the words that call it, groups included."""
    from revcli.cli import app

    def walk(command: Any, words: list[str]) -> Iterator[tuple[list[str], Any]]:
        yield words, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*words, name])

    yield from walk(typer.main.get_command(app), [])


COMMANDS = [words for words, _ in commands()]


def test_reflow_joins_the_lines_of_each_paragraph() -> None:
    doc = """First line.

        Silent with exit code 0; meant as
        the CI gate.

        Example: [bold]revcli validate[/]
        """
    assert reflow(doc) == (
        "First line.\n\nSilent with exit code 0; meant as the CI gate.\n\n"
        "Example: [bold]revcli validate[/]"
    )


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "revcli")
def test_help_wraps_only_at_the_terminal_width(run: Run, words: list[str]) -> None:
    # At 1,000 columns no paragraph of any docstring is long enough to wrap, so a line
    # that breaks mid-sentence can only come from the docstring's own line breaks.
    wide = run(*words, "--help", env={"COLUMNS": "1000"}).stdout
    narrow = run(*words, "--help", env={"COLUMNS": "60"}).stdout
    prose = [line.strip() for line in wide.splitlines() if line.strip() and "│" not in line]
    for line in prose:
        if line.startswith(("Usage:", "Example:", "╭", "╰")):
            continue
        assert line.endswith((".", ":", ")", "]")), (
            f"a help paragraph breaks mid-sentence: {line!r}"
        )
    assert max(len(line) for line in narrow.splitlines()) <= 60


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "revcli")
def test_no_option_shows_a_python_type(run: Run, words: list[str]) -> None:
    text = run(*words, "--help", env={"COLUMNS": "200"}).stdout
    assert not re.search(r"<(bool|str|int|float|int range|list\[[^>]*\])>", text), text
    assert not re.search(r"\{[a-z_]+\}", text), text


def test_every_short_option_means_one_thing_across_commands() -> None:
    meanings: dict[str, set[str]] = {}
    for _, command in commands():
        for param in command.params:
            longs = [o for o in param.opts if o.startswith("--")]
            for short in (o for o in param.opts if re.fullmatch(r"-[A-Za-z]", o)):
                meanings.setdefault(short, set()).add(longs[0] if longs else param.name)
    clashes = {k: v for k, v in meanings.items() if len(v) > 1}
    assert not clashes, clashes
    assert meanings["-w"] == {"--within"}


@pytest.mark.parametrize(
    ("words", "option"),
    [(["nrr"], "--window"), (["risk"], "--top"), (["forecast"], "--months")],
)
def test_a_whole_number_option_is_named_n_with_its_bounds(
    run: Run, words: list[str], option: str
) -> None:
    # These take a whole number within bounds (--window 1 to 1200): help names the value
    # N, never TEXT, which would invite a word.
    text = run(*words, "--help", env={"COLUMNS": "200"}).stdout
    line = next(x for x in text.splitlines() if x.startswith(f"│ {option} "))
    assert re.search(rf"{option}\s+(-[a-z]\s+)?N\s+\[", line), line
    assert "TEXT" not in line, line


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "revcli")
def test_an_options_help_names_only_options_of_its_command(words: list[str]) -> None:
    # `diff --before` said "of --rev's history", and diff has no --rev.
    command = {" ".join(w): c for w, c in commands()}[" ".join(words)]
    options = {o for p in command.params for o in getattr(p, "opts", [])} | {"--help"}
    for param in command.params:
        named = set(re.findall(r"--[a-z][a-z-]*", getattr(param, "help", None) or ""))
        assert named <= options, (param.name, named - options)
