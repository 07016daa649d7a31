"""Messages to stderr: the console made on first use, the spinner, problems, the progress
bar, and the values a message quotes shown by their codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

import typer

from revcli.cli.streams import write_text
from revcli.errors import Issue
from revcli.visible import message_text

if TYPE_CHECKING:
    from rich.console import Console


class _Stderr:
    """A Rich console on stderr, made on first use: shell completion never loads Rich."""

    @cached_property
    def _console(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._console, name)

    def print(
        self, *objects: Any, style: str | None = None, markup: bool | None = None, **rich: Any
    ) -> None:
        """Rich's ``print`` (its other options in ``rich``); a line of text off a terminal
        is written without Rich. Text is a message (:func:`_message`): the control and
        invisible characters of the paths and values it names are shown by their codes
        (a folder named with an escape sequence must not retitle the terminal).

        Rich writes such a line as it is there too (no colour, and no wrapping: the
        console soft-wraps), so ``wrote FILE`` after a report needs no Rich loaded. Once
        the console is made (a progress bar, a spinner), everything goes through it."""
        objects = tuple(_message(o) if isinstance(o, str) else o for o in objects)
        if (
            "_console" not in self.__dict__
            and not rich
            and len(objects) == 1
            and isinstance(objects[0], str)
            and not markup
            and not stderr_is_terminal()
        ):
            sys.stderr.write(f"{objects[0]}\n")
            return
        self._console.print(*objects, style=style, markup=markup, **rich)

    # Rich's Live (a Progress bar) enters its console: special methods skip __getattr__.
    def __enter__(self) -> Console:
        return self._console.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._console.__exit__(*exc)


if TYPE_CHECKING:
    err: Console
else:
    err = _Stderr()
"""Messages to stderr. Never markup or emoji codes: paths and values from the user
(``--out '[/x].csv'``, a file named ``:smile:.csv``, a customer named ``[ACME]``) are
printed as they are."""


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner on stderr while a long step runs, on a terminal only (nothing when piped).
    Its message shows at once, however short the step (Rich draws its first frame only at
    the first refresh tick otherwise)."""
    if not stderr_is_terminal():
        yield
        return
    with err.status(_message(message), spinner="dots") as status:  # a path's codes shown
        status.update(spinner="dots")  # draws now
        yield


def stderr_is_terminal() -> bool:
    """Rich's ``err.is_terminal``, answered without loading Rich where Rich's answer can
    only be no: stderr is no terminal and neither TTY_COMPATIBLE=1 nor FORCE_COLOR asks
    Rich to treat it as one (the piped run of a report never loads Rich)."""
    environ = os.environ
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        maybe = isatty is not None and isatty()
    except ValueError:  # closed
        maybe = False
    if not (maybe or environ.get("TTY_COMPATIBLE") == "1" or environ.get("FORCE_COLOR")):
        return False
    return err.is_terminal


def print_issues(issues: list[Issue], *, to_stdout: bool = False) -> None:
    """Every problem as ``FILE:ROW: column: message``, one per line, unstyled."""
    lines = "".join(f"{issue}\n" for issue in issues)
    if to_stdout:
        if lines:
            write_text(lines)
    else:
        sys.stderr.write(lines)


def _message(text: str) -> str:
    """An error message with the control, direction and other invisible characters of the
    values it quotes shown by their codes, and a line of more than 1,000 characters cut in
    the middle (:func:`revcli.visible.message_text`); its line breaks kept."""
    return message_text(text, keep="\n")


class BadValue(typer.BadParameter):
    """Typer's ``BadParameter`` (the parser prints it: ``Invalid value for --by: …``) with
    the control and invisible characters of the value it quotes shown by their codes."""

    def __init__(self, message: str, **options: Any) -> None:
        super().__init__(_message(message), **options)


_BARS: list[Any] = []
"""The progress bars on the screen (started, not yet stopped)."""


def progress_bar(total_hint: str) -> Any:
    """A progress callback: a bar on a terminal, nothing when piped or in CI. The bar
    goes when its last step is done, or when the command stops early
    (:func:`stop_progress`)."""
    import os

    if not err.is_terminal or os.environ.get("CI"):
        return None
    from rich.progress import Progress

    bar = Progress(console=err, transient=True)
    task = bar.add_task(total_hint, total=None)
    bar.start()
    _BARS.append(bar)

    def step(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)
        if done >= total:
            bar.stop()

    return step


def stop_progress() -> None:
    """Take every progress bar off the screen: a command that stops on an error prints its
    message without a bar left drawn above or below it."""
    while _BARS:
        _BARS.pop().stop()
