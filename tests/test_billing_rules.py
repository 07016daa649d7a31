"""SPEC §7 billing rules, each with an invoice computed by hand (the arithmetic is shown)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from revcli.billing.model import credit_note, tax_lines
from revcli.billing.money import round_half_up
from revcli.billing.numbering import NumberFormat, kid
from revcli.errors import DataError, UsageError
from tests.billing_support import CUSTOMERS, SELLER, amounts, billing_dir, only, run_months

D = Decimal
day = dt.date.fromisoformat

MONTHLY = """\
contract_id,customer_id,start_date,end_date,billing_period,auto_renew,renewal_term_months,renewal_uplift_pct,cancelled_on,currency
K1,C1,{start},{end},{period},{auto},{term},{uplift},{cancel},{currency}
"""


def contract(
    start: str,
    end: str = "",
    period: str = "month",
    *,
    auto: str = "false",
    term: str = "",
    uplift: str = "",
    cancel: str = "",
    currency: str = "",
) -> str:
    return MONTHLY.format(
        start=start,
        end=end,
        period=period,
        auto=auto,
        term=term,
        uplift=uplift,
        cancel=cancel,
        currency=currency,
    )


LINES = "contract_id,line_id,product,quantity,unit_price,price_period,discount_pct,start_date,end_date,tax_rate\n"


# --- billing periods ------------------------------------------------------------------


def test_monthly_periods_anchored_on_the_31st_step_to_month_ends_and_back(tmp_path: Path) -> None:
    root = billing_dir(tmp_path, contract("2026-01-31"), LINES + "K1,1,A,1,1000,month,,,,\n")
    starts = [(i.period_start, i.period_end) for i in run_months(root, "2026-01", "2026-04")]
    # 31 Jan + 1 month = 28 Feb, + 2 = 31 Mar, + 3 = 30 Apr; each ends the day before the next.
    assert starts == [
        (day("2026-01-31"), day("2026-02-27")),
        (day("2026-02-28"), day("2026-03-30")),
        (day("2026-03-31"), day("2026-04-29")),
        (day("2026-04-30"), day("2026-05-30")),
    ]


def test_quarterly_invoice_bills_three_months_in_advance_dated_the_first_day(
    tmp_path: Path,
) -> None:
    root = billing_dir(
        tmp_path, contract("2026-01-01", period="quarter"), LINES + "K1,1,PRO,10,490,month,,,,\n"
    )
    inv = only(root, "2026-01")
    # 10 seats × 490.00 × 3 months = 14 700.00; tax 25 % = 3 675.00; total 18 375.00.
    assert (inv.issue_date, inv.period_end) == (day("2026-01-01"), day("2026-03-31"))
    assert (inv.net, inv.tax, inv.total) == (D("14700.00"), D("3675.00"), D("18375.00"))
    assert run_months(root, "2026-02") == []  # no quarter starts in February
    assert only(root, "2026-04").period_start == day("2026-04-01")


def test_half_year_invoice_of_a_yearly_price(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path, contract("2026-03-15", period="half-year"), LINES + "K1,1,A,1,1200,year,,,,\n"
    )
    inv = only(root, "2026-03")
    # 1 200.00 a year = 100.00 a month × 6 months = 600.00, 15 Mar – 14 Sep.
    assert (inv.period_start, inv.period_end) == (day("2026-03-15"), day("2026-09-14"))
    assert inv.net == D("600.00")


def test_yearly_invoice_of_a_monthly_price(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path, contract("2026-01-01", period="year"), LINES + "K1,1,A,3,99,month,,,,\n"
    )
    # 3 × 99.00 × 12 months = 3 564.00.
    assert only(root, "2026-01").net == D("3564.00")
    assert run_months(root, "2026-02", "2026-12") == []


def test_term_billing_bills_the_whole_first_term_at_once(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path,
        contract("2026-01-01", "2028-12-31", "term"),
        LINES + "K1,1,CARE,1,36000,term,,,,\n",
    )
    inv = only(root, "2026-01")
    # The term is 36 whole months; 36 000 / 36 a month × 36 months = 36 000.00.
    assert (inv.period_end, inv.net) == (day("2028-12-31"), D("36000.00"))
    assert run_months(root, "2026-02", "2029-12") == []  # it does not renew


def test_term_billing_of_a_monthly_price_uses_the_exact_term_length(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path, contract("2026-01-01", "2026-06-15", "term"), LINES + "K1,1,A,1,100,month,,,,\n"
    )
    # 1 Jan + 5 months = 1 Jun ≤ 16 Jun (end + 1 day), + 15 days: 5 + 15 / 30.4375 months
    # = 5 + 240/487 = 2675/487 months; 100 × 2675/487 = 549.2813… → 549.28.
    assert only(root, "2026-01").net == D("549.28")


def test_term_priced_line_of_an_uneven_term_sums_to_its_price(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path, contract("2026-01-01", "2026-06-15", "term"), LINES + "K1,1,A,1,10000,term,,,,\n"
    )
    # line_mrr = 10 000 / (2675/487); × the same 2675/487 months = 10 000.00 exactly.
    assert only(root, "2026-01").net == D("10000.00")


def test_each_renewal_term_is_billed_at_its_start_with_the_uplift(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path,
        contract("2026-01-01", "2026-12-31", "term", auto="true", term="12", uplift="3"),
        LINES + "K1,1,A,1,1200,year,,,,\n",
    )
    renewal = only(root, "2027-01")
    # Renewal 1 runs 2027-01-01 – 2027-12-31 at 1 200 × 1.03 = 1 236.00.
    assert (renewal.period_start, renewal.period_end) == (day("2027-01-01"), day("2027-12-31"))
    assert renewal.net == D("1236.00")
    # Renewal 2: 1 200 × 1.03² = 1 273.08.
    assert only(root, "2028-01").net == D("1273.08")


# --- proration and the active days -------------------------------------------------------


def test_line_starting_inside_a_period_is_prorated_by_days(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path,
        contract("2026-01-01"),
        LINES + "K1,1,A,1,100,month,,,,\nK1,2,B,1,310,month,,2026-03-10,,\n",
    )
    inv = only(root, "2026-03")
    # B is active 10–31 March: 310 × 1 month × 22/31 days = 220.00.
    assert amounts(inv) == {"1": D("100.00"), "2": D("220.00")}
    line = inv.lines[1]
    assert (line.service_start, line.service_end) == (day("2026-03-10"), day("2026-03-31"))
    assert (line.active_days, line.period_days) == (22, 31)


def test_cancellation_inside_a_period_prorates_and_later_periods_get_no_invoice(
    tmp_path: Path,
) -> None:
    root = billing_dir(
        tmp_path, contract("2026-01-01", cancel="2026-04-20"), LINES + "K1,1,A,1,300,month,,,,\n"
    )
    # April has 30 days, 20 of them active: 300 × 20/30 = 200.00; May has no active day.
    assert only(root, "2026-04").net == D("200.00")
    assert run_months(root, "2026-05", "2026-12") == []


def test_line_end_date_sets_the_last_service_day(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path, contract("2026-01-01"), LINES + "K1,1,A,1,310,month,,,2026-03-20,\n"
    )
    line = only(root, "2026-03").lines[0]
    # 1–20 March: 310 × 20/31 = 200.00.
    assert (line.service_end, line.amount) == (day("2026-03-20"), D("200.00"))


def test_renewal_day_inside_a_period_prices_each_day_at_its_uplift(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path,
        contract("2025-12-01", "2026-01-31", "quarter", auto="true", term="12", uplift="10"),
        LINES + "K1,1,A,1,900,month,,,,\nK1,2,B,1,100,month,,2026-03-01,,\n",
    )
    first = only(root, "2025-12")
    # 1 Dec – 28 Feb is 90 days; renewal on 1 Feb: 62 days at 900, 28 days at 990.
    # 900 × 3 months × (62 + 28 × 1.1) / 90 = 2 700 × 92.8 / 90 = 2 784.00.
    assert first.net == D("2784.00")
    steps = first.lines[0].steps
    assert [(s.start, s.days, s.unit_price) for s in steps] == [
        (day("2025-12-01"), 62, D("900")),
        (day("2026-02-01"), 28, D("990")),
    ]
    second = only(root, "2026-03")
    # A: 990 × 3 = 2 970.00. B started after the renewal: its own price, 100 × 3 = 300.00.
    assert amounts(second) == {"1": D("2970.00"), "2": D("300.00")}


def test_line_starting_on_the_renewal_day_keeps_its_own_price(tmp_path: Path) -> None:
    # SPEC §3: a line that starts *on* a renewal day is not uplifted by it. The quarter
    # 1 Dec – 28 Feb has 90 days; renewal on 1 Feb; C starts 1 Feb: 28 active days at 100,
    # 100 × 3 months × 28 / 90 = 93.333… → 93.33 (uplifted, 102.67 would be wrong).
    root = billing_dir(
        tmp_path,
        contract("2025-12-01", "2026-01-31", "quarter", auto="true", term="12", uplift="10"),
        LINES + "K1,1,C,1,100,month,,2026-02-01,,\n",
    )
    line = only(root, "2025-12").lines[0]
    assert (line.amount, line.unit_price, line.steps) == (D("93.33"), D("100"), ())


# --- one-time lines ---------------------------------------------------------------------


def test_one_time_line_is_billed_in_the_period_containing_its_date_unprorated(
    tmp_path: Path,
) -> None:
    root = billing_dir(
        tmp_path,
        contract("2026-01-01", period="quarter"),
        LINES + "K1,1,A,1,100,month,,,,\nK1,2,SETUP,2,1500,once,10,2026-02-10,,\n",
    )
    q1 = only(root, "2026-01")
    # 2 × 1 500.00 × (1 − 10 %) = 2 700.00 in full, in the quarter starting 1 Jan.
    assert amounts(q1) == {"1": D("300.00"), "2": D("2700.00")}
    assert "2" not in amounts(only(root, "2026-04"))


def test_one_time_line_after_a_renewal_is_not_uplifted(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path,
        contract("2026-01-01", "2026-12-31", auto="true", term="12", uplift="10"),
        LINES + "K1,1,A,1,100,month,,,,\nK1,2,TRAIN,1,500,once,,2027-01-05,,\n",
    )
    # A: 100 × 1.1 = 110.00 after the renewal on 1 Jan 2027; TRAIN stays 500.00.
    assert amounts(only(root, "2027-01")) == {"1": D("110.00"), "2": D("500.00")}


def test_one_time_line_alone_makes_an_invoice(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path,
        contract("2026-01-01", "2026-12-31"),
        LINES + "K1,1,SETUP,1,5000,once,,2026-06-03,,\n",
    )
    inv = only(root, "2026-06")
    assert (inv.net, inv.lines[0].service_start) == (D("5000.00"), day("2026-06-03"))
    assert run_months(root, "2026-07") == []


def test_period_of_free_lines_gets_a_zero_invoice(tmp_path: Path) -> None:
    root = billing_dir(tmp_path, contract("2026-01-01"), LINES + "K1,1,TRIAL,5,0,month,,,,\n")
    inv = only(root, "2026-01")
    assert (inv.net, inv.tax, inv.total) == (D("0.00"), D("0.00"), D("0.00"))


# --- rounding ---------------------------------------------------------------------------


def test_line_amounts_round_half_up_not_half_even(tmp_path: Path) -> None:
    root = billing_dir(tmp_path, contract("2026-01-01"), LINES + "K1,1,A,1,0.125,month,,,,0\n")
    # 0.125 → 0.13 (half-even would give 0.12).
    assert only(root, "2026-01").net == D("0.13")


def test_tax_rounds_half_up(tmp_path: Path) -> None:
    root = billing_dir(tmp_path, contract("2026-01-01"), LINES + "K1,1,A,1,0.50,month,,,,25\n")
    inv = only(root, "2026-01")
    # 0.50 × 25 % = 0.125 → 0.13; total 0.63.
    assert (inv.tax, inv.total) == (D("0.13"), D("0.63"))


JPY_FX = "date,currency,rate\n2026-01-01,JPY,0.07\n2026-01-01,KWD,34.5\n"


def test_yen_amounts_have_no_decimals(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path,
        contract("2026-01-01", currency="JPY"),
        LINES + "K1,1,A,1,10000,month,,2026-01-11,,\nK1,2,B,5,0.5,once,,2026-01-11,,\n",
        fx=JPY_FX,
    )
    inv = only(root, "2026-01")
    # A: 10 000 × 21/31 = 6 774.19… → 6 774; B: 5 × 0.5 = 2.5 → 3 (half-up; half-even 2).
    # Tax 25 % of 6 777 = 1 694.25 → 1 694; total 8 471.
    assert amounts(inv) == {"1": D("6774"), "2": D("3")}
    assert (inv.net, inv.tax, inv.total) == (D("6777"), D("1694"), D("8471"))


def test_dinar_amounts_have_three_decimals(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path,
        contract("2026-01-01", currency="KWD"),
        LINES + "K1,1,A,1,10.0125,month,,,,\n",
        fx=JPY_FX,
    )
    inv = only(root, "2026-01")
    # 10.0125 → 10.013 (half-even: 10.012); tax 25 % = 2.50325 → 2.503; total 12.516.
    assert (inv.net, inv.tax, inv.total) == (D("10.013"), D("2.503"), D("12.516"))


def test_round_half_up_is_away_from_zero_for_credits() -> None:
    assert round_half_up(D("-0.125"), 2) == D("-0.13")
    assert round_half_up(D("2.5"), 0) == D("3")
    assert str(round_half_up(D("10"), 2)) == "10.00"


# --- tax ----------------------------------------------------------------------------------


def test_tax_is_computed_per_rate_on_the_sum_of_the_lines(tmp_path: Path) -> None:
    lines = LINES + "".join(f"K1,{i},A{i},1,0.10,month,,,,25\n" for i in (1, 2, 3))
    lines += (
        "K1,4,BOOK,1,100,month,,,,12\nK1,5,FOOD,1,100,month,,,,15\nK1,6,EXPORT,1,100,month,,,,0\n"
    )
    root = billing_dir(tmp_path, contract("2026-01-01"), lines)
    inv = only(root, "2026-01")
    # 25 %: 3 × 0.10 = 0.30 → 0.075 → 0.08 (per line it would be 3 × 0.03 = 0.09).
    # 12 %: 12.00; 15 %: 15.00; 0 %: 0.00. Net 300.30, tax 27.08, total 327.38.
    assert [(t.rate, t.net, t.tax) for t in inv.taxes] == [
        (D("0"), D("100.00"), D("0.00")),
        (D("12"), D("100.00"), D("12.00")),
        (D("15"), D("100.00"), D("15.00")),
        (D("25"), D("0.30"), D("0.08")),
    ]
    assert (inv.net, inv.tax, inv.total) == (D("300.30"), D("27.08"), D("327.38"))


def test_tax_rate_falls_back_from_line_to_customer_to_setting(tmp_path: Path) -> None:
    customers = CUSTOMERS + "C2,Other AS,,,,,,\n".replace(",,,,,,", ",,,,,,")
    customers = "customer_id,name,tax_rate\nC1,With rate,15\nC2,Without rate,\n"
    contracts = "contract_id,customer_id,start_date\nK1,C1,2026-01-01\nK2,C2,2026-01-01\n"
    lines = LINES + "K1,1,A,1,100,month,,,,\nK1,2,B,1,100,month,,,,6\nK2,1,A,1,100,month,,,,\n"
    settings = SELLER.replace("default_tax_rate: 25", "default_tax_rate: 20")
    root = billing_dir(tmp_path, contracts, lines, customers=customers, settings=settings)
    k1, k2 = run_months(root, "2026-01")
    assert [line.tax_rate for line in k1.lines] == [D("15"), D("6")]
    assert k2.lines[0].tax_rate == D("20")


REVERSE = "customer_id,name,country,vat_id,tax_rate,reverse_charge,locale\nC1,Brightside Ltd,GB,GB123456789,25,true,en_GB\n"


def test_reverse_charge_customer_is_invoiced_at_zero_tax(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path, contract("2026-01-01"), LINES + "K1,1,A,1,1000,month,,,,12\n", customers=REVERSE
    )
    inv = only(root, "2026-01")
    assert inv.reverse_charge
    assert (inv.lines[0].tax_rate, inv.tax, inv.total) == (D("0"), D("0.00"), D("1000.00"))
    assert inv.buyer.vat_id == "GB123456789"


def test_reverse_charge_without_a_vat_id_is_an_error_naming_the_customer(tmp_path: Path) -> None:
    customers = REVERSE.replace("GB123456789", "")
    root = billing_dir(
        tmp_path, contract("2026-01-01"), LINES + "K1,1,A,1,1000,month,,,,\n", customers=customers
    )
    with pytest.raises(DataError) as caught:
        run_months(root, "2026-01")
    assert [str(i) for i in caught.value.issues] == [
        f"{root}/customers.csv:2: vat_id: is required on invoices to a reverse_charge customer "
        "(VAT directive art. 226)"
    ]


EUR_FX = "date,currency,rate\n2026-01-01,EUR,11.5\n2026-11-20,EUR,11.7215\n"


def test_norwegian_seller_shows_the_tax_of_a_euro_invoice_in_nok(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path,
        contract("2026-12-01", currency="EUR"),
        LINES + "K1,1,A,1,1000,month,,,,25\n",
        fx=EUR_FX,
    )
    inv = only(root, "2026-12")
    # Tax 250.00 EUR at the rate in effect on 1 Dec (11.7215, from 20 Nov) = 2 930.375
    # → 2 930.38 NOK.
    assert (inv.tax, inv.nok_rate, inv.tax_nok) == (D("250.00"), D("11.7215"), D("2930.38"))


def test_nok_invoice_has_no_separate_nok_tax(tmp_path: Path) -> None:
    root = billing_dir(tmp_path, contract("2026-01-01"), LINES + "K1,1,A,1,1000,month,,,,\n")
    assert only(root, "2026-01").tax_nok is None


def test_due_date_adds_the_customers_payment_terms(tmp_path: Path) -> None:
    customers = "customer_id,name,payment_terms_days\nC1,Slow Payer AS,30\nC2,Default AS,\n"
    contracts = "contract_id,customer_id,start_date\nK1,C1,2026-12-01\nK2,C2,2026-12-01\n"
    lines = LINES + "K1,1,A,1,1,month,,,,\nK2,1,A,1,1,month,,,,\n"
    root = billing_dir(tmp_path, contracts, lines, customers=customers)
    k1, k2 = run_months(root, "2026-12")
    # 1 Dec + 30 days = 31 Dec; the setting's 14 days give 15 Dec.
    assert (k1.due_date, k2.due_date) == (day("2026-12-31"), day("2026-12-15"))


def test_invoices_of_a_run_are_ordered_by_period_start_then_contract(tmp_path: Path) -> None:
    contracts = (
        "contract_id,customer_id,start_date\nB,C1,2026-01-01\nA,C1,2026-01-15\nC,C1,2026-01-01\n"
    )
    lines = LINES + "A,1,X,1,1,month,,,,\nB,1,X,1,1,month,,,,\nC,1,X,1,1,month,,,,\n"
    root = billing_dir(tmp_path, contracts, lines)
    assert [i.contract_id for i in run_months(root, "2026-01")] == ["B", "C", "A"]


def test_filter_on_an_unknown_contract_is_a_usage_error(tmp_path: Path) -> None:
    from revcli.billing.run import billing_run
    from revcli.data.validate import load_dataset

    root = billing_dir(tmp_path, contract("2026-01-01"), LINES + "K1,1,A,1,1,month,,,,\n")
    with pytest.raises(UsageError, match="no contract_id 'NOPE'"):
        billing_run(load_dataset(root), day("2026-01-01"), day("2026-01-01"), contract="NOPE")


# --- credit notes, numbers, references --------------------------------------------------


def test_credit_note_negates_the_credited_lines_and_recomputes_tax(tmp_path: Path) -> None:
    root = billing_dir(
        tmp_path,
        contract("2026-01-01"),
        LINES + "K1,1,A,1,0.50,month,,,,25\nK1,2,B,1,100,month,,,,25\n",
    )
    original = only(root, "2026-01")
    note = credit_note(original, ["1"], "Wrong price", day("2026-01-20"))
    # −0.50 × 25 % = −0.125 → −0.13 (away from zero); total −0.63.
    assert (note.net, note.tax, note.total) == (D("-0.50"), D("-0.13"), D("-0.63"))
    full = credit_note(original, [], "Cancelled", day("2026-01-20"))
    assert (full.net, full.tax, full.total) == (-original.net, -original.tax, -original.total)
    assert (full.issue_date, full.due_date, full.kind) == (day("2026-01-20"),) * 2 + (
        "credit_note",
    )


def test_number_format_series_restart_per_year() -> None:
    fmt = NumberFormat.parse("{year}-{seq:05d}")
    assert fmt.series(2026) == "2026-{seq:05d}"
    assert NumberFormat.number(fmt.series(2027), 1) == "2027-00001"
    plain = NumberFormat.parse("INV{seq:06d}")
    assert plain.series(2026) == plain.series(2027) == "INV{seq:06d}"


@pytest.mark.parametrize("fill", ["", "0", "1", "x", " ", "٣"])
@pytest.mark.parametrize("align", ["", "<", ">", "=", "^"])
@pytest.mark.parametrize("zero", ["", "0"])
@pytest.mark.parametrize("kind", ["", "d", "b"])
def test_an_accepted_number_format_writes_every_number_its_own_way(
    fill: str, align: str, zero: str, kind: str
) -> None:
    # Every padding the format may have, by hand: where a fill needs an alignment.
    spec = f"{fill if align else ''}{align}{zero}4{kind}"
    try:
        fmt = NumberFormat.parse(f"A{{seq:{spec}}}")
    except DataError:
        return
    series = fmt.series(2026)
    numbers = [NumberFormat.number(series, seq) for seq in range(1, 2000)]
    assert len(set(numbers)) == len(numbers), spec
    assert len({kid(n) for n in numbers}) == len(numbers), spec


def test_zeros_before_the_number_are_accepted() -> None:
    assert NumberFormat.number(NumberFormat.parse("{seq:0>4}").series(2026), 7) == "0007"
    assert NumberFormat.number(NumberFormat.parse("{seq:=05}").series(2026), 7) == "00007"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{year}-{n}", "unknown field {n}"),
        ("{year}", "must contain {seq} exactly once"),
        ("{seq}-{seq}", "must contain {seq} exactly once"),
        ("{year-{seq}", "is not a valid number format"),
        # Only digits: {seq:5} pads 1 with four spaces, a fill other than 0 is no digit,
        # a sign or grouping adds a character, # adds 0b.
        ("{year}-{seq:5}", "{seq:5} writes 1 as '    1', not as its digits"),
        ("{year}-{seq:x>5}", "{seq:x>5} writes 1 as 'xxxx1'"),
        ("{year}-{seq:+d}", "{seq:+d} writes 1 as '+1'"),
        ("{year}-{seq: 05d}", "{seq: 05d} writes 1 as ' 0001'"),
        ("{year}-{seq:,d}", "{seq:,d} writes 1234567 as '1,234,567'"),
        ("{year}-{seq:_b}", "writes 1234567 as '1_0010_1101_0110_1000_0111'"),
        ("{year}-{seq:#o}", "{seq:#o} writes 1 as '0o1'"),
        ("{year:>6}-{seq}", "{year:>6} writes 2026 as '  2026'"),
        # Digits as fill after the number, or other than zeros: 1 and 10 would both be 10,
        # 1 and 11 both 111.
        ("{year}-{seq:0<2}", "{seq:0<2} writes 1 as '10'"),
        ("{year}-{seq:1>3}", "{seq:1>3} writes 1 as '111'"),
        ("{year}-{seq:0^3}", "{seq:0^3} writes 1 as '010'"),
    ],
)
def test_unusable_number_format_is_an_error_naming_the_setting(text: str, problem: str) -> None:
    with pytest.raises(DataError) as caught:
        NumberFormat.parse(text)
    (issue,) = caught.value.issues
    assert issue.column == "invoice.number_format"
    assert problem in issue.message


def test_kid_has_a_mod10_check_digit() -> None:
    # The Luhn example 7992739871 has check digit 3.
    assert kid("7992739871") == "79927398713"
    # 2026-00001 → 202600001 + check digit: 1·2=2, 0, 0·2, 0, 0·2, 6, 2·2=4, 0, 2·2=4 → 16 → 4.
    assert kid("2026-00001") == "2026000014"
    # 2026-00003 → 202600003: 3·2=6, 0, 0·2, 0, 0·2, 6, 2·2=4, 0, 2·2=4 → 20 → check digit
    # (10 − 0) mod 10 = 0, one digit, never "10".
    assert kid("2026-00003") == "2026000030"


def test_a_kid_has_only_the_digits_0_to_9() -> None:
    # \D took the Arabic-Indic three of INV٣-1 for a digit: KID '٣15', which no bank reads.
    # The digits are 1 alone: 1·2 = 2 → check digit 8.
    assert kid("INV٣-1") == "18"


def test_tax_lines_in_nok_sum_the_rounded_rates() -> None:
    from revcli.billing.model import InvoiceLine

    def line(rate: str, amount: str) -> InvoiceLine:
        return InvoiceLine(
            "1",
            "P",
            "P",
            "recurring",
            "month",
            D(1),
            D(amount),
            D(0),
            day("2026-01-01"),
            day("2026-01-31"),
            31,
            31,
            D(rate),
            D(amount),
        )

    taxes, net, tax, total, nok = tax_lines(
        [line("25", "10.01"), line("12", "10.01")], "EUR", D("11.5")
    )
    # 25 %: 2.5025 → 2.50 EUR → 28.75 NOK; 12 %: 1.2012 → 1.20 EUR → 13.80 NOK.
    assert [(t.tax, t.tax_nok) for t in taxes] == [(D("1.20"), D("13.80")), (D("2.50"), D("28.75"))]
    assert (net, tax, total, nok) == (D("20.02"), D("3.70"), D("23.72"), D("42.55"))
