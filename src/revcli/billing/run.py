"""The billing run: draft invoices of every contract's billing periods in some months (SPEC §7).

Every line amount and the net and tax per rate are computed at once, vectorised
(:mod:`.amounts`); this module only assembles the invoices.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import polars as pl

from revcli.billing.amounts import line_amounts, rate_taxes
from revcli.billing.ehf import facts_for
from revcli.billing.lines import LINE_FIELDS, decimal_of, frame_rows, invoice_line, invoice_taxes
from revcli.billing.model import INVOICE, Invoice, InvoiceLine, Party
from revcli.billing.money import places_of, to_decimal
from revcli.billing.periods import billing_periods, period_lines
from revcli.data.validate import DataSet
from revcli.einvoice.model import months
from revcli.errors import DataError, Issue, UsageError
from revcli.schema import DECIMAL


class _Rates:
    """Exact exchange rates in effect on a day: the latest row on or before it."""

    def __init__(self, fx: pl.DataFrame, base: str) -> None:
        self.base = base
        table: dict[str, tuple[list[dt.date], list[Decimal]]] = {}
        for currency, group in fx.sort("currency", "date").group_by(
            "currency", maintain_order=True
        ):
            table[str(currency[0])] = (group["date"].to_list(), group["rate"].to_list())
        self.table = table

    def to_base(self, currency: str, day: dt.date) -> Fraction | None:
        if currency == self.base:
            return Fraction(1)
        dates, rates = self.table.get(currency, ([], []))
        i = bisect.bisect_right(dates, day)
        return Fraction(rates[i - 1]) if i else None

    def nok_per(self, currency: str, day: dt.date) -> Fraction | None:
        """NOK per unit of ``currency`` on ``day``."""
        mine, nok = self.to_base(currency, day), self.to_base("NOK", day)
        return None if mine is None or nok is None else mine / nok


def _address(text: str | None) -> str:
    return (text or "").replace("\\n", "\n").strip()


NO_VAT = frozenset({"US"})
"""Countries without a value-added tax: their buyers have no VAT id to print."""


def _buyers(
    data: DataSet, periods: pl.DataFrame
) -> dict[str, tuple[Party, bool, int, Issue | None, str]]:
    """Per customer billed in ``periods``: the buyer as printed, whether reverse charge
    applies, the payment terms in days, the problem that prevents invoicing it, and its
    ``peppol_id``."""
    billed = data.customers.unique("customer_id", keep="first").join(
        periods.select("customer_id").unique(), on="customer_id", how="semi"
    )
    buyers = {}
    for row in billed.iter_rows(named=True):
        reverse = bool(row["reverse_charge"])
        problem = None
        # a VAT id is required (VAT directive art. 226) except where there is no VAT at all
        if reverse and not row["vat_id"] and (row["country"] or "") not in NO_VAT:
            problem = Issue(
                row["_source"],
                row["_line"],
                "vat_id",
                "is required on invoices to a reverse_charge customer (VAT directive art. 226)",
            )
        party = Party(
            name=row["name"],
            address=_address(row["address"]),
            country=row["country"] or "",
            vat_id=row["vat_id"] or "",
            email=row["billing_email"] or "",
            locale=row["locale"] or data.settings.locale,
        )
        buyers[row["customer_id"]] = (
            party,
            reverse,
            int(row["payment_terms_days"]),
            problem,
            row.get("peppol_id") or "",
        )
    return buyers


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


def _contracts(data: DataSet, contract: str | None, customer: str | None) -> pl.DataFrame:
    """The contracts of a run: all, or one ``contract`` or ``customer``'s (which must exist)."""
    for name, value, frame in (
        ("contract_id", contract, data.contracts),
        ("customer_id", customer, data.customers),
    ):
        if value is not None and value not in frame.get_column(name).to_list():
            raise UsageError(f"there is no {name} '{value}' in the data")
    contracts = data.contracts
    if contract is not None:
        contracts = contracts.filter(pl.col("contract_id") == contract)
    if customer is not None:
        contracts = contracts.filter(pl.col("customer_id") == customer)
    return contracts


