"""Renewal commands: ``renewals`` (report, calendar, CI check) and ``remind`` (e-mails)."""

from __future__ import annotations

import datetime as dt
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from revcli.cli.common import (
    choose_format,
    emit_data,
    error_boundary,
    load,
    refuse_data_file,
    templates_of,
    unknown_suffix,
)
from revcli.cli.console import BadValue, err, working
from revcli.cli.options import (
    AsOfOption,
    BeforeOption,
    ColumnsOption,
    DataOption,
    OutOption,
    RevOption,
    parse_day,
)
from revcli.cli.streams import write_data, write_text
from revcli.errors import CheckFailed, UsageError
from revcli.output.files import write_atomic
from revcli.output.report import SUFFIXES, OutputFormat
from revcli.visible import visible

if TYPE_CHECKING:
    import polars as pl

    from revcli.renewals.remind import Email
    from revcli.renewals.terms import Window


class RenewalFormat(StrEnum):
    """The report formats of SPEC §9, plus an iCalendar file."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"
    XLSX = "xlsx"
    ICS = "ics"


class Status(StrEnum):
    """Renewal statuses (SPEC §6)."""

    EXPIRES = "expires"
    AUTO_RENEWS = "auto-renews"
    LOCKED_IN = "locked-in"
    CANCELLED = "cancelled"


class Group(StrEnum):
    """What ``--by`` groups renewals by."""

    OWNER = "owner"
    SEGMENT = "segment"
    REGION = "region"


def _window(text: str, option: str) -> Window:
    from revcli.renewals.terms import parse_window

    try:
        return parse_window(text)
    except ValueError as exc:
        raise BadValue(str(exc), param_hint=option) from None


def _fail_on(text: str | None) -> Window | None:
    if text is None:
        return None
    match = re.fullmatch(r"notice-within:(.+)", text.strip())
    if not match:
        raise BadValue(
            f"'{text}' is not a check; expected notice-within:SPAN, e.g. notice-within:14d",
            param_hint="--fail-on",
        )
    return _window(match[1], "--fail-on")


def _renewal_format(fmt: RenewalFormat | None, out: Path | None) -> OutputFormat | None:
    """The report format (``None`` for a calendar): ``--format``, else ``--out``'s suffix,
    where ``.ics`` is a calendar and any suffix no format has is a usage error."""
    if fmt is RenewalFormat.ICS:
        return None
    if fmt is not None:
        return OutputFormat(fmt.value)
    if out is not None and out.suffix.lower() == ".ics":
        return None
    if out is not None and out.suffix.lower() not in SUFFIXES:
        raise unknown_suffix(out, [*SUFFIXES, ".ics"])
    return choose_format(None, out)


def _write(data: bytes, out: Path | None) -> None:
    if out is None:
        write_data(data)  # bytes: keep iCalendar's CRLF line ends
    else:
        write_atomic(out, data, stream=True)
        err.print(f"wrote {out}", style="dim", markup=False)


def renewals(
    data: DataOption = None,
    rev: RevOption = None,
    before: BeforeOption = None,
    within: Annotated[
        str,
        typer.Option(
            "--within",
            "-w",
            help="Term ends from --as-of up to this far ahead: 90d, 12w, 3m or 1y "
            "(months and years are calendar months and years).",
        ),
    ] = "90d",
    as_of: AsOfOption = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Only this owner's contracts (an e-mail).")
    ] = None,
    status: Annotated[Status | None, typer.Option("--status", help="Only this status.")] = None,
    by: Annotated[
        Group | None, typer.Option("--by", help="Group by owner, segment or region.")
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when an auto-renewing contract's notice deadline falls within the "
            "span and no renewal_decision is recorded: notice-within:14d.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        RenewalFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: table on a terminal, else csv; or from --out's "
            "suffix, .ics included). ics writes a calendar of term ends and notice deadlines.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    out: OutOption = None,
    columns: ColumnsOption = None,
) -> None:
    """Contracts whose current term ends soon: notice deadlines, status, ARR.

    Statuses: expires (no auto-renew), auto-renews (notice can still be given),
    locked-in (auto-renews, notice deadline passed), cancelled.

    Example: [bold]revcli renewals --data sample_data --as-of 2026-11-23 --within 90d[/]
    """
    with error_boundary():
        from revcli.renewals.notices import unanswered_notices_message
        from revcli.renewals.report import (
            RenewalQuery,
            renewals_report,
            unknown_owner,
            upcoming_of,
        )

        day = parse_day(as_of, "--as-of")
        query = RenewalQuery(
            as_of=day,
            within=_window(within, "--within"),
            owner=owner,
            status=status.value if status else None,
            by=by.value if by else None,
        )
        check = _fail_on(fail_on)
        chosen = _renewal_format(fmt, out)
        dataset = load(data, rev, before)
        problem = None if owner is None else unknown_owner(dataset, owner)
        if problem is not None:
            raise UsageError(problem)
        # The check looks beyond --within: compute every upcoming term end once for both.
        upcoming = upcoming_of(dataset, day) if check is not None else None
        if chosen is None:
            if columns is not None:
                raise UsageError("--columns chooses report columns; a calendar has none")
            from revcli.renewals.ics import calendar_of

            with working("Writing the calendar …"):  # a large one takes seconds
                calendar = calendar_of(dataset, query, upcoming)
            if out is not None:
                refuse_data_file(out, dataset.root, templates_of(dataset.settings))
            _write(calendar, out)
        else:
            emit_data(renewals_report(dataset, query, upcoming), dataset, chosen, out, columns)
        if check is not None:
            message = unanswered_notices_message(dataset, day, check, owner, upcoming)
            if message is not None:
                raise CheckFailed(message)


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _sent_line(email: Email) -> str:
    parts = []
    for row in email.plan.iter_rows(named=True):
        what = "notice deadline" if row["kind"] == "notice" else "term end"
        late = f", {_days(row['late_days'])} late" if row["late_days"] else ""
        parts.append(
            f"{row['contract_id']} ({what} {row['deadline']:%Y-%m-%d}, "
            f"{row['lead_days']}-day reminder{late})"
        )
    return f"{email.recipient}: " + ", ".join(parts)


def _skipped_lines(skipped: pl.DataFrame, catch_up_days: int, dry_run: bool) -> str:
    """What a first run skips (reminders.catch_up_days), one line per reminder."""
    n = skipped.height
    return (
        f"{'would skip' if dry_run else 'skipped'} {n} reminder{'s' if n != 1 else ''} due "
        f"over {catch_up_days} days before this first run (reminders.catch_up_days):\n"
        + "".join(
            f"  {r['contract_id']}: {r['lead_days']}-day reminder of the "
            f"{'notice deadline' if r['kind'] == 'notice' else 'term end'} "
            f"{r['deadline']:%Y-%m-%d}, due {_days(r['late_days'])} ago\n"
            for r in skipped.iter_rows(named=True)
        )
    )


def remind(
    data: DataOption = None,
    as_of: AsOfOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the e-mails that would be sent; change nothing."),
    ] = False,
) -> None:
    """E-mail each owner the renewal reminders due today, once each (see revcli.yaml reminders:).

    Reminders go out at the lead times before each notice deadline (auto-renewing
    contracts) and term end (contracts that expire); every reminder sent is recorded in
    .revcli/reminders.csv, so a reminder is never sent twice and a missed one is sent
    late. The SMTP password comes only from the environment variable named by
    reminders.smtp.password_env.

    Example: [bold]revcli remind --data sample_data --as-of 2026-11-23 --dry-run[/]
    """
    with error_boundary():
        from revcli.renewals.log import log_path
        from revcli.renewals.runner import run_reminders

        day = parse_day(as_of, "--as-of")
        dataset = load(data)

        def progress(email: Email) -> None:
            # Every e-mail sent is logged: with stdout closed its line is dropped, and
            # the run goes on (stopping would leave the others unsent).
            write_text(visible(f"sent to {_sent_line(email)}\n", keep="\n"), needed=False)

        def show_skipped(skipped: pl.DataFrame, catch_up_days: int) -> None:
            lines = _skipped_lines(skipped, catch_up_days, dry_run)
            write_text(visible(lines, keep="\n\t"), needed=dry_run)

        outcome = run_reminders(
            dataset,
            day,
            dry_run=dry_run,
            clock=lambda: dt.datetime.now(dt.UTC),
            environ=os.environ,
            progress=progress,
            on_skipped=show_skipped,
        )
        if dry_run:
            for number, email in enumerate(outcome.emails, start=1):
                shown = (
                    f"--- e-mail {number} of {len(outcome.emails)} ---\n"
                    f"To: {email.recipient}\nSubject: {email.subject}\n\n{email.text.rstrip()}\n\n"
                )
                write_text(visible(shown, keep="\n\t"))  # the data's escapes stay text
            if outcome.skipped.height:
                show_skipped(outcome.skipped, outcome.catch_up_days)
        n, m = len(outcome.emails), outcome.reminders
        summary = f"{n} e-mail{'s' if n != 1 else ''} with {m} reminder{'s' if m != 1 else ''}"
        if dry_run:
            err.print(f"dry run: would send {summary}; nothing was sent or logged.", markup=False)
        elif n:
            err.print(f"sent {summary}; logged in {log_path(dataset.root)}", markup=False)
        else:
            err.print(f"no reminders due on {day:%Y-%m-%d}.", markup=False)
        missing = outcome.unaddressed
        if missing.height:
            items = ", ".join(missing.get_column("contract_id").to_list())
            raise CheckFailed(
                f"{missing.height} reminder{'s' if missing.height != 1 else ''} "
                f"{'have' if missing.height != 1 else 'has'} no recipient ({items}): set an "
                "owner e-mail on the contract or customer, or reminders.fallback_to in revcli.yaml"
            )


def register(app: typer.Typer) -> None:
    """Add the renewal commands to ``app``."""
    app.command()(renewals)
    app.command()(remind)
