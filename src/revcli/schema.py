"""Column specifications of every input table: names, kinds, bounds and the code lists
(currencies, countries). Typing raw text by them is :mod:`revcli.parsing`'s; the row
checks both use are :mod:`revcli.rowchecks`'s."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import polars as pl

from revcli.errors import Issue, Severity

SOURCE = "_source"
"""Column of every raw and typed frame: the file a row was read from."""
LINE = "_line"
"""Column of every raw and typed frame: the 1-based line (or YAML record line) of a row."""

DECIMAL = pl.Decimal(38, 10)
"""Exact decimals of input data: prices, quantities, rates (at most 10 decimal places)."""

PERIOD_MONTHS = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}
BILLING_PERIODS = (*PERIOD_MONTHS, "term")
PRICE_PERIODS = (*BILLING_PERIODS, "once")
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")


class Kind(Enum):
    """How a column's text is parsed."""

    TEXT = "text"
    DATE = "date"
    MONTH = "month"
    DECIMAL = "decimal"
    INT = "int"
    BOOL = "bool"
    ENUM = "enum"
    CURRENCY = "currency"
    COUNTRY = "country"


@dataclass(frozen=True)
class Column:
    """One input column: its kind, whether it is required, and its allowed range."""

    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    min_exclusive: bool = False


@dataclass(frozen=True)
class TableSpec:
    """The columns of one input table, in documentation order."""

    name: str
    columns: tuple[Column, ...]
    extra_known: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


CUSTOMERS = TableSpec(
    "customers",
    (
        Column("customer_id", required=True),
        Column("name", required=True),
        Column("country", Kind.COUNTRY),
        Column("segment"),
        Column("region"),
        Column("owner"),
        Column("billing_email"),
        Column("vat_id"),
        Column("address"),
        Column("payment_terms_days", Kind.INT, minimum=0, maximum=3650),
        Column("tax_rate", Kind.DECIMAL, minimum=0, maximum=100),
        Column("reverse_charge", Kind.BOOL),
        Column("locale"),
        Column("peppol_id"),
        Column("source_id"),
    ),
)

CONTRACTS = TableSpec(
    "contracts",
    (
        Column("contract_id", required=True),
        Column("customer_id", required=True),
        Column("start_date", Kind.DATE, required=True),
        Column("end_date", Kind.DATE),
        Column("currency", Kind.CURRENCY),
        Column("billing_period", Kind.ENUM, choices=BILLING_PERIODS),
        Column("auto_renew", Kind.BOOL),
        Column("renewal_term_months", Kind.INT, minimum=1, maximum=1200),
        Column("notice_days", Kind.INT, minimum=0, maximum=3650),
        Column("notice_months", Kind.INT, minimum=0, maximum=120),
        Column("notice_from_month_end", Kind.BOOL),
        Column("renewal_uplift_pct", Kind.DECIMAL, minimum=-100, maximum=100, min_exclusive=True),
        Column("cancelled_on", Kind.DATE),
        Column("renewal_decision", Kind.ENUM, choices=("renew", "cancel", "renegotiate")),
        Column("renewal_decided_on", Kind.DATE),
        Column("renewal_decision_note"),
        Column("owner"),
        Column("po_number"),
        Column("buyer_reference"),
        Column("signed_on", Kind.DATE),
        Column("notes"),
        Column("source_id"),
    ),
)

LINES = TableSpec(
    "contract_lines",
    (
        Column("contract_id", required=True),
        Column("line_id"),
        Column("product", required=True),
        Column("description"),
        Column("quantity", Kind.DECIMAL, minimum=0),
        Column("unit_price", Kind.DECIMAL, required=True, minimum=0),
        Column("price_period", Kind.ENUM, choices=PRICE_PERIODS),
        Column("discount_pct", Kind.DECIMAL, minimum=0, maximum=100),
        Column("start_date", Kind.DATE),
        Column("end_date", Kind.DATE),
        Column("tax_rate", Kind.DECIMAL, minimum=0, maximum=100),
        Column("source_id"),
    ),
)

FX_RATES = TableSpec(
    "fx_rates",
    (
        Column("date", Kind.DATE, required=True),
        Column("currency", Kind.CURRENCY, required=True),
        Column("rate", Kind.DECIMAL, required=True, minimum=0, min_exclusive=True),
    ),
)

