"""The tables of a data dir typed one by one: parsed, defaults applied, their rows checked."""

from __future__ import annotations

import polars as pl

from revcli.calendar import with_term_months
from revcli.data.fx import no_rate
from revcli.data.ids import duplicates, in_order_of
from revcli.data.load import RawData
from revcli.errors import Issue, Severity
from revcli.parsing import parse_table
from revcli.rowchecks import RowCheck, any_repeated, frame_issues, row_issues
from revcli.schema import CONTRACTS, CUSTOMERS, DECIMAL, FX_RATES, LINES, OPPORTUNITIES
from revcli.settings_checks import known_locale


def not_before(later: str, earlier: str) -> RowCheck:
    """An error where date column ``later`` is before ``earlier`` on the same row."""
    return RowCheck(
        pl.col(later) < pl.col(earlier),
        later,
        pl.format(f"{{}} is before {earlier} {{}}", later, earlier),
    )


def _customers(raw: RawData) -> tuple[pl.DataFrame, list[Issue]]:
    s = raw.settings
    frame, issues = parse_table(raw.customers, CUSTOMERS, raw.missing["customers"])
    # The locales in use: those given (often none) and the default where one is missing.
    locales = set(frame.get_column("locale").drop_nulls().unique())
    if frame.get_column("locale").null_count():
        locales.add(s.locale)
    unknown = [v for v in sorted(locales) if not known_locale(v)]
    if unknown:
        issues += frame_issues(
            frame,
            pl.col("locale").fill_null(s.locale).is_in(unknown),
            "locale",
            pl.lit("'")
            + pl.col("locale").fill_null(s.locale)
            + "' is not a locale Babel knows (e.g. nb_NO, en_GB, de_DE)",
        )
    frame = frame.with_columns(
        pl.col("country").fill_null(s.company.country),
        pl.col("payment_terms_days").fill_null(s.invoice.payment_terms_days),
        pl.col("tax_rate").fill_null(pl.lit(s.invoice.default_tax_rate).cast(DECIMAL)),
        pl.col("reverse_charge").fill_null(False),
        # Written as Babel reads it (de-DE is de_DE), for every document and e-mail.
        pl.col("locale").str.replace_all("-", "_", literal=True).fill_null(s.locale),
    )
    issues += duplicates(frame, ["customer_id"], "customer_id", "customer_id")
    return frame, issues


def _contracts(raw: RawData, customers: pl.DataFrame) -> tuple[pl.DataFrame, list[Issue]]:
    s = raw.settings
    frame, issues = parse_table(raw.contracts, CONTRACTS, raw.missing["contracts"])
    typed = frame.lazy().with_columns(
        pl.col("renewal_term_months").is_not_null().alias("_term_given"),
        pl.col("notice_days").is_not_null().alias("_notice_days_given"),
        pl.col("currency").fill_null(s.base_currency),
        pl.col("billing_period").fill_null("month"),
        pl.col("auto_renew").fill_null(False),
        pl.col("notice_days").fill_null(
            pl.when(pl.col("notice_months").is_null()).then(s.renewals.default_notice_days)
        ),
        pl.col("notice_from_month_end").fill_null(False),
        pl.col("renewal_uplift_pct").fill_null(pl.lit(0).cast(DECIMAL)),
    )
    frame = (
        with_term_months(typed, "start_date", "end_date", "term_months")
        .with_columns(
            pl.col("renewal_term_months").fill_null(
                (pl.col("term_months") + 0.5).floor().cast(pl.Int64).clip(lower_bound=1)
            ),
        )
        .collect()
    )
    issues += duplicates(frame, ["contract_id"], "contract_id", "contract_id")
    known = customers.get_column("customer_id").drop_nulls()
    # Contracts listed customer by customer in the customers' order name only customers.
    all_known = in_order_of(frame.get_column("customer_id"), customers.get_column("customer_id"))
    checks = [
        RowCheck(
            pl.col("customer_id").is_not_null() & ~pl.col("customer_id").is_in(known.implode()),
            "customer_id",
            pl.lit("customer '") + pl.col("customer_id") + "' is not in the customers file",
        ),
        not_before("end_date", "start_date"),
        not_before("cancelled_on", "start_date"),
        RowCheck(
            (pl.col("billing_period") == "term") & pl.col("end_date").is_null(),
            "billing_period",
            "'term' billing needs an end_date",
        ),
        RowCheck(
            pl.col("auto_renew") & (pl.col("term_months") < 0.5) & ~pl.col("_term_given"),
            "renewal_term_months",
            "is required: the first term is shorter than half a month",
        ),
        RowCheck(
            pl.col("_notice_days_given") & pl.col("notice_months").is_not_null(),
            "notice_months",
            "give notice_days or notice_months, not both",
        ),
        RowCheck(
            ~pl.col("auto_renew") & (pl.col("cancelled_on") > pl.col("end_date")),
            "cancelled_on",
            pl.format(
                "{} is after end_date {} of a contract that does not auto-renew; it has no effect",
                "cancelled_on",
                "end_date",
            ),
            Severity.WARNING,
        ),
    ]
    fired = [False if all_known is not None else None] + [None] * (len(checks) - 1)
    issues += row_issues(frame, checks, fired)
    return frame.drop("_term_given", "_notice_days_given"), issues


def typed_customers_and_contracts(raw: RawData) -> tuple[pl.DataFrame, pl.DataFrame, list[Issue]]:
    """The typed customers and contracts, and the problems of both."""
    customers, issues = _customers(raw)
    contracts, more = _contracts(raw, customers)
    return customers, contracts, issues + more


