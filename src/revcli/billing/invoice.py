"""The exact invoice model: amounts as Decimal in the currency's minor units, never floats.

Line amounts are exact and rounded once, half-up (away from zero), to the currency's minor
unit; tax is computed per rate on the sum of the rounded line amounts at that rate (SPEC
§7). A billing run computes all of them at once, vectorised (:mod:`.amounts`), and only
assembles the invoices here; credit notes and the register check use :func:`tax_lines`.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
import string
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any

import polars as pl

from revcli.billing.amounts import line_amounts, rate_taxes
from revcli.billing.periods import billing_periods, period_lines
from revcli.data.validate import DataSet
from revcli.errors import DataError, Issue, UsageError
from revcli.schema import DECIMAL, minor_units
from revcli.settings import SETTINGS_FILE, Company, Scalar, Settings

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
RECURRING = "recurring"
ONE_TIME = "one_time"


# --- exact numbers --------------------------------------------------------------------


def round_half_up(value: Fraction | Decimal, places: int) -> Decimal:
    """``value`` rounded to ``places`` decimals, halves away from zero (-0.125 → -0.13).

    Python's ``decimal``, Polars and Babel all round half to even by default; invoices
    round commercially. Exact: integer arithmetic on the fraction's terms.
    """
    num, den = value.as_integer_ratio()
    units = (2 * abs(num) * 10**places + den) // (2 * den)
    return Decimal(units if num >= 0 else -units).scaleb(-places)


def to_decimal(value: Fraction, max_places: int = 10) -> Decimal:
    """``value`` as an exact Decimal when it has a finite expansion of at most
    ``max_places`` decimals, else rounded half-up to ``max_places``; no trailing zeros."""
    return plain(round_half_up(value, max_places))


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (25.000 → 25, 1E+1 → 10)."""
    normal = value.normalize()
    return Decimal(format(normal, "f")) if normal != 0 else Decimal(0)


@cache
def places_of(currency: str) -> int:
    """Minor-unit places of a currency (ISO 4217), looked up once."""
    return minor_units(currency)


def money(value: Decimal, currency: str) -> Decimal:
    """A money amount with exactly the currency's minor-unit places (JPY 0, NOK 2, KWD 3)."""
    return round_half_up(value, places_of(currency))


# --- the model --------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """The buyer as printed on the invoice (a snapshot taken when it is issued)."""

    name: str
    address: str = ""
    country: str = ""
    vat_id: str = ""
    email: str = ""
    locale: str = "nb_NO"


@dataclass(frozen=True)
class PriceStep:
    """A piece of a line's service period at one price: a renewal uplift splits a period."""

    start: dt.date
    end: dt.date
    days: int
    unit_price: Decimal


@dataclass(frozen=True)
class InvoiceLine:
    """One line of an invoice; ``amount`` is exact in the currency's minor units.

    ``unit_price`` is the price in force on ``service_start`` (renewal uplifts applied),
    per ``price_period``; ``steps`` lists the pieces of the service period when a renewal
    changes the price inside it (empty otherwise).
    """

    line_id: str
    product: str
    description: str
    kind: str
    price_period: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    service_start: dt.date
    service_end: dt.date
    active_days: int
    period_days: int
    tax_rate: Decimal
    amount: Decimal
    steps: tuple[PriceStep, ...] = ()


@dataclass(frozen=True)
class TaxLine:
    """Net and tax of all lines at one rate; ``tax_nok`` when the tax is also shown in NOK."""

    rate: Decimal
    net: Decimal
    tax: Decimal
    tax_nok: Decimal | None = None


@dataclass(frozen=True)
class Invoice:
    """An invoice or credit note. ``number`` is ``None`` for a draft."""

    kind: str
    contract_id: str
    customer_id: str
    buyer: Party
    po_number: str
    period_start: dt.date
    period_end: dt.date
    issue_date: dt.date
    due_date: dt.date
    currency: str
    reverse_charge: bool
    lines: tuple[InvoiceLine, ...]
    taxes: tuple[TaxLine, ...]
    net: Decimal
    tax: Decimal
    total: Decimal
    nok_rate: Decimal | None = None
    nok_rate_date: dt.date | None = None
    tax_nok: Decimal | None = None
    number: str | None = None
    series: str | None = None
    seq: int | None = None
    payment_reference: str = ""
    credits: str | None = None
    reason: str = ""

    @property
    def key(self) -> tuple[str, dt.date]:
        """What is never issued twice: the (contract, period)."""
        return (self.contract_id, self.period_start)

    @property
    def is_draft(self) -> bool:
        return self.number is None


