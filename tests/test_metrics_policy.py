"""Metric policy settings (SPEC §12): each changes a number where vendors disagree, and
only there; the bridge identity holds under every setting. Expectations by hand."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from tests.conftest import SAMPLE, SETTINGS, MakeDir, Run
from tests.helpers import moves, mrr_of, row

CUSTOMERS = "customer_id,name\nA,Acme AS\nB,Bergen AS\n"


def _policy(**rules: str) -> str:
    return (
        SETTINGS
        + "metrics:\n  policy: test\n  version: 3\n"
        + "".join(f"  {k}: {v}\n" for k, v in rules.items())
    )


# --- reactivation_window_days ---------------------------------------------------------

RETURN_AFTER_91_DAYS = {
    "customers.csv": CUSTOMERS,
    # A pays 1,000 until 2025-03-31 and again from 2025-06-01. Last month-end with MRR:
    # 2025-03-31; first month-end with MRR again: 2025-06-30; 30 + 31 + 30 = 91 days.
    "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
    "C1,A,2025-01-01,2025-03-31\nC2,A,2025-06-01,\n",
    "contract_lines.csv": "contract_id,product,unit_price\nC1,SaaS,1000\nC2,SaaS,1000\n",
}


@pytest.mark.parametrize(
    ("window", "expected", "counts"),
    [
        (None, {"reactivation": 1000}, (0, 1)),  # default: unlimited
        ("91", {"reactivation": 1000}, (0, 1)),  # 91 days is not more than 91
        ("90", {"new": 1000}, (1, 0)),  # 91 > 90: counted as a new customer
    ],
)
def test_reactivation_window(
    make_data_dir: MakeDir, window: str | None, expected: dict[str, int], counts: tuple[int, int]
) -> None:
    rules = {"reactivation_window_days": window} if window else {}
    t = mrr_of(make_data_dir(RETURN_AFTER_91_DAYS, _policy(**rules)), "2025-01", "2025-06")
    assert moves(t, "2025-06") == {k: pytest.approx(v) for k, v in expected.items()}
    june = row(t, "2025-06")
    assert (june["new_customers"], june["reactivated_customers"]) == counts
    # Churn in April is the same under every window.
    assert moves(t, "2025-04") == {"churn": pytest.approx(-1000)}


# --- free_to_paid ---------------------------------------------------------------------

FREE_THEN_PAID = {
    "customers.csv": CUSTOMERS,
    # A: a free trial line in January, paid SaaS 500 from 1 February.
    # B: no free line; paid 300 from 1 February.
    "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
    "T1,A,2025-01-01,2025-01-31\nC1,A,2025-02-01,\nC2,B,2025-02-01,\n",
    "contract_lines.csv": "contract_id,product,unit_price\nT1,SaaS,0\nC1,SaaS,500\nC2,SaaS,300\n",
}


@pytest.mark.parametrize(
    ("setting", "expected", "new_customers"),
    [
        # Default: A's first month with MRR is new, like B's: new 500 + 300.
        ("new", {"new": 800}, 2),
        # expansion: A was a (free) customer at the end of January; only B is new.
        ("expansion", {"new": 300, "expansion": 500}, 1),
    ],
)
def test_free_to_paid(
    make_data_dir: MakeDir, setting: str, expected: dict[str, int], new_customers: int
) -> None:
    t = mrr_of(make_data_dir(FREE_THEN_PAID, _policy(free_to_paid=setting)), "2025-01", "2025-02")
    assert moves(t, "2025-02") == {k: pytest.approx(v) for k, v in expected.items()}
    assert row(t, "2025-02")["new_customers"] == new_customers
    assert row(t, "2025-02")["mrr"] == pytest.approx(800)


def test_free_line_that_ended_earlier_does_not_make_a_paying_start_expansion(
    make_data_dir: MakeDir,
) -> None:
    # The trial ended 2024-12-31: at the end of January A had no active line, so its
    # February start is new under free_to_paid: expansion too.
    files = dict(FREE_THEN_PAID)
    files["contracts.csv"] = files["contracts.csv"].replace(
        "T1,A,2025-01-01,2025-01-31", "T1,A,2024-12-01,2024-12-31"
    )
    t = mrr_of(make_data_dir(files, _policy(free_to_paid="expansion")), "2025-01", "2025-02")
    assert moves(t, "2025-02") == {"new": pytest.approx(800)}


CHURNED_ONTO_FREE = {
    "customers.csv": CUSTOMERS,
    # A pays SaaS 100 in January only (C1 ends 2025-01-31) and keeps a free plan (C2, no
    # end); it pays SaaS 50 again from 1 April.
    "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
    "C1,A,2025-01-01,2025-01-31\nC2,A,2025-01-01,\nC3,A,2025-04-01,\n",
    "contract_lines.csv": "contract_id,product,unit_price\nC1,SaaS,100\nC2,Free,0\nC3,SaaS,50\n",
}


@pytest.mark.parametrize(
    ("setting", "april", "counts"),
    [
        # Default: A churned in February, so its return is a reactivation.
        ("new", {"reactivation": 50}, (0, 1)),
        # expansion: at the end of March A's only active line was free, so its return is
        # expansion, and A counts as neither new nor reactivated.
        ("expansion", {"expansion": 50}, (0, 0)),
    ],
)
def test_a_customer_churned_onto_a_free_plan_returns_by_the_free_to_paid_setting(
    make_data_dir: MakeDir, setting: str, april: dict[str, int], counts: tuple[int, int]
) -> None:
    data = make_data_dir(CHURNED_ONTO_FREE, _policy(free_to_paid=setting))
    t = mrr_of(data, "2025-01", "2025-04")
    # Churned in February under every setting: it stopped paying, though the free plan runs.
    assert moves(t, "2025-02") == {"churn": pytest.approx(-100)}
    assert (row(t, "2025-02")["churned_customers"], row(t, "2025-02")["customers"]) == (1, 0)
    assert moves(t, "2025-04") == {k: pytest.approx(v) for k, v in april.items()}
    apr = row(t, "2025-04")
    assert (apr["new_customers"], apr["reactivated_customers"], apr["customers"]) == (*counts, 1)


# --- grain ----------------------------------------------------------------------------

TWO_PRODUCTS = {
    "customers.csv": CUSTOMERS,
    # A from 2025-01: SaaS 1,000 and Support 500. March: Support ends (2025-02-28) and a
    # second SaaS contract adds 200. May: Training 100 added. B: 300 from January, gone in
    # April (ends 2025-03-31).
    "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
    "C1,A,2025-01-01,\nC2,A,2025-01-01,2025-02-28\nC3,A,2025-03-01,\nC4,A,2025-05-01,\n"
    "C5,B,2025-01-01,2025-03-31\n",
    "contract_lines.csv": "contract_id,product,unit_price\n"
    "C1,SaaS,1000\nC2,Support,500\nC3,SaaS,200\nC4,Training,100\nC5,SaaS,300\n",
}


def test_customer_grain_classifies_customer_totals(make_data_dir: MakeDir) -> None:
    product = mrr_of(make_data_dir(TWO_PRODUCTS), "2025-01", "2025-05")
    customer = mrr_of(make_data_dir(TWO_PRODUCTS, _policy(grain="customer")), "2025-01", "2025-05")
    # March, product grain: Support cancelled −500, SaaS upgrade +200.
    assert moves(product, "2025-03") == {
        "cancellation": pytest.approx(-500),
        "upgrade": pytest.approx(200),
    }
    # Customer grain: A's total 1,500 → 1,200, a fall that leaves MRR: downgrade −300.
    assert moves(customer, "2025-03") == {"downgrade": pytest.approx(-300)}
    # May: a new product of an active customer is expansion +100 under both grains.
    assert (
        moves(product, "2025-05") == moves(customer, "2025-05") == {"expansion": pytest.approx(100)}
    )
    # New and churn are customer-level already: the same under both grains.
    assert moves(customer, "2025-01") == moves(product, "2025-01") == {"new": pytest.approx(1800)}
    assert moves(customer, "2025-04") == moves(product, "2025-04") == {"churn": pytest.approx(-300)}
    # MRR itself never depends on the grain.
    assert product.get_column("mrr").to_list() == customer.get_column("mrr").to_list()
    # upgrade and cancellation stay 0 under customer grain.
    assert customer.get_column("upgrade").abs().sum() == 0
    assert customer.get_column("cancellation").abs().sum() == 0


def test_by_product_under_customer_grain_is_a_usage_error(make_data_dir: MakeDir, run: Run) -> None:
    root = make_data_dir(TWO_PRODUCTS, _policy(grain="customer"))
    result = run("mrr", "--data", root, "--month", "2025-03", "--by", "product")
    assert result.exit_code == 2
    assert "grain: customer" in result.stderr
    assert run("mrr", "--data", root, "--month", "2025-03", "--by", "segment").exit_code == 0


# --- every setting: the bridge, the label, the defaults -------------------------------

SETTINGS_CASES = [
    {},
    {"reactivation_window_days": "30"},
    {"reactivation_window_days": "365"},
    {"free_to_paid": "expansion"},
    {"grain": "customer"},
    {"grain": "customer", "free_to_paid": "expansion", "reactivation_window_days": "60"},
    {"fx": "month_end"},
    {"fx": "month_end", "grain": "customer", "reactivation_window_days": "30"},
]


@pytest.fixture(scope="module")
def sample_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("policy") / "data"
    shutil.copytree(SAMPLE, root)
    return root


@pytest.mark.parametrize("rules", SETTINGS_CASES)
def test_bridge_holds_under_every_setting(sample_copy: Path, rules: dict[str, str]) -> None:
    settings = (
        (SAMPLE / "revcli.yaml").read_text()
        + "metrics:\n"
        + "".join(f"  {k}: {v}\n" for k, v in rules.items())
    )
    (sample_copy / "revcli.yaml").write_text(settings if rules else settings + "  policy: x\n")
    t = mrr_of(sample_copy, "2024-01", "2026-12")
    movements = pl.sum_horizontal(
        "new", "expansion", "upgrade", "reactivation", "downgrade", "cancellation", "churn",
        *(["fx"] if "fx" in rules else []),
    )  # fmt: skip
    bridge = t.select(
        (pl.col("mrr").shift(1) + movements - pl.col("mrr")).abs().max().alias("gap")
    ).item()
    assert bridge < 1e-6  # previous MRR + movements (+ fx) = MRR, every month
    assert (
        t.select(
            (pl.col("net_change") - (pl.col("mrr") - pl.col("mrr").shift(1))).abs().max()
        ).item()
        < 1e-6
    )
    if "fx" in rules:
        # sample_data has EUR and SEK contracts: month-end rates move MRR and make fx.
        assert t.get_column("fx").abs().sum() > 0
        return
    # The other settings reclassify movements; they never change MRR.
    plain = (SAMPLE / "revcli.yaml").read_text()
    (sample_copy / "revcli.yaml").write_text(plain)
    assert mrr_of(sample_copy, "2024-01", "2026-12").get_column("mrr").equals(t.get_column("mrr"))


def test_default_policy_written_out_changes_no_number(sample_copy: Path) -> None:
    plain = (SAMPLE / "revcli.yaml").read_text()
    (sample_copy / "revcli.yaml").write_text(plain)
    before = mrr_of(sample_copy, "2024-01", "2026-12")
    (sample_copy / "revcli.yaml").write_text(
        plain + "metrics:\n  policy: revcli\n  version: 1\n  free_to_paid: new\n"
        "  fx: booking\n  grain: product\n"
    )
    assert mrr_of(sample_copy, "2024-01", "2026-12").equals(before)


def test_policy_label_in_json_meta_and_under_tables(make_data_dir: MakeDir, run: Run) -> None:
    root = make_data_dir(TWO_PRODUCTS, _policy(grain="customer"))
    json_out = run("mrr", "--data", root, "--month", "2025-03", "-f", "json").stdout
    assert '"policy": "test"' in json_out and '"policy_version": "3"' in json_out
    table = run("mrr", "--data", root, "--month", "2025-03", "-f", "table").stdout
    assert "Metric policy: test, version 3." in table
    csv_out = run("mrr", "--data", root, "--month", "2025-03", "-f", "csv").stdout
    assert "policy" not in csv_out and "test" not in csv_out
    xlsx = run("mrr", "--data", root, "--month", "2025-03", "-f", "xlsx").stdout_bytes
    props = {
        p.name: p.value for p in openpyxl.load_workbook(io.BytesIO(xlsx)).custom_doc_props.props
    }
    assert (props["policy"], props["policy_version"]) == ("test", "3")


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("  grain: sku\n", "grain: 'sku' is not one of"),
        ("  free_to_paid: maybe\n", "free_to_paid: 'maybe' is not one of"),
        ("  reactivation_window_days: 0\n", "reactivation_window_days: '0' must be"),
        ("  fx: spot\n", "fx: 'spot' is not one of booking, month_end"),
        ("  policy: ''\n", "policy: is empty"),
    ],
)
def test_bad_policy_settings_are_data_errors(
    make_data_dir: MakeDir, run: Run, rules: str, message: str
) -> None:
    root = make_data_dir(TWO_PRODUCTS, SETTINGS + "metrics:\n" + rules)
    result = run("mrr", "--data", root, "--month", "2025-03")
    assert result.exit_code == 1
    assert message in result.stderr


# --- fx: month_end ----------------------------------------------------------------------

EUR_AND_NOK = {
    "customers.csv": CUSTOMERS,
    # A: a EUR contract 2025-01-01..2025-05-31, product SaaS: line L1 100 EUR until
    # 2025-02-28, line L2 150 EUR from 2025-03-01. B: 500 NOK from 2025-01-01.
    "contracts.csv": "contract_id,customer_id,start_date,end_date,currency\n"
    "E1,A,2025-01-01,2025-05-31,EUR\nN1,B,2025-01-01,,NOK\n",
    "contract_lines.csv": "contract_id,line_id,product,unit_price,start_date,end_date\n"
    "E1,L1,SaaS,100,,2025-02-28\nE1,L2,SaaS,150,2025-03-01,\nN1,L1,SaaS,500,,\n",
    # Month-end EUR rates: Jan 10, Feb 11, Mar 12, Apr 12, May 12, Jun 13.
    "fx_rates.csv": "date,currency,rate\n2024-12-01,EUR,10\n2025-02-15,EUR,11\n"
    "2025-03-31,EUR,12\n2025-06-10,EUR,13\n",
}


def test_month_end_fx_values_lines_at_each_month_end_and_reports_fx(
    make_data_dir: MakeDir,
) -> None:
    t = mrr_of(make_data_dir(EUR_AND_NOK, _policy(fx="month_end")), "2025-01", "2025-06")
    # January: A 100 EUR × 10 + B 500 = 1,500, all new; no previous month, no fx.
    assert row(t, "2025-01")["mrr"] == pytest.approx(1500)
    assert moves(t, "2025-01") == {"new": pytest.approx(1500)}
    assert row(t, "2025-01")["fx"] == 0
    # February: rate 10 → 11 on the same 100 EUR: fx 100 × (11 − 10) = 100, no movement.
    feb = row(t, "2025-02")
    assert (feb["mrr"], feb["fx"]) == (pytest.approx(1600), pytest.approx(100))
    assert moves(t, "2025-02") == {}
    assert feb["net_change"] == pytest.approx(100)
    assert (feb["uplift"], feb["contraction"], feb["net_new"]) == (0, 0, 0)
    assert feb["growth_pct"] == pytest.approx(100 * 100 / 1500)
    # March: 100 → 150 EUR and rate 11 → 12: fx = 100 × (12 − 11) = 100 on last month's
    # 100 EUR; the upgrade is valued at this month-end's rate, (150 − 100) × 12 = 600.
    # 1,600 + 100 + 600 = 2,300 = 150 × 12 + 500.
    mar = row(t, "2025-03")
    assert (mar["mrr"], mar["fx"]) == (pytest.approx(2300), pytest.approx(100))
    assert moves(t, "2025-03") == {"upgrade": pytest.approx(600)}
    # April, May: rate unchanged, nothing moves.
    assert row(t, "2025-04")["fx"] == 0 and moves(t, "2025-04") == {}
    # June: A churns (ended 2025-05-31). Not active at both month-ends: no fx, although
    # the rate moved to 13; churn removes the MRR it had, 150 × 12 = −1,800.
    jun = row(t, "2025-06")
    assert (jun["mrr"], jun["fx"]) == (pytest.approx(500), 0)
    assert moves(t, "2025-06") == {"churn": pytest.approx(-1800)}


def test_booking_fx_keeps_the_start_rate_and_has_no_fx_column(make_data_dir: MakeDir) -> None:
    # Booked at 2025-01-01's rate 10: A is 1,000 then 1,500 — the upgrade is 50 × 10.
    t = mrr_of(make_data_dir(EUR_AND_NOK), "2025-01", "2025-06")
    assert "fx" not in t.columns
    assert [row(t, m)["mrr"] for m in ("2025-02", "2025-03", "2025-06")] == [
        pytest.approx(1500),
        pytest.approx(2000),
        pytest.approx(500),
    ]
    assert moves(t, "2025-03") == {"upgrade": pytest.approx(500)}


def test_month_end_fx_changes_nothing_in_the_base_currency(make_data_dir: MakeDir) -> None:
    files = {
        "customers.csv": CUSTOMERS,
        "contracts.csv": "contract_id,customer_id,start_date,end_date\nN1,B,2025-01-01,\n",
        "contract_lines.csv": "contract_id,product,unit_price\nN1,SaaS,500\n",
        "fx_rates.csv": EUR_AND_NOK["fx_rates.csv"],
    }
    booked = mrr_of(make_data_dir(files), "2025-01", "2025-06")
    valued = mrr_of(make_data_dir(files, _policy(fx="month_end")), "2025-01", "2025-06")
    assert valued.drop("fx").equals(booked)
    assert valued.get_column("fx").abs().sum() == 0


def test_month_end_fx_under_customer_grain(make_data_dir: MakeDir) -> None:
    # March as above, A's total 1,100 → 1,800: fx 100, the rest (600) an expansion.
    rules = _policy(fx="month_end", grain="customer")
    t = mrr_of(make_data_dir(EUR_AND_NOK, rules), "2025-01", "2025-06")
    assert moves(t, "2025-03") == {"expansion": pytest.approx(600)}
    assert row(t, "2025-03")["fx"] == pytest.approx(100)
