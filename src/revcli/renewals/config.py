"""The ``reminders:`` section of ``revcli.yaml``, typed and checked."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace

from revcli.errors import Issue
from revcli.settings import Settings, check_template_setting, unknown_settings
from revcli.settings_checks import is_email
from revcli.settings_tree import Scalar, SettingsReader, Tree, line_of

SECTION = "reminders"
SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
TEXT_TEMPLATE = "templates/reminder.txt.liquid"
HTML_TEMPLATE = "templates/reminder.html.liquid"

_KEYS = (
    "lead_days",
    "catch_up_days",
    "expiry_lead_days",
    "from",
    "fallback_to",
    "template_text",
    "template_html",
    "smtp",
)
_SMTP_KEYS = ("host", "port", "security", "user", "password_env")


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server; the password only ever comes from ``password_env``."""

    host: str = ""
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password_env: str = ""


@dataclass(frozen=True)
class ReminderSettings:
    """When and how ``revcli remind`` sends reminders.

    ``lead_days``: days before the notice deadline of an auto-renewing contract;
    ``expiry_lead_days``: days before the term end of a contract that expires (0 = on the
    term end; default: ``lead_days`` plus 0). Both sorted from the largest down.
    ``catch_up_days``: on the first run (no reminder logged yet) a reminder whose lead
    day lies more than this many days back is recorded as skipped, not sent.
    """

    lead_days: tuple[int, ...] = (90, 30, 7)
    expiry_lead_days: tuple[int, ...] = (90, 30, 7, 0)
    catch_up_days: int = 7
    sender: str = ""
    fallback_to: str = ""
    template_text: str = TEXT_TEMPLATE
    template_html: str = HTML_TEMPLATE
    smtp: SmtpSettings = field(default_factory=SmtpSettings)


def _days(
    r: SettingsReader, tree: dict[str, Tree], key: str, default: tuple[int, ...]
) -> tuple[int, ...]:
    node = tree.get(key)
    if node is None:
        return default
    items: list[Tree]
    if isinstance(node, Scalar):
        if node.value is None:
            return default
        items = [Scalar(v.strip(), node.line) for v in node.value.split(",")]
    elif isinstance(node, list):
        items = node
    else:
        r.check(False, tree, key, "expected a list of whole numbers of days, e.g. [90, 30, 7]")
        return default
    values: set[int] = set()
    for item in items:
        text = item.value if isinstance(item, Scalar) else None
        if text is None or not re.fullmatch(r"[0-9]{1,4}", text):
            line = line_of(item)
            shown = f"'{text}'" if text is not None else "a nested value"
            r.issues.append(
                Issue(r.source, line, key, f"{shown} is not a whole number of days (0 or more)")
            )
            continue
        values.add(int(text))
    if not items:
        return ()  # an empty list switches these reminders off
    return tuple(sorted(values, reverse=True)) if values else default


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (``127.0.0.1``, ``::1``): a connection that never
    leaves the machine. Names are not looked up, so no DNS answer can make a host local."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _prefixed(issues: list[Issue], prefix: str) -> list[Issue]:
    return [replace(i, column=f"{prefix}{i.column}") for i in issues]


def parse_reminder_settings(settings: Settings) -> tuple[ReminderSettings, list[Issue]]:
    """Read ``reminders:`` from the settings tree; every key is optional.

    Problems are issues on ``revcli.yaml`` with the column ``reminders.<key>``.
    """
    top: list[Issue] = []
    section = SettingsReader(settings.source, top).section(settings.tree, SECTION)
    issues: list[Issue] = []
    r = SettingsReader(settings.source, issues)
    lead = _days(r, section, "lead_days", ReminderSettings.lead_days)
    expiry = _days(r, section, "expiry_lead_days", tuple(sorted({*lead, 0}, reverse=True)))
    catch_up = r.integer(section, "catch_up_days", ReminderSettings.catch_up_days, maximum=3650)
    sender = r.text(section, "from", "").strip()
    fallback = r.text(section, "fallback_to", "").strip()
    for key, value in (("from", sender), ("fallback_to", fallback)):
        r.check(not value or is_email(value), section, key, f"'{value}' is not an e-mail address")
    smtp_issues: list[Issue] = []
    s = SettingsReader(settings.source, smtp_issues)
    smtp_tree = r.section(section, "smtp")
    security = s.choice(smtp_tree, "security", "starttls", SECURITY)
    port = s.integer(smtp_tree, "port", DEFAULT_PORTS[security], minimum=1)
    s.check(port <= 65535, smtp_tree, "port", f"'{port}' is not a port number (1–65535)")
    env = s.text(smtp_tree, "password_env", "").strip()
    s.check(
        not env or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env) is not None,
        smtp_tree,
        "password_env",
        f"'{env}' is not the name of an environment variable (the password itself never "
        "goes in revcli.yaml)",
    )
    smtp = SmtpSettings(
        host=s.text(smtp_tree, "host", "").strip(),
        port=port,
        security=security,
        user=s.text(smtp_tree, "user", "").strip(),
        password_env=env,
    )
    s.check(
        not (smtp.security == "none" and smtp.user) or is_loopback(smtp.host),
        smtp_tree,
        "security",
        f"'none' would send the password of {smtp.user} unencrypted to "
        f"{smtp.host or 'the server'}; use starttls or tls (plain SMTP with a login only "
        "to a loopback host such as localhost or 127.0.0.1)",
    )
    template_text = r.text(section, "template_text", TEXT_TEMPLATE)
    template_html = r.text(section, "template_html", HTML_TEMPLATE)
    root = settings.folder  # the data dir on disk, or at a git revision
    check_template_setting(r, section, "template_text", template_text, root, default=TEXT_TEMPLATE)
    check_template_setting(r, section, "template_html", template_html, root, default=HTML_TEMPLATE)
    out = ReminderSettings(
        lead_days=lead,
        expiry_lead_days=expiry,
        catch_up_days=catch_up,
        sender=sender,
        fallback_to=fallback,
        template_text=template_text,
        template_html=template_html,
        smtp=smtp,
    )
    all_issues = [
        *top,
        *unknown_settings(section, _KEYS, SECTION, settings.source),
        *unknown_settings(smtp_tree, _SMTP_KEYS, f"{SECTION}.smtp", settings.source),
        *_prefixed(issues, f"{SECTION}."),
        *_prefixed(smtp_issues, f"{SECTION}.smtp."),
    ]
    return out, all_issues