def tax_lines(
    lines: Iterable[InvoiceLine], currency: str, nok_rate: Decimal | None = None
) -> tuple[tuple[TaxLine, ...], Decimal, Decimal, Decimal, Decimal | None]:
    """Tax per rate on the sum of the line amounts at that rate, rounded half-up.

    Returns (tax lines by rate ascending, net, tax, total, tax in NOK or None). With
    ``nok_rate`` (NOK per unit of ``currency``) each rate's tax is also converted to NOK
    and rounded half-up to øre; the NOK total is their sum.
    """
    zero = money(Decimal(0), currency)
    nets: dict[Decimal, Decimal] = defaultdict(lambda: zero)
    for line in lines:
        nets[plain(line.tax_rate)] += line.amount
    taxes = []
    for rate in sorted(nets):
        net = nets[rate]
        tax = round_half_up(Fraction(net) * Fraction(rate) / 100, places_of(currency))
        nok = None if nok_rate is None else round_half_up(Fraction(tax) * Fraction(nok_rate), 2)
        taxes.append(TaxLine(rate, net, tax, nok))
    net = sum((t.net for t in taxes), zero)
    tax = sum((t.tax for t in taxes), zero)
    tax_nok = (
        None if nok_rate is None else sum((t.tax_nok or Decimal(0) for t in taxes), Decimal("0.00"))
    )
    return tuple(taxes), net, tax, net + tax, tax_nok


# --- numbering --------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberFormat:
    """``invoice.number_format``: ``{year}`` and ``{seq}`` (with an optional format spec).

    A *series* is the format with the year filled in; each series counts from 1.
    """

    text: str

    @staticmethod
    def parse(text: str, source: str = SETTINGS_FILE, line: int | None = None) -> NumberFormat:
        """Check the format; raise :class:`DataError` naming revcli.yaml when it is unusable."""
        problem = _number_format_problem(text)
        if problem:
            raise DataError([Issue(source, line, "invoice.number_format", problem)])
        return NumberFormat(text)

    @staticmethod
    def of(settings: Settings) -> NumberFormat:
        """The checked ``invoice.number_format`` of ``settings``."""
        section = settings.tree.get("invoice")
        node = section.get("number_format") if isinstance(section, dict) else None
        line = node.line if isinstance(node, Scalar) else None
        return NumberFormat.parse(settings.invoice.number_format, settings.source, line)

    def series(self, year: int) -> str:
        """The series of a year: ``{year}-{seq:05d}`` → ``2026-{seq:05d}``."""
        out = []
        for literal, field, spec, conversion in string.Formatter().parse(self.text):
            out.append(literal.replace("{", "{{").replace("}", "}}"))
            if field == "year":
                out.append(format(year, spec or ""))
            elif field is not None:
                out.append(
                    "{"
                    + field
                    + ("!" + conversion if conversion else "")
                    + (":" + spec if spec else "")
                    + "}"
                )
        return "".join(out)

    @staticmethod
    def number(series: str, seq: int) -> str:
        """The number with sequence ``seq`` in ``series``."""
        return series.format(seq=seq)


def _number_format_problem(text: str) -> str:
    example = "e.g. '{year}-{seq:05d}'"
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        unknown = sorted(set(fields) - {"year", "seq"})
        if unknown:
            return f"'{text}' uses unknown field {{{unknown[0]}}}; only {{year}} and {{seq}} exist"
        if fields.count("seq") != 1:
            return f"'{text}' must contain {{seq}} exactly once, {example}"
        text.format(year=2026, seq=1)
    except (ValueError, KeyError, IndexError) as exc:
        return f"'{text}' is not a valid number format ({exc}); {example}"
    return ""


def kid(number: str) -> str:
    """A Norwegian KID payment reference: the digits of ``number`` plus a MOD10 check digit."""
    digits = re.sub(r"\D", "", number)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return digits + str((10 - total % 10) % 10)


def numbered(invoice: Invoice, series: str, seq: int, company: Company) -> Invoice:
    """``invoice`` with its number and payment reference (a KID for a Norwegian seller)."""
    number = NumberFormat.number(series, seq)
    if invoice.kind == CREDIT_NOTE:
        reference = ""
    elif company.country == "NO":
        reference = kid(number)
    else:
        reference = number
    return dataclasses.replace(
        invoice, number=number, series=series, seq=seq, payment_reference=reference
    )


# --- the billing run -------------------------------------------------------------------


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


def _from_units(units: int, places: int) -> Decimal:
    """An exact amount of ``units`` minor units with exactly ``places`` decimals."""
    return Decimal(units).scaleb(-places)


@lru_cache(maxsize=1 << 16)
def _decimal(mantissa: int) -> Decimal:
    """A ``pl.Decimal(38, 10)`` value from its integer mantissa, without trailing zeros.

    Cached: quantities, discounts, rates and prices repeat across lines, and this is the
    costliest step of turning frame rows into invoice objects.
    """
    return plain(Decimal(mantissa).scaleb(-10))


