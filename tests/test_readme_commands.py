"""Every `revcli …` line of the README's shell blocks is a command line revcli accepts."""

from __future__ import annotations

import re
import shlex

import pytest
import typer

from revcli.cli import app
from tests.conftest import ROOT


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = line.split(" #")[0].strip()
            if command.startswith("revcli "):
                lines.append(command)
    return lines


def test_the_readme_has_shell_examples() -> None:
    assert len(_readme_commands()) >= 20


@pytest.mark.parametrize("line", _readme_commands())
def test_readme_command_parses(line: str) -> None:
    # Parsing only (options, arguments, their types): nothing runs. A renamed or removed
    # option (nrr's -w became --window only) fails here with "No such option".
    command = typer.main.get_command(app)
    name, args = "revcli", shlex.split(line)[1:]
    while hasattr(command, "commands") and args and args[0] in command.commands:
        name, command, args = args[0], command.commands[args[0]], args[1:]
    command.make_context(name, args)
