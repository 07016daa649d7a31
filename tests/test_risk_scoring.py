"""Churn-risk signals, each firing and not firing at its threshold, and the score.

All cases are as of 2026-11-23 with the default rules (docs/risk.md):
usage −20 % over Aug–Oct vs May–Jul (weight 25); tickets ≥ 3 and ≥ 2 × usual in the 30
days 2026-10-25..2026-11-23, usual from the 180 days 2026-04-28..2026-10-24 (15);
an invoice ≥ 14 days overdue (20); ≥ 2 invoices due since 2026-05-28 paid ≥ 14 days
late (10); renewal within 90 days without an open renewal deal (20); downgrades and
cancellations in Sep–Nov ≥ 10 % of MRR (10).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from revcli.checks import load_dataset
from revcli.risk.contracts import renewal_signal
from revcli.risk.reasons import whole
from revcli.risk.report import risk_inputs, risk_settings
from revcli.risk.scoring import risk_table
from revcli.risk.settings import RenewalRule
from tests.conftest import SETTINGS, MakeDir, Run

AS_OF = dt.date(2026, 11, 23)

CUSTOMERS = "customer_id,name,owner\nA,Acme AS,kari@x.no\nB,Bergen AS,ola@x.no\n"
# A: 1,000 MRR, B: 500 MRR, both evergreen from January 2026.
CONTRACTS = "contract_id,customer_id,start_date\nCA,A,2026-01-01\nCB,B,2026-01-01\n"
LINES = "contract_id,product,unit_price\nCA,LIC,1000\nCB,LIC,500\n"


def files(**extra: str) -> dict[str, str]:
    base = {"customers.csv": CUSTOMERS, "contracts.csv": CONTRACTS, "contract_lines.csv": LINES}
    return {**base, **{k.replace("_csv", ".csv"): v for k, v in extra.items()}}


def scored(root: Path, as_of: dt.date = AS_OF) -> dict[str, dict[str, Any]]:
    data = load_dataset(root)
    table = risk_table(risk_inputs(data, as_of), risk_settings(data), as_of)
    return {r["customer_id"]: r for r in table.to_dicts()}


def why(row: dict[str, Any]) -> str:
    """The reasons that fired, without the note on missing signal data."""
    parts = row["reasons"].split("; ") if row["reasons"] else []
    return "; ".join(p for p in parts if not p.startswith(("no ", "scored on ")))


def usage_rows(customer: str, metric: str, values: dict[str, float]) -> str:
    return "".join(f"{customer},{month},{metric},{v}\n" for month, v in values.items())


PRIOR = {"2026-05": 100, "2026-06": 100, "2026-07": 100}  # Σ 300


def test_usage_decline_of_exactly_the_threshold_fires(make_data_dir: MakeDir) -> None:
    # Recent Aug–Oct 80 × 3 = 240 vs prior 300: decline 100 × 60 / 300 = 20 % ≥ 20 %.
    # November (the as-of month, incomplete) is not counted, even at 0.
    recent = {"2026-08": 80, "2026-09": 80, "2026-10": 80, "2026-11": 0}
    usage = "customer_id,month,metric,value\n" + usage_rows("A", "logins", {**PRIOR, **recent})
    a = scored(make_data_dir(files(usage_csv=usage)))["A"]
    assert a["usage"] == 25
    assert why(a) == "usage down 20 % over the last 3 months vs the 3 before (logins: 300 → 240)"


def test_usage_decline_just_under_the_threshold_does_not_fire(make_data_dir: MakeDir) -> None:
    # Recent 81 + 80 + 80 = 241: decline 100 × 59 / 300 = 19.67 % < 20 %.
    recent = {"2026-08": 81, "2026-09": 80, "2026-10": 80}
    usage = "customer_id,month,metric,value\n" + usage_rows("A", "logins", {**PRIOR, **recent})
    a = scored(make_data_dir(files(usage_csv=usage)))["A"]
    assert a["usage"] == 0
    assert why(a) == ""
    assert a["data"] == "usage, contracts"


def test_a_missing_usage_month_counts_as_zero_and_the_worst_metric_is_named(
    make_data_dir: MakeDir,
) -> None:
    # logins: recent Aug + Sep = 200 (no October row) vs 300 → 33.3 % → "33 %".
    # seats: 10 → 9 per month: 30 vs 27 → 10 %. The worst metric (logins) is named.
    usage = (
        "customer_id,month,metric,value\n"
        + usage_rows("A", "logins", {**PRIOR, "2026-08": 100, "2026-09": 100})
        + usage_rows(
            "A",
            "seats",
            dict.fromkeys(PRIOR, 10) | dict.fromkeys(["2026-08", "2026-09", "2026-10"], 9),
        )
    )
    a = scored(make_data_dir(files(usage_csv=usage)))["A"]
    assert why(a) == "usage down 33 % over the last 3 months vs the 3 before (logins: 300 → 200)"


def test_usage_decline_of_exactly_the_threshold_is_not_lost_to_float_noise(
    make_data_dir: MakeDir,
) -> None:
    # Prior May 4 (June and July without rows: 0), recent August 3.2: 100 × 0.8 / 4 = 20 %
    # exactly, which floats compute as 19.999999999999996. Ratios are compared after
    # rounding to 9 decimals (docs/risk.md): it fires.
    usage = "customer_id,month,metric,value\n" + usage_rows(
        "A", "logins", {"2026-05": 4, "2026-08": 3.2}
    )
    a = scored(make_data_dir(files(usage_csv=usage)))["A"]
    assert a["usage"] == 25
    assert why(a) == "usage down 20 % over the last 3 months vs the 3 before (logins: 4 → 3)"


def test_usage_without_a_prior_window_is_no_usage_data(make_data_dir: MakeDir) -> None:
    # A started reporting in August: nothing to compare with, so usage is not a source.
    usage = "customer_id,month,metric,value\n" + usage_rows(
        "A", "logins", {"2026-08": 5, "2026-10": 1}
    )
    a = scored(make_data_dir(files(usage_csv=usage)))["A"]
    assert (a["usage"], a["data"]) == (0, "contracts")


def tickets(*rows: tuple[str, str]) -> str:
    return "customer_id,opened_on,severity\n" + "".join(f"A,{d},{s}\n" for d, s in rows)


def baseline(n: int) -> list[tuple[str, str]]:
    # n tickets inside the baseline window 2026-04-28..2026-10-24 (both ends included).
    days = [dt.date(2026, 4, 28) + dt.timedelta(days=i) for i in range(n - 1)]
    return [(d.isoformat(), "normal") for d in [*days, dt.date(2026, 10, 24)]]


def test_ticket_spike_at_exactly_twice_the_usual_rate_fires(make_data_dir: MakeDir) -> None:
    # Baseline 9 tickets in 180 days → usual 9 × 30 / 180 = 1.5 per 30 days; 2 × 1.5 = 3.
    # Recent: 3 tickets from 2026-10-25 (first day of the window) to the as-of day.
    recent = [("2026-10-25", "urgent"), ("2026-11-01", "high"), ("2026-11-23", "low")]
    a = scored(make_data_dir(files(tickets_csv=tickets(*baseline(9), *recent))))["A"]
    assert a["tickets"] == 15
    assert why(a) == "3 tickets in the last 30 days (1 urgent, 1 high) vs usually 1.5 per 30 days"


def test_ticket_count_under_twice_the_usual_rate_does_not_fire(make_data_dir: MakeDir) -> None:
    # Baseline 10 → usual 10 × 30 / 180 = 1.67; 2 × 1.67 = 3.33 > 3 recent tickets.
    recent = [("2026-10-25", "normal"), ("2026-11-01", "normal"), ("2026-11-23", "normal")]
    a = scored(make_data_dir(files(tickets_csv=tickets(*baseline(10), *recent))))["A"]
    assert a["tickets"] == 0


def test_ticket_spike_needs_the_minimum_count(make_data_dir: MakeDir) -> None:
    # No baseline (usual 0), but only 2 recent tickets < min_tickets 3. A ticket on
    # 2026-11-24 is after the as-of day and does not count.
    recent = [("2026-11-01", "normal"), ("2026-11-02", "normal"), ("2026-11-24", "urgent")]
    root = make_data_dir(files(tickets_csv=tickets(*recent)))
    a = scored(root)["A"]
    assert a["tickets"] == 0
    # With the third ticket inside the window, it fires against an empty baseline.
    root = make_data_dir(files(tickets_csv=tickets(*recent[:2], ("2026-11-23", "normal"))))
    assert why(scored(root)["A"]) == "3 tickets in the last 30 days vs none in the 180 days before"


def test_ticket_spike_of_exactly_the_ratio_is_not_lost_to_float_noise(
    make_data_dir: MakeDir,
) -> None:
    # min_ratio 2.1; baseline 20 tickets → usual 20 × 30 / 180 = 3.33… per 30 days, and
    # 2.1 × 3.33… = 7 exactly (7.000000000000001 in floats). 7 recent tickets are at least
    # 7: it fires (docs/risk.md: ratios compared after rounding to 9 decimals).
    recent = [(f"2026-11-{day:02d}", "normal") for day in range(1, 8)]
    settings = SETTINGS + "risk:\n  tickets:\n    min_ratio: 2.1\n"
    root = make_data_dir(files(tickets_csv=tickets(*baseline(20), *recent)), settings=settings)
    a = scored(root)["A"]
    assert a["tickets"] == 15
    assert why(a) == "7 tickets in the last 30 days vs usually 3.3 per 30 days"


def test_ticket_file_makes_tickets_a_source_for_every_customer(make_data_dir: MakeDir) -> None:
    # B has no tickets at all: a quiet customer, not missing data.
    t = scored(make_data_dir(files(tickets_csv=tickets(("2026-11-01", "low")))))
    assert t["B"]["data"] == "tickets, contracts"
    assert t["B"]["tickets"] == 0


PAYMENTS = "invoice_number,customer_id,due_date,paid_on,amount\n"


def test_invoice_overdue_exactly_the_threshold_fires(make_data_dir: MakeDir) -> None:
    # Due 2026-11-09, unpaid: 2026-11-23 − 2026-11-09 = 14 days ≥ 14.
    root = make_data_dir(files(payments_csv=PAYMENTS + "1,A,2026-11-09,,1250.00\n"))
    a = scored(root)["A"]
    assert a["overdue"] == 20
    assert why(a) == "1 invoice overdue by 14 days (1,250 NOK)"


def test_invoice_overdue_one_day_less_does_not_fire(make_data_dir: MakeDir) -> None:
    # Due 2026-11-10: 13 days overdue < 14. Paid on the as-of day counts as paid.
    root = make_data_dir(
        files(payments_csv=PAYMENTS + "1,A,2026-11-10,,1250.00\n2,A,2026-10-01,2026-11-23,99\n")
    )
    a = scored(root)["A"]
    assert (a["overdue"], a["data"]) == (0, "payments, contracts")


def test_overdue_counts_every_unpaid_invoice_and_names_the_oldest(make_data_dir: MakeDir) -> None:
    # 2026-10-13: 41 days; 2026-11-20: 3 days, paid only after the as-of day, so unpaid
    # on it. Amounts: 1,000 + 500.50 = 1,500.50 NOK → "1,501 NOK"; 20 EUR apart.
    rows = "1,A,2026-10-13,,1000\n2,A,2026-11-20,2026-11-30,500.50\n3,A,2026-11-01,,20\n"
    root = make_data_dir(
        files(
            payments_csv="invoice_number,customer_id,due_date,paid_on,amount,currency\n"
            + "\n".join(r + ("," + ("EUR" if r.startswith("3") else "")) for r in rows.splitlines())
            + "\n"
        )
    )
    a = scored(root)["A"]
    assert why(a) == "3 invoices overdue, oldest 41 days (20 EUR + 1,501 NOK)"


def test_two_late_payments_at_the_threshold_fire(make_data_dir: MakeDir) -> None:
    # Due since 2026-05-28 (180 days up to the as-of day): invoice 1 paid 14 days late,
    # invoice 2 paid 20 days late, invoice 3 on time: 2 late ≥ 2. Invoice 4 was due on
    # 2026-05-27, outside the lookback, though 30 days late.
    rows = (
        "1,A,2026-05-28,2026-06-11,1\n"
        "2,A,2026-08-01,2026-08-21,1\n"
        "3,A,2026-09-01,2026-09-01,1\n"
        "4,A,2026-05-27,2026-06-26,1\n"
    )
    a = scored(make_data_dir(files(payments_csv=PAYMENTS + rows)))["A"]
    assert a["late_payments"] == 10
    assert why(a) == (
        "2 of 3 invoices due in the last 180 days paid late, up to 20 days after the due date"
    )


def test_payment_13_days_late_is_not_late(make_data_dir: MakeDir) -> None:
    rows = "1,A,2026-06-01,2026-06-14,1\n2,A,2026-08-01,2026-08-21,1\n"  # 13 and 20 days
    a = scored(make_data_dir(files(payments_csv=PAYMENTS + rows)))["A"]
    assert a["late_payments"] == 0


def test_an_invoice_due_on_the_as_of_day_is_not_overdue_yet(make_data_dir: MakeDir) -> None:
    # A: 1,250 due 2026-11-09 (14 days overdue) and 500 due on the as-of day, both unpaid.
    # Only an invoice due *before* the as-of day is overdue: one invoice, 1,250 NOK.
    # B's only invoice is due on the as-of day: not overdue, yet B has payment data (an
    # invoice due on or before the as-of day).
    rows = "1,A,2026-11-09,,1250.00\n2,A,2026-11-23,,500\n3,B,2026-11-23,,800\n"
    t = scored(make_data_dir(files(payments_csv=PAYMENTS + rows)))
    assert why(t["A"]) == "1 invoice overdue by 14 days (1,250 NOK)"
    assert (t["B"]["overdue"], t["B"]["data"]) == (0, "payments, contracts")
    assert t["B"]["reasons"] == "no usage or ticket data"


def test_an_invoice_due_and_paid_on_the_as_of_day_counts_among_the_paid_ones(
    make_data_dir: MakeDir,
) -> None:
    # Due in the 180 days ending on 2026-11-23 and paid by then: 2026-08-01 (20 days late),
    # 2026-09-01 (14 days late) and 2026-11-23, paid the same day (on time): 2 of 3 late.
    rows = "1,A,2026-08-01,2026-08-21,1\n2,A,2026-09-01,2026-09-15,1\n3,A,2026-11-23,2026-11-23,1\n"
    a = scored(make_data_dir(files(payments_csv=PAYMENTS + rows)))["A"]
    assert a["late_payments"] == 10
    assert why(a) == (
        "2 of 3 invoices due in the last 180 days paid late, up to 20 days after the due date"
    )


def downgrade_files(new_quantity: str, since: str) -> dict[str, str]:
    lines = (
        "contract_id,product,quantity,unit_price,start_date,end_date\n"
        f"CA,LIC,10,100,2026-01-01,{since}\n"
        f"CA,LIC,{new_quantity},100,{(dt.date.fromisoformat(since) + dt.timedelta(days=1))},\n"
        "CB,LIC,1,500,,\n"
    )
    return {**files(), "contract_lines.csv": lines}


def test_downgrade_of_exactly_ten_percent_fires(make_data_dir: MakeDir) -> None:
    # 10 × 100 until 2026-09-30, then 9 × 100: an October downgrade of −100.
    # Lost 100 / (MRR 900 + 100) = 10 % ≥ 10 %.
    a = scored(make_data_dir(downgrade_files("9", "2026-09-30")))["A"]
    assert a["downgrade"] == 10
    assert why(a) == "downgraded 100 NOK MRR in the last 3 months (10 % of MRR): LIC reduced"


def test_downgrade_under_ten_percent_does_not_fire(make_data_dir: MakeDir) -> None:
    # 9.01 × 100 = 901: lost 99 / 1,000 = 9.9 % < 10 %.
    a = scored(make_data_dir(downgrade_files("9.01", "2026-09-30")))["A"]
    assert a["downgrade"] == 0


def test_downgrade_before_the_window_does_not_fire(make_data_dir: MakeDir) -> None:
    # A downgrade in August is outside the movement months September–November.
    a = scored(make_data_dir(downgrade_files("5", "2026-07-31")))["A"]
    assert a["downgrade"] == 0


def test_downgrade_in_the_first_of_the_movement_months_fires(make_data_dir: MakeDir) -> None:
    # 10 × 100 until 2026-08-31, then 9 × 100: a September downgrade of −100. As of
    # 2026-11-23 the movement months are September, October and November: it counts.
    a = scored(make_data_dir(downgrade_files("9", "2026-08-31")))["A"]
    assert a["downgrade"] == 10
    assert why(a) == "downgraded 100 NOK MRR in the last 3 months (10 % of MRR): LIC reduced"


def test_downgrade_of_exactly_ten_percent_is_not_lost_to_float_noise(
    make_data_dir: MakeDir,
) -> None:
    # 10 seats × 1.10 = 11.00 until 2026-09-30, then 9 × 1.10 = 9.90: lost 1.10 of
    # 9.90 + 1.10 = 11.00 is 10 % exactly (9.999999999999998 in floats): it fires.
    lines = (
        "contract_id,product,quantity,unit_price,start_date,end_date\n"
        "CA,LIC,10,1.10,2026-01-01,2026-09-30\n"
        "CA,LIC,9,1.10,2026-10-01,\n"
        "CB,LIC,1,500,,\n"
    )
    a = scored(make_data_dir({**files(), "contract_lines.csv": lines}))["A"]
    assert a["downgrade"] == 10
    assert why(a) == "downgraded 1 NOK MRR in the last 3 months (10 % of MRR): LIC reduced"


def test_cancelled_product_counts_as_a_downgrade(make_data_dir: MakeDir) -> None:
    # A also has ADDON 250 ending 2026-10-31: a November cancellation of −250.
    # Lost 250 / (1,000 + 250) = 20 %.
    data = files(
        contract_lines_csv="contract_id,product,unit_price,end_date\n"
        "CA,LIC,1000,\nCA,ADDON,250,2026-10-31\nCB,LIC,500,\n"
    )
    a = scored(make_data_dir(data))["A"]
    assert why(a) == "downgraded 250 NOK MRR in the last 3 months (20 % of MRR): ADDON cancelled"


def test_customer_with_no_signal_data_is_scored_on_contracts_and_says_so(
    make_data_dir: MakeDir,
) -> None:
    t = scored(make_data_dir(files()))
    assert t["A"]["score"] == 0
    assert t["A"]["data"] == "contracts"
    assert t["A"]["reasons"] == "scored on contracts only: no usage, ticket or payment data"


def test_reasons_name_the_signal_files_without_data_for_the_customer(
    make_data_dir: MakeDir,
) -> None:
    # tickets.csv exists (a source for everyone); payments only for A; no usage file.
    root = make_data_dir(
        files(
            tickets_csv=tickets(("2026-11-01", "low")),
            payments_csv=PAYMENTS + "1,A,2026-11-09,,1250.00\n",
        )
    )
    t = scored(root)
    assert t["A"]["reasons"] == "1 invoice overdue by 14 days (1,250 NOK); no usage data"
    assert t["B"]["reasons"] == "no usage or payment data"
    assert t["B"]["data"] == "tickets, contracts"


def test_only_customers_active_in_the_as_of_month_are_scored(make_data_dir: MakeDir) -> None:
    # B's contract ends 2026-11-15: MRR 0 at the end of November, so B is not active;
    # A's ends 2026-11-30 and is active in November (SPEC §4).
    data = files(
        contracts_csv="contract_id,customer_id,start_date,end_date\n"
        "CA,A,2026-01-01,2026-11-30\nCB,B,2026-01-01,2026-11-15\n"
    )
    assert list(scored(make_data_dir(data))) == ["A"]


def test_score_sums_weights_caps_at_100_and_sorts_by_arr_at_risk(
    run: Run, make_data_dir: MakeDir
) -> None:
    # Weights raised: overdue 60, late 50. A (ARR 12,000) has one overdue invoice:
    # score 60 → at risk 7,200. B (ARR 6,000) is overdue and late twice: 60 + 50 = 110,
    # capped at 100 → at risk 6,000. A comes first.
    settings = SETTINGS + "risk:\n  overdue:\n    weight: 60\n  late_payments:\n    weight: 50\n"
    pay = PAYMENTS + (
        "1,A,2026-10-01,,1\n2,B,2026-10-01,,1\n3,B,2026-07-01,2026-08-01,1\n4,B,2026-08-01,2026-09-01,1\n"
    )
    root = make_data_dir(files(payments_csv=pay), settings=settings)
    result = run("risk", "--data", root, "--as-of", "2026-11-23", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "customer_id,customer_name,owner,mrr,arr,score,arr_at_risk,usage,tickets,overdue,"
        "late_payments,renewal,downgrade,data,reasons"
    )
    assert lines[1].startswith("A,Acme AS,kari@x.no,1000.00,12000.00,60,7200.00,0,0,60,0,0,0,")
    assert lines[2].startswith("B,Bergen AS,ola@x.no,500.00,6000.00,100,6000.00,0,0,60,50,0,0,")


def test_top_limits_rows_and_zero_is_a_usage_error(run: Run, make_data_dir: MakeDir) -> None:
    root = make_data_dir(files())
    result = run("risk", "--data", root, "--as-of", "2026-11-23", "--top", "1", "-f", "csv")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2
    assert run("risk", "--data", root, "--top", "0").exit_code == 2
    # A top larger than any machine integer is every customer, not an internal error.
    every = run("risk", "--data", root, "--as-of", "2026-11-23", "-f", "csv")
    huge = run("risk", "--data", root, "--as-of", "2026-11-23", "--top", str(10**30), "-f", "csv")
    assert huge.exit_code == 0, huge.output
    assert huge.stdout == every.stdout
    assert run("risk", "--data", root, "--as-of", "23.11.2026").exit_code == 2


def test_invalid_signal_file_stops_risk_with_exit_1(run: Run, make_data_dir: MakeDir) -> None:
    root = make_data_dir(files(tickets_csv="customer_id,opened_on,severity\nA,2026-11-01,meh\n"))
    result = run("risk", "--data", root, "--as-of", "2026-11-23")
    assert result.exit_code == 1
    assert "tickets.csv:2: severity: 'meh' is not allowed" in result.stderr
    assert result.stdout == ""


# The renewal signal on a hand-made upcoming-renewals frame (SPEC §6 columns).

ACTIVE = pl.DataFrame({"customer_id": ["A", "B", "C", "D", "E", "F"], "mrr": [1.0] * 6})
RENEWALS = pl.DataFrame(
    {
        "contract_id": ["KA", "KB", "KC", "KD", "KE", "KF1", "KF2"],
        "customer_id": ["A", "B", "C", "D", "E", "F", "F"],
        "term_end": [dt.date(2027, 3, 31)] * 7,
        "days_left": [128, 128, 40, 20, 12, 60, 30],
        "notice_deadline": [dt.date(2027, 2, 20)] * 7,
        "days_to_notice": [90, 91, 10, -5, 0, 0, 0],
        "status": [
            "auto-renews",
            "auto-renews",
            "expires",
            "locked-in",
            "cancelled",
            "expires",
            "expires",
        ],
    }
)
OPPORTUNITIES = pl.DataFrame(
    {
        "customer_id": ["C", "E"],
        "type": ["renewal", "expansion"],
        "status": ["open", "open"],
    }
)


def renewal_reasons() -> dict[str, str | None]:
    out = renewal_signal(ACTIVE, RENEWALS, OPPORTUNITIES, RenewalRule())
    return dict(zip(out["customer_id"], out["reason"], strict=True))


def test_renewal_signal_fires_at_the_window_edge_and_not_beyond() -> None:
    reasons = renewal_reasons()
    # A: notice deadline in 90 days ≤ 90 → fires; B: 91 days → does not.
    assert (
        reasons["A"] == "notice deadline in 90 days (contract KA) and no open renewal opportunity"
    )
    assert reasons["B"] is None


def test_renewal_signal_respects_open_renewal_deals_and_locked_in_contracts() -> None:
    reasons = renewal_reasons()
    assert reasons["C"] is None  # expires in 40 days, but a renewal deal is open
    assert reasons["D"] is None  # locked in: it renews whatever happens
    # E's open deal is an expansion, not a renewal conversation.
    assert reasons["E"] == (
        "contract KE ends in 12 days (cancelled) and no open renewal opportunity"
    )
    # F: two expiring contracts; the sooner one is named.
    assert reasons["F"] == (
        "contract KF2 ends in 30 days without auto-renewal and no open renewal opportunity "
        "(+1 more contract)"
    )


def test_a_recorded_renewal_decision_counts() -> None:
    # G: auto-renews, notice in 20 days, decision "renew" → settled, no signal.
    # H: expires in 30 days with an open renewal deal, but the decision is "cancel".
    # I: notice in 10 days, no deal, decision "renegotiate" → named in the reason.
    active = pl.DataFrame({"customer_id": ["G", "H", "I"], "mrr": [1.0] * 3})
    renewals = pl.DataFrame(
        {
            "contract_id": ["KG", "KH", "KI"],
            "customer_id": ["G", "H", "I"],
            "days_left": [50, 30, 40],
            "days_to_notice": [20, 0, 10],
            "status": ["auto-renews", "expires", "auto-renews"],
            "renewal_decision": ["renew", "cancel", "renegotiate"],
        }
    )
    deals = pl.DataFrame({"customer_id": ["H"], "type": ["renewal"], "status": ["open"]})
    out = renewal_signal(active, renewals, deals, RenewalRule())
    reasons = dict(zip(out["customer_id"], out["reason"], strict=True))
    assert reasons == {
        "G": None,
        "H": "contract KH ends in 30 days without auto-renewal (recorded decision: cancel)",
        "I": "notice deadline in 10 days (contract KI) and no open renewal opportunity "
        "(recorded decision: renegotiate)",
    }


def renewal_files(end: str, deals: str = "") -> dict[str, str]:
    # A auto-renews at ``end`` with 30 days' notice (the default); B is evergreen.
    return files(
        contracts_csv="contract_id,customer_id,start_date,end_date,auto_renew\n"
        f"CA,A,2026-01-01,{end},true\nCB,B,2026-01-01,,\n",
        opportunities_csv="opportunity_id,customer_id,probability,expected_close,mrr,type\n"
        + deals,
    )


def test_renewal_signal_from_the_contracts_at_the_window_edge(make_data_dir: MakeDir) -> None:
    # Term end 2027-03-23, notice 30 days → deadline 2027-02-21 = as-of + 90 days: fires.
    a = scored(make_data_dir(renewal_files("2027-03-23")))["A"]
    assert a["renewal"] == 20
    assert why(a) == "notice deadline in 90 days (contract CA) and no open renewal opportunity"
    # One day later the deadline is 91 days away: it does not.
    assert scored(make_data_dir(renewal_files("2027-03-24")))["A"]["renewal"] == 0


def test_open_renewal_deal_silences_the_renewal_signal(make_data_dir: MakeDir) -> None:
    deal = "O1,A,60,2026-12-15,1000,renewal\n"
    assert scored(make_data_dir(renewal_files("2026-12-31", deal)))["A"]["renewal"] == 0
    # An expansion deal is not a renewal conversation.
    deal = "O1,A,60,2026-12-15,1000,expansion\n"
    assert scored(make_data_dir(renewal_files("2026-12-31", deal)))["A"]["renewal"] == 20


# Reasons with numbers beyond 64-bit integers (9.22e18): no crash, every digit grouped.


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234567.5, "1,234,568"),  # half away from zero
        (-1234.5, "-1,235"),
        (999.5, "1,000"),
        (0.4, "0"),
        (-0.4, "0"),  # no "-0"
        (0.4999994, "0"),
        (2.4999999999, "3"),  # float noise below 6 decimals is absorbed first
        (9.3e18, "9,300,000,000,000,000,000"),  # beyond Int64's 9.22e18
        (1e40, "1e+40"),  # beyond 38 digits: the float's own text
    ],
)
def test_whole_numbers_in_reasons_are_rounded_and_grouped(value: float, text: str) -> None:
    frame = pl.DataFrame({"v": [value]})
    assert frame.select(whole(pl.col("v"))).item() == text


def test_reason_numbers_beyond_64_bit_integers_are_grouped(make_data_dir: MakeDir) -> None:
    # As of 2026-09-15: prior (Mar–May) = 99,999,999,999,999,999,999, as a float exactly
    # 10^20; recent (Jun–Aug) = 1: decline 100 × (10^20 − 1) / 10^20 → "100 %".
    usage = "customer_id,month,metric,value\nA,2026-05,x,99999999999999999999\nA,2026-08,x,1\n"
    a = scored(make_data_dir(files(usage_csv=usage)), dt.date(2026, 9, 15))["A"]
    assert a["usage"] == 25
    assert why(a) == (
        "usage down 100 % over the last 3 months vs the 3 before "
        "(x: 100,000,000,000,000,000,000 → 1)"
    )


def test_overdue_amount_beyond_64_bit_integers_is_grouped(make_data_dir: MakeDir) -> None:
    # 12,345,678,901,234,567,890 NOK unpaid 14 days: as a float 12345678901234567168.
    root = make_data_dir(files(payments_csv=PAYMENTS + "1,A,2026-11-09,,12345678901234567890\n"))
    assert why(scored(root)["A"]) == (
        "1 invoice overdue by 14 days (12,345,678,901,234,567,168 NOK)"
    )


def test_downgrade_near_the_line_limit_is_grouped(make_data_dir: MakeDir) -> None:
    # LIC 999,999,999,998 until 2026-09-30 (just below a line's limit of 10^12), then half:
    # lost 499,999,999,999 of 999,999,999,998 = 50 %.
    lines = (
        "contract_id,product,quantity,unit_price,start_date,end_date\n"
        "CA,LIC,1,999999999998,2026-01-01,2026-09-30\n"
        "CA,LIC,0.5,999999999998,2026-10-01,\n"
        "CB,LIC,1,500,,\n"
    )
    a = scored(make_data_dir({**files(), "contract_lines.csv": lines}))["A"]
    assert why(a) == (
        "downgraded 499,999,999,999 NOK MRR in the last 3 months (50 % of MRR): LIC reduced"
    )


def test_mrr_beyond_the_line_limit_is_refused(run: Run, make_data_dir: MakeDir) -> None:
    # A line of 10^19 a month is beyond what report sums keep to the cent: refused, with
    # its file and row (docs/rules.md, MRR), and no scores.
    lines = "contract_id,product,unit_price\nCA,LIC,10000000000000000000\nCB,LIC,500\n"
    root = make_data_dir({**files(), "contract_lines.csv": lines})
    result = run("risk", "--data", root, "-f", "csv")
    assert result.exit_code == 1
    assert f"{root / 'contract_lines.csv'}:2: unit_price: gives the line an MRR of " in (
        result.stderr
    )
    assert result.stdout == ""


def test_risk_and_forecast_run_on_usage_beyond_64_bit_integers(
    run: Run, make_data_dir: MakeDir
) -> None:
    usage = "customer_id,month,metric,value\nA,2026-05,x,99999999999999999999\nA,2026-08,x,1\n"
    root = make_data_dir(files(usage_csv=usage))
    for command in ("risk", "forecast"):
        result = run(command, "--data", root, "--as-of", "2026-09-15", "-f", "csv")
        assert result.exit_code == 0, result.stderr
    assert (
        "100,000,000,000,000,000,000 → 1"
        in run("risk", "--data", root, "--as-of", "2026-09-15", "-f", "csv").stdout
    )