_LINE_FIELDS = (
    "contract_id",
    "period_start",
    "line_id",
    "product",
    "description",
    "price_period",
    "quantity",
    "discount_pct",
    "service_start",
    "service_end",
    "active_days",
    "period_days",
    "tax_rate",
    "amount",
    "places",
    "seg_start",
    "seg_days",
    "seg_prices",
)


def _invoice_line(row: tuple[Any, ...]) -> InvoiceLine:
    """An :class:`InvoiceLine` from a row of :data:`_LINE_FIELDS` (decimals as their
    mantissas, see :func:`_rows`); its money was computed by
    :func:`~revcli.billing.amounts.line_amounts`."""
    (
        _,
        _,
        line_id,
        product,
        description,
        price_period,
        quantity,
        discount,
        service_start,
        service_end,
        active,
        period_days,
        tax_rate,
        amount,
        places,
        seg_start,
        seg_days,
        seg_prices,
    ) = row
    prices = [_decimal(m) for m in seg_prices]
    steps: tuple[PriceStep, ...] = ()
    if len(prices) > 1:
        ends = [s - dt.timedelta(days=1) for s in seg_start[1:]] + [service_end]
        steps = tuple(
            PriceStep(s, e, d, p)
            for s, e, d, p in zip(seg_start, ends, seg_days, prices, strict=True)
        )
    return InvoiceLine(
        line_id=line_id,
        product=product,
        description=description,
        kind=ONE_TIME if price_period == "once" else RECURRING,
        price_period=price_period,
        quantity=_decimal(quantity),
        unit_price=prices[0],
        discount_pct=_decimal(discount),
        service_start=service_start,
        service_end=service_end,
        active_days=active,
        period_days=period_days,
        tax_rate=_decimal(tax_rate),
        amount=_from_units(amount, places),
        steps=steps,
    )


