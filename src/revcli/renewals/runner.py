"""``revcli remind``: plan the due reminders, compose one e-mail per owner, send, log."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from revcli.data.validate import DataSet
from revcli.errors import DataError, Issue, RevcliError
from revcli.metrics.report import schedule_of
from revcli.output.together import signals_held
from revcli.renewals.config import (
    HTML_TEMPLATE,
    SECTION,
    TEXT_TEMPLATE,
    ReminderSettings,
    parse_reminder_settings,
)
from revcli.renewals.log import ReminderLog
from revcli.renewals.remind import (
    Email,
    compose_emails,
    first_run,
    plan_reminders,
    resolve_template,
)
from revcli.renewals.send import send_all
from revcli.renewals.terms import upcoming_renewals
from revcli.settings import Settings
from revcli.settings_tree import setting_line

SKIPPED = "skipped"
"""The ``sent_at`` of a reminder a first run recorded without sending it."""


@dataclass(frozen=True)
class RemindOutcome:
    """What a run did (or, in a dry run, would do)."""

    emails: list[Email] = field(default_factory=list)
    unaddressed: pl.DataFrame = field(default_factory=pl.DataFrame)
    dry_run: bool = False
    skipped: pl.DataFrame = field(default_factory=pl.DataFrame)
    catch_up_days: int = 0

    @property
    def reminders(self) -> int:
        return sum(e.plan.height for e in self.emails)


def _config_issues(
    settings: ReminderSettings, top: Settings, environ: Mapping[str, str]
) -> list[Issue]:
    """What sending needs from ``reminders:``; each problem at its key's line (at the
    section's when the key is not set)."""
    problems: list[tuple[str, str]] = []
    if not settings.sender:
        problems.append(("from", "is required to send reminders (e.g. from: revenue@example.no)"))
    if not settings.smtp.host:
        problems.append(("smtp.host", "is required to send reminders (e.g. host: smtp.example.no)"))
    env = settings.smtp.password_env
    if settings.smtp.user and not env:
        problems.append(
            (
                "smtp.password_env",
                "is required with smtp.user: the name of the environment variable that holds "
                "the password (e.g. password_env: REVCLI_SMTP_PASSWORD)",
            )
        )
    if env and not environ.get(env):
        problems.append(
            (
                "smtp.password_env",
                f"environment variable {env} is not set; it must hold the SMTP password",
            )
        )
    return [
        Issue(top.source, setting_line(top.tree, f"{SECTION}.{key}"), f"{SECTION}.{key}", message)
        for key, message in problems
    ]


def writable(path: Path) -> bool:
    """Whether this process may write ``path``."""
    return os.access(path, os.W_OK)


def _check_writable(log: ReminderLog) -> None:
    """Refuse to send when the log could not record it (a read-only checkout)."""
    target = next(p for p in (log.path, log.path.parent, log.root) if p.exists())
    if not writable(target):
        raise RevcliError(f"cannot write the reminder log {log.path}; nothing was sent")


def _compose(
    data: DataSet, settings: ReminderSettings, as_of: dt.date, log: ReminderLog
) -> tuple[list[Email], pl.DataFrame, pl.DataFrame]:
    """The e-mails to send, the reminders without a recipient, and (on a first run) the
    reminders skipped as too late (:func:`first_run`)."""
    renewals = upcoming_renewals(data.contracts, data.customers, schedule_of(data), as_of, None)
    sent = log.read()
    plan = plan_reminders(renewals, as_of, settings, sent)
    skipped = plan.clear()
    if sent.is_empty():
        plan, skipped = first_run(plan, settings.catch_up_days)
    source = data.settings.source
    emails = compose_emails(
        plan,
        as_of,
        company=data.settings.company.name,
        currency=data.settings.base_currency,
        text_template=resolve_template(
            data.root, settings.template_text, TEXT_TEMPLATE, source, "reminders.template_text"
        ),
        html_template=resolve_template(
            data.root, settings.template_html, HTML_TEMPLATE, source, "reminders.template_html"
        ),
    )
    return emails, plan.filter(pl.col("recipient").is_null()), skipped


