"""``revcli diff`` works customer by customer: the same frames as the straightforward
restatement (tests/diff_oracle.py), which builds and runs every intermediate data set whole."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from revcli.data.load import RawData, read_raw
from revcli.diff.changes import apply, causes
from revcli.diff.figures import exact_figures, figures
from revcli.diff.restate import _GLOBAL, restate
from revcli.diff.versions import customer_states
from revcli.metrics.states import watching_fixed_points
from tests.conftest import SETTINGS, write_data_dir
from tests.diff_oracle import naive_causes, naive_restate, naive_states

FIRST, LAST = dt.date(2025, 1, 1), dt.date(2026, 6, 1)
CUSTOMERS = ("A", "B", "C", "D")
CONTRACTS = ("K1", "K2", "K3", "K4", "K5", "K6")
POLICIES = (
    "",
    "metrics:\n  grain: customer\n",
    "metrics:\n  free_to_paid: expansion\n  reactivation_window_days: 40\n",
    "metrics:\n  fx: month_end\n",
)

_month = st.integers(0, 17).map(lambda i: dt.date(2025 + (i // 12), i % 12 + 1, 1))


@st.composite
def _customer(draw: st.DrawFn, cid: str) -> str:
    return f"{cid},{draw(st.sampled_from(['Acme', 'Acme AS', 'Bergen']))}"


@st.composite
def _contract(draw: st.DrawFn, cid: str) -> tuple[str, list[str]]:
    start = draw(_month) + dt.timedelta(days=draw(st.sampled_from([0, 14])))
    end = draw(st.none() | st.integers(10, 400).map(lambda d: start + dt.timedelta(days=d)))
    renew = draw(st.sampled_from(["", "", "yes"])) if end else ""
    uplift = draw(st.sampled_from(["", "5"])) if renew else ""
    currency = draw(st.sampled_from(["NOK", "EUR"]))
    customer = draw(st.sampled_from(CUSTOMERS))
    rows = []
    for n in range(draw(st.integers(1, 3))):
        product = draw(st.sampled_from(["P", "Q"]))
        price = draw(st.sampled_from(["0", "99.99", "100", "250.005", "1200"]))
        qty = draw(st.integers(1, 3))
        lid = draw(st.sampled_from([f"L{n}", ""]))
        rows.append(f"{cid},{lid},{product},{qty},{price}")
    head = f"{cid},{customer},{start},{end or ''},{currency},{renew},{uplift}"
    return head, rows


@st.composite
def _revisions(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str], str, str]:
    """An old and a new data dir: each record of the new one kept, redrawn (edited, a
    contract perhaps moved to another customer, its lines changed) or dropped, and new
    ones added; a customer may go while its contracts stay."""
    old_customers = {c: draw(_customer(c)) for c in CUSTOMERS if draw(st.booleans()) or c == "A"}
    old_contracts = {k: draw(_contract(k)) for k in CONTRACTS if draw(st.booleans())}
    new_customers: dict[str, str] = {}
    for c in CUSTOMERS:
        choice = draw(st.sampled_from(["keep", "keep", "edit", "drop"]))
        if c in old_customers and choice == "keep":
            new_customers[c] = old_customers[c]
        elif choice != "drop":
            new_customers[c] = draw(_customer(c))
    new_contracts: dict[str, tuple[str, list[str]]] = {}
    for k in CONTRACTS:
        choice = draw(st.sampled_from(["keep", "keep", "keep", "edit", "drop"]))
        if k in old_contracts and choice == "keep":
            new_contracts[k] = old_contracts[k]
        elif choice == "edit" or (k not in old_contracts and choice == "keep"):
            new_contracts[k] = draw(_contract(k))
    rates = draw(st.lists(st.sampled_from(["11", "11.5", "12.25"]), min_size=1, max_size=3))
    new_rates = draw(
        st.just(rates) | st.lists(st.sampled_from(["11", "12"]), min_size=1, max_size=3)
    )
    policy = draw(st.sampled_from(POLICIES))
    new_policy = draw(st.just(policy) | st.sampled_from(POLICIES))

    def files(
        customers: dict[str, str], contracts: dict[str, tuple[str, list[str]]], fx: list[str]
    ) -> dict[str, str]:
        heads = [contracts[k][0] for k in sorted(contracts)]
        lines = [row for k in sorted(contracts) for row in contracts[k][1]]
        return {
            "customers.csv": "customer_id,name\n" + "".join(f"{r}\n" for r in customers.values()),
            "contracts.csv": "contract_id,customer_id,start_date,end_date,currency,auto_renew,"
            "renewal_uplift_pct\n" + "".join(f"{h}\n" for h in heads),
            "contract_lines.csv": "contract_id,line_id,product,quantity,unit_price\n"
            + "".join(f"{r}\n" for r in lines),
            "fx_rates.csv": "date,currency,rate\n"
            + "".join(f"2024-{i + 1:02d}-01,EUR,{r}\n" for i, r in enumerate(fx)),
        }

    return (
        files(old_customers, old_contracts, rates),
        files(new_customers, new_contracts, new_rates),
        policy,
        new_policy,
    )


def _read(root: Path, files: dict[str, str], policy: str) -> RawData:
    return read_raw(write_data_dir(root, files, SETTINGS + policy))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(revisions=_revisions())
def test_restate_gives_the_frames_of_the_whole_data_computation(
    revisions: tuple[dict[str, str], dict[str, str], str, str],
) -> None:
    old_files, new_files, old_policy, new_policy = revisions
    with tempfile.TemporaryDirectory() as tmp:
        old = _read(Path(tmp) / "a", old_files, old_policy)
        new = _read(Path(tmp) / "b", new_files, new_policy)
        assert list(causes(old, new)) == list(naive_causes(old, new))
        fast = restate(old, new, FIRST, LAST)
        slow = naive_restate(old, new, FIRST, LAST)
        assert fast.causes == slow.causes
        assert fast.figures == slow.figures
        assert_frame_equal(fast.before, slow.before)
        assert_frame_equal(fast.after, slow.after)
        assert_frame_equal(fast.effects, slow.effects)

        # Every state, the last one too, as the whole data set after those causes makes it.
        found = tuple(causes(old, new))
        head = sum(1 for c in found if c.kind in _GLOBAL)
        if head == len(found):
            return
        with watching_fixed_points() as seen:
            start = exact_figures(apply(old, new, list(found[:head])) if head else old, FIRST, LAST)
        stepped = customer_states(
            old, new, found, head=head, exact=start, seen=seen, months=(FIRST, LAST)
        )
        assert stepped is not None
        whole = naive_states(old, new, FIRST, LAST)
        for i in range(head, len(found)):
            state = stepped.filter(pl.col("_order") == i).drop("_order")
            assert_frame_equal(state, whole[i])
        assert_frame_equal(state, figures(new, FIRST, LAST))
