"""The billing run: draft invoices of every contract's billing periods in some months (SPEC §7).

Every line amount, the net and tax per rate and per invoice, the due dates and exchange
rates, and every check are computed at once, vectorised, as frames (:class:`BillingRun`,
:mod:`.amounts`); invoice objects are made from them (:mod:`.drafts`) only for the
invoices a command renders or issues.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from revcli.billing.amounts import line_amounts, rate_taxes
from revcli.billing.model import INVOICE_COLUMNS, Invoice
from revcli.billing.money import from_units
from revcli.billing.periods import billing_periods, period_lines
from revcli.billing.rates import missing_rates, nok_rates
from revcli.billing.texts import text_problems
from revcli.data.validate import DataSet
from revcli.errors import DataError, Issue, UsageError
from revcli.schema import DECIMAL


def _priced_lines(data: DataSet, periods: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The lines of ``periods`` with their exact amounts and tax rates, and the net and tax
    per (contract, period, rate): all vectorised (:mod:`revcli.billing.amounts`)."""
    priced = line_amounts(periods, period_lines(periods, data.lines))
    buyers = data.customers.unique("customer_id", keep="first").select(
        "customer_id", "reverse_charge", pl.col("tax_rate").alias("_customer_rate")
    )
    zero = pl.lit(0).cast(DECIMAL)
    default = pl.lit(data.settings.invoice.default_tax_rate).cast(DECIMAL)
    priced = (
        priced.join(
            periods.select("contract_id", "period_start", "customer_id"),
            on=["contract_id", "period_start"],
            how="left",
        )
        .join(buyers, on="customer_id", how="left")
        .with_columns(
            pl.when(pl.col("reverse_charge").fill_null(value=False))
            .then(zero)
            .otherwise(pl.coalesce("tax_rate", "_customer_rate", default))
            .alias("tax_rate")
        )
        .sort("period_start", "contract_id", "line_order")
    )
    taxes = rate_taxes(priced, ["contract_id", "period_start"])
    return priced, taxes


def _too_large(priced: pl.DataFrame, taxes: pl.DataFrame, data: DataSet) -> list[Issue]:
    """Amounts of 10^36 minor units or more (or uplifted unit prices of 10^26) cannot be
    held: reported, never wrapped around."""
    return [
        Issue(
            str(data.root / "contract_lines.csv"),
            None,
            "amount",
            f"contract {contract}'s invoice for the period from {start} is too large to "
            "bill: a line amount of 10^36 minor units or a unit price of 10^26 or more",
        )
        for contract, start in pl.concat(
            [
                frame.filter(pl.col("too_large")).select("contract_id", "period_start")
                for frame in (priced, taxes)
            ]
        )
        .unique()
        .iter_rows()
    ]


def is_known(data: DataSet, column: str, value: str) -> bool:
    """Whether ``value`` is a ``contract_id`` or ``customer_id`` (``column``) of the data."""
    frame = data.contracts if column == "contract_id" else data.customers
    return value in frame.get_column(column).to_list()


def _contracts(data: DataSet, contract: str | None, customer: str | None) -> pl.DataFrame:
    """The contracts of a run: all, or one ``contract`` or ``customer``'s (which must exist)."""
    for name, value in (("contract_id", contract), ("customer_id", customer)):
        if value is not None and not is_known(data, name, value):
            raise UsageError(f"there is no {name} '{value}' in the data")
    contracts = data.contracts
    if contract is not None:
        contracts = contracts.filter(pl.col("contract_id") == contract)
    if customer is not None:
        contracts = contracts.filter(pl.col("customer_id") == customer)
    return contracts


NO_VAT = frozenset({"US"})
"""Countries without a value-added tax: their buyers have no VAT id to print."""

KEYS = ["contract_id", "period_start"]


@dataclass(frozen=True)
class BillingRun:
    """A billing run as frames, its amounts exact and every check passed.

    ``invoices``: one row per invoice, in the order numbers are given (period start, then
    ``contract_id``): :data:`INVOICE_COLUMNS`, ``issue_date``, ``due_date``,
    ``reverse_charge``, ``places`` (the currency's minor units), ``net``, ``tax`` and
    ``total`` (``Int128`` minor units) and ``nok_rate`` (NOK per unit of the currency on
    the issue date, ``Int128`` with 10 implied places; null when the tax is not shown in
    NOK). ``lines``: the priced lines (:func:`~.amounts.line_amounts`) of every invoice;
    ``taxes``: net and tax per (invoice, rate).
    """

    data: DataSet
    invoices: pl.DataFrame
    lines: pl.DataFrame
    taxes: pl.DataFrame

    def __len__(self) -> int:
        return self.invoices.height

    def keys(self) -> list[tuple[str, dt.date]]:
        """Every invoice's (contract, period start), in order."""
        frame = self.invoices
        return list(
            zip(frame["contract_id"].to_list(), frame["period_start"].to_list(), strict=True)
        )

    def total(self) -> Decimal:
        """The sum of every invoice's total (a check figure across currencies)."""
        sums = self.invoices.group_by("places").agg(pl.col("total").sum())
        return sum(
            (from_units(int(units), int(places)) for places, units in sums.iter_rows()),
            Decimal(0),
        )

    def drafts(self, skip: Collection[tuple[str, dt.date]] = ()) -> list[Invoice]:
        """The invoices as objects, except those whose key is in ``skip``."""
        from revcli.billing.drafts import build_invoices

        return build_invoices(self.data, self.invoices, self.lines, self.taxes, skip)

    def problems(self, skip: Collection[tuple[str, dt.date]] = ()) -> list[Issue]:
        """What keeps the invoices, except those whose key is in ``skip``, from being made
        correctly: a reverse-charge buyer without a VAT id, no exchange rate to show the tax
        in NOK on the issue date, a text with a control character (:mod:`.texts`). Sorted
        by file, row and message; each once."""
        invoices, lines = self.invoices, self.lines
        if skip:
            from revcli.billing.drafts import without

            invoices, lines = without(invoices, skip), without(lines, skip)
        issues = (
            _buyer_problems(self.data, invoices)
            + missing_rates(self.data, invoices)
            + text_problems(self.data, invoices, lines)
        )
        return sorted(set(issues), key=lambda i: (i.source, i.line or 0, i.message))


