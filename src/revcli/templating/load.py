"""Loading and rendering templates in one strict environment, with every Liquid error as
``FILE:LINE:COLUMN: message``."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liquid import BoundTemplate, Environment, FileSystemLoader, StrictUndefined
from liquid.exceptions import LiquidError, LiquidSyntaxError, TemplateNotFoundError
from liquid.loader import TemplateSource

from revcli.template_filters import FILTERS
from revcli.template_math import with_decimals
from revcli.templating.files import TemplateError, read_template
from revcli.templating.limits import BoundedEnvironment, bounded, join_size, replace_size


class _Loader(FileSystemLoader):
    """Loads templates from one folder as UTF-8, reporting a file that is not UTF-8 or
    cannot be read as a :class:`TemplateError`, and remembers which file each source
    text came from so that errors in included templates name the right file."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.files: dict[str, Path] = {}

    def get_source(
        self,
        env: Environment,
        template_name: str,
        *,
        context: object = None,
        **kwargs: object,
    ) -> TemplateSource:
        path = self.resolve_path(template_name)
        text = read_template(path)
        self.files.setdefault(text, path)
        return TemplateSource(text, str(path), None)


def environment(
    folder: Path,
    *,
    autoescape: bool,
    filters: Mapping[str, Callable[..., str]] | None = None,
) -> Environment:
    """A strict Liquid environment loading templates from ``folder``, with :data:`FILTERS`
    and ``filters`` (which may replace Liquid's own, e.g. ``date``)."""
    env = BoundedEnvironment(
        loader=_Loader(folder), undefined=StrictUndefined, autoescape=autoescape
    )
    for name, size in (("join", join_size), ("replace", replace_size)):
        env.filters[name] = bounded(name, env.filters[name], size)
    with_decimals(env.filters)
    env.filters.update(FILTERS)
    env.filters.update(filters or {})
    return env


def template_error(path: Path, exc: LiquidError, env: Environment | None = None) -> TemplateError:
    """``exc`` as ``FILE:LINE:COLUMN: message``: FILE is the file the failing token came
    from when ``env`` loaded it (an included template), else ``path``."""
    message = exc.message or str(exc).splitlines()[0]
    if isinstance(exc, TemplateNotFoundError):
        message = (
            f"template not found: '{message}' (an included template must be a file in the "
            "folder of the template that includes it, symlinks resolved)"
        )
    where = path
    loader = env.loader if env is not None else None
    if exc.token is not None and isinstance(loader, _Loader):
        found = loader.files.get(exc.token.source)
        if found is not None and found.resolve() != path.resolve():
            where = found  # the error is in an included template
    try:
        context = exc.context()
    except (AttributeError, IndexError, TypeError, ValueError):
        context = None
    position = f":{context[0]}:{context[1] + 1}" if context is not None else ""
    return TemplateError(f"{where}{position}: {message}")


@dataclass(frozen=True)
class Template:
    """A template file parsed once, rendered any number of times."""

    path: Path
    env: Environment
    template: BoundTemplate

    def render(self, context: Mapping[str, Any]) -> str:
        """The template rendered with ``context``; :class:`TemplateError` on any error."""
        try:
            return self.template.render(**context)
        except LiquidError as exc:
            raise template_error(self.path, exc, self.env) from None


def load_template(
    path: Path,
    *,
    autoescape: bool,
    filters: Mapping[str, Callable[..., str]] | None = None,
) -> Template:
    """Parse the template file ``path`` (includes resolve in its folder) in a strict
    :func:`environment`; :class:`TemplateError` when it is missing, unreadable, not
    UTF-8 or not valid Liquid."""
    if not os.path.lexists(path):
        raise TemplateError(f"{path}: template not found")
    text = read_template(path)  # refuses a FIFO, a device, a symlink loop or a huge file
    # A symlink is followed first: the loader keeps every file inside its folder, so the
    # template is loaded from (and its includes resolve in) the folder it really is in.
    real = Path(os.path.realpath(path))
    env = environment(real.parent, autoescape=autoescape, filters=filters)
    try:
        return Template(path, env, env.get_template(real.name))
    except TemplateNotFoundError:
        raise TemplateError(f"{path}: template not found") from None
    except LiquidError as exc:
        error = template_error(path, exc, env)
        if str(error).startswith(f"{path}: ") and isinstance(exc, LiquidSyntaxError):
            at = syntax_error_place(text, env, str(exc))  # Liquid gave no place
            if at is not None:
                error = TemplateError(f"{path}:{at[0]}:{at[1]}: {str(error)[len(str(path)) + 2 :]}")
        raise error from None


_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
"""An output statement or a tag: where a syntax error Liquid gives no place can be."""
PLACE_SEARCH_MARKUPS = 1_000
"""The most outputs and tags a template may hold for :func:`syntax_error_place` to look
(about ten parses of it; the shipped templates hold up to 284): a hostile template of
60,000 would take a minute to place its error, and gets the file named without a place."""


def syntax_error_place(text: str, env: Environment, message: str) -> tuple[int, int] | None:
    """Line and column of the output statement or tag in which parsing ``text`` fails with
    ``message``, for the errors python-liquid reports without a place (those found at the
    end of an expression: ``{{ }}``, ``{{ a | }}``, a block never closed): the first
    markup such that the text up to its end fails with the same message. Each longer text
    fails there too, so it is found by halving (a few parses of a small file)."""
    ends = list(_MARKUP.finditer(text))

    def fails(count: int) -> bool:
        try:
            env.from_string(text[: ends[count - 1].end()])
        except LiquidSyntaxError as exc:
            return str(exc) == message
        except LiquidError:
            return False
        return False

    low, high = 1, len(ends)
    if not ends or high > PLACE_SEARCH_MARKUPS or not fails(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if fails(middle):
            high = middle
        else:
            low = middle + 1
    start = ends[low - 1].start()
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1
