"""Property: the causes of a month add up exactly to its change, for any edits."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revcli.data.load import read_raw
from revcli.diff.changes import changed_keys
from revcli.diff.restate import CENTS, figures, restate
from tests.conftest import SETTINGS, write_data_dir

FIRST, LAST = dt.date(2025, 1, 1), dt.date(2026, 6, 1)

_month = st.integers(0, 17).map(lambda i: dt.date(2025 + (i // 12), i % 12 + 1, 1))


@st.composite
def contract(draw: st.DrawFn, cid: str) -> str:
    start = draw(_month) + dt.timedelta(days=draw(st.sampled_from([0, 14])))
    end = draw(st.none() | st.integers(10, 400).map(lambda d: start + dt.timedelta(days=d)))
    currency = draw(st.sampled_from(["NOK", "EUR"]))
    rows = []
    for n in range(draw(st.integers(1, 2))):
        product = draw(st.sampled_from(["P", "Q"]))
        price = draw(st.sampled_from(["0", "99.99", "100", "250.005", "1200"]))
        qty = draw(st.integers(1, 3))
        rows.append(f"{cid},L{n},{product},{qty},{price}")
    customer = draw(st.sampled_from(["A", "B", "C"]))
    head = f"{cid},{customer},{start},{end or ''},{currency}"
    return head + "\n" + "\n".join(rows)


@st.composite
def data_dir(draw: st.DrawFn) -> dict[str, str]:
    ids = draw(st.lists(st.sampled_from(["K1", "K2", "K3", "K4", "K5"]), unique=True))
    heads, lines = [], []
    for cid in sorted(ids):
        head, *rest = draw(contract(cid)).split("\n")
        heads.append(head)
        lines += rest
    rates = draw(st.lists(st.sampled_from(["11", "11.5", "12.25"]), min_size=1, max_size=3))
    fx = [f"2024-{i + 1:02d}-01,EUR,{r}" for i, r in enumerate(rates)]
    names = draw(st.sampled_from(["Acme", "Acme AS"]))
    return {
        "customers.csv": f"customer_id,name\nA,{names}\nB,Bergen\nC,Cod\n",
        "contracts.csv": "contract_id,customer_id,start_date,end_date,currency\n"
        + "\n".join(heads)
        + "\n",
        "contract_lines.csv": "contract_id,line_id,product,quantity,unit_price\n"
        + "\n".join(lines)
        + "\n",
        "fx_rates.csv": "date,currency,rate\n" + "\n".join(fx) + "\n",
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    old=data_dir(),
    new=data_dir(),
    policy=st.sampled_from(
        [
            "",
            "metrics:\n  version: 2\n",
            "metrics:\n  grain: customer\n",
            "metrics:\n  free_to_paid: expansion\n  reactivation_window_days: 40\n",
            "metrics:\n  fx: month_end\n",
        ]
    ),
)
def test_causes_add_up_to_the_change_of_every_month(
    old: dict[str, str], new: dict[str, str], policy: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        a = read_raw(write_data_dir(Path(tmp) / "a", old))
        b = read_raw(write_data_dir(Path(tmp) / "b", new, SETTINGS + policy))
        r = restate(a, b, FIRST, LAST)
        names = list(r.figures)
        causes = (
            r.effects.filter(pl.col("cause") != "total")
            .group_by("month")
            .agg(pl.col(n).sum() for n in names)
        )
        totals = r.effects.filter(pl.col("cause") == "total").select("month", *names)
        assert causes.sort("month").equals(totals.sort("month"))
        # The total is the new figures minus the old ones, as reports print them.
        before, after = (
            f.with_columns(pl.lit(0).cast(CENTS).alias(n) for n in names if n not in f.columns)
            for f in (figures(a, FIRST, LAST), figures(b, FIRST, LAST))
        )  # a side without fx: month_end has no fx figure: 0
        change = after.join(before, on="month", suffix="_was").select(
            "month", *((pl.col(n) - pl.col(f"{n}_was")).alias(n) for n in names)
        )
        nonzero = change.filter(pl.any_horizontal(pl.col(n) != 0 for n in names))
        changed = totals.filter(pl.any_horizontal(pl.col(n) != 0 for n in names))
        assert nonzero.sort("month").equals(changed.sort("month"))
        assert r.changed_months() == changed.get_column("month").sort().to_list()


# A record is a few rows (a contract's lines) of two text columns, each value missing or
# any text: the separators an older fingerprint used ("\x1f", "\x1e", "\x00") included.
_VALUE = st.none() | st.text(alphabet=st.sampled_from("ab\x00\x1e\x1f:-1"), max_size=4)
_RECORD = st.lists(st.tuples(_VALUE, _VALUE), min_size=1, max_size=3)


def _frame(rows: list[tuple[str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"_key": ["K"] * len(rows), "a": [r[0] for r in rows], "b": [r[1] for r in rows]},
        schema={"_key": pl.String, "a": pl.String, "b": pl.String},
    )


@settings(max_examples=300, deadline=None)
@given(old=_RECORD, new=_RECORD)
def test_a_record_is_edited_exactly_when_its_rows_differ(
    old: list[tuple[str | None, str | None]], new: list[tuple[str | None, str | None]]
) -> None:
    # Rows in any order are the same record; any other difference is an edit, whatever the
    # values hold (once ("a\x1fb", "") and ("a", "\x1fb") looked alike, and so did a
    # missing value and "\x00").
    def order(row: tuple[str | None, str | None]) -> tuple[str, ...]:
        return tuple("" if v is None else "+" + v for v in row)

    state = changed_keys(_frame(old), _frame(new)).get_column("state").to_list()
    same = sorted(old, key=order) == sorted(new, key=order)
    assert state == ([] if same else ["edited"])


def test_values_that_held_the_old_separators_are_told_apart() -> None:
    pairs = [
        ([("a\x1fb", "")], [("a", "\x1fb")]),  # the value separator inside a value
        ([(None, "x")], [("\x00", "x")]),  # a missing value and a NUL
        ([("a", "b\x1ec\x1fd")], [("a", "b"), ("c", "d")]),  # the row separator
    ]
    for old, new in pairs:
        assert changed_keys(_frame(old), _frame(new)).get_column("state").to_list() == ["edited"]
