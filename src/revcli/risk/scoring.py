"""The churn-risk score: a documented sum of weighted signals, each shown with its reason.

Every signal is a small vectorised function over the active customers that returns
``customer_id, fired, reason, available``; the score is the sum of the weights of the
signals that fired, capped at 100, and ARR at risk is ``score / 100 × ARR``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from revcli.calendar import shift_month
from revcli.metrics.mrr import CUSTOMER, MONTH, Book, money_times
from revcli.risk.settings import (
    SIGNALS,
    DowngradeRule,
    LatePaymentRule,
    OverdueRule,
    RenewalRule,
    RiskSettings,
    TicketRule,
    UsageRule,
)
from revcli.risk.signals import Signals

RISK_COLUMNS = (
    "customer_id",
    "customer_name",
    "owner",
    "mrr",
    "arr",
    "score",
    "arr_at_risk",
    *SIGNALS,
    "data",
    "reasons",
)
SOURCES = ("usage", "tickets", "payments", "contracts")
"""Where a customer's signals come from, in the order the ``data`` column lists them."""

_SIGNAL_SOURCE = {
    "usage": "usage",
    "tickets": "tickets",
    "overdue": "payments",
    "late_payments": "payments",
    "renewal": "contracts",
    "downgrade": "contracts",
}
_FILE_WORDS = {"usage": "usage", "tickets": "ticket", "payments": "payment"}
_EXACT = 9
"""Digits kept before comparing a computed ratio with its threshold, so that a decline
of exactly 20 % is not 19.999999999999996 %."""


@dataclass(frozen=True)
class RiskInputs:
    """What the score reads: the data's MRR engine (``metrics.mrr.Book``), typed
    customers and opportunities, the signal files, and the upcoming renewals
    (``renewals.terms.upcoming_renewals``: contract_id, customer_id, term_end,
    days_left, notice_deadline, days_to_notice, status) — ``None`` when unknown."""

    book: Book
    customers: pl.DataFrame
    opportunities: pl.DataFrame
    signals: Signals
    renewals: pl.DataFrame | None
    base_currency: str


# Text of reasons, built with expressions so that no Python loop runs over customers.


def _whole(value: pl.Expr) -> pl.Expr:
    """A number rounded half away from zero to a whole number, with thousands
    separators: 1234567.5 → '1,234,568'.

    Every digit of the float up to 10^38 (through a 38-digit Decimal, not Int64, so a
    usage sum or an amount of 10^20 does not overflow); beyond that, the float's own
    text (``1e+40``).
    """
    # Rounding to 6 places first absorbs float noise (0.4999999999 → 0.5); from 2^52 on a
    # float is whole already, and rounding it to 6 places would change its last digits.
    rounded = value.round(6).round(0, mode="half_away_from_zero")
    n = pl.when(value.abs() < 2**52).then(rounded).otherwise(value)
    digits = n.abs().cast(pl.Decimal(38, 0), strict=False).cast(pl.String)
    # Rust regexes have no look-ahead: group from the right by reversing the digits.
    grouped = (
        digits.str.reverse().str.replace_all(r"(\d{3})", "${1},").str.strip_chars_end(",")
    ).str.reverse()
    body = pl.coalesce(grouped, n.abs().cast(pl.String))
    return pl.when(n < 0).then(pl.lit("-") + body).otherwise(body)


