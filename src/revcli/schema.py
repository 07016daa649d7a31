"""Column specifications of every input table and the vectorised parsing of raw text."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache

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


@cache
def _code_series(kind: Kind) -> pl.Series:
    """The codes of a currency or country column as one series, built once."""
    codes = currency_codes() if kind is Kind.CURRENCY else country_codes()
    return pl.Series(sorted(codes), dtype=pl.String)


def minor_units(currency: str) -> int:
    """Digits after the decimal point of a currency (ISO 4217: JPY 0, NOK 2, KWD 3; 2 for
    one without minor units, such as gold)."""
    if currency not in _MINOR_UNITS:
        raise ValueError(f"{currency!r} is not a valid Currency")
    exponent = _MINOR_UNITS[currency]
    return exponent if exponent is not None else 2


FIRST_YEAR, LAST_YEAR = 1900, 2199
"""Dates outside these years are typos (0026 for 2026): refused before they overflow."""
_DATE_RE = r"^(19|20|21)\d{2}-\d{2}-\d{2}$"
_MONTH_RE = r"^(19|20|21)\d{2}-\d{2}$"
_DECIMAL_RE = r"^[+-]?(\d+(\.\d{0,10})?|\.\d{1,10})$"
_DECIMAL_TOO_LARGE_RE = r"^[+-]?[0-9]{29,}(\.[0-9]{0,10})?$"
DECIMAL_TOO_LARGE = "is too large; at most 28 digits before the decimal point"
"""What is wrong with a value written as a decimal should be but with more whole digits
than :data:`DECIMAL` holds (28)."""
_DECIMAL_TOO_PRECISE_RE = r"^[+-]?[0-9]*\.[0-9]{11,}$"
DECIMAL_TOO_PRECISE = "has more than 10 decimal places"
"""What is wrong with a decimal written with more places than :data:`DECIMAL` holds (10)."""
_INT_RE = r"^[+-]?\d{1,15}$"


def _parse_expr(col: Column) -> tuple[pl.Expr, str]:
    """The typed value of a column (null when unparseable) and what was expected."""
    raw = pl.col(col.name)
    match col.kind:
        case Kind.TEXT:
            return raw, ""
        case Kind.DATE:
            ok = raw.str.contains(_DATE_RE)
            return pl.when(ok).then(raw.str.to_date("%Y-%m-%d", strict=False)), (
                f"is not a date from {FIRST_YEAR} to {LAST_YEAR}; expected YYYY-MM-DD"
            )
        case Kind.MONTH:
            ok = raw.str.contains(_MONTH_RE)
            value = (raw + "-01").str.to_date("%Y-%m-%d", strict=False)
            return pl.when(ok).then(value), (
                f"is not a month from {FIRST_YEAR} to {LAST_YEAR}; expected YYYY-MM"
            )
        case Kind.DECIMAL:
            ok = raw.str.contains(_DECIMAL_RE)
            return pl.when(ok).then(raw.cast(DECIMAL, strict=False)), (
                "is not a number; expected digits with a decimal point, e.g. 1200.50"
            )
        case Kind.INT:
            ok = raw.str.contains(_INT_RE)
            return pl.when(ok).then(raw.cast(pl.Int64, strict=False)), ("is not a whole number")
        case Kind.BOOL:
            low = raw.str.to_lowercase()
            value = (
                pl.when(low.is_in(TRUE_WORDS)).then(True).when(low.is_in(FALSE_WORDS)).then(False)
            )
            return value, "is not a boolean; expected true/false, yes/no or 1/0"
        case Kind.ENUM:
            low = raw.str.to_lowercase()
            return pl.when(low.is_in(col.choices)).then(low), (
                f"is not allowed; expected one of {', '.join(col.choices)}"
            )
        case Kind.CURRENCY:
            up = raw.str.to_uppercase()
            return pl.when(up.is_in(_code_series(col.kind).implode())).then(up), (
                "is not an ISO 4217 currency code (e.g. NOK, EUR, USD)"
            )
        case Kind.COUNTRY:
            up = raw.str.to_uppercase()
            return pl.when(up.is_in(_code_series(col.kind).implode())).then(up), (
                "is not an ISO 3166-1 two-letter country code (e.g. NO, SE, DE)"
            )


def _unparsed(col: Column, text: pl.Expr, expected: str) -> pl.Expr:
    """What is wrong with a ``text`` of column ``col`` that does not parse: ``expected``
    (from :func:`_parse_expr`), or for a decimal with more whole digits or decimal places
    than :data:`DECIMAL` holds, that it is too large or too precise."""
    if col.kind is not Kind.DECIMAL:
        return pl.lit(expected)
    return (
        pl.when(text.str.contains(_DECIMAL_TOO_LARGE_RE))
        .then(pl.lit(DECIMAL_TOO_LARGE))
        .when(text.str.contains(_DECIMAL_TOO_PRECISE_RE))
        .then(pl.lit(DECIMAL_TOO_PRECISE))
        .otherwise(pl.lit(expected))
    )


def _range_issue(col: Column) -> tuple[pl.Expr, str] | None:
    value = pl.col(col.name)
    lo, hi = col.minimum, col.maximum
    if lo is None and hi is None:
        return None
    bad = pl.lit(False)
    if lo is not None:
        bad = bad | ((value <= lo) if col.min_exclusive else (value < lo))
    if hi is not None:
        bad = bad | (value > hi)
    return bad, range_rule(lo, hi, low_exclusive=col.min_exclusive)


def range_rule(low: float | None, high: float | None, *, low_exclusive: bool = False) -> str:
    """The rule of a range in words: ``must be between 0 and 100`` when both bounds are
    allowed; an excluded lower bound is said as such (``must be greater than -100 and at
    most 100``), since "between" would include it."""
    if low is not None and high is not None and not low_exclusive:
        return f"must be between {low:g} and {high:g}"
    parts = []
    if low is not None:
        parts.append(f"{'greater than' if low_exclusive else 'at least'} {low:g}")
    if high is not None:
        parts.append(f"at most {high:g}")
    return "must be " + " and ".join(parts)


def frame_issues(
    frame: pl.DataFrame,
    mask: pl.Expr,
    column: str,
    message: pl.Expr | str,
    severity: Severity = Severity.ERROR,
) -> list[Issue]:
    """One :class:`Issue` per row of ``frame`` where ``mask`` holds."""
    msg = pl.lit(message) if isinstance(message, str) else message
    bad = frame.lazy().filter(mask).select(pl.col(SOURCE), pl.col(LINE), msg.alias("_msg"))
    return [
        Issue(source, line, column, text, severity)
        for source, line, text in bad.collect().iter_rows()
    ]


def any_repeated(frame: pl.DataFrame, keys: Sequence[str]) -> bool:
    """Whether a key (all of ``keys`` given) may repeat in ``frame``: ``False`` when the
    hashes of the keys are all distinct, so the keys are too. One cheap pass that lets the
    checks of repeats skip their grouping on valid data."""
    if rising(frame, keys):
        return False
    present = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
    keyed = pl.struct(*keys) if len(keys) > 1 else pl.col(keys[0])
    distinct, rows = frame.select(
        keyed.hash().filter(present).n_unique().alias("distinct"), present.sum().alias("rows")
    ).row(0)
    return bool(distinct < rows)


def rising(frame: pl.DataFrame, keys: Sequence[str]) -> bool:
    """Whether every row's key (all of ``keys``, none null) is greater than the row's
    before, compared column by column: then no key repeats. Exports list ids in order
    (``CUS0001``, ``CUS0002``, ...; lines by contract, then line), and comparing each
    row with the next is cheaper than hashing every key."""
    if frame.height < 2:
        return True
    if any(frame.get_column(k).null_count() for k in keys):
        return False
    later = [pl.col(k).slice(1) for k in keys]
    earlier = [pl.col(k).slice(0, pl.len() - 1) for k in keys]
    above = later[-1] > earlier[-1]
    for after, before in zip(reversed(later[:-1]), reversed(earlier[:-1]), strict=True):
        above = (after > before) | ((after == before) & above)
    return bool(frame.select(above.all()).item())


@dataclass(frozen=True)
class RowCheck:
    """A check of every row: where ``mask`` holds, an issue on ``column`` saying ``message``."""

    mask: pl.Expr
    column: str
    message: pl.Expr | str
    severity: Severity = Severity.ERROR


def row_issues(
    frame: pl.DataFrame, checks: Iterable[RowCheck], fired: Sequence[bool | None] = ()
) -> list[Issue]:
    """The issues of every check on ``frame``, check by check, rows in frame order.

    One pass evaluates all masks together to find which checks fire at all (on valid
    data: none); only those filter the frame and build their messages. ``fired`` may
    tell for each check whether it fires (``None``: not known, evaluate the mask).
    """
    checks = list(checks)
    if not checks or not frame.height:
        return []
    known = list(fired) or [None] * len(checks)
    unknown = [i for i, hit in enumerate(known) if hit is None]
    if unknown:
        row = frame.select(checks[i].mask.any().alias(f"_{i}") for i in unknown).row(0)
        for i, hit in zip(unknown, row, strict=True):
            known[i] = hit
    issues: list[Issue] = []
    for check, hit in zip(checks, known, strict=True):
        if hit:
            issues += frame_issues(frame, check.mask, check.column, check.message, check.severity)
    return issues


def quoted(name: str) -> pl.Expr:
    """``'value'`` of a raw column, for messages."""
    return pl.lit("'") + pl.col(name).cast(pl.String) + pl.lit("'")


def parse_table(
    raw: pl.DataFrame, spec: TableSpec, missing: Iterable[tuple[str, str]] = ()
) -> tuple[pl.DataFrame, list[Issue]]:
    """Type a raw frame of strings by ``spec``; report every value that does not parse.

    ``raw`` holds the spec's columns as strings (absent columns are added as null) plus
    ``_source`` and ``_line``. ``missing`` lists (source, column) pairs already reported
    as a missing header, so their rows are not reported again. Returns the typed frame
    (unparseable values null) and the issues.
    """
    skip = set(missing)
    # One buffer per column: a data dir of many small files is read as many chunks, and
    # every expression over chunked columns pays for each chunk.
    raw = raw.rechunk()
    absent_columns = [name for name in spec.names if name not in raw.columns]
    if absent_columns:
        nulls = pl.repeat(None, raw.height, dtype=pl.String, eager=True)
        raw = raw.hstack([nulls.alias(name) for name in absent_columns])
    planned, parse_checks, range_checks = _plan(spec)
    values = _by_value(raw, spec, planned) if raw.height >= BY_VALUE_ROWS else planned
    # Each column is parsed once; its checks then compare the typed value with the text.
    out = raw.select(*values, SOURCE, LINE)
    both = out.hstack([raw.get_column(col.name).alias(f"_raw:{col.name}") for col in spec.columns])
    # Whether a check fires is known from null counts where it can be: every kind types
    # a null text as null, so a text that did not parse is a typed null more than texts.
    checks: list[tuple[RowCheck, bool | None]] = []
    for col, parse_check in zip(spec.columns, parse_checks, strict=True):
        texts_null = raw.get_column(col.name).null_count()
        if col.required:
            text = pl.col(f"_raw:{col.name}")
            absent = [s for s, c in skip if c == col.name]
            if absent:
                mask = text.is_null() & ~pl.col(SOURCE).is_in(absent)
                checks.append((RowCheck(mask, col.name, "is required"), None))
            else:
                checks.append((RowCheck(text.is_null(), col.name, "is required"), texts_null > 0))
        if parse_check is not None:
            checks.append((parse_check, out.get_column(col.name).null_count() > texts_null))
    checks += [(check, None) for check in range_checks]
    return out, row_issues(both, [c for c, _ in checks], [fired for _, fired in checks])


BY_VALUE_ROWS = 20_000
"""From this many rows on, a column of codes (booleans, choices, currencies, countries)
or dates is typed once per distinct text, not once per row."""
_CODES = (Kind.BOOL, Kind.ENUM, Kind.CURRENCY, Kind.COUNTRY)
_MAX_CODES = 1_000
_DATES = (Kind.DATE, Kind.MONTH)
_DATES_PER_TEXT = 8
"""Dates are typed by distinct text when there are at most one per this many rows
(contracts start on a few days a year, not each on its own): a lookup costs about a
third of matching and parsing a date."""


def _by_value(raw: pl.DataFrame, spec: TableSpec, values: Sequence[pl.Expr]) -> list[pl.Expr]:
    """``values`` with each column of codes or dates looked up from its distinct texts,
    typed by the same expression: the same values, at the cost of a lookup instead of
    case folding and matching every row. Columns with more than a thousand distinct
    codes, or dates on more than one row in eight, keep their expression."""
    coded = [col for col in spec.columns if col.kind in _CODES + _DATES]
    if not coded:
        return list(values)
    most = {
        col.name: _MAX_CODES if col.kind in _CODES else raw.height // _DATES_PER_TEXT
        for col in coded
    }
    distinct = raw.select(
        pl.col(col.name).drop_nulls().unique().head(most[col.name] + 1).implode() for col in coded
    )
    out = dict(zip(spec.names, values, strict=True))
    for col in coded:
        texts = distinct.get_column(col.name)[0]
        if len(texts) > most[col.name]:
            continue
        value, _ = _parse_expr(col)
        typed = pl.DataFrame({col.name: texts}, schema={col.name: pl.String}).select(value)
        # Each text's place among the distinct texts (an Enum of them: every text is
        # one), then the typed value at that place; a null text stays null.
        places = pl.col(col.name).cast(pl.Enum(texts)).to_physical()
        out[col.name] = pl.lit(typed.to_series()).gather(places).alias(col.name)
    return list(out.values())


@cache
def _plan(
    spec: TableSpec,
) -> tuple[tuple[pl.Expr, ...], tuple[RowCheck | None, ...], tuple[RowCheck, ...]]:
    """What :func:`parse_table` evaluates for ``spec``, built once: the typed value of each
    column, the check of each column's text against its value (``None`` for text), and
    the range checks."""
    values: list[pl.Expr] = []
    parse_checks: list[RowCheck | None] = []
    range_checks: list[RowCheck] = []
    for col in spec.columns:
        value, expected = _parse_expr(col)
        values.append(value.alias(col.name))
        text = pl.col(f"_raw:{col.name}")
        bad = text.is_not_null() & pl.col(col.name).is_null()
        message = quoted(f"_raw:{col.name}") + " " + _unparsed(col, text, expected)
        parse_checks.append(RowCheck(bad, col.name, message) if expected else None)
        check = _range_issue(col)
        if check is not None:
            mask, rule = check
            message = pl.lit("'") + text + f"' {rule}"
            range_checks.append(RowCheck(mask.fill_null(False), col.name, message))
    return tuple(values), tuple(parse_checks), tuple(range_checks)


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


def parse_value(col: Column, raw: str) -> tuple[object | None, str]:
    """One text value typed and range-checked exactly as a cell of column ``col`` (for
    settings that default a column, e.g. ``invoice.default_tax_rate`` for ``tax_rate``):
    the value and ``""``, or ``None`` and what is wrong."""
    parsed, expected = _parse_expr(col)
    checked = _range_issue(col)
    bad, text = checked if checked is not None else (pl.lit(False), "")
    typed = pl.DataFrame({col.name: [raw]}, schema={col.name: pl.String}).with_columns(
        parsed.alias(col.name)
    )
    value, out_of_range = typed.select(pl.col(col.name), bad.fill_null(False)).row(0)
    if value is None:
        return None, pl.select(_unparsed(col, pl.lit(raw), expected)).item()
    if out_of_range:
        return None, text
    return value, ""
