"""Option values converted without Pydantic, exactly as Typer converts them.

Typer 0.29 converts every option value through a Pydantic ``TypeAdapter`` that it builds
for each parameter of the command that runs: importing Pydantic and building the adapters
costs about 0.1 s, a fifth of a report on a small data dir. For the kinds of parameter
revcli's commands have (text, a flag, a choice from an Enum, a path, a whole number within
bounds, and lists of these), Typer's adapters only wrap helpers of its own that need no Pydantic
(``typer._param_types.coerce_cli_choice`` and ``coerce_cli_path``). :func:`install` puts a
converter in front of Typer's: it converts the plain values a command line gives (a
``str``, the parameter's default) with those helpers, and hands everything else to the
converter Typer would have built, made on demand:

* a value of any other type, an ``int`` out of bounds or text that is not plain ASCII
  digits for an ``int``;
* any value the helpers reject: Typer's own converter then rejects it too, with its exit
  code, and :func:`plain_message` words its message without Pydantic's phrases (a usage
  error costs Pydantic's import; it is the rare case);
* any other parameter kind (a ``parser=``, a file, a date-time, a clamped number, …):
  Typer's converter is built as before.

Typer is pinned ``<0.30``: these are its private modules, and
``tests/test_cli_coercion.py`` compares both converters on every parameter of every
command, with good and bad values, in the functions and on the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin

import typer.core
from typer import _coercion
from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam, TypeDescriptor
from typer._param_types import coerce_cli_choice, coerce_cli_path, lenient_issubclass

if TYPE_CHECKING:
    from typer._click import Context
    from typer.core import _TyperParameter

typers_build = _coercion.build_runtime_param
"""Typer's own builder: Pydantic adapters (the reference :func:`build` must equal)."""

Convert = Callable[[Any, "_TyperParameter", "Context"], Any]


class _Refused(Exception):
    """A value the light converter leaves to Typer's (not one it knows to be plain)."""


@dataclass(frozen=True)
class LightRuntimeParam(RuntimeParam):
    """Typer's contract for one parameter (``None`` and lists handled by the base class),
    with the value converted by ``convert``; a value it refuses goes to Typer's
    converter for the same descriptor."""

    descriptor: TypeDescriptor
    convert: Convert

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        try:
            return self.convert(value, param, ctx)
        except Exception:  # Typer's converter decides: its value or its error
            try:
                return typers_build(self.descriptor)._coerce_value(value, param=param, ctx=ctx)
            except BadParameter as exc:
                plain = plain_message(exc, self.descriptor)
                if plain is None:
                    raise
                raise BadParameter(plain, ctx=ctx, param=param) from None


_WHOLE_NUMBER = (
    "int_parsing",
    "int_type",
    "int_from_float",
    "greater_than_equal",
    "less_than_equal",
)
"""Pydantic's kinds of error for a whole number that is no whole number or out of bounds."""


def plain_message(exc: BadParameter, descriptor: TypeDescriptor) -> str | None:
    """Typer's message for a refused value in revcli's words, or None to keep Typer's.

    Typer words it as Pydantic does: ``Value error, 'xml' is not one of …`` for a choice
    and ``Input should be greater than or equal to 1`` for a number. A whole number is
    ``'0' must be a whole number from 1 to 1200`` (its bounds, as the help shows them); a
    choice keeps Typer's list of choices without the ``Value error,`` before it."""
    errors = getattr(exc.__cause__, "errors", None)
    if errors is None:
        return None
    first = errors()[0]
    kind, given = first["type"], first.get("input")
    if kind == "value_error":
        return str(first["ctx"]["error"])
    if kind in _WHOLE_NUMBER:
        low, high = descriptor.parameter_info.min, descriptor.parameter_info.max
        if low is not None and high is not None:
            bounds = f" from {low} to {high}"
        elif low is not None or high is not None:
            bounds = f" of at least {low}" if low is not None else f" of at most {high}"
        else:
            bounds = ""
        return f"'{given}' must be a whole number{bounds}"
    return None


