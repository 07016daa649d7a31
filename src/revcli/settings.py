"""Settings of a data dir (``revcli.yaml``), typed and validated."""

from __future__ import annotations

import difflib
import os
import posixpath
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from revcli.errors import Issue, Severity
from revcli.schema import CONTRACTS, CUSTOMERS, country_codes, currency_codes
from revcli.settings_checks import (
    SECRET_KEYS,
    is_email,
    known_locale,
    locale_code,
    number_format_problem,
    secret_issues,
)
from revcli.settings_tree import Scalar, SettingsReader, Tree, line_of

if TYPE_CHECKING:
    from revcli.filetree import Source

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
    files: Source | None = field(default=None, compare=False, repr=False)
    """The data dir's files at a git revision, in which the files the settings name
    (templates) are looked for; ``None``: the folder on disk next to :attr:`source`."""

    @property
    def folder(self) -> Path | Source:
        """Where the files the settings name are: :attr:`files`, else the folder of
        :attr:`source` on disk."""
        return self.files if self.files is not None else Path(self.source).parent


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


def parse_settings(
    tree: dict[str, Tree], source: str, files: Source | None = None
) -> tuple[Settings, list[Issue]]:
    """Type and check ``revcli.yaml``; every missing value takes its documented default.
    An unknown key here or in ``company:``, ``invoice:``, ``renewals:`` or ``metrics:`` is a
    warning (feature sections check their own keys). ``files``: the data dir at a git
    revision (see :attr:`Settings.files`)."""
    folder: Path | Source = files if files is not None else Path(source).parent
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
        folder,
        default=InvoiceSettings.template,
        hint="; pass --template FILE to use a file elsewhere",
    )
    issues += face_template_issues(folder)
    problem = number_format_problem(invoice.number_format)
    ri.check(not problem, inv, "number_format", problem)
    ren = r.section(tree, "renewals")
    issues += unknown_settings(ren, ["default_notice_days"], "renewals", source)
    rr = SettingsReader(source, issues, "renewals.")
    renewals = RenewalSettings(
        default_notice_days=rr.like(ren, "default_notice_days", 30, CONTRACTS.column("notice_days"))
    )
    metrics = _metrics(r, tree)
    settings = Settings(company, base, locale, invoice, renewals, metrics, source, tree, files)
    return settings, [*issues, *secret_issues(tree, source)]


FACE_TEMPLATES = ("templates/invoice.md.liquid", "templates/invoice.txt.liquid")
"""Where a data dir keeps its own Markdown and text invoice templates (no setting names
them)."""


def face_template_issues(root: Path | Source) -> list[Issue]:
    """A problem for each of :data:`FACE_TEMPLATES` that the data dir holds but that is no
    file inside it (symlinks resolved): ``invoice issue`` and ``render`` refuse it, so
    ``validate`` says so first, naming the file. ``root``: the folder on disk, or the data
    dir at a git revision."""
    issues = []
    for name in FACE_TEMPLATES:
        if not isinstance(root, Path):  # at a git revision: its tree, never the disk
            where, problem = root.where(name), ""
            if root.exists(name) and not root.is_file(name):
                problem = "is not a regular file"
        else:
            path = root / name
            where, problem = str(path), ""
            if not os.path.lexists(path):
                continue
            if not inside_data_dir(root, name):
                problem = "leads outside the data dir (symlinks resolved)"
            elif not path.is_file():
                problem = "is not a regular file"
        if problem:
            message = f"{problem}; a template in the data dir must be a file inside it"
            issues.append(Issue(where, None, "", message))
    return issues


def inside_data_dir(root: Path, configured: str) -> bool:
    """Whether ``configured`` (relative to the data dir ``root``, or absolute) names a
    file inside ``root`` once every symlink is resolved: settings may not reach out of
    the data dir (``/etc/passwd``, ``../../.ssh``, a symlink to ``/proc/self/environ``)."""
    try:
        return (root / configured).resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        return False


def name_in_data_dir(configured: str) -> str | None:
    """``configured`` as a path inside the data dir (``a/b.liquid``, ``.`` and ``..``
    parts resolved by their text), or ``None`` when it is absolute or leads out of it.
    For a data dir at a git revision, where there is no folder on disk to resolve in."""
    if not configured or "\0" in configured or configured.startswith(("/", "\\")):
        return None
    name = posixpath.normpath(configured.replace("\\", "/"))
    return None if name == ".." or name.startswith("../") else name


def template_setting_problem(root: Path | Source, value: str, default: str) -> str:
    """What is wrong with a template named in ``revcli.yaml`` (relative to the data dir
    ``root``), or ``""``: it must be a file inside the data dir, symlinks resolved. Only
    the ``default`` name may be absent (revcli's own copy is used then). One ``stat``,
    no parsing: the template itself is checked when it is rendered.

    At a git revision (``root`` a :class:`~revcli.data.source.Source`) the file is looked
    for in the revision's tree, never on disk: nothing renders it there, and the host's
    files are none of that revision's."""
    rule = f"a template named in {SETTINGS_FILE} must be a file inside the data dir"
    if not value.strip():
        return f"is empty; {rule}, or leave the key out for the default ({default})"
    if not isinstance(root, Path):
        name = name_in_data_dir(value)
        if name is None:
            return f"'{value}' is outside the data dir; {rule}"
        if not root.exists(name):
            return "" if value == default else f"'{value}' not found; {rule}"
        return f"'{value}' is a folder; {rule}" if root.is_dir(name) else ""
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
    root: Path | Source,
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


def find_data_dir(start: Path) -> Path | None:
    """The nearest folder from ``start`` upward that holds ``revcli.yaml``."""
    for folder in (start, *start.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    return None
