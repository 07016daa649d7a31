"""Sending reminder e-mails over SMTP (the standard library's ``smtplib``)."""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from revcli.errors import RevcliError
from revcli.renewals.config import SmtpSettings
from revcli.renewals.remind import Email

TIMEOUT_SECONDS = 30

_NO_SMTPUTF8 = "is not plain ASCII and the server does not offer SMTPUTF8"


class SmtpError(RevcliError):
    """The SMTP server could not be reached, refused the login or refused a message."""


def build_message(email: Email, sender: str, sent_at: dt.datetime) -> EmailMessage:
    """A ``multipart/alternative`` message: the plain text first, then the HTML."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.recipient
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = make_msgid("revcli", domain=sender.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


@contextmanager
def smtp_session(settings: SmtpSettings, password: str | None) -> Iterator[smtplib.SMTP]:
    """A connected (and, with a user, logged-in) SMTP session.

    ``tls`` connects over TLS; ``starttls`` upgrades a plain connection; ``none`` stays
    plain (a local relay). Every failure becomes :class:`SmtpError` naming host:port.
    """
    where = f"{settings.host}:{settings.port}"
    try:
        client: smtplib.SMTP
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpError(f"cannot reach the SMTP server {where}: {_reason(exc)}") from None
    try:
        try:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                client.login(settings.user, password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpError(
                f"the SMTP server {where} refused the session: {_reason(exc)}"
            ) from None
        yield client
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {msg.decode('utf-8', 'replace')}"
            for rcpt, (code, msg) in exc.recipients.items()
        )
    return str(exc) or type(exc).__name__


def _permanent(exc: Exception) -> bool:
    """A refusal of this one message (5xx) rather than of the session."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def send_all(
    emails: list[Email],
    settings: SmtpSettings,
    *,
    password: str | None,
    sender: str,
    clock: Callable[[], dt.datetime],
    on_sent: Callable[[Email, dt.datetime], None],
) -> None:
    """Send each e-mail in one session; call ``on_sent`` right after the server accepts
    one (the caller logs it there), so a failure half-way leaves an exact record.

    A message the server refuses for good (a 5xx for its recipient or its content, or a
    non-ASCII address the server cannot take, having no SMTPUTF8) is skipped and the
    others are still sent, so one bad address never blocks everyone else's reminders;
    the refusals are raised together at the end. Anything else (lost
    connection, a temporary 4xx) stops the run at once. Either way :class:`SmtpError`
    says what was sent; what was sent stays sent and logged.
    """
    where = f"{settings.host}:{settings.port}"
    refused: list[str] = []
    sent = 0
    with smtp_session(settings, password) as client:
        for email in emails:
            sent_at = clock()
            try:
                client.send_message(build_message(email, sender, sent_at))
            except smtplib.SMTPNotSupportedError:
                # smtplib refuses a non-ASCII address before sending anything when the
                # server does not offer SMTPUTF8: this e-mail can never go this way, the
                # session is untouched, so it is a refusal of this one message.
                whose = "the address" if not email.recipient.isascii() else f"the sender {sender}"
                refused.append(f"to {email.recipient}: {whose} {_NO_SMTPUTF8}")
                continue
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                if not _permanent(exc):
                    raise _stopped(where, email, exc, sent, len(emails)) from None
                refused.append(f"to {email.recipient}: {_reason(exc)}")
                continue
            except (OSError, smtplib.SMTPException) as exc:
                raise _stopped(where, email, exc, sent, len(emails)) from None
            on_sent(email, sent_at)
            sent += 1
    if refused:
        raise SmtpError(
            f"the SMTP server {where} refused {len(refused)} of {len(emails)} reminder "
            f"e-mails ({'; '.join(refused)}); {sent} of {len(emails)} were sent and "
            "logged; run again to retry the refused ones"
        )


def _stopped(where: str, email: Email, exc: Exception, sent: int, total: int) -> SmtpError:
    return SmtpError(
        f"sending stopped at the reminder e-mail to {email.recipient}: the SMTP server "
        f"{where} answered {_reason(exc)}; {sent} of {total} e-mails were sent and logged; "
        "run again to send the rest"
    )