def _rows(frame: pl.DataFrame, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``columns``, decimals as their integer mantissas (column-wise: faster
    than ``iter_rows``, and ints convert faster than ``Decimal``s)."""
    lists = [
        (
            frame.get_column(c).to_physical()
            if isinstance(frame.schema[c], pl.Decimal)
            else frame.get_column(c)
        ).to_list()
        for c in columns
    ]
    return zip(*lists, strict=True)


def _address(text: str | None) -> str:
    return (text or "").replace("\\n", "\n").strip()


def _buyers(
    data: DataSet, periods: pl.DataFrame
) -> dict[str, tuple[Party, bool, int, Issue | None]]:
    """Per customer billed in ``periods``: the buyer as printed, whether reverse charge
    applies, the payment terms in days, and the problem that prevents invoicing it."""
    billed = data.customers.unique("customer_id", keep="first").join(
        periods.select("customer_id").unique(), on="customer_id", how="semi"
    )
    buyers = {}
    for row in billed.iter_rows(named=True):
        reverse = bool(row["reverse_charge"])
        problem = None
        if reverse and not row["vat_id"]:
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
        buyers[row["customer_id"]] = (party, reverse, int(row["payment_terms_days"]), problem)
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
) -> list[Invoice]:
    """Draft invoices of the billing runs for the months ``first``..``last`` (SPEC §7).

    One invoice per contract per billing period starting in those months, dated the
    period's first day, in the order numbers are given: period start, then
    ``contract_id``. Optionally only one ``contract`` or ``customer`` (:class:`UsageError`
    when it does not exist). Raises :class:`DataError` when an invoice cannot be made
    correctly (a reverse-charge buyer without a VAT id; no exchange rate to show the tax
    in NOK).

    Every line amount and the net and tax per rate are computed exactly for all invoices
    at once (:mod:`revcli.billing.amounts`); this function only assembles the invoices.
    """
    periods = billing_periods(_contracts(data, contract, customer), first, last)
    priced, rate_rows = _priced_lines(data, periods)
    issues = _too_large(priced, rate_rows, data)
    if issues:
        raise DataError(issues)
    by_period: dict[tuple[str, dt.date], list[InvoiceLine]] = defaultdict(list)
    for row in _rows(priced, _LINE_FIELDS):
        by_period[(row[0], row[1])].append(_invoice_line(row))
    rates_by_period: dict[tuple[str, dt.date], list[tuple[Decimal, int, int]]] = defaultdict(list)
    for contract_id, start, rate, net, tax in _rows(
        rate_rows, ("contract_id", "period_start", "tax_rate", "net", "tax")
    ):
        rates_by_period[(contract_id, start)].append((_decimal(rate), net, tax))
    buyers = _buyers(data, periods)
    company = data.settings.company
    rates = _Rates(data.fx_rates, data.settings.base_currency)
    invoices: list[Invoice] = []
    for contract_id, customer_id, currency, po_number, start, end in _rows(
        periods,
        ("contract_id", "customer_id", "currency", "po_number", "period_start", "period_end"),
    ):
        invoice_lines = by_period.get((contract_id, start))
        if not invoice_lines:
            continue
        buyer, reverse, payment_days, problem = buyers[customer_id]
        if problem is not None:
            issues.append(problem)
        nok_rate = None
        if company.country == "NO" and currency != "NOK":
            exact = rates.nok_per(currency, start)
            if exact is None:
                issues.append(
                    Issue(
                        str(data.root / "fx_rates.csv"),
                        None,
                        "rate",
                        f"no {currency} (or NOK) rate on or before {start} to show the tax "
                        f"of contract {contract_id}'s invoice in NOK",
                    )
                )
                continue
            nok_rate = to_decimal(exact)
        taxes, net, tax, tax_nok = _taxes(
            rates_by_period[(contract_id, start)], places_of(currency), nok_rate
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
                issue_date=start,
                due_date=start + dt.timedelta(days=payment_days),
                currency=currency,
                reverse_charge=reverse,
                lines=tuple(invoice_lines),
                taxes=taxes,
                net=net,
                tax=tax,
                total=net + tax,
                nok_rate=nok_rate,
                nok_rate_date=None if nok_rate is None else start,
                tax_nok=tax_nok,
            )
        )
    if issues:
        raise DataError(sorted(set(issues), key=lambda i: (i.source, i.line or 0, i.message)))
    return invoices


def _taxes(
    rows: Sequence[tuple[Decimal, int, int]], places: int, nok_rate: Decimal | None
) -> tuple[tuple[TaxLine, ...], Decimal, Decimal, Decimal | None]:
    """The tax lines of an invoice from its (rate, net, tax) rows in minor units (rates
    ascending), with their sums; the tax of each rate also in NOK (half-up to øre) when
    ``nok_rate`` is given, as :func:`tax_lines` does."""
    taxes = []
    for rate, rate_net, rate_tax in rows:
        money_tax = _from_units(rate_tax, places)
        nok = (
            None if nok_rate is None else round_half_up(Fraction(money_tax) * Fraction(nok_rate), 2)
        )
        taxes.append(TaxLine(rate, _from_units(rate_net, places), money_tax, nok))
    net = _from_units(sum(row[1] for row in rows), places)
    tax = _from_units(sum(row[2] for row in rows), places)
    tax_nok = (
        None if nok_rate is None else sum((t.tax_nok or Decimal(0) for t in taxes), Decimal("0.00"))
    )
    return tuple(taxes), net, tax, tax_nok


def seller_issues(settings: Settings) -> list[Issue]:
    """What an issued invoice needs from ``company:`` in revcli.yaml (bokføringsforskriften
    § 5-1-1, VAT directive art. 226): name, address, organisation/VAT number, bank account."""
    company = settings.company
    needed = {
        "name": company.name,
        "address": company.address,
        "vat_id": company.vat_id,
        "bank_account": company.bank_account,
    }
    return [
        Issue(settings.source, None, f"company.{key}", "is required on issued invoices")
        for key, value in needed.items()
        if not value.strip()
    ]


def org_number(company: Company) -> str:
    """The Norwegian organisation number in the seller's VAT id (NO999999999MVA → 999 999 999)."""
    digits = re.sub(r"\D", "", company.vat_id)
    if company.country == "NO" and len(digits) == 9:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return ""


# --- credit notes ----------------------------------------------------------------------


def credit_note(original: Invoice, line_ids: Sequence[str], reason: str, on: dt.date) -> Invoice:
    """A credit note for the lines ``line_ids`` of ``original`` (all when empty), dated ``on``.

    Every credited line keeps its quantity, price and service period with the amount
    negated; tax is computed per rate on the credited lines (half-up, away from zero), so
    crediting a whole invoice negates its tax exactly. The NOK tax uses the original's rate
    (of the original's date).
    Nothing is due: the due date is the issue date.
    """
    chosen = set(line_ids)
    lines = tuple(
        dataclasses.replace(line, amount=-line.amount + 0)
        for line in original.lines
        if not chosen or line.line_id in chosen
    )
    taxes, net, tax, total, tax_nok = tax_lines(lines, original.currency, original.nok_rate)
    return dataclasses.replace(
        original,
        kind=CREDIT_NOTE,
        issue_date=on,
        due_date=on,
        lines=lines,
        taxes=taxes,
        net=net,
        tax=tax,
        total=total,
        tax_nok=tax_nok,
        number=None,
        series=None,
        seq=None,
        payment_reference="",
        credits=original.number,
        reason=reason,
    )
