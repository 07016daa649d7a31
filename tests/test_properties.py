"""Invariants of the MRR engine over random contract books (hypothesis)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import write_data_dir
from tests.helpers import MOVES, mrr_of

FIRST, LAST = "2024-01", "2026-12"
SEGMENTS = ["SMB", "Enterprise", ""]


@st.composite
def books(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Random valid contracts: dates, renewals, uplifts, cancellations, line shapes."""
    contracts = []
    for n in range(draw(st.integers(1, 6))):
        start = dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 900)))
        end = start + dt.timedelta(days=draw(st.integers(10, 500))) if draw(st.booleans()) else None
        auto = end is not None and draw(st.booleans())
        last_day = None if auto else end
        cancelled = None
        if draw(st.integers(0, 3)) == 0:
            cancelled = start + dt.timedelta(days=draw(st.integers(0, 700)))
            if last_day is not None:
                cancelled = min(cancelled, last_day)
            last_day = cancelled
        lines = []
        for _ in range(draw(st.integers(1, 3))):
            span = (last_day - start).days if last_day else 700
            line_start = start + dt.timedelta(days=draw(st.integers(0, span)))
            line_end = (
                line_start + dt.timedelta(days=draw(st.integers(0, 400)))
                if draw(st.booleans())
                else None
            )
            if line_end is not None and last_day is not None and not auto and cancelled is None:
                line_end = min(line_end, last_day)
            period = draw(
                st.sampled_from(["month", "quarter", "year", "once"] + (["term"] if end else []))
            )
            lines.append(
                {
                    "product": draw(st.sampled_from(["LIC", "API", "SSO"])),
                    "quantity": str(draw(st.integers(0, 20))),
                    "unit_price": f"{draw(st.integers(0, 200000)) / 100:.2f}",
                    "price_period": period,
                    "discount_pct": str(draw(st.sampled_from([0, 10, 25, 100]))),
                    "start_date": line_start.isoformat(),
                    "end_date": line_end.isoformat() if line_end else "",
                }
            )
        contracts.append(
            {
                "contract_id": f"K{n}",
                "customer_id": draw(st.sampled_from(["A", "B", "C"])),
                "start_date": start.isoformat(),
                "end_date": end.isoformat() if end else "",
                "auto_renew": "true" if auto else "false",
                "renewal_term_months": str(draw(st.sampled_from([1, 3, 12]))) if auto else "",
                "renewal_uplift_pct": str(draw(st.sampled_from([0, 3, 10]))) if auto else "",
                "cancelled_on": cancelled.isoformat() if cancelled else "",
                "lines": lines,
            }
        )
    return contracts


CUSTOMERS = "customer_id,name,segment\nA,Acme,SMB\nB,Bergen,Enterprise\nC,Caveat,\n"
CONTRACT_COLUMNS = [
    "contract_id",
    "customer_id",
    "start_date",
    "end_date",
    "auto_renew",
    "renewal_term_months",
    "renewal_uplift_pct",
    "cancelled_on",
]
LINE_COLUMNS = [
    "product",
    "quantity",
    "unit_price",
    "price_period",
    "discount_pct",
    "start_date",
    "end_date",
]


def as_csv(book: list[dict[str, Any]]) -> dict[str, str]:
    contracts = [",".join(CONTRACT_COLUMNS)]
    lines = ["contract_id," + ",".join(LINE_COLUMNS)]
    for c in book:
        contracts.append(",".join(c[k] for k in CONTRACT_COLUMNS))
        lines += [
            c["contract_id"] + "," + ",".join(li[k] for k in LINE_COLUMNS) for li in c["lines"]
        ]
    return {
        "customers.csv": CUSTOMERS,
        "contracts.csv": "\n".join(contracts) + "\n",
        "contract_lines.csv": "\n".join(lines) + "\n",
    }


def as_yaml(book: list[dict[str, Any]]) -> dict[str, str]:
    out = ["contracts:"]
    for c in book:
        out.append(f"  - contract_id: {c['contract_id']}")
        out += [f"    {k}: {c[k]}" for k in CONTRACT_COLUMNS[1:] if c[k]]
        out.append("    lines:")
        for li in c["lines"]:
            first, *rest = [k for k in LINE_COLUMNS if li[k]]
            out.append(f"      - {first}: {li[first]}")
            out += [f"        {k}: {li[k]}" for k in rest]
    customers = "customers:\n" + "".join(
        f"  - customer_id: {cid}\n    name: {name}\n" + (f"    segment: {seg}\n" if seg else "")
        for cid, name, seg in (
            ("A", "Acme", "SMB"),
            ("B", "Bergen", "Enterprise"),
            ("C", "Caveat", ""),
        )
    )
    return {"customers.yaml": customers, "contracts.yaml": "\n".join(out) + "\n"}


def table_for(files: dict[str, str], by: str | None = None) -> pl.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        return mrr_of(write_data_dir(Path(tmp), files), FIRST, LAST, by)


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(books())
def test_bridge_identity_holds_every_month(book: list[dict[str, Any]]) -> None:
    t = table_for(as_csv(book))
    prev = t.get_column("mrr").shift(1)
    # The first month's opening MRR is not in the table; from the second month on:
    for opening, change, closing in zip(prev[1:], t["net_change"][1:], t["mrr"][1:], strict=True):
        assert opening + change == pytest.approx(closing, abs=1e-6)
    moves = t.select(pl.sum_horizontal(*MOVES)).to_series()
    assert (moves - t["net_change"]).abs().max() == pytest.approx(0, abs=1e-6)
    assert (t["uplift"] + t["contraction"] - t["net_change"]).abs().max() == pytest.approx(
        0, abs=1e-6
    )
    assert (t["contraction"] <= 1e-9).all()
    assert (t["mrr"] >= -1e-9).all()


@PROPERTY
@given(books(), st.sampled_from(["segment", "product", "customer_id"]))
def test_groups_sum_to_the_totals(book: list[dict[str, Any]], by: str) -> None:
    files = as_csv(book)
    total = table_for(files)
    sums = table_for(files, by).group_by("month").agg(pl.col("mrr", "net_change", *MOVES).sum())
    # With no group at all (e.g. only one-time lines and --by product) the sums are zero.
    grouped = total.select("month").join(sums, on="month", how="left").fill_null(0).sort("month")
    for column in ("mrr", "net_change", *MOVES):
        diff = (grouped[column] - total[column]).abs().max()
        assert diff == pytest.approx(0, abs=1e-6), column
    if by != "product":  # a customer is in exactly one group of a customer column
        counts = table_for(files, by).group_by("month").agg(pl.col("customers").sum()).sort("month")
        assert counts["customers"].to_list() == total["customers"].to_list()


@PROPERTY
@given(books())
def test_csv_and_yaml_forms_give_identical_reports(book: list[dict[str, Any]]) -> None:
    from polars.testing import assert_frame_equal

    assert_frame_equal(table_for(as_csv(book)), table_for(as_yaml(book)))
    assert_frame_equal(table_for(as_csv(book), "segment"), table_for(as_yaml(book), "segment"))