def _tenths(value: pl.Expr) -> pl.Expr:
    """A non-negative number with one decimal: 0.55 → '0.6'."""
    n = (value * 10).round(6).round(0, mode="half_away_from_zero").cast(pl.Int64)
    return pl.concat_str((n // 10).cast(pl.String), pl.lit("."), (n % 10).cast(pl.String))


def _plural(n: pl.Expr, one: str, many: str) -> pl.Expr:
    return pl.concat_str(
        n.cast(pl.String), pl.lit(" "), pl.when(n == 1).then(pl.lit(one)).otherwise(pl.lit(many))
    )


def _in_days(n: pl.Expr) -> pl.Expr:
    return (
        pl.when(n == 0).then(pl.lit("today")).otherwise(pl.lit("in ") + _plural(n, "day", "days"))
    )


def _months_text(n: int) -> str:
    return (
        "the last month vs the month before" if n == 1 else f"the last {n} months vs the {n} before"
    )


def _result(
    active: pl.DataFrame, found: pl.DataFrame, fired: pl.Expr, reason: pl.Expr
) -> pl.DataFrame:
    """One row per active customer: ``customer_id, fired, reason, available``.

    ``found`` holds one row per customer with data for the signal; ``fired`` and
    ``reason`` are evaluated on it (reason kept only where the signal fired).
    """
    scored = found.select(
        CUSTOMER,
        fired.fill_null(False).alias("fired"),
        reason.alias("reason"),
        pl.lit(True).alias("available"),
    ).with_columns(pl.when(pl.col("fired")).then(pl.col("reason")).alias("reason"))
    return (
        active.select(CUSTOMER)
        .join(scored, on=CUSTOMER, how="left")
        .with_columns(pl.col("fired").fill_null(False), pl.col("available").fill_null(False))
    )


def _nothing(active: pl.DataFrame, available: bool = False) -> pl.DataFrame:
    return active.select(
        CUSTOMER,
        pl.lit(False).alias("fired"),
        pl.lit(None, dtype=pl.String).alias("reason"),
        pl.lit(available).alias("available"),
    )


def usage_signal(
    active: pl.DataFrame, usage: pl.DataFrame | None, rule: UsageRule, as_of: dt.date
) -> pl.DataFrame:
    """Declining usage: per metric, the sum over the last ``months`` complete months
    before the as-of month (*recent*) against the ``months`` before them (*prior*);
    ``decline = 100 × (prior − recent) / prior``. Fires when the worst metric's decline
    is at least ``min_decline_pct``. A month without a row counts as 0; a metric with
    no prior usage cannot decline. Available when the customer has prior usage.
    """
    if usage is None:
        return _nothing(active)
    month = dt.date(as_of.year, as_of.month, 1)
    recent_from = shift_month(month, -rule.months)
    prior_from = shift_month(month, -2 * rule.months)
    value = pl.col("value").cast(pl.Float64)
    recent = pl.col(MONTH) >= recent_from
    per_metric = (
        usage.filter((pl.col(MONTH) >= prior_from) & (pl.col(MONTH) < month))
        .join(active.select(CUSTOMER), on=CUSTOMER, how="semi")
        .group_by(CUSTOMER, "metric")
        .agg(value.filter(recent).sum().alias("recent"), value.filter(~recent).sum().alias("prior"))
        .filter(pl.col("prior") > 0)
        .with_columns(
            (100 * (pl.col("prior") - pl.col("recent")) / pl.col("prior"))
            .round(_EXACT)
            .alias("decline")
        )
    )
    order = [pl.col("decline"), pl.col("metric")]
    worst = per_metric.group_by(CUSTOMER).agg(
        pl.col(c).sort_by(order, descending=[True, False]).first()
        for c in ("metric", "recent", "prior", "decline")
    )
    reason = pl.concat_str(
        pl.lit("usage down "),
        _whole(pl.col("decline")),
        pl.lit(f" % over {_months_text(rule.months)} ("),
        pl.col("metric"),
        pl.lit(": "),
        _whole(pl.col("prior")),
        pl.lit(" → "),
        _whole(pl.col("recent")),
        pl.lit(")"),
    )
    return _result(active, worst, pl.col("decline") >= rule.min_decline_pct, reason)


def ticket_signal(
    active: pl.DataFrame, tickets: pl.DataFrame | None, rule: TicketRule, as_of: dt.date
) -> pl.DataFrame:
    """A ticket spike against the customer's own baseline: *recent* = tickets opened in
    the ``window_days`` days ending on the as-of day; *usual* = tickets opened in the
    ``baseline_days`` days before that, × ``window_days / baseline_days``. Fires when
    recent ≥ ``min_tickets`` and recent ≥ ``min_ratio`` × usual. Available for every
    customer when tickets.csv exists (no tickets is a fact, not missing data).
    """
    if tickets is None:
        return _nothing(active)
    recent_from = as_of - dt.timedelta(days=rule.window_days - 1)
    base_from = recent_from - dt.timedelta(days=rule.baseline_days)
    is_recent = pl.col("opened_on") >= recent_from
    counts = (
        tickets.filter(pl.col("opened_on").is_between(base_from, as_of))
        .group_by(CUSTOMER)
        .agg(
            is_recent.sum().cast(pl.Int64).alias("recent"),
            (~is_recent).sum().cast(pl.Int64).alias("base"),
            *(
                (is_recent & (pl.col("severity") == level)).sum().cast(pl.Int64).alias(level)
                for level in ("urgent", "high")
            ),
        )
    )
    found = (
        active.select(CUSTOMER)
        .join(counts, on=CUSTOMER, how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ("recent", "base", "urgent", "high"))
    )
    usual = pl.col("base") * rule.window_days / rule.baseline_days
    fired = (pl.col("recent") >= rule.min_tickets) & (
        pl.col("recent") >= (rule.min_ratio * usual).round(_EXACT)
    )
    severe = pl.concat_str(
        pl.when(pl.col("urgent") > 0).then(pl.col("urgent").cast(pl.String) + " urgent"),
        pl.when(pl.col("high") > 0).then(pl.col("high").cast(pl.String) + " high"),
        separator=", ",
        ignore_nulls=True,
    )
    reason = pl.concat_str(
        _plural(pl.col("recent"), "ticket", "tickets"),
        pl.lit(f" in the last {rule.window_days} days"),
        pl.when(severe != "").then(pl.lit(" (") + severe + pl.lit(")")).otherwise(pl.lit("")),
        pl.when(pl.col("base") == 0)
        .then(pl.lit(f" vs none in the {rule.baseline_days} days before"))
        .otherwise(
            pl.lit(" vs usually ") + _tenths(usual) + pl.lit(f" per {rule.window_days} days")
        ),
    )
    return _result(active, found, fired, reason)


def _amounts(frame: pl.DataFrame) -> pl.DataFrame:
    """Per customer, the summed ``amount`` per currency as text: '12,500 NOK + 300 EUR'."""
    return (
        frame.filter(pl.col("amount").is_not_null())
        .group_by(CUSTOMER, "currency")
        .agg(pl.col("amount").cast(pl.Float64).sum())
        .group_by(CUSTOMER)
        .agg(
            pl.concat_str(_whole(pl.col("amount")), pl.lit(" "), pl.col("currency"))
            .sort_by("currency")
            .str.join(" + ")
            .alias("amounts")
        )
    )


def _has_payments(payments: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    return payments.filter(pl.col("due_date") <= as_of).select(CUSTOMER).unique()


def overdue_signal(
    active: pl.DataFrame, payments: pl.DataFrame | None, rule: OverdueRule, as_of: dt.date
) -> pl.DataFrame:
    """Missed payments: invoices due before the as-of day and not paid on or before it
    (``paid_on`` empty or later). Fires when the oldest is at least
    ``min_days_overdue`` days past its due date. Available when the customer has an
    invoice due on or before the as-of day.
    """
    if payments is None:
        return _nothing(active)
    unpaid = payments.filter(
        (pl.col("due_date") < as_of) & (pl.col("paid_on").is_null() | (pl.col("paid_on") > as_of))
    ).with_columns((pl.lit(as_of) - pl.col("due_date")).dt.total_days().alias("days"))
    per = (
        unpaid.group_by(CUSTOMER)
        .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("days").max().alias("oldest"))
        .join(_amounts(unpaid), on=CUSTOMER, how="left")
    )
    found = _has_payments(payments, as_of).join(per, on=CUSTOMER, how="left")
    reason = pl.concat_str(
        pl.when(pl.col("n") == 1)
        .then(pl.lit("1 invoice overdue by "))
        .otherwise(pl.col("n").cast(pl.String) + pl.lit(" invoices overdue, oldest ")),
        _plural(pl.col("oldest"), "day", "days"),
        pl.when(pl.col("amounts").is_not_null())
        .then(pl.lit(" (") + pl.col("amounts") + pl.lit(")"))
        .otherwise(pl.lit("")),
    )
    return _result(active, found, pl.col("oldest") >= rule.min_days_overdue, reason)


def late_payment_signal(
    active: pl.DataFrame, payments: pl.DataFrame | None, rule: LatePaymentRule, as_of: dt.date
) -> pl.DataFrame:
    """Late payments: of the invoices due in the ``lookback_days`` days ending on the
    as-of day and paid by then, those paid ``min_days_late`` or more days after their
    due date. Fires when there are at least ``min_count``. Available as for overdue.
    """
    if payments is None:
        return _nothing(active)
    since = as_of - dt.timedelta(days=rule.lookback_days - 1)
    paid = payments.filter(
        pl.col("due_date").is_between(since, as_of)
        & pl.col("paid_on").is_not_null()
        & (pl.col("paid_on") <= as_of)
    ).with_columns((pl.col("paid_on") - pl.col("due_date")).dt.total_days().alias("late"))
    is_late = pl.col("late") >= rule.min_days_late
    per = paid.group_by(CUSTOMER).agg(
        pl.len().cast(pl.Int64).alias("n"),
        is_late.sum().cast(pl.Int64).alias("n_late"),
        pl.col("late").filter(is_late).max().alias("worst"),
    )
    found = _has_payments(payments, as_of).join(per, on=CUSTOMER, how="left")
    reason = pl.concat_str(
        pl.col("n_late").cast(pl.String),
        pl.lit(" of "),
        _plural(pl.col("n"), "invoice", "invoices"),
        pl.lit(f" due in the last {rule.lookback_days} days paid late, up to "),
        _plural(pl.col("worst"), "day", "days"),
        pl.lit(" after the due date"),
    )
    return _result(active, found, pl.col("n_late") >= rule.min_count, reason)


def renewal_signal(
    active: pl.DataFrame,
    renewals: pl.DataFrame | None,
    opportunities: pl.DataFrame,
    rule: RenewalRule,
) -> pl.DataFrame:
    """An approaching decision with no renewal conversation: a contract that
    ``expires`` or was ``cancelled`` with its term end within ``within_days`` days, or
    that ``auto-renews`` with its notice deadline within ``within_days`` days (a
    ``locked-in`` contract renews: it does not fire), while the customer has no open
    opportunity of type ``renewal``. A ``renewal_decision`` recorded on the contract
    (issue 3) counts too: ``renew`` settles it (no signal), ``cancel`` fires even with
    an open renewal deal, ``renegotiate`` is named in the reason. The most urgent
    contract is named.
    """
    if renewals is None:
        return _nothing(active)
    talking = (
        opportunities.filter((pl.col("status") == "open") & (pl.col("type") == "renewal"))
        .select(CUSTOMER)
        .unique()
        .with_columns(pl.lit(True).alias("_talking"))
    )
    if "renewal_decision" not in renewals.columns:
        renewals = renewals.with_columns(pl.lit(None, dtype=pl.String).alias("renewal_decision"))
    decision = pl.col("renewal_decision")
    status = pl.col("status")
    days = (
        pl.when(status == "auto-renews")
        .then(pl.col("days_to_notice"))
        .when(status.is_in(["expires", "cancelled"]))
        .then(pl.col("days_left"))
    )
    # the window and the decision first: the joins then see the few contracts left
    due = (
        renewals.with_columns(days.cast(pl.Int64).alias("days"))
        .filter(
            pl.col("days").is_between(0, rule.within_days)
            & (decision.is_null() | (decision != "renew"))
        )
        .join(active.select(CUSTOMER), on=CUSTOMER, how="semi")
        .join(talking, on=CUSTOMER, how="left")
        .with_columns(pl.col("_talking").fill_null(False))
        .filter(~pl.col("_talking") | (decision == "cancel"))
    )
    order = [pl.col("days"), pl.col("contract_id")]
    columns = ("contract_id", "status", "days", "_talking", "renewal_decision")
    per = due.group_by(CUSTOMER).agg(
        *(pl.col(c).sort_by(order).first() for c in columns),
        (pl.len() - 1).cast(pl.Int64).alias("more"),
    )
    what = (
        pl.when(status == "auto-renews")
        .then(
            pl.concat_str(
                pl.lit("notice deadline "),
                _in_days(pl.col("days")),
                pl.lit(" (contract "),
                pl.col("contract_id"),
                pl.lit(")"),
            )
        )
        .when(status == "expires")
        .then(
            pl.concat_str(
                pl.lit("contract "),
                pl.col("contract_id"),
                pl.lit(" ends "),
                _in_days(pl.col("days")),
                pl.lit(" without auto-renewal"),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("contract "),
                pl.col("contract_id"),
                pl.lit(" ends "),
                _in_days(pl.col("days")),
                pl.lit(" (cancelled)"),
            )
        )
    )
    reason = pl.concat_str(
        what,
        pl.when(pl.col("_talking"))
        .then(pl.lit(""))
        .otherwise(pl.lit(" and no open renewal opportunity")),
        pl.when(decision.is_not_null())
        .then(pl.lit(" (recorded decision: ") + decision + pl.lit(")"))
        .otherwise(pl.lit("")),
        pl.when(pl.col("more") > 0)
        .then(
            pl.lit(" (+") + _plural(pl.col("more"), "more contract", "more contracts") + pl.lit(")")
        )
        .otherwise(pl.lit("")),
    )
    found = active.select(CUSTOMER).join(per, on=CUSTOMER, how="left")
    return _result(active, found, pl.col("days").is_not_null(), reason)


def downgrade_signal(
    active: pl.DataFrame,
    moves: pl.DataFrame,
    rule: DowngradeRule,
    as_of: dt.date,
    currency: str,
) -> pl.DataFrame:
    """Recent contraction: the downgrades and cancellations (SPEC §4 movements) of the
    last ``months`` movement months, the as-of month included, remove *lost* MRR.
    Fires when ``100 × lost / (MRR + lost) ≥ min_pct``, MRR being the customer's MRR
    in the as-of month. Always available (from the contracts).
    """
    month = dt.date(as_of.year, as_of.month, 1)
    since = shift_month(month, -(rule.months - 1))
    cut = moves.filter(
        pl.col(MONTH).is_between(since, month)
        & pl.col("movement").is_in(["downgrade", "cancellation"])
    ).join(active.select(CUSTOMER), on=CUSTOMER, how="semi")
    word = (
        pl.when(pl.col("movement") == "cancellation")
        .then(pl.lit(" cancelled"))
        .otherwise(pl.lit(" reduced"))
    )
    per = (
        cut.group_by(CUSTOMER)
        .agg(
            (-pl.col("amount").sum()).alias("lost"),
            (pl.col("product") + word).unique().sort().str.join(", ").alias("products"),
        )
        .join(active, on=CUSTOMER, how="left")
        .with_columns(
            (100 * pl.col("lost") / (pl.col("mrr") + pl.col("lost"))).round(_EXACT).alias("share")
        )
    )
    found = active.select(CUSTOMER).join(per, on=CUSTOMER, how="left")
    span = "the as-of month" if rule.months == 1 else f"the last {rule.months} months"
    reason = pl.concat_str(
        pl.lit("downgraded "),
        _whole(pl.col("lost")),
        pl.lit(f" {currency} MRR in {span} ("),
        _whole(pl.col("share")),
        pl.lit(" % of MRR): "),
        pl.col("products"),
    )
    fired = (pl.col("lost") > 0) & (pl.col("share") >= rule.min_pct)
    return _result(active, found, fired, reason)


def mrr_history(
    book: Book, as_of: dt.date, moves_since: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The customers active at ``as_of`` (:func:`active_customers`) and the movements from
    the month ``moves_since`` to the as-of month, as the data's :class:`Book` holds them,
    with the ids and product names (only those rows are turned back into text)."""
    month = dt.date(as_of.year, as_of.month, 1)
    active = active_customers(book.states([CUSTOMER], month), as_of)
    moves = book.movements(month).filter(pl.col(MONTH) >= moves_since)
    return book.codes.decode(active), book.codes.decode(moves)


def active_customers(by_customer: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Customers active at the as-of day: MRR > 0 at the end of the month containing it
    (SPEC §4: the MRR of the as-of month). In: per-customer ``states``. Out:
    ``customer_id, mrr``."""
    month = dt.date(as_of.year, as_of.month, 1)
    return (
        by_customer.filter(pl.col(MONTH) <= month)
        .group_by(CUSTOMER)
        .agg(pl.col("cur").sort_by(MONTH).last().alias("mrr"))
        .filter(pl.col("mrr") > 0)
    )


def risk_table(inputs: RiskInputs, rules: RiskSettings, as_of: dt.date) -> pl.DataFrame:
    """Every customer active at ``as_of`` with its churn-risk score (see module doc).

    Out: :data:`RISK_COLUMNS` — the points of each signal (its weight when it fired,
    else 0), ``score`` = min(100, Σ points), ``arr_at_risk`` = score / 100 × ARR,
    ``data`` (the sources the customer has data in), ``reasons`` (the reasons that
    fired, then which signal files have no data for the customer — "no usage data",
    or "scored on contracts only: …" when none has — joined by '; '). Sorted by
    unrounded ``arr_at_risk`` descending, then ``score`` descending, then
    ``customer_id``.
    """
    month = dt.date(as_of.year, as_of.month, 1)
    since = shift_month(month, -(rules.downgrade.months - 1))
    active, moves = mrr_history(inputs.book, as_of, since)
    sig = inputs.signals
    results = {
        "usage": usage_signal(active, sig.usage, rules.usage, as_of),
        "tickets": ticket_signal(active, sig.tickets, rules.tickets, as_of),
        "overdue": overdue_signal(active, sig.payments, rules.overdue, as_of),
        "late_payments": late_payment_signal(active, sig.payments, rules.late_payments, as_of),
        "renewal": renewal_signal(active, inputs.renewals, inputs.opportunities, rules.renewal),
        "downgrade": downgrade_signal(active, moves, rules.downgrade, as_of, inputs.base_currency),
    }
    table = active
    for name, result in results.items():
        weight = getattr(rules, name).weight
        table = table.join(
            result.select(
                CUSTOMER,
                pl.when(pl.col("fired") & (weight > 0))
                .then(weight)
                .otherwise(0)
                .cast(pl.Int64)
                .alias(name),
                pl.when(pl.col("fired") & (weight > 0))
                .then(pl.col("reason"))
                .alias(f"_{name}_reason"),
                pl.col("available").alias(f"_{name}_available"),
            ),
            on=CUSTOMER,
            how="left",
        )
    has = {
        source: pl.any_horizontal(
            pl.col(f"_{name}_available") for name, src in _SIGNAL_SOURCE.items() if src == source
        )
        for source in SOURCES
    }
    no_files = ~(has["usage"] | has["tickets"] | has["payments"])
    missing = pl.concat_str(
        [pl.when(~has[s]).then(pl.lit(word)) for s, word in _FILE_WORDS.items()],
        separator=", ",
        ignore_nulls=True,
    ).str.replace(r", ([a-z]+)$", " or $1")
    caveat = (
        pl.when(no_files)
        .then(pl.lit("scored on contracts only: no usage, ticket or payment data"))
        .when(missing != "")
        .then(pl.lit("no ") + missing + pl.lit(" data"))
    )
    data = pl.concat_str(
        [pl.when(has[s]).then(pl.lit(s)) for s in SOURCES], separator=", ", ignore_nulls=True
    )
    reasons = pl.concat_str(
        [
            *(pl.col(f"_{name}_reason") for name in SIGNALS),
            caveat,
        ],
        separator="; ",
        ignore_nulls=True,
    )
    score = pl.min_horizontal(pl.sum_horizontal(*SIGNALS), pl.lit(100)).cast(pl.Int64)
    names = inputs.customers.select(
        CUSTOMER, pl.col("name").alias("customer_name"), "owner"
    ).unique(CUSTOMER, keep="first")
    return (
        table.join(names, on=CUSTOMER, how="left")
        .with_columns(
            money_times(pl.col("mrr"), 12).alias("arr"),
            score.alias("score"),
            data.alias("data"),
            reasons.alias("reasons"),
        )
        .with_columns(money_times(pl.col("arr"), pl.col("score"), 100).alias("arr_at_risk"))
        .select(RISK_COLUMNS)
        .sort(["arr_at_risk", "score", CUSTOMER], descending=[True, True, False])
    )
