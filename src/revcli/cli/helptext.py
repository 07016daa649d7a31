"""Help that reads well: paragraphs wrap at the terminal's width, and options show a
word for their value (DATE, MONTH, N) or nothing for a flag, never a Python type."""

from __future__ import annotations

import re
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

_MONTHS = frozenset({"--month", "--from", "--to", "--period", "--issued"})
_DAYS = frozenset({"--as-of", "--date", "--before"})
_PYTHON_TYPE = re.compile(
    r"^(str|int|float|bool|Path|Decimal|int range|float range|list\[.*\]|\{.*\})$"
)


def reflow(text: str | None) -> str | None:
    """Every paragraph of ``text`` on one line, so that help wraps only where the
    terminal ends (Rich wraps it) instead of where the docstring's source line ended.
    A paragraph starting with ``\\b`` keeps its lines (Click's no-rewrap mark)."""
    if not text:
        return text
    lines = text.expandtabs().splitlines()
    indent = min((len(x) - len(x.lstrip()) for x in lines[1:] if x.strip()), default=0)
    body = "\n".join([lines[0].strip(), *(x[indent:] for x in lines[1:])]).strip()
    paragraphs = re.split(r"\n\s*\n", body)
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )


def _metavar(param: TyperOption | TyperArgument, shown: str | None) -> str | None:
    """A reader's word for a value whose help would otherwise show a Python type (an
    argument is always named by its own name: ``FOLDER``, not ``{folder}``)."""
    if isinstance(param, TyperArgument):
        return (param.name or "value").upper() + ("..." if param.nargs != 1 else "")
    if shown is None or not _PYTHON_TYPE.match(shown.strip("<>")):
        return None
    names = set(param.opts)
    if names & _MONTHS:
        return "MONTH"
    if names & _DAYS:
        return "DATE"
    if shown.strip("<>") in ("int", "int range"):  # a whole number, bounded or not
        return "N"
    return "TEXT..." if shown.strip("<>").startswith("list") else "TEXT"


def _flag_help_option(command: Any) -> None:
    """``--help`` is made on demand; make it, like every flag, show no value type."""
    made = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = made(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = get_help_option


def _argument_names(param: TyperArgument) -> None:
    """Click's convention in the usage line: FOLDER is required, [FOLDER] optional (Typer
    writes ``{folder}``); the type column stays empty where it would name a Python type."""
    shown = (param.metavar or "") if param.required else f"[{param.metavar}]"
    python_type = bool(_PYTHON_TYPE.match(param.display_type(None).strip("<>")))  # type: ignore[arg-type]

    def usage_name() -> str:
        return shown

    def type_column(ctx: Any) -> str | None:
        return None if python_type else param.display_type(ctx)

    param._usage_display_name = usage_name  # type: ignore[method-assign]
    param.display_type_rich = type_column  # type: ignore[method-assign]


def tidy(command: Any) -> None:
    """Reflow ``command``'s help and give its parameters readable value names, recursing
    into the commands of a group."""
    command.help = reflow(command.help)
    _flag_help_option(command)
    for param in command.params:
        if isinstance(param, TyperOption) and param.is_flag:
            param.metavar = ""
            continue
        if (
            isinstance(param, (TyperOption, TyperArgument))
            and param.metavar is None
            and (isinstance(param, TyperArgument) or not param.type_descriptor.is_choice)
        ):
            word = _metavar(param, param.display_type(None))  # type: ignore[arg-type]
            if word:
                param.metavar = word
        if isinstance(param, TyperArgument):
            _argument_names(param)
    for sub in getattr(command, "commands", {}).values():
        tidy(sub)


class HelpGroup(TyperGroup):
    """The root group: every command beneath it gets :func:`tidy` help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tidy(self)

    def get_params(self, ctx: Any) -> list[Any]:
        # The completion options join the root's parameters after it is built.
        params: list[Any] = super().get_params(ctx)
        for param in params:
            if isinstance(param, TyperOption) and param.is_flag:
                param.metavar = ""
        return params