def run_reminders(
    data: DataSet,
    as_of: dt.date,
    *,
    dry_run: bool,
    clock: Callable[[], dt.datetime],
    environ: Mapping[str, str],
    progress: Callable[[Email], None] | None = None,
    on_skipped: Callable[[pl.DataFrame, int], None] | None = None,
) -> RemindOutcome:
    """Send the reminders due on ``as_of`` (see :func:`plan_reminders`) and log each.

    A dry run reads the log and composes the e-mails, and changes nothing. A real run
    checks the settings and, when there is anything to send or record, locks the log,
    composes the e-mails again under the lock, sends one e-mail per recipient and appends
    its reminders to the log right after the server accepts it. ``clock`` gives the
    sending time (UTC) for the log and the Date header; ``environ`` holds the password
    variable. A first run records the reminders it skips (:func:`first_run`) with the
    first e-mail the server accepts, or at once when it has no e-mail to send, then
    calls ``on_skipped(skipped, catch_up_days)``. Raises :class:`DataError` for bad
    settings or a damaged log, and :class:`revcli.renewals.send.SmtpError` when the
    server cannot be reached or refuses a message (what was sent before is logged).
    """
    settings, issues = parse_reminder_settings(data.settings)
    log = ReminderLog(data.root)
    if dry_run:
        emails, unaddressed, skipped = _compose(data, settings, as_of, log)
        return RemindOutcome(emails, unaddressed, True, skipped, settings.catch_up_days)
    issues += _config_issues(settings, data.settings, environ)
    if any(i.is_error for i in issues):
        raise DataError(issues)
    password = environ.get(settings.smtp.password_env) if settings.smtp.password_env else None

    def entries_of(plan: pl.DataFrame, stamp: str) -> list[list[str]]:
        return [
            [
                stamp,
                as_of.isoformat(),
                row["contract_id"],
                row["kind"],
                row["deadline"].isoformat(),
                str(row["lead_days"]),
                str(row["late_days"]),
                row["recipient"] or "",
            ]
            for row in plan.iter_rows(named=True)
        ]

    # A first run's skipped reminders, until they are logged: with the run's first
    # accepted e-mail, in the same append (a run killed right after keeps both), since
    # from then on the next run is no first run and must not take them up again. A run
    # that reaches no server leaves the log as it was (the next run skips them again).
    skips: list[pl.DataFrame] = []

    def append(entries: list[list[str]]) -> pl.DataFrame | None:
        """Append ``entries`` and the skips not logged yet; the skips it logged."""
        skipped = skips[0] if skips else None
        log.append(entries + (entries_of(skipped, SKIPPED) if skipped is not None else []))
        skips.clear()
        return skipped

    def logged(skipped: pl.DataFrame | None) -> None:
        if skipped is not None and on_skipped is not None:
            on_skipped(skipped, settings.catch_up_days)

    def record(email: Email, sent_at: dt.datetime) -> None:
        stamp = sent_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries = entries_of(email.plan.with_columns(recipient=pl.lit(email.recipient)), stamp)
        try:
            # The server has the e-mail: Ctrl-C or SIGTERM now would cut its line back, and
            # the next run would send it again. One that comes meanwhile waits for the line.
            with signals_held():
                skips_logged = append(entries)
        except OSError as exc:
            raise RevcliError(
                f"the reminder e-mail to {email.recipient} was sent but could not be "
                f"recorded in {log.path} ({exc.strerror or exc}); it will be sent again "
                "on the next run"
            ) from None
        if progress is not None:
            progress(email)
        logged(skips_logged)

    emails, unaddressed, skipped = _compose(data, settings, as_of, log)
    if not emails and not skipped.height:  # nothing to send or record: nothing is locked
        return RemindOutcome(emails, unaddressed, False, skipped, settings.catch_up_days)
    _check_writable(log)
    with log.locked():
        # Again under the lock: a run that held it may have sent some of them just now.
        emails, unaddressed, skipped = _compose(data, settings, as_of, log)
        if skipped.height:
            skips.append(skipped)
        if emails:
            send_all(
                emails,
                settings.smtp,
                password=password,
                sender=settings.sender,
                clock=clock,
                on_sent=record,
            )
        elif skips:  # nothing to send, no server to wait for
            logged(append([]))
    return RemindOutcome(emails, unaddressed, False, skipped, settings.catch_up_days)
