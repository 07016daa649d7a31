"""Validation of the renewal columns of contracts and of the ``reminders:`` settings."""

from __future__ import annotations

import polars as pl

from revcli.errors import Issue
from revcli.renewals.config import parse_reminder_settings
from revcli.rowchecks import RowCheck, row_issues
from revcli.settings import Settings


def renewal_column_issues(contracts: pl.DataFrame) -> list[Issue]:
    """Contradictory renewal columns of typed contracts (defaults applied).

    ``notice_days`` together with ``notice_months`` is reported where contracts are
    typed; here: month-end counting without ``notice_months``, and a decision date or
    note without a decision.
    """
    decision = pl.col("renewal_decision").is_null()
    month_end = pl.col("notice_from_month_end").fill_null(False)
    return row_issues(
        contracts,
        [
            RowCheck(
                month_end & pl.col("notice_months").is_null(),
                "notice_from_month_end",
                "is true but notice_months is not set; counting from the month end applies to "
                "notice_months only (e.g. notice_months: 3)",
            ),
            RowCheck(
                pl.col("renewal_decided_on").is_not_null() & decision,
                "renewal_decided_on",
                "is set but renewal_decision is empty; record the decision (renew, cancel or "
                "renegotiate) or remove the date",
            ),
            RowCheck(
                pl.col("renewal_decision_note").is_not_null() & decision,
                "renewal_decision_note",
                "is set but renewal_decision is empty; record the decision (renew, cancel or "
                "renegotiate) or remove the note",
            ),
        ],
    )


def renewal_checks(contracts: pl.DataFrame, settings: Settings) -> list[Issue]:
    """Every renewal-related problem of a data set: contract columns and reminder settings."""
    _, issues = parse_reminder_settings(settings)
    return [*renewal_column_issues(contracts), *issues]
