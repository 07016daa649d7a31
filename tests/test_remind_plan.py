"""Which reminder is due when (pure planning), and the template contract."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from liquid import Environment

from revcli.checks import load_dataset
from revcli.renewals.config import ReminderSettings, parse_reminder_settings
from revcli.renewals.remind import (
    TEMPLATE_VARIABLES,
    plan_reminders,
    sent_keys_schema,
    template_item,
)
from revcli.templating.files import shipped_templates
from tests.conftest import SETTINGS, MakeDir

AS_OF = dt.date(2026, 11, 1)
NO_SENT = pl.DataFrame(schema=sent_keys_schema())


def renewals(*rows: dict[str, object]) -> pl.DataFrame:
    """Rows shaped like upcoming_renewals output; unspecified columns take defaults."""
    base: dict[str, object] = {
        "contract_id": "K1",
        "customer_id": "A",
        "customer_name": "Acme AS",
        "term_end": dt.date(2027, 1, 31),
        "notice_deadline": dt.date(2027, 1, 1),
        "days_to_notice": 0,
        "arr": 1200.0,
        "owner": "kari@example.no",
        "status": "auto-renews",
        "renewal_decision": None,
        "renewal_decided_on": None,
        "renewal_decision_note": None,
        "notice_rule": "30 days",
    }
    schema = {
        "renewal_decision": pl.String,
        "renewal_decided_on": pl.Date,
        "renewal_decision_note": pl.String,
        "owner": pl.String,
    }
    return pl.DataFrame([{**base, **r} for r in rows], schema_overrides=schema)


def notice_in(days: int, **extra: object) -> pl.DataFrame:
    deadline = AS_OF + dt.timedelta(days=days)
    return renewals(
        {"notice_deadline": deadline, "term_end": deadline + dt.timedelta(days=30), **extra}
    )


@pytest.mark.parametrize(
    ("days", "lead", "late"),
    [
        (90, 90, 0),  # due today
        (89, 90, 1),  # due yesterday
        (31, 90, 59),
        (30, 30, 0),
        (8, 30, 22),
        (7, 7, 0),
        (0, 7, 7),  # the deadline is today; the 7-day reminder is a week late
    ],
)
def test_the_smallest_lead_time_reached_is_due(days: int, lead: int, late: int) -> None:
    plan = plan_reminders(notice_in(days), AS_OF, ReminderSettings(), NO_SENT)
    assert plan.select("kind", "lead_days", "late_days").row(0) == ("notice", lead, late)
    assert plan.get_column("due_on").item() == AS_OF + dt.timedelta(days=days - lead)


def test_nothing_is_due_before_the_largest_lead_time() -> None:
    assert plan_reminders(notice_in(91), AS_OF, ReminderSettings(), NO_SENT).height == 0


def test_a_logged_reminder_is_not_due_again() -> None:
    sent = pl.DataFrame(
        [("K1", "notice", AS_OF + dt.timedelta(days=20), 30)],
        schema=sent_keys_schema(),
        orient="row",
    )
    assert plan_reminders(notice_in(20), AS_OF, ReminderSettings(), sent).height == 0
    # A moved deadline (notice terms changed) is a new deadline: reminded again.
    assert plan_reminders(notice_in(21), AS_OF, ReminderSettings(), sent).height == 1


def test_expiring_contracts_are_reminded_before_and_on_the_term_end() -> None:
    frame = renewals(
        {"status": "expires", "term_end": AS_OF, "notice_deadline": AS_OF - dt.timedelta(days=30)}
    )
    plan = plan_reminders(frame, AS_OF, ReminderSettings(), NO_SENT)
    assert plan.select("kind", "deadline", "lead_days", "late_days").row(0) == (
        "term-end",
        AS_OF,
        0,
        0,
    )


def test_expiry_lead_days_default_to_lead_days_and_the_term_end() -> None:
    assert ReminderSettings().expiry_lead_days == (90, 30, 7, 0)


def test_expiry_lead_days_follow_the_lead_days_given(make_data_dir: MakeDir) -> None:
    # reminders.lead_days [60, 14] without expiry_lead_days: the term-end reminders take
    # the same lead times plus the day itself, (60, 14, 0); a 0 given is not doubled.
    files = {
        "customers.csv": "customer_id,name\nA,Acme AS\n",
        "contracts.csv": "contract_id,customer_id,start_date\n",
        "contract_lines.csv": "contract_id,product,unit_price\n",
    }
    for lead, expected in (("[60, 14]", (60, 14, 0)), ("[0, 7]", (7, 0))):
        root = make_data_dir(files, settings=SETTINGS + f"reminders:\n  lead_days: {lead}\n")
        settings, issues = parse_reminder_settings(load_dataset(root).settings)
        assert issues == []
        assert settings.expiry_lead_days == expected


@pytest.mark.parametrize(
    ("status", "decision", "due"),
    [
        ("locked-in", None, False),
        ("cancelled", None, False),
        ("auto-renews", "renew", False),  # renews by itself: nothing to do
        ("auto-renews", "cancel", True),  # notice must still be given
        ("auto-renews", "renegotiate", True),
    ],
)
def test_who_gets_notice_reminders(status: str, decision: str | None, due: bool) -> None:
    frame = notice_in(5, status=status, renewal_decision=decision)
    assert plan_reminders(frame, AS_OF, ReminderSettings(), NO_SENT).height == int(due)


def test_owner_that_is_not_an_email_falls_back() -> None:
    frame = pl.concat(
        [notice_in(5, contract_id="K1", owner="Kari"), notice_in(5, contract_id="K2", owner=None)]
    )
    plan = plan_reminders(frame, AS_OF, ReminderSettings(fallback_to="finance@example.no"), NO_SENT)
    assert plan.get_column("recipient").to_list() == ["finance@example.no", "finance@example.no"]
    assert plan_reminders(frame, AS_OF, ReminderSettings(), NO_SENT).get_column(
        "recipient"
    ).to_list() == [None, None]


def test_addresses_that_differ_only_in_case_are_one_recipient() -> None:
    # Kari's address is written two ways; Ola's once. Two recipients, not three: Kari's
    # spelled as the first in sort order ("K" < "k"), on both of her contracts.
    frame = pl.concat(
        [
            notice_in(5, contract_id="K1", owner="kari@example.no"),
            notice_in(6, contract_id="K2", owner="Kari@Example.NO"),
            notice_in(7, contract_id="K3", owner="ola@example.no"),
        ]
    )
    plan = plan_reminders(frame, AS_OF, ReminderSettings(), NO_SENT)
    assert plan.select("recipient", "contract_id").rows() == [
        ("Kari@Example.NO", "K1"),
        ("Kari@Example.NO", "K2"),
        ("ola@example.no", "K3"),
    ]


def test_custom_lead_days_and_none() -> None:
    frame = notice_in(14)
    assert plan_reminders(frame, AS_OF, ReminderSettings(lead_days=(14,)), NO_SENT).height == 1
    assert plan_reminders(frame, AS_OF, ReminderSettings(lead_days=()), NO_SENT).height == 0


@pytest.mark.parametrize("name", ["reminder.txt.liquid", "reminder.html.liquid"])
def test_shipped_templates_use_only_provided_variables(name: str) -> None:
    template = Environment().from_string((shipped_templates() / name).read_text(encoding="utf-8"))
    assert set(template.global_variable_paths()) <= set(TEMPLATE_VARIABLES)
    item = template_item(
        plan_reminders(notice_in(5), AS_OF, ReminderSettings(), NO_SENT).row(0, named=True), "NOK"
    )
    loop_fields = {p.split(".", 1)[1] for p in template.variable_paths() if p.startswith("r.")}
    assert loop_fields <= set(item)
    assert template.filter_names() == []  # only Liquid's own syntax, no custom filters


def test_builtin_templates_ship_in_the_source_tree() -> None:
    assert (
        shipped_templates() / "reminder.txt.liquid"
        == Path(__file__).resolve().parents[1] / "templates" / "reminder.txt.liquid"
    )
