"""Checks of single settings: invoice number formats, e-mail addresses, secrets, locales."""

from __future__ import annotations

import re
import string

from babel import Locale, UnknownLocaleError

from revcli.errors import Issue
from revcli.settings_tree import Tree, line_of
from revcli.visible import BIDI_CONTROLS, codes_pattern, visible

MAX_FIELD_WIDTH = 20
"""The widest a ``{year}`` or ``{seq}`` of ``invoice.number_format`` may be printed
(a sequence number has at most 19 digits)."""

NUMBER_TYPES = ("", "d", "b", "o")
"""The presentation types that write ``{year}`` or ``{seq}`` as whole digits, one text per
number. The others are not: ``c`` writes a character (seq 10 is a line break), ``n`` the
locale's digits, the float types (``e``, ``f``, ``g``, ``%``) round (``{seq:.0e}`` writes
10 and 11 both as ``1e+01``), and the letters of ``x`` and ``X`` are no digits of the KID
(``A1`` and ``A1a``, seq 1 and 26, would both have KID 18)."""

_SPEC_TYPES = "bcdeEfFgGnosxX%"


def number_format_problem(text: str) -> str:
    """What is wrong with an ``invoice.number_format``, or ``""``: only ``{year}`` and
    ``{seq}`` (once), Python format specs without nested fields and no width or precision
    above :data:`MAX_FIELD_WIDTH` (``{seq:999999999d}`` would take a gigabyte), no
    conversion (``!s``) and only the types of :data:`NUMBER_TYPES`, so that every number
    is its own text, written as digits only (:func:`_not_digits_only`); and no control or
    direction-formatting character (tab and line breaks too), in the literal text or as a
    fill, since every document prints the number."""
    example = "e.g. '{year}-{seq:05d}'"
    try:
        parsed = [
            (f, spec or "", conversion)
            for _, f, spec, conversion in string.Formatter().parse(text)
            if f is not None
        ]
        parts = [(f, spec) for f, spec, _ in parsed]
        fields = [f for f, _ in parts]
        unknown = sorted(set(fields) - {"year", "seq"})
        if unknown:
            return f"'{text}' uses unknown field {{{unknown[0]}}}; only {{year}} and {{seq}} exist"
        if fields.count("seq") != 1:
            return f"'{text}' must contain {{seq}} exactly once, {example}"
        for name, spec in parts:
            if "{" in spec:
                return f"'{text}': the format of {{{name}}} cannot contain another field"
            widest = max((int(n) for n in re.findall(r"[0-9]+", spec)), default=0)
            if widest > MAX_FIELD_WIDTH:
                return (
                    f"'{text}': {{{name}}} is {widest} characters wide; at most "
                    f"{MAX_FIELD_WIDTH}, {example}"
                )
        for name, spec, conversion in parsed:
            if conversion:
                return (
                    f"'{text}': {{{name}!{conversion}}} turns the number into a text; leave "
                    f"out !{conversion}, {example}"
                )
            kind = spec[-1:] if spec[-1:] and spec[-1:] in _SPEC_TYPES else ""
            if kind not in NUMBER_TYPES:
                return (
                    f"'{text}': {{{name}:{spec}}} does not write the number as whole digits; "
                    f"use the type d (the default), b or o, {example}"
                )
        text.format(year=2026, seq=1)
    except (ValueError, KeyError, IndexError) as exc:
        return f"'{text}' is not a valid number format ({exc}); {example}"
    found = codes_pattern().search(text)
    if found:
        char = found.group()
        kind = "direction-formatting" if char in BIDI_CONTROLS else "control"
        return (
            f"'{text}' holds the {kind} character {visible(char)}, which an invoice number "
            "cannot show; remove it"
        )
    return _not_digits_only(text, [(name, spec) for name, spec, _ in parsed], example)


def _not_digits_only(text: str, parts: list[tuple[str, str]], example: str) -> str:
    """The problem of a ``{year}`` or ``{seq}`` whose spec writes a number as more than its
    digits with zeros before them, or ``""``: a space or other fill, a sign, grouping or a
    ``0b``/``0o`` prefix (1234567 shows the grouping, 1 the padding), or digits as fill
    anywhere but before the number (``{seq:0<2}`` writes 1 and 10 both as ``10``)."""
    for name, spec in parts:
        kind = spec[-1:] if spec[-1:] in ("b", "o") else "d"
        for value in (2026,) if name == "year" else (1, 1234567):
            shown = format(value, spec)
            if not (shown.isascii() and shown.isdigit()) or (
                shown.lstrip("0") != format(value, kind)
            ):
                return (
                    f"'{text}': {{{name}:{spec}}} writes {value} as '{shown}', not as its "
                    f"digits; pad with zeros before it, if at all, {example}"
                )
    return ""


_NOT_IN_ADDRESS = r"\s@<>()\[\],;:\"\\"
_EMAIL = re.compile(rf"[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}.]+(?:\.[^{_NOT_IN_ADDRESS}.]+)+")


def is_email(text: str | None) -> bool:
    """A plausible single e-mail address (``name@domain.tld``): no spaces, line breaks or
    other unprintable characters, no brackets, commas or semicolons (a list or a display
    name), no empty domain label (``a@b..no``)."""
    return bool(text) and (text or "").isprintable() and _EMAIL.fullmatch(text or "") is not None


SECRET_KEYS = frozenset({"password", "passwd", "secret", "token", "api_key"})
"""Keys that would put a secret into revcli.yaml, which is committed and shared."""


def secret_issues(tree: Tree, source: str, path: str = "") -> list[Issue]:
    """An error for every secret-looking key anywhere in the settings (``password:``):
    the secret itself belongs in an environment variable named by ``password_env``."""
    issues: list[Issue] = []
    if isinstance(tree, list):
        for item in tree:
            issues += secret_issues(item, source, path)
    elif isinstance(tree, dict):
        for key, node in tree.items():
            if key.lower() in SECRET_KEYS:
                line = line_of(node)
                issues.append(
                    Issue(
                        source,
                        line,
                        f"{path}{key}",
                        "a secret does not belong in revcli.yaml (it is committed and "
                        "shared); put it in an environment variable and name that variable "
                        "in reminders.smtp.password_env",
                    )
                )
            else:
                issues += secret_issues(node, source, f"{path}{key}.")
    return issues


def locale_code(name: str) -> str:
    """A locale as Babel reads it: ``en-GB`` (as a browser writes it) is ``en_GB``."""
    return name.replace("-", "_")


def known_locale(name: str) -> bool:
    """Whether Babel can format money and dates for ``name`` (``nb_NO``, ``en-GB``, …)."""
    try:
        Locale.parse(locale_code(name))
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return True