OPPORTUNITIES = TableSpec(
    "opportunities",
    (
        Column("opportunity_id", required=True),
        Column("customer_id"),
        Column("name"),
        Column("stage"),
        Column("probability", Kind.DECIMAL, minimum=0, maximum=100),
        Column("expected_close", Kind.DATE),
        Column("mrr", Kind.DECIMAL, minimum=0),
        Column("currency", Kind.CURRENCY),
        Column("type", Kind.ENUM, choices=("new", "expansion", "renewal")),
        Column("owner"),
        Column("status", Kind.ENUM, choices=("open", "won", "lost")),
        Column("source_id"),
    ),
)


_CURRENCIES = """
    0: BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF
    2: AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN
       BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD
       FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW
       KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR
       MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG
       SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD
       USN UYU UZS VED VES WST XAD XCD XCG YER ZAR ZMW ZWG
    3: BHD IQD JOD KWD LYD OMR TND
    4: CLF UYW
    -: XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX
"""
"""The active ISO 4217 currency codes by their minor units (digits after the decimal
point; ``-`` for none, such as gold), as the iso4217 package has them, written out:
building its table costs about 8 ms at every start. tests/test_validate_paths.py checks
they are still the package's."""


def _read_currencies(text: str) -> dict[str, int | None]:
    table: dict[str, int | None] = {}
    units: int | None = None
    for word in text.split():
        if word.endswith(":"):
            units = None if word == "-:" else int(word[:-1])
        else:
            table[word] = units
    return table


_MINOR_UNITS = _read_currencies(_CURRENCIES)
_CURRENCY_SET = frozenset(_MINOR_UNITS)


def currency_codes() -> frozenset[str]:
    """Active ISO 4217 currency codes."""
    return _CURRENCY_SET


_COUNTRIES = """
    AC AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CP CQ CR CU CV CW CX CY
    CZ DE DG DJ DK DM DO DZ EA EC EE EG EH ER ES ET EU EZ FI FJ FK FM FO FR GA GB GD GE GF
    GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU IC ID IE IL IM IN IO IQ IR
    IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA
    MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL
    NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA QO RE RO RS RU RW SA SB
    SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TF TG TH TJ TK TL TM
    TN TO TR TT TV TW TZ UA UG UM UN US UY UZ VA VC VE VG VI VN VU WF WS XA XB XK YE YT ZA
    ZM ZW ZZ
"""
"""The two-letter territories of CLDR's English locale as Babel has them (CLDR's own codes
EU, EZ, QO, UN, XA, XB, XK and ZZ among them), written out: loading that locale to list them costs
about 25 ms at every start. tests/test_validate_paths.py checks they are still Babel's."""
_COUNTRY_SET = frozenset(_COUNTRIES.split())


def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 country codes (as CLDR knows them)."""
    return _COUNTRY_SET


def minor_units(currency: str) -> int:
    """Digits after the decimal point of a currency (ISO 4217: JPY 0, NOK 2, KWD 3; 2 for
    one without minor units, such as gold)."""
    if currency not in _MINOR_UNITS:
        raise ValueError(f"{currency!r} is not a valid Currency")
    exponent = _MINOR_UNITS[currency]
    return exponent if exponent is not None else 2


FIRST_YEAR, LAST_YEAR = 1900, 2199
"""Dates outside these years are typos (0026 for 2026): refused before they overflow."""


def unknown_columns(columns: Sequence[str], spec: TableSpec, source: str) -> list[Issue]:
    """A warning, with a did-you-mean, for each column the spec does not know."""
    known = spec.names + spec.extra_known
    out = []
    for name in columns:
        if name in known or name.startswith("_"):
            continue
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; it is ignored"
        out.append(Issue(source, 1, name, f"unknown column{hint}", Severity.WARNING))
    return out


def missing_required(columns: Sequence[str], spec: TableSpec, source: str) -> list[Issue]:
    """An error for each required column absent from a CSV header."""
    return [
        Issue(source, 1, c.name, "required column is missing from the header")
        for c in spec.columns
        if c.required and c.name not in columns
    ]
