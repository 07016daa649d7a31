"""Which renewal reminders are due, and the e-mails that carry them (one per owner)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl

from revcli.decimals import round_half_up
from revcli.errors import Issue
from revcli.output.report import group_digits
from revcli.renewals.config import ReminderSettings
from revcli.settings_checks import is_email

NOTICE = "notice"
TERM_END = "term-end"
KINDS = (NOTICE, TERM_END)
KEY = ("contract_id", "kind", "deadline", "lead_days")
"""What makes a reminder unique: it is sent at most once per key."""

PLAN_COLUMNS = (
    "recipient",
    "contract_id",
    "customer_id",
    "customer_name",
    "kind",
    "deadline",
    "days_to_deadline",
    "lead_days",
    "due_on",
    "late_days",
    "term_end",
    "notice_deadline",
    "notice_rule",
    "status",
    "arr",
    "owner",
    "renewal_decision",
    "renewal_decided_on",
    "renewal_decision_note",
)


def sent_keys_schema() -> dict[str, pl.DataType]:
    """Schema of the frame of reminders already sent (the log's keys)."""
    return {
        "contract_id": pl.String(),
        "kind": pl.String(),
        "deadline": pl.Date(),
        "lead_days": pl.Int64(),
    }


def plan_reminders(
    renewals: pl.DataFrame,
    as_of: dt.date,
    settings: ReminderSettings,
    sent: pl.DataFrame,
) -> pl.DataFrame:
    """The reminders to send on ``as_of``, at most one per contract and deadline.

    In: :func:`revcli.renewals.terms.upcoming_renewals` rows as of ``as_of`` (no upper
    bound), the reminder settings, and ``sent`` (``contract_id, kind, deadline,
    lead_days`` of reminders already logged). Deadlines:

    - ``notice``: the notice deadline of an ``auto-renews`` contract, at
      ``settings.lead_days``; skipped when the decision recorded is ``renew`` (nothing
      to do: it renews by itself);
    - ``term-end``: the term end of an ``expires`` contract, at
      ``settings.expiry_lead_days``.

    The lead time due is the smallest lead *l* with deadline − *l* ≤ ``as_of``: a run
    that skipped a lead time sends the latest one it missed, ``late_days`` after its day
    (earlier missed lead times are superseded and never sent). Nothing is sent for a
    deadline already past. A (contract, kind, deadline, lead) in ``sent`` is not sent
    again. ``recipient`` is the owner when it is one e-mail address
    (:func:`~revcli.settings_checks.is_email`: no list, display name, bracket or line
    break, which would address the e-mail to others), else the fallback address, else
    null; addresses that differ only in case are one recipient, spelled as
    the first of them in sort order. Out: :data:`PLAN_COLUMNS`, sorted by recipient, deadline,
    contract_id.
    """
    a = pl.lit(as_of)
    candidates = pl.concat(
        [
            renewals.filter(
                (pl.col("status") == "auto-renews")
                & (pl.col("renewal_decision").fill_null("") != "renew")
            ).with_columns(
                pl.lit(NOTICE).alias("kind"), pl.col("notice_deadline").alias("deadline")
            ),
            renewals.filter(pl.col("status") == "expires").with_columns(
                pl.lit(TERM_END).alias("kind"), pl.col("term_end").alias("deadline")
            ),
        ]
    ).with_columns((pl.col("deadline") - a).dt.total_days().alias("days_to_deadline"))
    leads = pl.DataFrame(
        {
            "kind": [NOTICE] * len(settings.lead_days)
            + [TERM_END] * len(settings.expiry_lead_days),
            "lead_days": [*settings.lead_days, *settings.expiry_lead_days],
        },
        schema={"kind": pl.String, "lead_days": pl.Int64},
    )
    fallback = settings.fallback_to or None
    owners = candidates.get_column("owner").drop_nulls().unique().to_list()
    addresses = pl.Series([o for o in owners if is_email(o)], dtype=pl.String)
    owner_ok = pl.col("owner").is_in(addresses.implode()).fill_null(False)
    due = (
        candidates.filter(pl.col("days_to_deadline") >= 0)
        .join(leads, on="kind", how="inner")
        .filter(pl.col("lead_days") >= pl.col("days_to_deadline"))
        .sort("lead_days")
        .group_by("contract_id", "kind", maintain_order=True)
        .first()
        .with_columns((pl.col("deadline") - pl.duration(days=pl.col("lead_days"))).alias("due_on"))
        .with_columns(
            (a - pl.col("due_on")).dt.total_days().alias("late_days"),
            pl.when(owner_ok)
            .then(pl.col("owner"))
            .otherwise(pl.lit(fallback, dtype=pl.String))
            .alias("recipient"),
        )
    )
    # An address differs from another only in case: one mailbox in practice, so one
    # e-mail, to the spelling that sorts first (the same on every run).
    spelled = pl.col("recipient").min().over(pl.col("recipient").str.to_lowercase())
    return (
        due.join(sent.select(*KEY), on=list(KEY), how="anti")
        .with_columns(spelled.alias("recipient"))
        .select(PLAN_COLUMNS)
        .sort("recipient", "deadline", "contract_id", nulls_last=True)
    )


def first_run(plan: pl.DataFrame, catch_up_days: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split the plan of a first run (nothing logged yet) into what to send and what to
    skip: a reminder whose lead day lies more than ``catch_up_days`` back (``late_days``
    above it) would only say what everybody missed long ago, so a data dir that starts
    using ``remind`` is not flooded with late reminders. Out: (send, skip), each
    :data:`PLAN_COLUMNS`."""
    late = pl.col("late_days") > catch_up_days
    return plan.filter(~late), plan.filter(late)


@dataclass(frozen=True)
class Email:
    """One reminder e-mail: to one recipient, about the reminders in ``plan``."""

    recipient: str
    subject: str
    text: str
    html: str
    plan: pl.DataFrame


def resolve_template(root: Path, configured: str, default: str, source: str, key: str) -> Path:
    """The template file to use: ``configured`` under the data dir; for the default
    name, revcli's own copy when the data dir has none. A configured file that does not
    exist is an error naming the setting."""
    # Liquid loads only when reminders are made: the reminder log, read on every run, and
    # the renewal checks import this module.
    from revcli.templating.files import TemplateError, find_template

    path = find_template(root, configured, default)
    if not path.exists():
        raise TemplateError(f"{Issue(source, None, key, f'template {path} not found')}")
    return path


def _money(value: float, currency: str) -> str:
    return f"{group_digits(round_half_up(value, 2))} {currency}"


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def template_item(row: dict[str, Any], currency: str) -> dict[str, Any]:
    """One reminder as the templates see it: text, numbers and ISO dates only."""
    return {
        "contract_id": row["contract_id"],
        "customer_id": row["customer_id"],
        "customer_name": row["customer_name"] or row["customer_id"],
        "kind": row["kind"],
        "deadline": _iso(row["deadline"]),
        "days_to_deadline": row["days_to_deadline"],
        "lead_days": row["lead_days"],
        "due_on": _iso(row["due_on"]),
        "late": row["late_days"] > 0,
        "late_days": row["late_days"],
        "term_end": _iso(row["term_end"]),
        "renews_on": _iso(row["term_end"] + dt.timedelta(days=1)),
        "notice_deadline": _iso(row["notice_deadline"]),
        "notice_rule": row["notice_rule"],
        "status": row["status"],
        "arr": _money(row["arr"], currency),
        "owner": row["owner"] or "",
        "decision": row["renewal_decision"] or "",
        "decided_on": _iso(row["renewal_decided_on"]),
        "decision_note": row["renewal_decision_note"] or "",
    }


TEMPLATE_VARIABLES = ("recipient", "as_of", "company", "currency", "count", "reminders")
"""Top-level variables every reminder template may use (see :func:`template_item`)."""


def subject_of(plan: pl.DataFrame) -> str:
    """``Renewals: 2 contracts need attention (next deadline 2026-12-01)``."""
    n = plan.height
    first = plan.get_column("deadline").min()
    assert isinstance(first, dt.date)
    what = "1 contract needs" if n == 1 else f"{n} contracts need"
    return f"Renewals: {what} attention (next deadline {first:%Y-%m-%d})"


def compose_emails(
    plan: pl.DataFrame,
    as_of: dt.date,
    *,
    company: str,
    currency: str,
    text_template: Path,
    html_template: Path,
) -> list[Email]:
    """One e-mail per recipient, plain text and HTML from the Liquid templates.

    Rows of ``plan`` without a recipient are left out (the caller reports them).
    """
    emails: list[Email] = []
    addressed = plan.filter(pl.col("recipient").is_not_null())
    if not addressed.height:
        return emails
    from revcli.templating.files import TemplateError
    from revcli.templating.load import load_template

    text = load_template(text_template, autoescape=False)
    html = load_template(html_template, autoescape=True)
    for (recipient,), group in addressed.group_by("recipient", maintain_order=True):
        rows = group.sort("deadline", "contract_id")
        context = {
            "recipient": recipient,
            "as_of": as_of.isoformat(),
            "company": company,
            "currency": currency,
            "count": rows.height,
            "reminders": [template_item(r, currency) for r in rows.iter_rows(named=True)],
        }
        email = Email(
            recipient=str(recipient),
            subject=subject_of(rows),
            text=text.render(context),
            html=html.render(context),
            plan=rows,
        )
        for body, path in ((email.text, text_template), (_shown_text(email.html), html_template)):
            if not body.strip():
                raise TemplateError(
                    f"{path}: gave an empty e-mail body (for {email.recipient}); a reminder "
                    "that says nothing would be logged as sent, so none is sent"
                )
        emails.append(email)
    return sorted(emails, key=lambda e: e.recipient)


class _Text(HTMLParser):
    """The text an HTML body shows: what is outside tags, comments, ``<style>``,
    ``<script>`` and ``<title>``."""

    HIDDEN = frozenset({"style", "script", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _shown_text(html: str) -> str:
    """The text of an HTML body as a mail client shows it (tags left out)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
