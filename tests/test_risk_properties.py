"""Invariants of pipeline and risk over random inputs (hypothesis)."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from functools import cache
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from revcli.data.validate import DataSet, load_dataset
from revcli.metrics.mrr import Book
from revcli.metrics.pipeline import PIPELINE_COLUMNS, pipeline_table
from revcli.risk.scoring import RiskInputs, risk_table
from revcli.risk.settings import SIGNALS, RiskSettings
from revcli.risk.signals import Signals
from revcli.schema import DECIMAL
from tests.conftest import write_data_dir
from tests.helpers import month

AS_OF = dt.date(2026, 11, 23)
CUSTOMERS = ["A", "B", "C"]
day = st.integers(-400, 30).map(lambda n: AS_OF + dt.timedelta(days=n))


@st.composite
def pipelines(draw: st.DrawFn) -> pl.DataFrame:
    rows = []
    for i in range(draw(st.integers(0, 12))):
        close = month("2026-06") + dt.timedelta(days=draw(st.integers(0, 400)))
        mrr = draw(st.integers(0, 100_000)) / 100
        rows.append(
            {
                "opportunity_id": f"O{i}",
                "type": draw(st.sampled_from(["new", "expansion", "renewal", None])),
                "owner": draw(st.sampled_from(["kari", "ola", None])),
                "stage": draw(st.sampled_from(["lead", "proposal"])),
                "month": dt.date(close.year, close.month, 1),
                "pipeline_mrr": mrr,
                "weighted_pipeline_mrr": mrr * draw(st.integers(0, 100)) / 100,
            }
        )
    schema = {
        "opportunity_id": pl.String,
        "type": pl.String,
        "owner": pl.String,
        "stage": pl.String,
        "month": pl.Date,
        "pipeline_mrr": pl.Float64,
        "weighted_pipeline_mrr": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


@settings(max_examples=60, deadline=None)
@given(pipelines(), st.sampled_from(["type", "owner", "stage"]))
def test_pipeline_groups_sum_to_the_total_and_weighted_never_exceeds(
    pipe: pl.DataFrame, by: str
) -> None:
    first, last = month("2026-07"), month("2027-06")
    total = pipeline_table(pipe, first, last)
    grouped = pipeline_table(pipe, first, last, by)
    assert total.height == 12
    # With no open deal there are no groups: the grouped table is empty, the total zero.
    summed = (
        total.select("month")
        .join(
            grouped.group_by("month").agg(pl.col(PIPELINE_COLUMNS[1:]).sum()),
            on="month",
            how="left",
        )
        .fill_null(0)
        .sort("month")
    )
    for column in PIPELINE_COLUMNS[1:]:
        a, b = total.get_column(column).to_list(), summed.get_column(column).to_list()
        assert all(abs(x - y) < 1e-6 for x, y in zip(a, b, strict=True)), column
    assert (total["weighted_pipeline_mrr"] <= total["pipeline_mrr"] + 1e-9).all()


@cache
def _book() -> DataSet:
    root = Path(tempfile.mkdtemp()) / "book"
    write_data_dir(
        root,
        {
            "customers.csv": "customer_id,name\nA,Acme AS\nB,Bergen AS\nC,Cirrus AS\n",
            "contracts.csv": "contract_id,customer_id,start_date,end_date\n"
            "KA,A,2025-01-01,\nKB,B,2025-06-01,\nKC,C,2026-01-01,2026-12-31\n",
            "contract_lines.csv": "contract_id,product,unit_price,end_date\n"
            "KA,LIC,1000,\nKA,API,300,2026-10-31\nKB,LIC,200,\nKC,LIC,700,\n",
        },
    )
    return load_dataset(root)


@st.composite
def signals(draw: st.DrawFn) -> Signals:
    usage = [
        {
            "customer_id": c,
            "month": month(m),
            "metric": metric,
            "value": Decimal(draw(st.integers(0, 50))),
        }
        for c in CUSTOMERS
        for metric in ("logins", "seats")
        for m in ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")
        if draw(st.booleans())
    ]
    tickets = [
        {
            "customer_id": draw(st.sampled_from(CUSTOMERS)),
            "opened_on": draw(day),
            "severity": "normal",
        }
        for _ in range(draw(st.integers(0, 15)))
    ]
    payments = []
    for i in range(draw(st.integers(0, 10))):
        due = draw(day)
        paid = draw(st.one_of(st.none(), st.integers(-5, 60)))
        payments.append(
            {
                "invoice_number": str(i),
                "customer_id": draw(st.sampled_from(CUSTOMERS)),
                "due_date": due,
                "paid_on": None if paid is None else due + dt.timedelta(days=paid),
                "amount": Decimal(100),
                "currency": "NOK",
            }
        )
    return Signals(
        usage=pl.DataFrame(
            usage,
            schema={
                "customer_id": pl.String,
                "month": pl.Date,
                "metric": pl.String,
                "value": DECIMAL,
            },
        ),
        tickets=pl.DataFrame(
            tickets, schema={"customer_id": pl.String, "opened_on": pl.Date, "severity": pl.String}
        ),
        payments=pl.DataFrame(
            payments,
            schema={
                "invoice_number": pl.String,
                "customer_id": pl.String,
                "due_date": pl.Date,
                "paid_on": pl.Date,
                "amount": DECIMAL,
                "currency": pl.String,
            },
        ),
    )


@settings(max_examples=40, deadline=None)
@given(signals(), st.lists(st.integers(0, 60), min_size=6, max_size=6))
def test_score_is_the_capped_sum_of_the_weights_that_fired(
    sig: Signals, weights: list[int]
) -> None:
    data = _book()
    base = RiskSettings()
    rules = RiskSettings(
        **{
            name: type(getattr(base, name))(**{**getattr(base, name).__dict__, "weight": w})
            for name, w in zip(SIGNALS, weights, strict=True)
        }
    )
    inputs = RiskInputs(
        book=Book.of(data),
        customers=data.customers,
        opportunities=data.opportunities,
        signals=sig,
        renewals=None,
        base_currency="NOK",
    )
    table = risk_table(inputs, rules, AS_OF)
    assert sorted(table["customer_id"]) == CUSTOMERS
    for row in table.to_dicts():
        points = [row[name] for name in SIGNALS]
        assert all(p in (0, w) for p, w in zip(points, weights, strict=True))
        assert row["score"] == min(100, sum(points))
        assert 0 <= row["arr_at_risk"] <= row["arr"] + 1e-9
        fired = [r for r in (row["reasons"] or "").split("; ") if r and not r.startswith("no ")]
        assert len(fired) == sum(1 for p in points if p > 0)
    risk = table["arr_at_risk"].to_list()
    assert risk == sorted(risk, reverse=True)
