"""SPEC §1 and §9: every problem in a data dir reported as FILE:ROW: column: message."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from revcli.data.validate import load_dataset
from revcli.errors import DataError
from tests.conftest import SETTINGS, MakeDir, Run

CUSTOMERS = "customer_id,name\nA,Acme AS\n"
CONTRACTS = "contract_id,customer_id,start_date\nC1,A,2026-01-01\n"
LINES = "contract_id,product,unit_price\nC1,LIC,100\n"


def problems(root: Path) -> list[str]:
    """Every issue as printed, with the data dir prefix removed."""
    with pytest.raises(DataError) as info:
        load_dataset(root)
    return [str(i).replace(f"{root}/", "") for i in info.value.issues]


def valid(make_data_dir: MakeDir, **files: str) -> dict[str, str]:
    base = {"customers.csv": CUSTOMERS, "contracts.csv": CONTRACTS, "contract_lines.csv": LINES}
    return {
        **base,
        **{
            k.replace("__", "/").replace("_csv", ".csv").replace("_yaml", ".yaml"): v
            for k, v in files.items()
        },
    }


def test_clean_data_dir_loads(make_data_dir: MakeDir) -> None:
    data = load_dataset(make_data_dir(valid(make_data_dir)))
    assert data.lines.height == 1
    assert data.warnings == ()


def test_value_errors_name_file_row_and_column(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        valid(
            make_data_dir,
            contracts_csv="contract_id,customer_id,start_date,end_date,billing_period,auto_renew\n"
            "C1,A,2026-01-01,2025-12-31,monthly,maybe\n"
            "C2,A,2026-13-01,,,\n",
            contract_lines_csv="contract_id,product,quantity,unit_price,discount_pct\n"
            "C1,LIC,-1,abc,150\n",
        )
    )
    assert problems(root) == [
        "contract_lines.csv:2: discount_pct: '150' must be between 0 and 100",
        "contract_lines.csv:2: quantity: '-1' must be at least 0",
        # C1 ends before it starts, so its line (starting with the contract) starts after
        # the contract's last day of service too.
        "contract_lines.csv:2: start_date: 2026-01-01 is after the contract's last day of service 2025-12-31",
        "contract_lines.csv:2: unit_price: 'abc' is not a number; expected digits with a decimal point, e.g. 1200.50",
        "contracts.csv:2: auto_renew: 'maybe' is not a boolean; expected true/false, yes/no or 1/0",
        "contracts.csv:2: billing_period: 'monthly' is not allowed; expected one of month, quarter, half-year, year, term",
        "contracts.csv:2: end_date: 2025-12-31 is before start_date 2026-01-01",
        "contracts.csv:3: start_date: '2026-13-01' is not a date: there is no month 13; expected YYYY-MM-DD",
    ]


def test_a_date_the_calendar_does_not_have_names_the_missing_day_not_the_years(
    make_data_dir: MakeDir, run: Run
) -> None:
    # 2026 is no leap year, April has 30 days, a year 13 months: each value is in the
    # years 1900-2199 and in the form YYYY-MM-DD, so the message says which day or month
    # does not exist ("from 1900 to 2199" would send the reader to the wrong part). 2024
    # is a leap year: its 29 February is a date. 2200 is out of the years.
    root = make_data_dir(
        valid(
            make_data_dir,
            contracts_csv="contract_id,customer_id,start_date,end_date\n"
            "C1,A,2026-02-29,\n"
            "C2,A,2024-02-29,2026-04-31\n"
            "C3,A,2026-13-01,2200-01-01\n",
        )
    )
    expected = "; expected YYYY-MM-DD"
    assert problems(root) == [
        f"contracts.csv:2: start_date: '2026-02-29' is not a date: 2026-02 has no day 29{expected}",
        f"contracts.csv:3: end_date: '2026-04-31' is not a date: 2026-04 has no day 31{expected}",
        f"contracts.csv:4: end_date: '2200-01-01' is not a date from 1900 to 2199{expected}",
        f"contracts.csv:4: start_date: '2026-13-01' is not a date: there is no month 13{expected}",
    ]
    # The same on the command line, a usage error (exit 2).
    for option, value, message in [
        ("--as-of", "2026-02-29", "'2026-02-29' is not a date: 2026-02 has no day 29"),
        ("--month", "2026-13", "'2026-13' is not a month: there is no month 13"),
    ]:
        result = run("mrr", "-d", root, option, value, "-f", "csv")
        assert result.exit_code == 2
        assert message in " ".join(result.stderr.replace("│", " ").split())


def test_a_decimal_with_more_whole_digits_than_fit_is_told_too_large(
    make_data_dir: MakeDir,
) -> None:
    # Decimals hold 38 digits, 10 after the point: 28 whole digits fit, 29 do not. Such a
    # value is a number, so the message says what is wrong with it; a digit that is not
    # ASCII (Arabic-Indic one) still makes no number.
    fits = "9" * 28 + ".1234567890"
    root = make_data_dir(
        valid(
            make_data_dir,
            contract_lines_csv="contract_id,product,quantity,unit_price\n"
            f"C1,LIC,{fits},{'1' + '0' * 28}\n"
            f"C1,SUP,1,-{'9' * 29}.5\n"
            "C1,ADD,1,\u0661\u0662\n",
        )
    )
    assert problems(root) == [
        f"contract_lines.csv:2: unit_price: '1{'0' * 28}' is too large; at most 28 digits "
        "before the decimal point",
        f"contract_lines.csv:3: unit_price: '-{'9' * 29}.5' is too large; at most 28 digits "
        "before the decimal point",
        "contract_lines.csv:4: unit_price: '\u0661\u0662' is not a number; expected digits "
        "with a decimal point, e.g. 1200.50",
    ]


def test_a_decimal_with_more_than_10_places_says_so(make_data_dir: MakeDir) -> None:
    # Decimals keep 10 places (docs/rules.md "Reading data"): 0.1234567890 (10) fits,
    # 0.12345678901 and -.00000000001 (11) do not, and the message names the places, not
    # "is not a number". 1.5e-11 is no plain decimal at all.
    root = make_data_dir(
        valid(
            make_data_dir,
            contract_lines_csv="contract_id,product,quantity,unit_price,discount_pct\n"
            "C1,LIC,1,0.1234567890,\n"
            "C1,SUP,1,0.12345678901,-.00000000001\n"
            "C1,ADD,1,1.5e-11,\n",
        )
    )
    assert problems(root) == [
        "contract_lines.csv:3: discount_pct: '-.00000000001' has more than 10 decimal places",
        "contract_lines.csv:3: unit_price: '0.12345678901' has more than 10 decimal places",
        "contract_lines.csv:4: unit_price: '1.5e-11' is not a number; expected digits "
        "with a decimal point, e.g. 1200.50",
    ]


def test_a_range_that_excludes_its_lower_bound_says_so(make_data_dir: MakeDir) -> None:
    # renewal_uplift_pct is above -100 (a price cut to zero or below is no renewal) and at
    # most 100 (docs/rules.md): -100 and 101 are refused, -99.9 and 100 are not; the
    # message must not say "between -100 and 100", which would allow -100.
    root = make_data_dir(
        valid(
            make_data_dir,
            contracts_csv="contract_id,customer_id,start_date,renewal_uplift_pct\n"
            "C1,A,2026-01-01,-100\nC2,A,2026-01-01,101\n"
            "C3,A,2026-01-01,-99.9\nC4,A,2026-01-01,100\n",
        )
    )
    assert problems(root) == [
        "contracts.csv:2: renewal_uplift_pct: '-100' must be greater than -100 and at most 100",
        "contracts.csv:3: renewal_uplift_pct: '101' must be greater than -100 and at most 100",
    ]


def test_references_duplicates_and_contract_rules(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            "customers.csv": "customer_id,name\nA,Acme AS\nA,Acme again\n",
            "contracts.csv": "contract_id,customer_id,start_date,end_date,cancelled_on,billing_period,currency\n"
            "C1,ZZ,2026-01-01,,2025-06-30,term,XYZ\n"
            "C2,A,2026-01-01,2026-12-31,,,\n",
            "contract_lines.csv": "contract_id,line_id,product,unit_price,price_period,start_date,end_date\n"
            "C2,1,LIC,100,,2025-12-01,\n"
            "C2,1,API,100,,,2027-01-31\n"
            "C9,1,LIC,100,,,\n"
            "C1,1,LIC,100,term,,\n",
        }
    )
    assert problems(root) == [
        "contract_lines.csv:2: start_date: 2025-12-01 is before the contract's start_date 2026-01-01",
        "contract_lines.csv:3: end_date: 2027-01-31 is after the contract's end_date 2026-12-31",
        "contract_lines.csv:3: line_id: line 'C2/1' appears twice; first at contract_lines.csv:2",
        "contract_lines.csv:4: contract_id: contract 'C9' is not defined",
        "contract_lines.csv:5: price_period: 'term' pricing needs the contract's end_date",
        "contract_lines.csv:5: start_date: 2026-01-01 is after the contract's last day of service 2025-06-30",
        "contracts.csv:2: billing_period: 'term' billing needs an end_date",
        "contracts.csv:2: cancelled_on: 2025-06-30 is before start_date 2026-01-01",
        "contracts.csv:2: currency: 'XYZ' is not an ISO 4217 currency code (e.g. NOK, EUR, USD)",
        "contracts.csv:2: customer_id: customer 'ZZ' is not in the customers file",
        "customers.csv:3: customer_id: customer_id 'A' appears twice; first at customers.csv:2",
    ]


def test_missing_fx_rate_is_an_error(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        valid(
            make_data_dir,
            contracts_csv="contract_id,customer_id,start_date,currency\nC1,A,2026-01-01,EUR\n",
            fx_rates_csv="date,currency,rate\n2026-02-01,EUR,11.5\n2026-02-01,EUR,11.6\n",
        )
    )
    assert problems(root) == [
        "contracts.csv:2: currency: no EUR rate on or before 2026-01-01 in fx_rates.csv",
        "fx_rates.csv:3: date: rate for '2026-02-01/EUR' appears twice; first at fx_rates.csv:2",
    ]


def test_contracts_csv_without_a_currency_column_beside_foreign_rates_is_warned_of(
    make_data_dir: MakeDir,
) -> None:
    # An export that lost its currency column puts every contract in the base currency.
    # The data is valid (the column is optional), so it is a warning, and only when
    # fx_rates.csv has rates of another currency; the base currency's own rows don't count.
    rates = "date,currency,rate\n2026-01-01,EUR,11.5\n2026-01-01,usd,10.5\n2026-01-01,NOK,1\n"
    root = make_data_dir(valid(make_data_dir, fx_rates_csv=rates))
    assert [str(w).replace(f"{root}/", "") for w in load_dataset(root).warnings] == [
        "warning: contracts.csv:1: currency: no such column, so every contract of the file "
        "is in NOK (base_currency), while fx_rates.csv has rates for EUR, USD; add the column "
        "if any contract is in another currency"
    ]
    with_column = "contract_id,customer_id,start_date,currency\nC1,A,2026-01-01,\n"
    root = make_data_dir(valid(make_data_dir, contracts_csv=with_column, fx_rates_csv=rates))
    assert load_dataset(root).warnings == ()
    only_base = "date,currency,rate\n2026-01-01,NOK,1\n"
    root = make_data_dir(valid(make_data_dir, fx_rates_csv=only_base))
    assert load_dataset(root).warnings == ()
    # Rates that YAML contracts use are no sign of a lost column either.
    yaml = "contract_id: C2\ncustomer_id: A\nstart_date: 2026-01-01\ncurrency: EUR\n"
    yaml += "lines:\n  - product: LIC\n    unit_price: 100\n"
    root = make_data_dir(valid(make_data_dir, fx_rates_csv=rates, contracts__C2_yaml=yaml))
    assert [str(w).split("while ")[1] for w in load_dataset(root).warnings] == [
        "fx_rates.csv has rates for USD; add the column if any contract is in another currency"
    ]
    # Rates that open deals need are no sign of a lost column.
    deals = "opportunity_id,customer_id,mrr,expected_close,currency\nO1,A,10,2026-06-30,EUR\n"
    root = make_data_dir(valid(make_data_dir, fx_rates_csv=rates, opportunities_csv=deals))
    assert [str(w).split("while ")[1] for w in load_dataset(root).warnings] == [
        "fx_rates.csv has rates for USD; add the column if any contract is in another currency"
    ]


def test_a_line_may_start_in_a_later_term_of_an_auto_renewing_contract(
    make_data_dir: MakeDir,
) -> None:
    root = make_data_dir(
        valid(
            make_data_dir,
            contracts_csv="contract_id,customer_id,start_date,end_date,auto_renew\n"
            "C1,A,2024-01-01,2024-12-31,true\n",
            contract_lines_csv="contract_id,product,unit_price,start_date\nC1,ADDON,100,2026-03-01\n",
        )
    )
    assert load_dataset(root).lines.height == 1


def test_first_term_under_half_a_month_needs_renewal_term(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        valid(
            make_data_dir,
            contracts_csv="contract_id,customer_id,start_date,end_date,auto_renew\n"
            "C1,A,2026-01-01,2026-01-10,true\n",
        )
    )
    assert problems(root) == [
        "contracts.csv:2: renewal_term_months: is required: the first term is shorter than half a month"
    ]


def test_unknown_column_is_a_warning_with_a_suggestion(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        valid(make_data_dir, customers_csv="customer_id,name,segmnt\nA,Acme,SMB\n")
    )
    data = load_dataset(root)
    assert [str(w).replace(f"{root}/", "") for w in data.warnings] == [
        "warning: customers.csv:1: segmnt: unknown column; did you mean 'segment'?"
    ]


def test_missing_required_column_is_reported_once(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        valid(make_data_dir, contract_lines_csv="contract_id,unit_price\nC1,1\nC1,2\n")
    )
    assert problems(root) == [
        "contract_lines.csv:1: product: required column is missing from the header"
    ]


def test_required_value_missing(make_data_dir: MakeDir) -> None:
    root = make_data_dir(valid(make_data_dir, customers_csv="customer_id,name\nA,\n"))
    assert problems(root) == ["customers.csv:2: name: is required"]


def test_yaml_values_are_text_and_errors_point_at_the_value_line(make_data_dir: MakeDir) -> None:
    # country NO stays "NO" (YAML 1.1 would read false); 1200.00 stays an exact decimal.
    root = make_data_dir(
        {
            "customers.yaml": """
                customers:
                  - customer_id: A
                    name: Acme AS
                    country: NO
                    address: |
                      Storgata 1
                      0155 Oslo
                """,
            "contracts.yaml": """
                contracts:
                  - contract_id: C1
                    customer_id: A
                    start_date: 2026-01-01
                    lines:
                      - product: LIC
                        unit_price: 1200.00
                      - product: API
                        unit_price: twelve
                """,
        }
    )
    assert problems(root) == [
        "contracts.yaml:9: unit_price: 'twelve' is not a number; expected digits with a decimal point, e.g. 1200.50"
    ]
    (root / "contracts.yaml").write_text(
        (root / "contracts.yaml").read_text().replace("twelve", "12"), encoding="utf-8"
    )
    data = load_dataset(root)
    assert data.customers.row(0, named=True)["country"] == "NO"
    assert data.customers.row(0, named=True)["address"] == "Storgata 1\n0155 Oslo"
    assert str(data.lines.row(0, named=True)["unit_price"]).startswith("1200.00")
    assert data.lines.get_column("line_id").to_list() == ["1", "2"]


def test_all_contract_sources_merge(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "customers.yml": "- customer_id: B\n  name: Bergen AS\n",
            "contracts.yaml": "contracts:\n- contract_id: Y1\n  customer_id: A\n  start_date: 2026-01-01\n",
            "contracts/one.yaml": "contract_id: Y2\ncustomer_id: B\nstart_date: 2026-01-01\n"
            "lines:\n  - product: LIC\n    unit_price: 5\n",
            "contracts/many.yml": "- contract_id: Y3\n  customer_id: B\n  start_date: 2026-01-01\n",
            "contracts.csv": CONTRACTS,
            # CSV lines may belong to YAML contracts.
            "contract_lines.csv": LINES + "Y1,API,7\n",
        }
    )
    data = load_dataset(root)
    assert sorted(data.contracts.get_column("contract_id")) == ["C1", "Y1", "Y2", "Y3"]
    assert sorted(data.lines.get_column("contract_id")) == ["C1", "Y1", "Y2"]


def test_duplicate_id_across_csv_and_yaml(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        valid(
            make_data_dir,
            contracts_yaml="- contract_id: C1\n  customer_id: A\n  start_date: 2026-02-01\n",
        )
    )
    assert problems(root) == [
        "contracts.yaml:1: contract_id: contract_id 'C1' appears twice; first at contracts.csv:2"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"customer_id,name\nA,Acme\nB\n",
            "customers.csv:3: row has 1 fields, the header has 2; check commas",
        ),
        (
            b'customer_id,name\nA,"Acme, AS",x\n',
            "customers.csv:2: row has 3 fields, the header has 2; check commas",
        ),
        (
            b"customer_id,name\nA,Bj\xf8rn AS\n",
            "customers.csv:2: byte 0xf8 is not UTF-8; save the file as UTF-8",
        ),
        (b"", "customers.csv: file is empty; expected a header row"),
    ],
)
def test_broken_csv_files(make_data_dir: MakeDir, content: bytes, message: str) -> None:
    root = make_data_dir(valid(make_data_dir))
    (root / "customers.csv").write_bytes(content)
    assert problems(root) == [message]


def test_bom_and_crlf_are_accepted(make_data_dir: MakeDir) -> None:
    root = make_data_dir(valid(make_data_dir))
    (root / "customers.csv").write_bytes(b"\xef\xbb\xbfcustomer_id,name\r\nA,Acme AS\r\n")
    assert load_dataset(root).customers.get_column("name").to_list() == ["Acme AS"]


def test_quoted_multiline_cell_keeps_record_line_numbers(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        valid(
            make_data_dir, customers_csv='customer_id,name,address\nA,Acme,"Line 1\nLine 2"\nB,,\n'
        )
    )
    assert problems(root) == ["customers.csv:4: name: is required"]


def test_yaml_syntax_error_names_its_line(make_data_dir: MakeDir) -> None:
    root = make_data_dir(valid(make_data_dir, contracts_yaml="contracts:\n  - contract_id: [C1\n"))
    [message] = problems(root)
    assert message.startswith("contracts.yaml:3: YAML syntax error")


def test_directory_where_a_file_belongs(make_data_dir: MakeDir) -> None:
    root = make_data_dir(valid(make_data_dir))
    (root / "customers.csv").unlink()
    (root / "customers.csv").mkdir()
    assert problems(root) == ["customers.csv: is a directory, expected a file"]


def test_missing_files(make_data_dir: MakeDir) -> None:
    root = make_data_dir({"contracts.csv": CONTRACTS}, settings=None)
    assert problems(root) == [
        "contract_lines.csv: not found; contracts.csv needs it",
        "customers.csv: not found; expected customers.csv or customers.yaml",
        "revcli.yaml: not found; every data dir needs one",
    ]


def test_data_dir_without_contracts_is_valid(make_data_dir: MakeDir) -> None:
    root = make_data_dir({"customers.csv": CUSTOMERS, "contracts.yaml": "contracts: []\n"})
    assert load_dataset(root).contracts.height == 0


def test_settings_are_checked(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        valid(make_data_dir), settings="base_currency: NOKK\ninvoice:\n  payment_terms_days: soon\n"
    )
    assert problems(root) == [
        "revcli.yaml:1: base_currency: 'NOKK' is not an ISO 4217 code",
        "revcli.yaml:3: invoice.payment_terms_days: 'soon' is not a whole number (as payment_terms_days in the data)",
    ]


def test_redundant_cancellation_after_end_is_a_warning(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        valid(
            make_data_dir,
            contracts_csv="contract_id,customer_id,start_date,end_date,cancelled_on\n"
            "C1,A,2026-01-01,2026-06-30,2026-09-30\n",
        )
    )
    [warning] = load_dataset(root).warnings
    assert str(warning).replace(f"{root}/", "") == (
        "warning: contracts.csv:2: cancelled_on: 2026-09-30 is after end_date 2026-06-30 of a "
        "contract that does not auto-renew; it has no effect"
    )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("lines: 5", "contracts.yaml:5: lines: expected a list of records"),
        ("lines:\n  product: A", "contracts.yaml:6: lines: expected a list of records"),
        ("lines:\n  - just text", "contracts.yaml:6: lines: expected a record (key: value)"),
    ],
)
def test_contract_lines_in_yaml_must_be_a_list_of_records(
    make_data_dir: MakeDir, lines: str, message: str
) -> None:
    root = make_data_dir(
        {
            "customers.csv": CUSTOMERS,
            "contracts.yaml": "contracts:\n  - contract_id: C1\n    customer_id: A\n    start_date: 2026-01-01\n"
            + "".join(f"    {line}\n" for line in lines.splitlines()),
        }
    )
    assert problems(root) == [message]


def test_unknown_customer_locale_is_an_error(make_data_dir: MakeDir) -> None:
    root = make_data_dir(
        valid(
            make_data_dir,
            customers_csv="customer_id,name,locale\nA,Acme AS,xx_XX\nB,Bergen AS,nb_NO\n",
        )
    )
    assert problems(root) == [
        "customers.csv:2: locale: 'xx_XX' is not a locale Babel knows (e.g. nb_NO, en_GB, de_DE)"
    ]


def test_one_value_is_typed_and_told_as_a_cell_of_its_column() -> None:
    # Settings that default a column (invoice.default_tax_rate for tax_rate) are typed
    # as a cell: the same value, the same message.
    from revcli.parsing import parse_value
    from revcli.schema import LINES

    column = next(c for c in LINES.columns if c.name == "unit_price")
    assert parse_value(column, "1200.50") == (Decimal("1200.50"), "")
    assert parse_value(column, "1" + "0" * 28) == (
        None,
        "is too large; at most 28 digits before the decimal point",
    )
    assert parse_value(column, "twelve") == (
        None,
        "is not a number; expected digits with a decimal point, e.g. 1200.50",
    )


def test_a_settings_problem_the_data_does_not_depend_on_hides_no_data_problem(
    make_data_dir: MakeDir,
) -> None:
    # docs/rules.md: every problem is printed at once. A wrong payment_terms_days takes its
    # default (14) while the data is checked, so the bad price is reported beside it.
    settings = SETTINGS + "invoice:\n  payment_terms_days: 3651\n"  # lines 7 and 8
    files = valid(make_data_dir, contract_lines_csv="contract_id,product,unit_price\nC1,LIC,abc\n")
    assert problems(make_data_dir(files, settings=settings)) == [
        "contract_lines.csv:2: unit_price: 'abc' is not a number; expected digits with a "
        "decimal point, e.g. 1200.50",
        "revcli.yaml:8: invoice.payment_terms_days: '3651' must be between 0 and 3650 "
        "(as payment_terms_days in the data)",
    ]
    # A file missing stops reading; the settings problem is still told with it.
    del files["customers.csv"]
    assert problems(make_data_dir(files, settings=settings)) == [
        "customers.csv: not found; expected customers.csv or customers.yaml",
        "revcli.yaml:8: invoice.payment_terms_days: '3651' must be between 0 and 3650 "
        "(as payment_terms_days in the data)",
    ]


def test_a_settings_problem_the_data_depends_on_stops_reading(make_data_dir: MakeDir) -> None:
    # Every contract without a currency is in the base currency: with base_currency
    # wrong, the data's own checks would report what follows from it, so only it is told.
    settings = SETTINGS.replace("base_currency: NOK", "base_currency: EURO")  # line 5
    files = valid(make_data_dir, contract_lines_csv="contract_id,product,unit_price\nC1,LIC,abc\n")
    assert problems(make_data_dir(files, settings=settings)) == [
        "revcli.yaml:5: base_currency: 'EURO' is not an ISO 4217 code",
    ]
