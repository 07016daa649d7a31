"""Liquid templates for invoices and reminders: where they are, one strict environment,
and errors that name ``FILE:LINE:COLUMN``.

Templates are python-liquid 2 files rendered with ``StrictUndefined`` (a misspelt
variable is an error, not an empty string) and strict filters, autoescaped for HTML.
Every problem — a missing or unreadable file, a file that is not UTF-8, a syntax error,
an undefined variable, a bad filter argument — is a :class:`TemplateError` whose message
names the file (the included one when the error is in an ``{% include %}``d file) and,
where known, the line and column, counted from 1.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liquid import BoundTemplate, Environment, FileSystemLoader, StrictUndefined
from liquid.builtin.expressions.primitive import RangeLiteral
from liquid.context import RenderContext
from liquid.exceptions import (
    LiquidError,
    LiquidSyntaxError,
    LoopIterationLimitError,
    OutputStreamLimitError,
    TemplateNotFoundError,
)
from liquid.loader import TemplateSource

from revcli.data.files import UnreadableFile, read_bytes
from revcli.errors import RevcliError
from revcli.settings import SETTINGS_FILE, inside_data_dir
from revcli.template_filters import FILTERS, with_decimals


class TemplateError(RevcliError):
    """A template cannot be found, read, parsed or rendered; the message names the file
    and, where known, ``LINE:COLUMN``."""


# --- where templates are -----------------------------------------------------------------


def shipped_templates() -> Path:
    """The folder of the templates revcli ships: ``revcli/templates`` in an installed
    wheel, else ``templates/`` at the root of the source tree."""
    here = Path(__file__).resolve()
    for folder in (here.parent / "templates", here.parents[2] / "templates"):
        if (folder / "invoice.html.liquid").is_file():
            return folder
    return here.parents[2] / "templates"


def find_template(root: Path, configured: str, default: str) -> Path:
    """The template a data dir asks for: ``configured`` relative to the data dir, which
    must stay inside it, symlinks resolved (:class:`TemplateError` otherwise). When
    ``configured`` is the ``default`` name and the data dir has no such file, revcli's
    own copy. A configured file that does not exist is returned as it is (the caller
    reports it)."""
    if not inside_data_dir(root, configured):
        raise TemplateError(
            f"{root / SETTINGS_FILE}: '{configured}' is outside the data dir; a template "
            f"named in {SETTINGS_FILE} must be a file inside it (symlinks resolved)"
        )
    path = root / configured
    if not os.path.lexists(path) and configured == default:
        return shipped_templates() / Path(default).name
    return path


# --- loading and rendering ----------------------------------------------------------------------


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


def read_template(path: Path) -> str:
    """The text of a template file; :class:`TemplateError` when it cannot be read or is
    not UTF-8 (naming the line of the first bad byte)."""
    try:
        data = read_bytes(path)
    except UnreadableFile as exc:
        raise TemplateError(f"{path}: the template {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TemplateError(
            f"{path}:{line}: the template is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save it as UTF-8"
        ) from None


LOOP_ITERATION_LIMIT = 50_000
"""Most loop iterations of one render (nested loops multiply): a few thousand invoice
lines or reminders need far fewer; ``(1..100000000)`` stops at once."""
OUTPUT_LIMIT = 8 * 1024 * 1024
"""Most characters one render may write (8 MiB): a document, not a disk filler."""
NAMESPACE_LIMIT = 1024 * 1024
"""Most bytes ``assign`` and ``capture`` may hold at once (1 MiB, as Python counts
sizes): string doubling stops there."""


class _BoundedEnvironment(Environment):
    """Liquid with resource limits, so that a hostile template cannot hang or fill memory."""

    loop_iteration_limit = LOOP_ITERATION_LIMIT
    output_stream_limit = OUTPUT_LIMIT
    local_namespace_limit = NAMESPACE_LIMIT


def _huge_range(length: int) -> LoopIterationLimitError:
    return LoopIterationLimitError(
        f"a range of {length:,} numbers is more than a template may use ({LOOP_ITERATION_LIMIT:,})",
        token=None,
    )


_range_evaluate = RangeLiteral.evaluate


def _bounded_range(self: RangeLiteral, context: RenderContext) -> range:
    # python-liquid checks its loop limit only after ``reversed`` or a filter has turned
    # the range into a list: ``(1..100000000) reversed`` would take gigabytes first. So
    # ranges evaluated in revcli's environments are bounded where they are made.
    # (Liquid has no hook for this; other environments keep the original behaviour.)
    value = _range_evaluate(self, context)
    if isinstance(context.env, _BoundedEnvironment) and len(value) > LOOP_ITERATION_LIMIT:
        raise _huge_range(len(value))
    return value


RangeLiteral.evaluate = _bounded_range  # type: ignore[method-assign]


def _too_long(name: str, size: int) -> None:
    if size > OUTPUT_LIMIT:
        raise OutputStreamLimitError(
            f"{name}: the result would be {size:,} characters, more than a template may "
            f"write ({OUTPUT_LIMIT:,})",
            token=None,
        )


def _bounded(
    name: str, original: Callable[..., Any], size: Callable[..., int]
) -> Callable[..., Any]:
    """``original`` refusing, before it runs, a result larger than :data:`OUTPUT_LIMIT`
    (``join`` and ``replace`` can square the size of their input)."""

    @functools.wraps(original)
    def run(value: Any, *args: Any, **kwargs: Any) -> Any:
        _too_long(name, size(value, *args))
        return original(value, *args, **kwargs)

    return run


def _join_size(items: Any, separator: object = " ", *_: object) -> int:
    if isinstance(items, str) or not hasattr(items, "__len__"):
        return 0
    count = len(items)
    return sum(len(str(item)) for item in items) + max(count - 1, 0) * len(str(separator))


def _replace_size(value: Any, seq: object = "", sub: object = "", *_: object) -> int:
    text, old, new = str(value), str(seq), str(sub)
    return len(text) + text.count(old) * max(len(new) - len(old), 0)


def environment(
    folder: Path,
    *,
    autoescape: bool,
    filters: Mapping[str, Callable[..., str]] | None = None,
) -> Environment:
    """A strict Liquid environment loading templates from ``folder``, with :data:`FILTERS`
    and ``filters`` (which may replace Liquid's own, e.g. ``date``)."""
    env = _BoundedEnvironment(
        loader=_Loader(folder), undefined=StrictUndefined, autoescape=autoescape
    )
    for name, size in (("join", _join_size), ("replace", _replace_size)):
        env.filters[name] = _bounded(name, env.filters[name], size)
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
