"""SPEC §4 pipeline MRR: open opportunities by expected-close month, converted and weighted."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from revcli.data.validate import load_dataset
from revcli.metrics.pipeline import open_pipeline, pipeline_range, pipeline_table
from tests.conftest import MakeDir, Run
from tests.helpers import month

BASE = {
    "customers.csv": "customer_id,name\nA,Acme AS\n",
    "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\n",
    "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,100\n",
    "fx_rates.csv": "date,currency,rate\n2026-01-01,EUR,11.50\n2026-12-01,EUR,11.80\n",
}
OPPORTUNITIES = """\
opportunity_id,customer_id,name,stage,probability,expected_close,mrr,currency,type,owner,status
O1,A,Acme upsell,proposal,40,2026-12-15,1000,EUR,expansion,kari@x.no,open
O2,P1,Prospect,qualified,,2026-12-01,5000,,new,ola@x.no,
O3,P2,Old deal,negotiation,50,2026-09-30,2000,NOK,new,ola@x.no,open
O4,P3,Far deal,discovery,10,2027-03-10,100,EUR,new,,open
O5,A,Won deal,closed,100,2026-12-20,9999,,expansion,kari@x.no,won
O6,A,Lost deal,closed,0,2026-12-20,9999,,expansion,kari@x.no,lost
O7,A,Early EUR,proposal,25,2026-11-30,1000,EUR,renewal,kari@x.no,open
"""


def table_of(root: Path, first: str, last: str, by: str | None = None) -> dict[Any, dict[str, Any]]:
    data = load_dataset(root)
    pipe = open_pipeline(data.opportunities, data.fx_rates, "NOK")
    table = pipeline_table(pipe, month(first), month(last), by)
    key = (lambda r: (r[by], r["month"])) if by else (lambda r: r["month"])
    return {key(r): r for r in table.to_dicts()}


@pytest.fixture
def root(make_data_dir: MakeDir) -> Path:
    return make_data_dir({**BASE, "opportunities.csv": OPPORTUNITIES})


def test_weighted_pipeline_converts_at_the_rate_on_expected_close(root: Path) -> None:
    t = table_of(root, "2026-11", "2026-12")
    # December: O1 1,000 EUR × 11.80 (rate of 2026-12-01, in effect on 2026-12-15)
    # = 11,800, weighted × 40 % = 4,720; O2 5,000 NOK (status empty = open), no
    # probability → weighted 0. Won O5 and lost O6 do not count.
    dec = t[month("2026-12")]
    assert dec["pipeline_mrr"] == pytest.approx(11_800 + 5_000)
    assert dec["weighted_pipeline_mrr"] == pytest.approx(4_720)
    assert dec["open_opportunities"] == 2
    # November: O7 1,000 EUR on 2026-11-30, before the December rate: × 11.50 = 11,500,
    # × 25 % = 2,875.
    nov = t[month("2026-11")]
    assert (nov["pipeline_mrr"], nov["weighted_pipeline_mrr"]) == (
        pytest.approx(11_500),
        pytest.approx(2_875),
    )


def test_future_close_uses_the_latest_known_rate_and_every_month_appears(root: Path) -> None:
    # O4: 100 EUR in March 2027, after the last rate (11.80): 1,180, × 10 % = 118.
    # January and February have no opportunity: zeros, not missing rows.
    t = table_of(root, "2027-01", "2027-03")
    assert list(t) == [month("2027-01"), month("2027-02"), month("2027-03")]
    assert t[month("2027-01")] == {
        "month": month("2027-01"),
        "pipeline_mrr": 0.0,
        "weighted_pipeline_mrr": 0.0,
        "open_opportunities": 0,
    }
    assert t[month("2027-03")]["pipeline_mrr"] == pytest.approx(1_180)
    assert t[month("2027-03")]["weighted_pipeline_mrr"] == pytest.approx(118)


def test_slipped_open_deal_stays_in_its_past_month(root: Path) -> None:
    # O3 was expected on 2026-09-30 and is still open: September, 2,000 × 50 % = 1,000.
    sep = table_of(root, "2026-09", "2026-09")[month("2026-09")]
    assert (sep["pipeline_mrr"], sep["weighted_pipeline_mrr"]) == (2_000, 1_000)


def test_by_type_lists_every_group_in_every_month(root: Path) -> None:
    t = table_of(root, "2026-12", "2027-01", by="type")
    assert sorted(t) == [
        (group, month(m))
        for group in ("expansion", "new", "renewal")
        for m in ("2026-12", "2027-01")
    ]
    assert t[("expansion", month("2026-12"))]["pipeline_mrr"] == pytest.approx(11_800)
    assert t[("new", month("2026-12"))]["pipeline_mrr"] == 5_000
    assert t[("renewal", month("2026-12"))]["open_opportunities"] == 0


def test_empty_owner_is_its_own_group(root: Path) -> None:
    t = table_of(root, "2027-03", "2027-03", by="owner")
    assert t[("", month("2027-03"))]["open_opportunities"] == 1  # O4 has no owner


def test_default_range_spans_the_open_opportunities(root: Path) -> None:
    data = load_dataset(root)
    pipe = open_pipeline(data.opportunities, data.fx_rates, "NOK")
    as_of = dt.date(2026, 11, 23)
    # Earliest open close 2026-09 (O3), latest 2027-03 (O4).
    assert pipeline_range(pipe, as_of, None, None) == (month("2026-09"), month("2027-03"))
    assert pipeline_range(pipe, as_of, month("2026-12"), None) == (
        month("2026-12"),
        month("2027-03"),
    )
    assert pipeline_range(pipe, as_of, None, month("2026-06")) == (
        month("2026-06"),
        month("2026-06"),
    )
    # No open opportunity: the 12 months from the as-of month.
    assert pipeline_range(pipe.clear(), as_of, None, None) == (month("2026-11"), month("2027-10"))


def test_from_alone_after_the_last_close_is_a_range_of_that_month(root: Path) -> None:
    # --from alone runs to the latest expected close (2027-03, O4), but at least to --from:
    # from 2027-06 the range is 2027-06 … 2027-06, never an end before its start.
    data = load_dataset(root)
    pipe = open_pipeline(data.opportunities, data.fx_rates, "NOK")
    as_of = dt.date(2026, 11, 23)
    assert pipeline_range(pipe, as_of, month("2027-06"), None) == (
        month("2027-06"),
        month("2027-06"),
    )


def test_cli_totals_and_notes(run: Run, root: Path) -> None:
    result = run("pipeline", "--data", root, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["meta"]["from"] == "2026-09"
    assert doc["meta"]["to"] == "2027-03"
    assert [r["month"] for r in doc["rows"]] == [
        "2026-09",
        "2026-10",
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
        "2027-03",
    ]
    # 2,000 + 11,500 + 16,800 + 1,180 = 31,480 in all; weighted 1,000 + 2,875 + 4,720 + 118.
    assert sum(r["pipeline_mrr"] for r in doc["rows"]) == pytest.approx(31_480)
    assert sum(r["weighted_pipeline_mrr"] for r in doc["rows"]) == pytest.approx(8_713)
    assert "1 open opportunity has no probability: weighted as 0 %." in doc["meta"]["notes"]


def test_cli_notes_deals_outside_the_range(run: Run, root: Path) -> None:
    result = run(
        "pipeline", "--data", root, "--from", "2026-12", "--to", "2026-12", "-f", "markdown"
    )
    assert result.exit_code == 0
    # Outside December: O3 2,000 + O7 11,500 + O4 1,180 = 14,680.
    assert (
        "3 open opportunities expected to close outside 2026-12 – 2026-12 (14,680.00 NOK MRR)"
        in (result.stdout)
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--by", "segment"),
        ("--from", "2026-13"),
        ("--from", "2027-01", "--to", "2026-12"),
        ("--as-of", "tomorrow"),
        ("--format", "xml"),
    ],
)
def test_wrong_command_line_exits_2(run: Run, root: Path, args: tuple[str, ...]) -> None:
    result = run("pipeline", "--data", root, *args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_invalid_opportunities_exit_1(run: Run, make_data_dir: MakeDir) -> None:
    bad = "opportunity_id,probability,expected_close,mrr,type,status\nX,150,,10,upsell,open\n"
    data = make_data_dir({**BASE, "opportunities.csv": bad})
    result = run("pipeline", "--data", data)
    assert result.exit_code == 1
    # BASE's EUR rate now serves no deal, and contracts.csv has no currency column: a sign
    # of a column lost in an export, warned of beside the problems.
    assert result.stderr.replace(f"{data}/", "").splitlines() == [
        "warning: contracts.csv:1: currency: no such column, so every contract of the file is "
        "in NOK (base_currency), while fx_rates.csv has rates for EUR; add the column if any "
        "contract is in another currency",
        "opportunities.csv:2: expected_close: is required for an open opportunity",
        "opportunities.csv:2: probability: '150' must be between 0 and 100",
        "opportunities.csv:2: type: 'upsell' is not allowed; expected one of new, expansion, renewal",
        "3 problems found; nothing was done.",
    ]


def test_open_deals_whose_close_month_has_passed_are_reported_apart(run: Run, root: Path) -> None:
    # As of 2026-12-06 two open deals have an expected-close month before December:
    # O3 (2026-09-30, 2,000 NOK) and O7 (2026-11-30, 1,000 EUR × 11.50 = 11,500 NOK),
    # together 13,500 NOK MRR. O2 (2026-12-01) closes in the as-of month: not past due.
    result = run(
        "pipeline", "--data", root, "--from", "2026-09", "--to", "2026-12",
        "--as-of", "2026-12-06", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    meta = payload["meta"]
    assert (meta["past_due_opportunities"], meta["past_due_before"]) == (2, "2026-12")
    assert '"past_due_mrr": 13500.00,' in result.stdout
    # October holds no open deal: nothing in it is past due.
    assert [(r["month"], r["past_due"]) for r in payload["rows"]] == [
        ("2026-09", True),
        ("2026-10", False),
        ("2026-11", True),
        ("2026-12", False),
    ]
    assert result.stderr == (
        "warning: pipeline: 2 open deals past due (13,500.00 NOK MRR, close before 2026-12)\n"
    )


def test_no_past_due_warning_when_every_open_deal_lies_ahead(run: Run, root: Path) -> None:
    # As of 2026-09-01 the earliest open deal (O3) closes in September: nothing is late.
    result = run("pipeline", "--data", root, "--as-of", "2026-09-01", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "past_due" in result.stdout.splitlines()[0]
    assert ",true" not in result.stdout


def test_a_data_dir_without_open_opportunities_says_why_every_month_is_zero(
    run: Run, make_data_dir: MakeDir
) -> None:
    # No opportunities.csv (a fresh `revcli init`): a table of zeros used to stand alone.
    bare = make_data_dir(BASE)
    result = run("pipeline", "--data", bare, "--as-of", "2026-12-07", "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {r["pipeline_mrr"] for r in doc["rows"]} == {0}
    assert (
        "No open opportunity in the data (opportunities.csv, status open)."
        in (doc["meta"]["notes"])
    )
    # With open deals the note is not there.
    full = make_data_dir({**BASE, "opportunities.csv": OPPORTUNITIES})
    doc = json.loads(run("pipeline", "--data", full, "-f", "json").stdout)
    assert not [n for n in doc["meta"]["notes"] if n.startswith("No open opportunity")]