def _buyer_problems(data: DataSet, invoices: pl.DataFrame) -> list[Issue]:
    """A reverse-charge buyer needs a VAT id (VAT directive art. 226) except where there is
    no VAT at all: one problem per such customer invoiced."""
    customers = data.customers.unique("customer_id", keep="first").select(
        "customer_id", "vat_id", "country", "_source", "_line"
    )
    lacking = (
        invoices.filter(pl.col("reverse_charge"))
        .select("customer_id")
        .unique()
        .join(customers, on="customer_id", how="left")
        .filter(
            pl.col("vat_id").fill_null("").eq("")
            & ~pl.col("country").fill_null("").is_in(sorted(NO_VAT))
        )
    )
    return [
        Issue(
            source,
            line,
            "vat_id",
            "is required on invoices to a reverse_charge customer (VAT directive art. 226)",
        )
        for source, line in lacking.select("_source", "_line").iter_rows()
    ]


def billing_frames(
    data: DataSet,
    first: dt.date,
    last: dt.date,
    *,
    contract: str | None = None,
    customer: str | None = None,
    issue_date: dt.date | None = None,
) -> BillingRun:
    """The billing runs for the months ``first``..``last`` (SPEC §7) as frames, before the
    checks of each invoice (:meth:`BillingRun.problems`).

    One invoice per contract per billing period starting in those months that has lines,
    dated ``issue_date`` (default: the period's first day, for drafts), due that day plus
    the payment terms; in the order numbers are given: period start, then
    ``contract_id``. Optionally only one ``contract`` or ``customer``
    (:class:`UsageError` when it does not exist). Raises :class:`DataError` when an amount
    is too large to hold. The other checks are the caller's: :func:`billing_amounts` makes
    them for every invoice, issuing only for those it issues (an invoice without its NOK
    rate has a null ``nok_rate``).
    """
    periods = billing_periods(_contracts(data, contract, customer), first, last)
    priced, rate_rows = _priced_lines(data, periods)
    issues = _too_large(priced, rate_rows, data)
    if issues:
        raise DataError(issues)
    sums = rate_rows.group_by(KEYS).agg(
        pl.col("net").sum(), pl.col("tax").sum(), pl.col("places").first()
    )
    terms = data.customers.unique("customer_id", keep="first").select(
        "customer_id",
        pl.col("reverse_charge").fill_null(value=False),
        pl.col("payment_terms_days").cast(pl.Int64),
    )
    dated = pl.lit(issue_date, dtype=pl.Date) if issue_date else pl.col("period_start")
    invoices = (
        periods.select(INVOICE_COLUMNS)
        .join(sums, on=KEYS, how="inner", maintain_order="left")
        .join(terms, on="customer_id", how="left", maintain_order="left")
        .with_columns(dated.alias("issue_date"))
        .with_columns(
            (pl.col("issue_date") + pl.duration(days=pl.col("payment_terms_days"))).alias(
                "due_date"
            ),
            (pl.col("net") + pl.col("tax")).alias("total"),
        )
    )
    return BillingRun(data, nok_rates(data, invoices), priced, rate_rows)


def billing_amounts(
    data: DataSet,
    first: dt.date,
    last: dt.date,
    *,
    contract: str | None = None,
    customer: str | None = None,
    issue_date: dt.date | None = None,
) -> BillingRun:
    """The billing runs for the months ``first``..``last`` (SPEC §7) as frames, every
    invoice checked: :func:`billing_frames` (see there), and a :class:`DataError` when an
    invoice cannot be made correctly (a reverse-charge buyer without a VAT id; no exchange
    rate to show the tax in NOK: :meth:`BillingRun.problems`)."""
    run = billing_frames(
        data, first, last, contract=contract, customer=customer, issue_date=issue_date
    )
    issues = run.problems()
    if issues:
        raise DataError(issues)
    return run


def billing_run(
    data: DataSet,
    first: dt.date,
    last: dt.date,
    *,
    contract: str | None = None,
    customer: str | None = None,
    issue_date: dt.date | None = None,
) -> list[Invoice]:
    """Draft invoices of the billing runs for the months ``first``..``last`` (SPEC §7): the
    invoices of :func:`billing_amounts` as objects (see there)."""
    run = billing_amounts(
        data, first, last, contract=contract, customer=customer, issue_date=issue_date
    )
    return run.drafts()