def typed_line_values(raw: RawData) -> tuple[pl.DataFrame, list[Issue]]:
    """The lines typed, and the problems of their own values (those that need no contract)."""
    lines, listed = raw.lines, []
    if lines.get_column("_parent").null_count() < lines.height:  # lines listed in YAML
        lines = lines.rechunk()
        listed = frame_issues(
            lines,
            pl.col("_parent").is_not_null()
            & pl.col("contract_id").is_not_null()
            & (pl.col("contract_id") != pl.col("_parent")),
            "contract_id",
            pl.lit("'") + pl.col("contract_id") + "' differs from the contract it is listed under",
        )
        lines = lines.with_columns(pl.col("contract_id").fill_null(pl.col("_parent")))
    parsed, issues = parse_table(lines, LINES, raw.missing["lines"])
    return parsed, [*issues, *listed]


def lines_with_contracts(
    typed: tuple[pl.DataFrame, list[Issue]], contracts: pl.DataFrame
) -> tuple[pl.DataFrame, list[Issue]]:
    """The typed lines with their defaults from their contracts, and every problem."""
    parsed, issues = typed[0], list(typed[1])
    head = contracts.select(
        "contract_id",
        pl.col("start_date").alias("_c_start"),
        pl.col("end_date").alias("_c_end"),
        pl.col("auto_renew").alias("_c_auto"),
        pl.col("cancelled_on").alias("_c_cancel"),
        pl.lit(True).alias("_c_found"),
    )
    if any_repeated(head, ["contract_id"]):
        head = head.unique("contract_id", keep="first")  # only repeated ids (an error) need it
        rows = None
    else:
        rows = in_order_of(parsed.get_column("contract_id"), head.get_column("contract_id"))
    if rows is None:
        joined = parsed.join(head, on="contract_id", how="left", maintain_order="left")
    else:  # the lines of each contract in turn: its row of head, without a join
        joined = parsed.hstack(head.select(pl.all().exclude("contract_id").gather(rows)))
    frame = joined.with_columns(
        pl.col("description").fill_null(pl.col("product")),
        pl.col("quantity").fill_null(pl.lit(1).cast(DECIMAL)),
        pl.col("price_period").fill_null("month"),
        pl.col("discount_pct").fill_null(pl.lit(0).cast(DECIMAL)),
        pl.col("start_date").fill_null(pl.col("_c_start")),
    )
    if frame.get_column("line_id").null_count():
        # Default line id: position within the contract, in reading order (YAML, then CSV).
        position = pl.int_range(pl.len()).over("contract_id") + 1
        frame = frame.with_columns(pl.col("line_id").fill_null(position.cast(pl.String)))
    last_day = pl.min_horizontal(
        pl.col("_c_cancel"), pl.when(~pl.col("_c_auto")).then(pl.col("_c_end"))
    )
    found = pl.col("_c_found").fill_null(False)
    undefined = RowCheck(
        pl.col("contract_id").is_not_null() & ~found,
        "contract_id",
        pl.lit("contract '") + pl.col("contract_id") + "' is not defined",
    )
    issues += duplicates(frame, ["contract_id", "line_id"], "line_id", "line")
    checks = [
        undefined,
        RowCheck(
            found & (pl.col("start_date") < pl.col("_c_start")),
            "start_date",
            pl.format("{} is before the contract's start_date {}", "start_date", "_c_start"),
        ),
        RowCheck(
            found & (pl.col("start_date") > last_day),
            "start_date",
            pl.format("{} is after the contract's last day of service {}", "start_date", last_day),
        ),
        not_before("end_date", "start_date"),
        RowCheck(
            found
            & ~pl.col("_c_auto")
            & pl.col("_c_cancel").is_null()
            & (pl.col("end_date") > pl.col("_c_end")),
            "end_date",
            pl.format("{} is after the contract's end_date {}", "end_date", "_c_end"),
        ),
        RowCheck(
            found & (pl.col("price_period") == "term") & pl.col("_c_end").is_null(),
            "price_period",
            "'term' pricing needs the contract's end_date",
        ),
    ]
    issues += row_issues(frame, checks)
    return frame.drop("_c_start", "_c_end", "_c_auto", "_c_cancel", "_c_found"), issues


def typed_fx_rates(raw: RawData) -> tuple[pl.DataFrame, list[Issue]]:
    frame, issues = parse_table(raw.fx_rates, FX_RATES, raw.missing["fx_rates"])
    frame = frame.filter(pl.col("currency") != raw.settings.base_currency)
    issues += duplicates(frame, ["date", "currency"], "date", "rate for")
    return frame.sort("currency", "date"), issues


def typed_opportunities(raw: RawData, fx: pl.DataFrame) -> tuple[pl.DataFrame, list[Issue]]:
    base = raw.settings.base_currency
    frame, issues = parse_table(raw.opportunities, OPPORTUNITIES, raw.missing["opportunities"])
    frame = frame.with_columns(
        pl.col("currency").fill_null(base), pl.col("status").fill_null("open")
    )
    issues += duplicates(frame, ["opportunity_id"], "opportunity_id", "opportunity_id")
    is_open = pl.col("status") == "open"
    closing = pl.col("expected_close")
    issues += row_issues(
        frame,
        [
            RowCheck(
                is_open & closing.is_null(), "expected_close", "is required for an open opportunity"
            ),
            RowCheck(
                is_open
                & closing.is_not_null()
                & no_rate(frame, "expected_close", "currency", fx, base),
                "currency",
                pl.format(
                    "no {} rate on or before {} in fx_rates.csv", "currency", "expected_close"
                ),
            ),
        ],
    )
    return frame, issues
