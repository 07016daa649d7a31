"""MRR forecast: contracted MRR run forward, plus weighted pipeline, minus expected churn."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.calendar import add_months, month_diff, month_start, shift_month
from revcli.data.validate import DataSet
from revcli.decimals import round_half_up
from revcli.metrics.mrr import (
    CUSTOMER,
    MONEY,
    MONTH,
    Book,
    exact_money,
    exactly,
    money_sum,
    month_range,
)
from revcli.metrics.pipeline import open_pipeline
from revcli.metrics.report import policy_label
from revcli.output.report import ColumnKind, Report
from revcli.risk.report import risk_inputs, risk_settings
from revcli.risk.scoring import risk_table

FORECAST_COLUMNS = (
    "month",
    "contracted_mrr",
    "weighted_pipeline_mrr",
    "expected_churn_mrr",
    "forecast_mrr",
    "run_rate_mrr",
    "total_mrr",
)
FORECAST_KINDS = {
    "month": ColumnKind.MONTH,
    "contracted_mrr": ColumnKind.MONEY,
    "weighted_pipeline_mrr": ColumnKind.MONEY,
    "expected_churn_mrr": ColumnKind.SIGNED_MONEY,
    "forecast_mrr": ColumnKind.MONEY,
    "run_rate_mrr": ColumnKind.MONEY,
    "total_mrr": ColumnKind.MONEY,
}
NEW_BUSINESS = ("new", "expansion", "upgrade")
"""The movements a new-business run rate averages: MRR won, not MRR won back."""


def run_rate(book: Book, as_of: dt.date, months: int) -> float:
    """The average monthly new-business MRR (new + expansion + upgrade) of the ``months``
    whole months before the as-of month — the running month is left out, since its
    figures are not final. 0 when ``months`` is 0."""
    if months <= 0:
        return 0.0
    last = shift_month(as_of, -1)
    table = book.mrr_table(shift_month(last, 1 - months), last)
    return float(table.select(pl.sum_horizontal(NEW_BUSINESS).sum()).item()) / months


def forecast_pipeline(pipeline: pl.DataFrame, schedule: pl.DataFrame) -> pl.DataFrame:
    """The open opportunities that add MRR to a forecast.

    All of them except a ``renewal`` deal of a customer whose auto-renewing contract is
    still running (not cancelled): contracted MRR already carries that contract past
    its term end, so counting the deal too would count it twice. A renewal deal of an
    expiring contract counts: contracted MRR drops at the term end and the deal is what
    may bring it back. In: :func:`open_pipeline`, the line schedule. Out: the same
    columns as ``pipeline``.
    """
    renewing = (
        schedule.filter(
            pl.col("renewal_start").is_not_null()
            & pl.col("end_date").is_null()
            & (pl.col("line_mrr") > 0)
        )
        .select(CUSTOMER)
        .unique()
    )
    double = (pl.col("type") == "renewal") & pl.col(CUSTOMER).is_in(
        renewing.get_column(CUSTOMER).implode()
    )
    return pipeline.filter(~double.fill_null(False))


def churn_schedule(
    scores: pl.DataFrame,
    *,
    renewals: pl.DataFrame | None,
    contracts: pl.DataFrame,
    schedule: pl.DataFrame,
    as_of: dt.date,
    first: dt.date,
) -> pl.DataFrame:
    """When each scored customer's risk can turn into churn.

    In: ``customer_id, score``; the upcoming renewals (SPEC §6: contract_id,
    customer_id, term_end, status) over the forecast, or ``None`` when unknown. Out:
    ``customer_id, score, from_month`` — the first month whose MRR the customer can be
    gone from: the month after its earliest exit, where a contract that ``expires``,
    ``auto-renews`` (notice can still be given) or was ``cancelled`` exits at its term
    end, a ``locked-in`` one only at the end of its next term, and an evergreen contract
    (no end date) at any time (``from_month`` = ``first``). Null when the customer
    cannot leave within the renewals looked at. Without renewals: ``first`` for all.
    """
    if renewals is None:
        return scores.with_columns(pl.lit(first).alias("from_month"))
    after_term = month_start(pl.col("term_end") + pl.duration(days=1))
    exits = renewals.join(
        contracts.select("contract_id", "renewal_term_months"), on="contract_id", how="left"
    ).select(
        CUSTOMER,
        pl.when(pl.col("status") == "locked-in")
        .then(add_months(after_term, pl.col("renewal_term_months")))
        .otherwise(after_term)
        .alias("from_month"),
    )
    evergreen = schedule.filter(
        (pl.col("line_mrr") > 0)
        & pl.col("end_date").is_null()
        & pl.col("renewal_start").is_null()
        & (pl.col("start_date") <= as_of)
    ).select(CUSTOMER, pl.lit(first).alias("from_month"))
    earliest = pl.concat([exits, evergreen]).group_by(CUSTOMER).agg(pl.col("from_month").min())
    return scores.join(earliest, on=CUSTOMER, how="left").with_columns(
        pl.when(pl.col("from_month") < first)
        .then(pl.lit(first))
        .otherwise(pl.col("from_month"))
        .alias("from_month")
    )


_MONTH_BITS = 17
"""Bits of a month number (year × 12 + month − 1 < 2^17 up to year 9999) in a packed key."""


def _packed(month: pl.Expr) -> pl.Expr:
    """(customer code, month) as one ``Int64`` that sorts the same way."""
    number = month.dt.year().cast(pl.Int64) * 12 + month.dt.month().cast(pl.Int64) - 1
    return pl.col(CUSTOMER).cast(pl.Int64) * (1 << _MONTH_BITS) + number


def _with_mrr(exposed: pl.DataFrame, running: pl.DataFrame) -> pl.DataFrame:
    """``exposed`` (coded ``customer_id, month``) with ``cur``: the customer's MRR at the
    end of the month (its latest state on or before it; null before its first), rows in
    the same order.

    One as-of look-up on (customer, month) packed into an integer; a match of another
    customer (one without a state by then) is no match.
    """
    integer = exposed.schema[CUSTOMER].is_integer() and running.schema[CUSTOMER].is_integer()
    low, high = (
        pl.concat([f.select(pl.col(CUSTOMER).cast(pl.Int64)) for f in (exposed, running)])
        .select(pl.col(CUSTOMER).min().alias("low"), pl.col(CUSTOMER).max().alias("high"))
        .row(0)
        if integer
        else (None, None)
    )
    if not exposed.height or low is None or low < 0 or high >= 1 << (62 - _MONTH_BITS):
        return exposed.join_asof(
            running.sort(MONTH), on=MONTH, by=CUSTOMER, strategy="backward", check_sortedness=False
        )
    # Rows come back in their order, and so does the month's sorted flag: Polars sums a
    # group on a column flagged sorted in another order of additions (the last bits of
    # a float sum would differ from the plain as-of join's).
    month_sorted = exposed.get_column(MONTH).flags["SORTED_ASC"]
    states = running.select(
        _packed(pl.col(MONTH)).alias("_k"), pl.col(CUSTOMER).alias("_owner"), "cur"
    ).sort("_k")
    return (
        exposed.with_row_index("_r")
        .with_columns(_packed(pl.col(MONTH)).alias("_k"))
        .sort("_k")
        .join_asof(states, on="_k", strategy="backward", check_sortedness=False)
        .with_columns(pl.when(pl.col("_owner") == pl.col(CUSTOMER)).then(pl.col("cur")))
        .sort("_r")
        .drop("_r", "_k", "_owner")
        .with_columns(pl.col(MONTH).set_sorted() if month_sorted else pl.col(MONTH))
    )


def forecast_table(
    book: Book,
    *,
    pipeline: pl.DataFrame,
    churn: pl.DataFrame,
    first: dt.date,
    last: dt.date,
    run_rate_mrr: float = 0.0,
) -> pl.DataFrame:
    """The ``revcli forecast`` table, one row per month from ``first`` to ``last``, from
    the data's MRR engine ``book``.

    - ``contracted_mrr``: SPEC §4 MRR of the signed contracts run forward: known end
      dates, cancellations already given, auto-renewals with their uplift.
    - ``weighted_pipeline_mrr``: Σ probability-weighted MRR of the open opportunities
      (:func:`forecast_pipeline`) expected to close in or before the month — a won deal
      adds MRR from its close month on; a slipped deal (close date passed, still open)
      counts from the first month.
    - ``expected_churn_mrr`` (≤ 0): −Σ score / 100 × the customer's contracted MRR that
      month, over the customers of ``churn`` from their ``from_month`` on.
    - ``forecast_mrr``: the sum of the three — a floor: it adds no new business beyond
      the deals already in the pipeline.
    - ``run_rate_mrr``: ``run_rate_mrr`` (the new-business MRR of an average month) once
      for every month from ``first`` on: k × the run rate in the k-th month.
    - ``total_mrr``: ``forecast_mrr`` + ``run_rate_mrr``.
    """
    # Money is added up as exact decimals and made floats at the end (each the nearest to
    # its exact value, so a half cent prints as the rule says).
    zero = pl.lit(0, MONEY)
    contracted = exact_money(
        book.mrr_table(first, last).select(MONTH, pl.col("mrr").alias("contracted_mrr")),
        "contracted_mrr",
    )
    months = month_range(first, last).to_frame()
    close = pl.when(pl.col(MONTH) < first).then(pl.lit(first)).otherwise(pl.col(MONTH))
    adds = (
        exact_money(
            pipeline.select(close.alias(MONTH), "weighted_pipeline_mrr").filter(
                pl.col(MONTH) <= last
            ),
            "weighted_pipeline_mrr",
        )
        .group_by(MONTH)
        .agg(pl.col("weighted_pipeline_mrr").sum())
    )
    pipe = (
        months.join(adds, on=MONTH, how="left")
        .sort(MONTH)
        .select(MONTH, pl.col("weighted_pipeline_mrr").fill_null(zero).cum_sum())
    )
    running = book.states([CUSTOMER], last).select(CUSTOMER, MONTH, "cur")
    exposed = _with_mrr(
        book.codes.encode(churn)
        .filter(pl.col("from_month").is_not_null() & (pl.col("score") > 0))
        .join(months, how="cross")
        .filter(pl.col(MONTH) >= pl.col("from_month"))
        .sort(MONTH),
        running,
    )
    # Score × MRR summed exactly, divided by 100 once.
    loss = exact_money(exposed.with_columns(pl.col("cur").fill_null(0.0)), "cur")
    loss = loss.group_by(MONTH).agg(
        (-(pl.col("score") * pl.col("cur")).sum() / 100).alias("expected_churn_mrr")
    )
    run_rate = exactly(pl.lit(run_rate_mrr)) * (month_diff(pl.col(MONTH), pl.lit(first)) + 1)
    return (
        contracted.join(pipe, on=MONTH, how="left")
        .join(loss, on=MONTH, how="left")
        .with_columns(pl.col("expected_churn_mrr").fill_null(zero))
        .with_columns(
            pl.sum_horizontal(
                "contracted_mrr", "weighted_pipeline_mrr", "expected_churn_mrr"
            ).alias("forecast_mrr"),
            run_rate.alias("run_rate_mrr"),
        )
        .with_columns((pl.col("forecast_mrr") + pl.col("run_rate_mrr")).alias("total_mrr"))
        .select(MONTH, pl.exclude(MONTH).cast(pl.Float64))
        .select(FORECAST_COLUMNS)
        .sort(MONTH)
    )


def forecast_report(
    data: DataSet, as_of: dt.date, months: int, *, run_rate_months: int = 6
) -> Report:
    """MRR for the ``months`` months after the as-of month: committed and hoped-for apart,
    the floor, and the floor plus a new-business run rate of ``run_rate_months``."""
    first = shift_month(as_of, 1)
    last = shift_month(as_of, months)
    book = Book.of(data)
    # Ask the engine up to the last month first: the risk score and the run rate (up to the
    # as-of month) then read the same states and movements instead of computing their own.
    book.movements(last)
    rules = risk_settings(data)
    inputs = risk_inputs(data, as_of)
    scores = risk_table(inputs, rules, as_of).select(CUSTOMER, "score", "mrr")
    horizon = shift_month(last, 1) - dt.timedelta(days=1)
    # risk_inputs holds every term end from as_of on; the forecast needs those up to its end.
    renewals = (
        None if inputs.renewals is None else inputs.renewals.filter(pl.col("term_end") <= horizon)
    )
    churn = churn_schedule(
        scores.select(CUSTOMER, "score"),
        renewals=renewals,
        contracts=data.contracts,
        schedule=book.schedule,
        as_of=as_of,
        first=first,
    )
    base = data.settings.base_currency
    pipeline = forecast_pipeline(
        open_pipeline(data.opportunities, data.fx_rates, base), book.schedule
    )
    rate = run_rate(book, as_of, run_rate_months)
    table = forecast_table(
        book,
        pipeline=pipeline,
        churn=churn,
        first=first,
        last=last,
        run_rate_mrr=rate,
    )
    now = money_sum(scores.get_column("mrr"))
    notes = [
        f"Money in {base}. MRR of {as_of:%Y-%m} (the as-of month): {round_half_up(now, 2):,}.",
        "contracted = signed contracts run forward (end dates, cancellations, auto-renewals "
        "with uplift); weighted pipeline = Σ probability × MRR of open deals from their "
        "expected close month on; expected churn = −risk score / 100 × the customer's "
        "contracted MRR from the month after its earliest possible exit.",
        "floor = contracted + weighted pipeline + expected churn: no new business beyond "
        "today's pipeline.",
        (
            f"run rate = {round_half_up(rate, 2):,} a month, the average new + expansion + "
            f"upgrade MRR of the {run_rate_months} whole months before {as_of:%Y-%m}, "
            "added once per month ahead; total = floor + run rate (it can count a deal "
            "that is also in the pipeline: read it as the trend, the floor as the minimum)."
            if run_rate_months
            else "run rate: off (forecast.run_rate_months: 0)."
        ),
    ]
    span = f"{first:%Y-%m} – {last:%Y-%m}"
    return Report(
        policy=policy_label(data.settings),
        title=f"MRR forecast {span} as of {as_of.isoformat()} ({base})",
        frame=table,
        kinds=FORECAST_KINDS,
        notes=tuple(notes),
        meta={
            "currency": base,
            "as_of": as_of.isoformat(),
            "from": f"{first:%Y-%m}",
            "to": f"{last:%Y-%m}",
            "as_of_mrr": round_half_up(now, 2),
            "run_rate_months": run_rate_months,
            "run_rate_mrr": round_half_up(rate, 2),
        },
        name="forecast",
        labels={
            "contracted_mrr": "contracted",
            "weighted_pipeline_mrr": "weighted pipeline",
            "expected_churn_mrr": "expected churn",
            "forecast_mrr": "floor",
            "run_rate_mrr": "run rate",
            "total_mrr": "total",
        },
    )
