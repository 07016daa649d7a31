"""Exchange rates in a billing run: the exact rate in effect on a day, and the NOK rate of
an invoice in another currency, which a Norwegian seller shows its tax in."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal
from fractions import Fraction

import polars as pl

from revcli.billing.amounts import SCALE
from revcli.billing.exact import INT
from revcli.billing.money import to_decimal
from revcli.data.validate import DataSet
from revcli.errors import Issue


class Rates:
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


def nok_rates(data: DataSet, invoices: pl.DataFrame) -> pl.DataFrame:
    """``invoices`` with ``nok_rate``: a Norwegian seller shows the tax of an invoice in
    another currency also in NOK, at the rate of the issue date (exact, at most 10 places,
    half-up); null where there is no such rate (:func:`missing_rates`) or none is shown."""
    if data.settings.company.country != "NO":
        return invoices.with_columns(pl.lit(None, dtype=INT).alias("nok_rate"))
    pairs = invoices.filter(pl.col("currency") != "NOK").select("currency", "issue_date").unique()
    rates = Rates(data.fx_rates, data.settings.base_currency)
    found: list[int | None] = []
    for currency, day in pairs.iter_rows():  # a few (currency, day) pairs, not rows
        exact = rates.nok_per(currency, day)
        found.append(None if exact is None else int(Fraction(to_decimal(exact)) * 10**SCALE))
    table = pairs.with_columns(pl.Series("nok_rate", found, dtype=INT))
    return invoices.join(table, on=["currency", "issue_date"], how="left", maintain_order="left")


def missing_rates(data: DataSet, invoices: pl.DataFrame) -> list[Issue]:
    """A problem per invoice of ``invoices`` (with ``nok_rate``) whose tax a Norwegian
    seller must show in NOK and that has no rate on or before its issue date."""
    if data.settings.company.country != "NO":
        return []
    missing = invoices.filter((pl.col("currency") != "NOK") & pl.col("nok_rate").is_null())
    return [
        Issue(
            str(data.root / "fx_rates.csv"),
            None,
            "rate",
            f"no {currency} (or NOK) rate on or before {dated} to show the tax "
            f"of contract {contract_id}'s invoice in NOK",
        )
        for contract_id, currency, dated in missing.select(
            "contract_id", "currency", "issue_date"
        ).iter_rows()
    ]
