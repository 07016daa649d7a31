"""The MRR table sums money exactly: a month's MRR is the exact sum of its lines, printed
once, half away from zero, whatever path the engine took to it (a QA pass found float
sums that printed 102.835 as 102.83 and divided by 1e-14 where MRR was 0).

Every expected figure below is worked out by hand from docs/rules.md."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MakeDir, Run, write_data_dir

CUSTOMER = "customer_id,name,segment\nX,X AS,SMB\n"


def _rows(run: Run, *args: object) -> list[dict[str, str]]:
    result = run(*args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_a_half_cent_after_a_history_prints_away_from_zero(
    run: Run, make_data_dir: MakeDir
) -> None:
    # January: 500.00 a month. From February a yearly line of 1,234.02 alone:
    # 1,234.02 / 12 = 102.835 exactly, printed 102.84 (half away from zero), ARR
    # 12 x 102.835 = 1,234.02. The engine reaches February as 500 - 500 + 102.835.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMER,
            "contracts.yaml": """
                - contract_id: C1
                  customer_id: X
                  start_date: 2025-01-01
                  lines:
                    - {product: BASIC, unit_price: 500, end_date: 2025-01-31}
                    - {product: BASIC, unit_price: 1234.02, price_period: year, start_date: 2025-02-01}
            """,
        }
    )
    [feb] = _rows(run, "mrr", "--data", root, "--month", "2025-02")
    assert (feb["mrr"], feb["arr"], feb["net_change"]) == ("102.84", "1234.02", "-397.17")
    # -397.165 = 102.835 - 500: a downgrade of the same product, away from zero.
    assert feb["downgrade"] == "-397.17"
    [forecast] = _rows(run, "forecast", "--data", root, "--as-of", "2025-01-10", "--months", "1")
    assert forecast["contracted_mrr"] == "102.84"


@pytest.mark.parametrize("big", ["123456789.12", "333333333.33", "45678901.23"])
def test_a_half_cent_after_a_large_line_ended_prints_away_from_zero(
    run: Run, make_data_dir: MakeDir, big: str
) -> None:
    # Customer X: a line of BIG a month from January to March, and from February a yearly
    # 1,234.02 on another product: from April its MRR is 1,234.02 / 12 = 102.835 exactly,
    # printed 102.84 (a float running sum of BIG + 102.835 - BIG leaves 1e-8 behind).
    root = make_data_dir(
        {
            "customers.csv": CUSTOMER,
            "contracts.yaml": f"""
                - contract_id: A1
                  customer_id: X
                  start_date: 2025-01-01
                  end_date: 2025-03-31
                  lines:
                    - {{product: P1, unit_price: {big}}}
                - contract_id: A2
                  customer_id: X
                  start_date: 2025-02-01
                  lines:
                    - {{product: P3, unit_price: 1234.02, price_period: year}}
            """,
        }
    )
    rows = _rows(run, "mrr", "--data", root, "--from", "2025-04", "--to", "2025-05")
    assert [(r["mrr"], r["arpa"]) for r in rows] == [("102.84", "102.84")] * 2
    [nrr] = _rows(run, "nrr", "--data", root, "--month", "2025-05", "--window", "1")
    assert nrr["end_mrr"] == "102.84"


def test_mrr_back_from_zero_has_no_growth_rate(run: Run, make_data_dir: MakeDir) -> None:
    # X1 (Jan-Mar): 0.10, from February + 0.70, from March + 2.675: March 3.475 -> 3.48.
    # April and May: nothing (churn -3.475 -> -3.48). June: X2 at 100.00, a reactivation.
    # growth_pct = 100 x net_change / MRR(M-1), empty when MRR(M-1) is 0: empty in May and
    # June; April -100.00.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMER,
            "contracts.yaml": """
                - contract_id: X1
                  customer_id: X
                  start_date: 2025-01-01
                  end_date: 2025-03-31
                  lines:
                    - {product: P, unit_price: 0.1}
                    - {product: P, unit_price: 0.7, start_date: 2025-02-01}
                    - {product: P, unit_price: 2.675, start_date: 2025-03-01}
                - contract_id: X2
                  customer_id: X
                  start_date: 2025-06-01
                  lines:
                    - {product: P, unit_price: 100}
            """,
        }
    )
    for by in ((), ("--by", "segment"), ("--by", "customer_id")):
        rows = _rows(run, "mrr", "--data", root, "--from", "2025-03", "--to", "2025-06", *by)
        got = [(r["month"], r["mrr"], r["churn"], r["reactivation"], r["growth_pct"]) for r in rows]
        assert got == [
            ("2025-03", "3.48", "0.00", "0.00", "334.38"),  # 100 x 2.675 / 0.80 = 334.375
            ("2025-04", "0.00", "-3.48", "0.00", "-100.00"),
            ("2025-05", "0.00", "0.00", "0.00", ""),
            ("2025-06", "100.00", "0.00", "100.00", ""),
        ], by


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=10**8),  # price in cents
            st.booleans(),  # a yearly price (else monthly)
            st.integers(min_value=1, max_value=6),  # first month
            st.integers(min_value=0, max_value=6),  # months active after it
        ),
        min_size=1,
        max_size=8,
    )
)
def test_every_months_mrr_is_the_exact_sum_of_its_active_lines(
    tmp_path_factory: pytest.TempPathFactory,
    run: Run,
    lines: list[tuple[int, bool, int, int]],
) -> None:
    """Lines of one customer starting and ending in different months of 2025: each
    month's MRR is the exact sum of the monthly amounts (a yearly price / 12) of the lines
    active at its end, rounded once; a month after MRR 0 has no growth rate."""
    import calendar
    from decimal import Decimal
    from fractions import Fraction

    from revcli.decimals import round_half_up

    written = []
    expected = dict.fromkeys(range(1, 13), Fraction(0))
    for i, (cents, yearly, first, more) in enumerate(lines):
        price = Decimal(cents).scaleb(-2)
        last = first + more
        end = f"2025-{last:02d}-{calendar.monthrange(2025, last)[1]}"
        written.append(
            f"    - {{product: P{i}, unit_price: {price}, price_period: "
            f"{'year' if yearly else 'month'}, start_date: 2025-{first:02d}-01, end_date: {end}}}"
        )
        for month in range(first, last + 1):
            expected[month] += Fraction(cents, 1200 if yearly else 100)
    contracts = (
        "- contract_id: C\n  customer_id: X\n  start_date: 2025-01-01\n  lines:\n"
        + "\n".join(written)
        + "\n"
    )
    root = write_data_dir(
        tmp_path_factory.mktemp("d"), {"customers.csv": CUSTOMER, "contracts.yaml": contracts}
    )
    rows = _rows(run, "mrr", "--data", root, "--from", "2025-01", "--to", "2025-12")
    # Exact fractions (decimals would cut 1/12 off), rounded once, half away from zero.
    assert [r["mrr"] for r in rows] == [str(round_half_up(expected[m], 2)) for m in range(1, 13)]
    for month in range(2, 13):
        if expected[month - 1] == 0:
            assert rows[month - 1]["growth_pct"] == ""


# A contract renewed twice with a 2.5 % uplift: 490 × 1.025² = 514.80625 a month from the
# second renewal (2025-11-30) on, so ARR = 12 × 514.80625 = 6,177.675 exactly, printed
# 6,177.68 (half away from zero). In floats 12 × 514.80625 is 6177.674999999999.
UPLIFTED = {
    "customers.csv": "customer_id,name,owner\nC78,Cust 78,o@t.example\n",
    "contracts.yaml": """
        - contract_id: K078
          customer_id: C78
          start_date: 2025-05-30
          end_date: 2025-08-29
          auto_renew: true
          renewal_term_months: 3
          notice_days: 60
          renewal_uplift_pct: 2.5
          lines:
            - {product: P1, unit_price: 490}
    """,
}


def test_arr_is_twelve_times_mrr_exactly_in_every_report(run: Run, make_data_dir: MakeDir) -> None:
    root = make_data_dir(UPLIFTED)
    [mrr] = _rows(run, "mrr", "--data", root, "--month", "2026-01")
    assert (mrr["mrr"], mrr["arr"]) == ("514.81", "6177.68")
    # The term running on 2025-12-31 ends 2026-02-27 (2025-11-30 + 3 months - 1 day).
    [renewal] = _rows(run, "renewals", "--data", root, "--as-of", "2025-12-31")
    assert (renewal["term_end"], renewal["arr"]) == ("2026-02-27", "6177.68")
    [risk] = _rows(run, "risk", "--data", root, "--as-of", "2026-01-15")
    assert risk["arr"] == "6177.68"


def test_weighted_pipeline_is_the_exact_product(run: Run, make_data_dir: MakeDir) -> None:
    # 8.62 × 75 / 100 = 6.465 exactly, printed 6.47 (in floats 6.464999999999999, which
    # printed 6.46); in April two such deals: 12.93, the exact sum.
    root = make_data_dir(
        {
            "customers.csv": CUSTOMER,
            "contracts.csv": "contract_id,customer_id,start_date\nC1,X,2026-01-01\n",
            "contract_lines.csv": "contract_id,product,unit_price\nC1,P,100\n",
            "opportunities.csv": (
                "opportunity_id,customer_id,name,stage,probability,expected_close,mrr\n"
                "O1,X,Up,proposal,75,2026-03-10,8.62\n"
                "O2,X,Up 2,proposal,75,2026-04-10,8.62\n"
                "O3,X,Up 3,proposal,75,2026-04-20,8.62\n"
            ),
        }
    )
    rows = _rows(run, "pipeline", "--data", root, "--from", "2026-03", "--to", "2026-04")
    assert [(r["pipeline_mrr"], r["weighted_pipeline_mrr"]) for r in rows] == [
        ("8.62", "6.47"),
        ("17.24", "12.93"),
    ]


def test_money_times_multiplies_exactly_and_falls_back_to_floats_beyond_the_limit() -> None:
    import polars as pl

    from revcli.metrics.mrr import money_times

    frame = pl.DataFrame({"v": [514.80625, 8.62, 1e30], "k": [12, 75, 2]})
    got = frame.select(money_times(pl.col("v"), pl.col("k"), 1)).to_series().to_list()
    # 12 × 514.80625 = 6,177.675 and 75 × 8.62 = 646.5 exactly; 2 × 1e30 as floats.
    assert got == [6177.675, 646.5, 2e30]
    halved = frame.head(2).select(money_times(pl.col("v"), pl.col("k"), 100)).to_series()
    assert halved.to_list() == [61.77675, 6.465]  # / 100, exactly


def test_ratios_of_money_are_taken_of_the_exact_amounts(run: Run, make_data_dir: MakeDir) -> None:
    # One data set, two months:
    #   February: W alone moves 1,000.00 → 1,001.15: growth 100 × 1.15 / 1,000 = 0.115 %
    #   exactly → 0.12 (float division: 0.11499999999999999 → 0.11).
    #   March: V, X, Y, Z and U join at 333.34 and W falls to 333.37: MRR 5 × 333.34 +
    #   333.37 = 2,000.07 over 6 customers, ARPA 333.345 exactly → 333.35 (float
    #   division: 333.34499999999997 → 333.34).
    customers = "customer_id,name\nU,U AS\nV,V AS\nW,W AS\nX,X AS\nY,Y AS\nZ,Z AS\n"
    contracts = "contract_id,customer_id,start_date\nKW,W,2025-01-01\n" + "".join(
        f"K{c},{c},2025-03-01\n" for c in "UVXYZ"
    )
    lines = "contract_id,product,unit_price,start_date,end_date\n"
    lines += "KW,LIC,1000,,2025-01-31\nKW,LIC,1001.15,2025-02-01,2025-02-28\n"
    lines += "KW,LIC,333.37,2025-03-01,\n" + "".join(f"K{c},LIC,333.34,,\n" for c in "UVXYZ")
    root = make_data_dir(
        {"customers.csv": customers, "contracts.csv": contracts, "contract_lines.csv": lines}
    )
    feb, mar = _rows(run, "mrr", "--data", root, "--from", "2025-02", "--to", "2025-03")
    assert (feb["mrr"], feb["growth_pct"]) == ("1001.15", "0.12")
    assert (mar["mrr"], mar["customers"], mar["arpa"]) == ("2000.07", "6", "333.35")
