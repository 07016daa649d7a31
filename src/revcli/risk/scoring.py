"""The churn-risk score: a documented sum of weighted signals, each shown with its reason.

Every signal is a small vectorised function over the active customers that returns
``customer_id, fired, reason, available`` (:mod:`.reasons`): what the customer does
(:mod:`.activity`), how it pays (:mod:`.payments`), its contracts (:mod:`.contracts`). The
score is the sum of the weights of the
signals that fired, capped at 100, and ARR at risk is ``score / 100 × ARR``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from revcli.calendar import shift_month
from revcli.metrics.mrr import CUSTOMER, MONTH, Book, money_times
from revcli.risk.activity import ticket_signal, usage_signal
from revcli.risk.contracts import downgrade_signal, renewal_signal
from revcli.risk.payments import late_payment_signal, overdue_signal
from revcli.risk.settings import SIGNALS, RiskSettings
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
