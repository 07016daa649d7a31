"""Settings of a data dir (``revcli.yaml``), typed and validated."""

from __future__ import annotations

import difflib
import os
import re
import stat
import string
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import TypeAlias, TypeVar

from babel import Locale, UnknownLocaleError

from revcli.errors import Issue, Severity
from revcli.parsing import parse_value
from revcli.schema import CONTRACTS, CUSTOMERS, Column, country_codes, currency_codes

SETTINGS_FILE = "revcli.yaml"

TOP_KEYS = (
    "company",
    "base_currency",
    "locale",
    "invoice",
    "renewals",
    "metrics",
    "reminders",
    "risk",
    "cohorts",
    "forecast",
)
"""The keys of ``revcli.yaml`` itself: its own settings and every feature's section."""

T = TypeVar("T", int, Decimal)


@dataclass(frozen=True)
class Scalar:
    """A YAML scalar as text (``None`` when not set) and the line it stands on."""

    value: str | None
    line: int


Tree: TypeAlias = "dict[str, Tree] | list[Tree] | Scalar"
"""The settings of ``revcli.yaml`` as read (``data/tree.py``): nested sections of scalars."""


class Section(dict[str, Tree]):
    """A mapping of ``revcli.yaml`` as read, with the line of its key (``invoice:``)."""

    def __init__(self, entries: Iterable[tuple[str, Tree]] = (), line: int | None = None) -> None:
        super().__init__(entries)
        self.line = line


class Items(list[Tree]):
    """A list of ``revcli.yaml`` as read, with the line of its key (``formats:``)."""

    def __init__(self, items: Iterable[Tree] = (), line: int | None = None) -> None:
        super().__init__(items)
        self.line = line


def line_of(node: Tree | None) -> int | None:
    """The line a setting stands on, for its messages; ``None`` for a tree built in code."""
    return node.line if isinstance(node, Scalar | Section | Items) else None


def setting_line(tree: dict[str, Tree], key: str) -> int | None:
    """The line of the setting ``key`` (dotted: ``company.iban``) in ``tree``; when it is
    not set, the line of the nearest section that would hold it (``company:``)."""
    line = None
    node: Tree | None = tree
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            break
        line = line_of(node) or line
    return line


@dataclass(frozen=True)
class Company:
    """The seller, printed on invoices."""

    name: str = ""
    country: str = "NO"
    vat_id: str = ""
    address: str = ""
    email: str = ""
    bank_account: str = ""
    iban: str = ""
    bic: str = ""


EXAMPLE_SELLER = {"name": "Example AS", "vat_id": "NO999999999MVA", "bank_account": "1234.56.78903"}
"""The made-up seller ``revcli init`` (and an import into a new data dir) writes into
``company:``: no invoice is issued in its name."""


@dataclass(frozen=True)
class InvoiceSettings:
    """Invoice numbering and defaults."""

    number_format: str = "{year}-{seq:05d}"
    payment_terms_days: int = 14
    default_tax_rate: Decimal = Decimal(25)
    template: str = "templates/invoice.html.liquid"
    formats: tuple[str, ...] = ("html", "xml")


DOCUMENT_FORMATS = ("html", "pdf", "md", "txt", "xml")
"""What ``invoice issue`` can write per document: faces (html, pdf, md, txt) and the
e-invoice (xml)."""


@dataclass(frozen=True)
class RenewalSettings:
    """Defaults for renewal notice."""

    default_notice_days: int = 30


MAX_REACTIVATION_DAYS = 36500
"""A hundred years: any longer window is "unlimited"."""


@dataclass(frozen=True)
class MetricsPolicy:
    """The ``metrics:`` section: the metric policy's label and the rules vendors disagree
    on (SPEC §12). The defaults are revcli's own rules (SPEC §4)."""

    name: str = "revcli"
    version: str = "1"
    reactivation_window_days: int | None = None
    """A return after more days than this (last month-end with MRR to the first one with
    MRR again) is ``new``, not ``reactivation``; ``None``: always reactivation."""
    free_to_paid: str = "new"
    """How a customer whose active lines were all free counts when it starts paying:
    ``new`` (or ``reactivation``), or ``expansion``."""
    fx: str = "booking"
    """``booking``: lines at their contract's start rate; ``month_end``: at each month-end's
    rate, the currency effect reported as an ``fx`` movement."""
    grain: str = "product"
    """``product``: movements per customer and product; ``customer``: on customer totals."""

    @property
    def label(self) -> str:
        """``revcli v1``: how reports name the policy."""
        return f"{self.name} v{self.version}"


