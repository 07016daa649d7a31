"""Liquid with resource limits, so that a hostile template cannot hang or fill memory."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from liquid import Environment
from liquid.builtin.expressions.primitive import RangeLiteral
from liquid.context import RenderContext
from liquid.exceptions import LoopIterationLimitError, OutputStreamLimitError

LOOP_ITERATION_LIMIT = 50_000
"""Most loop iterations of one render (nested loops multiply): a few thousand invoice
lines or reminders need far fewer; ``(1..100000000)`` stops at once."""
OUTPUT_LIMIT = 8 * 1024 * 1024
"""Most characters one render may write (8 MiB): a document, not a disk filler."""
NAMESPACE_LIMIT = 1024 * 1024
"""Most bytes ``assign`` and ``capture`` may hold at once (1 MiB, as Python counts
sizes): string doubling stops there."""


class BoundedEnvironment(Environment):
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
    if isinstance(context.env, BoundedEnvironment) and len(value) > LOOP_ITERATION_LIMIT:
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


def bounded(
    name: str, original: Callable[..., Any], size: Callable[..., int]
) -> Callable[..., Any]:
    """``original`` refusing, before it runs, a result larger than :data:`OUTPUT_LIMIT`
    (``join`` and ``replace`` can square the size of their input)."""

    @functools.wraps(original)
    def run(value: Any, *args: Any, **kwargs: Any) -> Any:
        _too_long(name, size(value, *args))
        return original(value, *args, **kwargs)

    return run


def join_size(items: Any, separator: object = " ", *_: object) -> int:
    if isinstance(items, str) or not hasattr(items, "__len__"):
        return 0
    count = len(items)
    return sum(len(str(item)) for item in items) + max(count - 1, 0) * len(str(separator))


def replace_size(value: Any, seq: object = "", sub: object = "", *_: object) -> int:
    text, old, new = str(value), str(seq), str(sub)
    return len(text) + text.count(old) * max(len(new) - len(old), 0)