def billing_run(
    data: DataSet,
    first: dt.date,
    last: dt.date,
    *,
    contract: str | None = None,
    customer: str | None = None,
    issue_date: dt.date | None = None,
) -> list[Invoice]:
    """Draft invoices of the billing runs for the months ``first``..``last`` (SPEC §7).

    One invoice per contract per billing period starting in those months, dated
    ``issue_date`` (default: the period's first day, for drafts), due that day plus the
    payment terms, its tax in NOK at the rate of that day; in the order numbers are
    given: period start, then ``contract_id``. Optionally only one ``contract`` or
    ``customer`` (:class:`UsageError` when it does not exist). Raises :class:`DataError`
    when an invoice cannot be made correctly (a reverse-charge buyer without a VAT id; no
    exchange rate to show the tax in NOK).

    Every line amount and the net and tax per rate are computed exactly for all invoices
    at once (:mod:`revcli.billing.amounts`); this function only assembles the invoices.
    """
    periods = billing_periods(_contracts(data, contract, customer), first, last)
    priced, rate_rows = _priced_lines(data, periods)
    issues = _too_large(priced, rate_rows, data)
    if issues:
        raise DataError(issues)
    by_period: dict[tuple[str, dt.date], list[InvoiceLine]] = defaultdict(list)
    for row in frame_rows(priced, LINE_FIELDS):
        by_period[(row[0], row[1])].append(invoice_line(row))
    rates_by_period: dict[tuple[str, dt.date], list[tuple[Decimal, int, int]]] = defaultdict(list)
    for contract_id, start, rate, net, tax in frame_rows(
        rate_rows, ("contract_id", "period_start", "tax_rate", "net", "tax")
    ):
        rates_by_period[(contract_id, start)].append((decimal_of(rate), net, tax))
    buyers = _buyers(data, periods)
    company = data.settings.company
    rates = _Rates(data.fx_rates, data.settings.base_currency)
    invoices: list[Invoice] = []
    for (
        contract_id,
        customer_id,
        currency,
        po_number,
        buyer_reference,
        start,
        end,
        months_whole,
        months_days,
        term_whole,
        term_days,
    ) in frame_rows(
        periods,
        (
            "contract_id",
            "customer_id",
            "currency",
            "po_number",
            "buyer_reference",
            "period_start",
            "period_end",
            "months_whole",
            "months_days",
            "term_whole",
            "term_days",
        ),
    ):
        invoice_lines = by_period.get((contract_id, start))
        if not invoice_lines:
            continue
        dated = issue_date or start
        buyer, reverse, payment_days, problem, peppol_id = buyers[customer_id]
        if problem is not None:
            issues.append(problem)
        nok_rate = None
        if company.country == "NO" and currency != "NOK":
            exact = rates.nok_per(currency, dated)
            if exact is None:
                issues.append(
                    Issue(
                        str(data.root / "fx_rates.csv"),
                        None,
                        "rate",
                        f"no {currency} (or NOK) rate on or before {dated} to show the tax "
                        f"of contract {contract_id}'s invoice in NOK",
                    )
                )
                continue
            nok_rate = to_decimal(exact)
        taxes, net, tax, tax_nok = invoice_taxes(
            rates_by_period[(contract_id, start)], places_of(currency), nok_rate
        )
        facts = facts_for(
            data.settings,
            buyer,
            peppol_id=peppol_id,
            buyer_reference=buyer_reference or "",
            period_months=months(months_whole, months_days),
            term_months=None if term_whole is None else months(term_whole, term_days or 0),
        )
        invoices.append(
            Invoice(
                kind=INVOICE,
                contract_id=contract_id,
                customer_id=customer_id,
                buyer=buyer,
                po_number=po_number or "",
                period_start=start,
                period_end=end,
                issue_date=dated,
                due_date=dated + dt.timedelta(days=payment_days),
                currency=currency,
                reverse_charge=reverse,
                lines=tuple(invoice_lines),
                taxes=taxes,
                net=net,
                tax=tax,
                total=net + tax,
                nok_rate=nok_rate,
                nok_rate_date=None if nok_rate is None else dated,
                tax_nok=tax_nok,
                facts=facts,
            )
        )
    if issues:
        raise DataError(sorted(set(issues), key=lambda i: (i.source, i.line or 0, i.message)))
    return invoices