@dataclass(frozen=True)
class Settings:
    """Everything in ``revcli.yaml``; ``tree`` keeps the raw sections for feature modules."""

    company: Company = field(default_factory=Company)
    base_currency: str = "NOK"
    locale: str = "nb_NO"
    invoice: InvoiceSettings = field(default_factory=InvoiceSettings)
    renewals: RenewalSettings = field(default_factory=RenewalSettings)
    metrics: MetricsPolicy = field(default_factory=MetricsPolicy)
    source: str = SETTINGS_FILE
    tree: dict[str, Tree] = field(default_factory=dict)


class SettingsReader:
    """Reads typed values out of a settings tree, collecting issues instead of raising."""

    def __init__(self, source: str, issues: list[Issue], prefix: str = "") -> None:
        self.source = source
        self.issues = issues
        self.prefix = prefix  # before every key in messages: "invoice." + "template"

    def section(self, tree: dict[str, Tree], key: str) -> dict[str, Tree]:
        node = tree.get(key)
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return {}
        if not isinstance(node, dict):
            self._problem(node, key, "expected a section of settings (key: value)")
            return {}
        return node

    def _problem(self, node: Tree | None, key: str, message: str) -> None:
        line = line_of(node)
        self.issues.append(Issue(self.source, line, f"{self.prefix}{key}", message))

    def text(self, tree: dict[str, Tree], key: str, default: str) -> str:
        node = tree.get(key)
        if node is None:
            return default
        if not isinstance(node, Scalar):
            self._problem(node, key, "expected a single value")
            return default
        return default if node.value is None else node.value

    def integer(
        self,
        tree: dict[str, Tree],
        key: str,
        default: int,
        minimum: int = 0,
        maximum: int | None = None,
    ) -> int:
        node = tree.get(key)
        raw = self.text(tree, key, "")
        if not raw:
            return default
        if not re.fullmatch(r"[+-]?[0-9]{1,9}", raw) or int(raw) < minimum:
            self._problem(node, key, f"'{raw}' must be a whole number of at least {minimum}")
            return default
        if maximum is not None and int(raw) > maximum:
            self._problem(node, key, f"'{raw}' must be at most {maximum}")
            return default
        return int(raw)

    def decimal(self, tree: dict[str, Tree], key: str, default: Decimal) -> Decimal:
        node = tree.get(key)
        raw = self.text(tree, key, "")
        if not raw:
            return default
        # Plain decimals only, as in the data files: no NaN, Infinity or exponents.
        if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", raw):
            self._problem(node, key, f"'{raw}' is not a number; expected e.g. 25 or 12.5")
            return default
        return Decimal(raw)

    def like(self, tree: dict[str, Tree], key: str, default: T, column: Column) -> T:
        """A setting that stands in for a data column (``default_tax_rate`` for
        ``tax_rate``): the same syntax and the same range as a cell of ``column``."""
        node = tree.get(key)
        raw = self.text(tree, key, "").strip()
        if not raw:
            return default
        value, problem = parse_value(column, raw)
        if value is None:
            self._problem(node, key, f"'{raw}' {problem} (as {column.name} in the data)")
            return default
        # As written (25 stays 25, not 25.0000000000); parse_value checked it.
        return Decimal(raw) if isinstance(default, Decimal) else int(raw)

    def boolean(self, tree: dict[str, Tree], key: str, default: bool) -> bool:
        node = tree.get(key)
        raw = self.text(tree, key, "").lower()
        if not raw:
            return default
        if raw in ("true", "yes", "1"):
            return True
        if raw in ("false", "no", "0"):
            return False
        self._problem(node, key, f"'{raw}' is not a boolean; expected true or false")
        return default

    def choice(
        self, tree: dict[str, Tree], key: str, default: str, choices: tuple[str, ...]
    ) -> str:
        node = tree.get(key)
        raw = self.text(tree, key, default).lower()
        if raw not in choices:
            self._problem(node, key, f"'{raw}' is not one of {', '.join(choices)}")
            return default
        return raw

    def check(self, ok: bool, tree: dict[str, Tree], key: str, message: str) -> None:
        if not ok:
            self._problem(tree.get(key), key, message)


MAX_FIELD_WIDTH = 20
"""The widest a ``{year}`` or ``{seq}`` of ``invoice.number_format`` may be printed
(a sequence number has at most 19 digits)."""