def _text(value: Any, param: _TyperParameter, ctx: Context) -> Any:
    # Typer: _parse_cli_str (str(value) for a str), then Pydantic's str: the same text.
    if type(value) is not str:
        raise _Refused
    return value


def _flag(value: Any, param: _TyperParameter, ctx: Context) -> Any:
    # Pydantic's bool: a bool as it is (Typer converts nothing else for a flag: ``--help``
    # and the completion flags are None until given, which the base class answers).
    if type(value) is not bool:
        raise _Refused
    return value


def _choice(choices: tuple[Enum, ...], case_sensitive: bool) -> Convert:
    def convert(value: Any, param: _TyperParameter, ctx: Context) -> Any:
        # Typer: a BeforeValidator calling this helper on an Any: its result as it is.
        return coerce_cli_choice(value, choices=choices, case_sensitive=case_sensitive, ctx=ctx)

    return convert


def _path(descriptor: TypeDescriptor, path_type: type[Path]) -> Convert:
    info = descriptor.parameter_info

    def convert(value: Any, param: _TyperParameter, ctx: Context) -> Any:
        # Typer gives the text to Pydantic's Path, which is ``path_type(text)``, then checks
        # it with this helper; a Path it checks as it is.
        if type(value) is str:
            value = path_type(value)
        elif not isinstance(value, path_type):
            raise _Refused
        return coerce_cli_path(value, info, path_type=path_type, param=param, ctx=ctx)

    return convert


def _number(low: float | None, high: float | None) -> Convert:
    def convert(value: Any, param: _TyperParameter, ctx: Context) -> Any:
        # Pydantic's int (with ge/le): the same number for an int or for plain digits.
        if type(value) is str and value.isascii() and value.isdigit() and len(value) < 19:
            value = int(value)
        elif type(value) is not int:
            raise _Refused
        if (low is not None and value < low) or (high is not None and value > high):
            raise _Refused
        return value

    return convert


def _list_of(item: Convert) -> Convert:
    def convert(value: Any, param: _TyperParameter, ctx: Context) -> Any:
        # Typer: a lone value becomes a list; each item converted as the item type is.
        items = value if isinstance(value, (list, tuple)) else [value]
        return [item(x, param, ctx) for x in items]

    return convert


def _leaf(annotation: Any, descriptor: TypeDescriptor) -> Convert | None:
    """The light converter of one (non-list) annotation, or None: Typer's, as built."""
    info = descriptor.parameter_info
    if info.parser is not None:
        return None
    if lenient_issubclass(annotation, Enum):
        return _choice(tuple(annotation), info.case_sensitive)
    if annotation is int and not info.clamp:
        return _number(info.min, info.max)
    if annotation is str:
        return _text
    if annotation is bool:
        return _flag
    if lenient_issubclass(annotation, Path) and info.path_type in (None, annotation):
        return _path(descriptor, annotation)
    return None


def light_converter(descriptor: TypeDescriptor) -> Convert | None:
    """How the light converter converts a parameter's value, or None where it leaves the
    parameter to Typer (a file, a tuple, a date-time, a ``parser=`` …)."""
    annotation: Any = descriptor.annotation
    if descriptor.file_annotation is not None:
        return None
    if get_origin(annotation) is list:
        (item_type,) = get_args(annotation)
        item = _leaf(item_type, descriptor)
        return _list_of(item) if item is not None else None
    return _leaf(annotation, descriptor)


def build(descriptor: TypeDescriptor) -> RuntimeParam:
    """The converter of one parameter: the light one where it applies, else Typer's."""
    convert = light_converter(descriptor)
    if convert is None:
        return typers_build(descriptor)
    return LightRuntimeParam(
        parameter_info=descriptor.parameter_info,
        annotation=descriptor.annotation,
        descriptor=descriptor,
        convert=convert,
    )


def install() -> None:
    """Make Typer build its parameters' converters with :func:`build` (idempotent)."""
    typer.core.build_runtime_param = build  # type: ignore[attr-defined]  # what its params call
