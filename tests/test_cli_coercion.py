"""revcli converts option values without Pydantic (cli/coercion.py): on every parameter of
every command, the light converter must give what Typer's own converter gives — the same
value for a good one, the same error for a bad one, and the same exit code and message
on the command line."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import typer.core
import typer.main
from typer._click import Context
from typer._click.core import Command
from typer.core import TyperGroup, _TyperParameter
from typer.testing import CliRunner

from revcli.cli import app, coercion

CommandPath = tuple[str, ...]


def _commands() -> Iterator[tuple[CommandPath, Command]]:
    """Every command of the real app, the root group and sub-groups included."""

    def walk(path: CommandPath, command: Command) -> Iterator[tuple[CommandPath, Command]]:
        yield path, command
        if isinstance(command, TyperGroup):
            for name, sub in sorted(command.commands.items()):
                yield from walk((*path, name), sub)

    yield from walk((), typer.main.get_command(app))


def _params() -> list[tuple[CommandPath, Command, _TyperParameter]]:
    found = []
    for path, command in _commands():
        ctx = Context(command, info_name="revcli")
        for param in command.get_params(ctx):  # --help and the completion flags included
            assert isinstance(param, _TyperParameter)
            found.append((path, command, param))
    return found


PARAMS = _params()


def _leaf_values(annotation: Any, tmp: Path) -> list[Any]:
    """Good, odd and bad values for one (non-list) annotation."""
    directory, file, missing = tmp, tmp / "file.csv", tmp / "missing" / "x"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        members = list(annotation)
        words = [str(m.value) for m in members]
        return [*members, *words, *(w.upper() for w in words), " " + words[0], "nope", "", 3]
    if annotation is int:
        return ["1", "007", "12", "120", "121", "1200", "1201", "0", "-1", "+3", " 5", "1_2"]
    if annotation is bool:
        return [True, False, "1", "no", "maybe", ""]
    if annotation is str:
        return ["x", "", "2026-11", "é", "a b", " padded ", "\udcff", 5, b"bytes"]
    if isinstance(annotation, type) and issubclass(annotation, Path):
        paths = [directory, file, missing]
        return [*map(str, paths), *paths, "-", "", "a\x00b", 42]
    raise AssertionError(f"no test values for {annotation!r}: add some")


def _values(param: _TyperParameter, tmp: Path) -> list[Any]:
    annotation = param.type_descriptor.annotation
    values: list[Any] = [None]
    if param.default is not None and not callable(param.default):
        values.append(param.default)
    if get_origin(annotation) is list:
        leaves = _leaf_values(get_args(annotation)[0], tmp)
        return [*values, *([v] for v in leaves), leaves[:2], tuple(leaves[:2]), [], "x"]
    return [*values, *_leaf_values(annotation, tmp), 7.5]


def _outcome(
    convert: Any, value: Any, param: _TyperParameter, ctx: Context, *, reworded: bool = False
) -> tuple[Any, ...]:
    """The value made, or the error raised; with ``reworded`` (Typer's own converter) its
    message as revcli words it (the wording itself: test_a_refused_value_is_named_…)."""
    try:
        result = convert.coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # the error itself is the outcome compared
        plain = coercion.plain_message(exc, param.type_descriptor) if reworded else None
        if plain is not None:
            exc = type(exc)(plain, ctx=ctx, param=param)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        return ("error", type(exc), message, getattr(exc, "param", None) is param)
    return ("value", type(result), result)


@pytest.fixture
def values_dir(tmp_path: Path) -> Path:
    (tmp_path / "file.csv").write_text("a\n", encoding="utf-8")
    return tmp_path


def test_every_parameter_of_every_command_converts_as_typer_converts(values_dir: Path) -> None:
    left_to_typer = []
    for path, command, param in PARAMS:
        ctx = Context(command, info_name=" ".join(("revcli", *path)))
        descriptor = param.type_descriptor
        mine, typers = coercion.build(descriptor), coercion.typers_build(descriptor)
        if not isinstance(mine, coercion.LightRuntimeParam):
            left_to_typer.append(f"revcli {' '.join(path)} {param.name}: {descriptor.annotation}")
        for value in _values(param, values_dir):
            where = f"revcli {' '.join(path)} {param.name}={value!r}"
            theirs = _outcome(typers, value, param, ctx, reworded=True)
            assert _outcome(mine, value, param, ctx) == theirs, where
    # Every parameter revcli has is of a kind the light converter takes (none left to
    # Pydantic, which would load again for every run of its command): a new kind shows
    # up here, to be added to cli/coercion.py with its test values above.
    assert left_to_typer == []


def _bad_values(param: _TyperParameter, tmp: Path) -> list[str]:
    """Values the command line must reject for this parameter (a usage error)."""
    annotation = param.type_descriptor.annotation
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    info = param.type_descriptor.parameter_info
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return ["nope", ""]
    if annotation is int:
        bad = ["x", "1.5", "٣"]  # ٣: an Arabic-Indic digit, which str.isdigit accepts
        bad += [str(info.min - 1)] if info.min is not None else []
        return bad + ([str(info.max + 1)] if info.max is not None else [])
    if isinstance(annotation, type) and issubclass(annotation, Path):
        bad = [] if info.file_okay else [str(tmp / "file.csv")]
        bad += [] if info.dir_okay else [str(tmp)]
        return bad + ([str(tmp / "missing")] if info.exists else [])
    return []  # text and flags: nothing on a command line is a bad value


def _command_lines(tmp: Path) -> Iterator[list[str]]:
    for path, _, param in PARAMS:
        if param.param_type_name == "argument":
            names: list[str] = []  # a positional value
        elif param.is_flag or not param.opts:
            continue
        else:
            names = [param.opts[0]]
        for bad in _bad_values(param, tmp):
            yield [*path, *names, bad]


def test_a_bad_value_gives_typers_exit_code_and_usage_in_revcli_words(
    values_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    lines = list(_command_lines(values_dir))
    assert len(lines) > 30  # choices, bounded numbers and paths of many commands
    for args in lines:
        mine = runner.invoke(app, args, env=env)
        with monkeypatch.context() as typers:
            typers.setattr(typer.core, "build_runtime_param", coercion.typers_build)
            theirs = runner.invoke(app, args, env=env)
        assert mine.exit_code == theirs.exit_code == 2, (args, mine.output)
        assert mine.output.startswith("error: Invalid value"), (args, mine.output)
        # The same help named and option named; the message without Pydantic's wording.
        assert mine.output.splitlines()[1:] == theirs.output.splitlines()[1:], args
        option = theirs.output.split("Invalid value for ")[1].split(":")[0]
        assert f"Invalid value for {option}:" in mine.output, args
        assert "Input should" not in mine.output and "Value error" not in mine.output, args


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mrr", "--format", "xml"], "'xml' is not one of 'table', 'csv', 'json', 'markdown'"),
        (["risk", "--top", "0"], "'0' must be a whole number of at least 1"),
        (["risk", "--top", "abc"], "'abc' must be a whole number of at least 1"),
        (["nrr", "--window", "1201"], "'1201' must be a whole number from 1 to 1200"),
        (["nrr", "--window", "-1"], "'-1' must be a whole number from 1 to 1200"),
        (["cohorts", "--metric", "foo"], "'foo' is not one of 'revenue', 'logos'."),
    ],
)
def test_a_refused_value_is_named_in_revcli_words(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 2
    assert message in " ".join(result.output.split()), result.output