def number_format_problem(text: str) -> str:
    """What is wrong with an ``invoice.number_format``, or ``""``: only ``{year}`` and
    ``{seq}`` (once), Python format specs without nested fields and no width or precision
    above :data:`MAX_FIELD_WIDTH` (``{seq:999999999d}`` would take a gigabyte)."""
    example = "e.g. '{year}-{seq:05d}'"
    try:
        parts = [
            (f, spec or "") for _, f, spec, _ in string.Formatter().parse(text) if f is not None
        ]
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
        text.format(year=2026, seq=1)
    except (ValueError, KeyError, IndexError) as exc:
        return f"'{text}' is not a valid number format ({exc}); {example}"
    return ""


_NOT_IN_ADDRESS = r"\s@<>()\[\],;:\"\\"
_EMAIL = re.compile(rf"[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}.]+(?:\.[^{_NOT_IN_ADDRESS}.]+)+")


def is_email(text: str | None) -> bool:
    """A plausible single e-mail address (``name@domain.tld``): no spaces, line breaks or
    other unprintable characters, no brackets, commas or semicolons (a list or a display
    name), no empty domain label (``a@b..no``)."""
    return bool(text) and (text or "").isprintable() and _EMAIL.fullmatch(text or "") is not None


def unknown_settings(
    section: dict[str, Tree], known: Iterable[str], where: str, source: str
) -> list[Issue]:
    """A warning for every key of ``section`` (named ``where``: ``risk.usage``, ``""`` at
    the top) that is not in ``known``, with the closest known key when there is one. A
    secret-looking key is left to :func:`secret_issues` (an error)."""
    names = tuple(known)
    out = []
    for key, node in section.items():
        if key in names or key.lower() in SECRET_KEYS:
            continue
        close = difflib.get_close_matches(key, names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"expected one of {', '.join(names)}"
        column = f"{where}.{key}" if where else key
        out.append(
            Issue(source, line_of(node), column, f"unknown setting; {hint}", Severity.WARNING)
        )
    return out


def parse_settings(tree: dict[str, Tree], source: str) -> tuple[Settings, list[Issue]]:
    """Type and check ``revcli.yaml``; every missing value takes its documented default.
    An unknown key here or in ``company:``, ``invoice:``, ``renewals:`` or ``metrics:`` is a
    warning (feature sections check their own keys)."""
    issues: list[Issue] = unknown_settings(tree, TOP_KEYS, "", source)
    r = SettingsReader(source, issues)
    comp = r.section(tree, "company")
    issues += unknown_settings(comp, [f.name for f in fields(Company)], "company", source)
    rc = SettingsReader(source, issues, "company.")
    company = Company(
        name=rc.text(comp, "name", ""),
        country=rc.text(comp, "country", "NO").upper(),
        vat_id=rc.text(comp, "vat_id", ""),
        address=rc.text(comp, "address", ""),
        email=rc.text(comp, "email", ""),
        bank_account=rc.text(comp, "bank_account", ""),
        iban=rc.text(comp, "iban", ""),
        bic=rc.text(comp, "bic", ""),
    )
    rc.check(
        company.country in country_codes(), comp, "country", "expected a two-letter country code"
    )
    rc.check(
        not company.email or is_email(company.email),
        comp,
        "email",
        "expected one e-mail address (name@domain.tld), without spaces or line breaks",
    )
    base = r.text(tree, "base_currency", "NOK").upper()
    r.check(base in currency_codes(), tree, "base_currency", f"'{base}' is not an ISO 4217 code")
    locale = r.text(tree, "locale", "nb_NO")
    r.check(
        known_locale(locale),
        tree,
        "locale",
        f"'{locale}' is not a known locale (e.g. nb_NO, en_GB)",
    )
    locale = locale_code(locale)
    inv = r.section(tree, "invoice")
    issues += unknown_settings(inv, [f.name for f in fields(InvoiceSettings)], "invoice", source)
    ri = SettingsReader(source, issues, "invoice.")
    invoice = InvoiceSettings(
        number_format=ri.text(inv, "number_format", InvoiceSettings.number_format),
        payment_terms_days=ri.like(
            inv, "payment_terms_days", 14, CUSTOMERS.column("payment_terms_days")
        ),
        default_tax_rate=ri.like(
            inv, "default_tax_rate", Decimal(25), CUSTOMERS.column("tax_rate")
        ),
        template=ri.text(inv, "template", InvoiceSettings.template),
        formats=_formats(r, inv),
    )
    check_template_setting(
        ri,
        inv,
        "template",
        invoice.template,
        Path(source).parent,
        default=InvoiceSettings.template,
        hint="; pass --template FILE to use a file elsewhere",
    )
    problem = number_format_problem(invoice.number_format)
    ri.check(not problem, inv, "number_format", problem)
    ren = r.section(tree, "renewals")
    issues += unknown_settings(ren, ["default_notice_days"], "renewals", source)
    rr = SettingsReader(source, issues, "renewals.")
    renewals = RenewalSettings(
        default_notice_days=rr.like(ren, "default_notice_days", 30, CONTRACTS.column("notice_days"))
    )
    metrics = _metrics(r, tree)
    settings = Settings(company, base, locale, invoice, renewals, metrics, source, tree)
    return settings, [*issues, *secret_issues(tree, source)]


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


def inside_data_dir(root: Path, configured: str) -> bool:
    """Whether ``configured`` (relative to the data dir ``root``, or absolute) names a
    file inside ``root`` once every symlink is resolved: settings may not reach out of
    the data dir (``/etc/passwd``, ``../../.ssh``, a symlink to ``/proc/self/environ``)."""
    try:
        return (root / configured).resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        return False


def template_setting_problem(root: Path, value: str, default: str) -> str:
    """What is wrong with a template named in ``revcli.yaml`` (relative to the data dir
    ``root``), or ``""``: it must be a file inside the data dir, symlinks resolved. Only
    the ``default`` name may be absent (revcli's own copy is used then). One ``stat``,
    no parsing: the template itself is checked when it is rendered."""
    rule = f"a template named in {SETTINGS_FILE} must be a file inside the data dir"
    if not value.strip():
        return f"is empty; {rule}, or leave the key out for the default ({default})"
    if not inside_data_dir(root, value):
        return f"'{value}' is outside the data dir; {rule} (symlinks resolved)"
    path = root / value
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return (
            "" if value == default and not os.path.lexists(path) else f"'{value}' not found; {rule}"
        )
    except OSError as exc:
        return f"'{value}' cannot be read: {exc.strerror}; {rule}"
    if stat.S_ISDIR(mode):
        return f"'{value}' is a folder; {rule}"
    return "" if stat.S_ISREG(mode) else f"'{value}' is not a regular file; {rule}"


def check_template_setting(
    r: SettingsReader,
    tree: dict[str, Tree],
    key: str,
    value: str,
    root: Path,
    *,
    default: str,
    hint: str = "",
) -> None:
    """Report a template setting that is empty or names no file inside the data dir."""
    problem = template_setting_problem(root, value, default)
    r.check(not problem, tree, key, f"{problem}{hint}")


def _formats(r: SettingsReader, section: dict[str, Tree]) -> tuple[str, ...]:
    """``invoice.formats``: a list of document formats, each at most once, at least one."""
    node = section.get("formats")
    default = InvoiceSettings.formats
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return default
    items = node if isinstance(node, list) else [node]
    values = [i.value.strip().lower() for i in items if isinstance(i, Scalar) and i.value]
    bad = [v for v in values if v not in DOCUMENT_FORMATS]
    if len(values) != len(items) or bad or not values or len(set(values)) != len(values):
        line = line_of(node)
        r.issues.append(
            Issue(
                r.source,
                line,
                "invoice.formats",
                f"expected a list of distinct formats out of {', '.join(DOCUMENT_FORMATS)}, "
                "e.g. [html, xml]",
            )
        )
        return default
    return tuple(values)


METRICS_KEYS = ("policy", "version", "reactivation_window_days", "free_to_paid", "fx", "grain")
"""The keys of ``metrics:`` (``policy`` sets :attr:`MetricsPolicy.name`)."""


def _metrics(top: SettingsReader, tree: dict[str, Tree]) -> MetricsPolicy:
    sec = top.section(tree, "metrics")
    top.issues += unknown_settings(sec, METRICS_KEYS, "metrics", top.source)
    r = SettingsReader(top.source, top.issues, "metrics.")
    window = r.integer(sec, "reactivation_window_days", 0, minimum=1, maximum=MAX_REACTIVATION_DAYS)
    name = r.text(sec, "policy", MetricsPolicy.name)
    r.check(bool(name.strip()), sec, "policy", "is empty; name the metric policy, e.g. revcli")
    return MetricsPolicy(
        name=name,
        version=r.text(sec, "version", MetricsPolicy.version),
        reactivation_window_days=window or None,
        free_to_paid=r.choice(sec, "free_to_paid", "new", ("new", "expansion")),
        fx=r.choice(sec, "fx", "booking", ("booking", "month_end")),
        grain=r.choice(sec, "grain", "product", ("product", "customer")),
    )


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


def find_data_dir(start: Path) -> Path | None:
    """The nearest folder from ``start`` upward that holds ``revcli.yaml``."""
    for folder in (start, *start.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    return None
