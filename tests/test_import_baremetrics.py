"""Baremetrics subscription CSV import (SPEC §11) and what every import guarantees:
deterministic files, idempotence, hand edits that survive, nothing written on error."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revcli.importers.plan import plan_import
from revcli.importers.plan_output import write_plan
from revcli.importers.sources import read_baremetrics
from tests.conftest import ROOT, MakeDir, Run, write_data_dir
from tests.helpers import month, mrr_of, row

HEADER = (
    "plan_oid,plan_name,plan_currency,plan_amount,plan_interval,plan_interval_count,"
    "customer_oid,customer_name,customer_email,subscription_oid,subscription_started_at,"
    "subscription_canceled_at,subscription_quantity\n"
)
TODAY = dt.date(2026, 12, 6)


def _csv(tmp_path: Path, body: str, name: str = "subs.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _import(path: Path, root: Path, **kw: object) -> None:
    write_plan(plan_import(root, read_baremetrics(path), today=TODAY, **kw))  # type: ignore[arg-type]


BASIC = (
    # s1: 2 × 490.00 NOK a month from 2026-01-15.
    "pro_m,Pro,NOK,49000,month,1,c1,Nordlys AS,a@nordlys.example,s1,2026-01-15,,2\n"
    # s2: 12000.00 NOK a year, canceled at 2026-06-01 → last day of service 2026-05-31.
    "pro_y,Pro yearly,nok,1200000,year,1,c2,Fjell AS,,s2,2025-06-01,2026-06-01,\n"
    # s3: month × 6 → half-year, no plan_name → product = plan_oid.
    "half,,NOK,600000,month,6,c1,Nordlys AS,a@nordlys.example,s3,2026-03-01,,\n"
)


def test_rows_map_to_contracts_as_spec_says(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _import(_csv(tmp_path, BASIC), root, country="NO")
    text = (root / "contracts" / "baremetrics.yaml").read_text()
    assert (
        "  - contract_id: s2\n"
        "    customer_id: c2\n"
        "    start_date: 2025-06-01\n"
        "    currency: NOK\n"
        "    billing_period: year\n"
        "    cancelled_on: 2026-05-31\n"
        '    source_id: "baremetrics:s2"\n'
        "    lines:\n"
        "      - line_id: s2\n"
        "        product: Pro yearly\n"
        "        quantity: 1\n"
        "        unit_price: 12000.00\n"
        "        price_period: year\n"
        '        source_id: "baremetrics:s2"\n'
    ) in text
    assert "        product: half\n" in text and "price_period: half-year" in text
    assert (root / "customers.csv").read_text() == (
        "customer_id,name,country,billing_email,source_id\n"
        "c1,Nordlys AS,NO,a@nordlys.example,baremetrics:c1\n"
        "c2,Fjell AS,NO,,baremetrics:c2\n"
    )
    table = mrr_of(root, "2026-01", "2026-06")
    # Jan: s1 2 × 490 = 980, s2 12000 / 12 = 1000 → 1980.
    assert row(table, "2026-01")["mrr"] == pytest.approx(1980)
    # Mar: + s3 6000 / 6 = 1000 → 2980. Jun: s2 churns → 1980.
    assert row(table, "2026-03")["mrr"] == pytest.approx(2980)
    assert row(table, "2026-06")["mrr"] == pytest.approx(1980)
    assert row(table, "2026-06")["churn"] == pytest.approx(-1000)


def test_new_data_dir_gets_inits_settings_without_examples(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _import(
        _csv(tmp_path, BASIC.replace("NOK", "EUR").replace("nok", "eur")),
        root,
        base_currency="EUR",
        country="NO",
    )
    settings = (root / "revcli.yaml").read_text()
    assert "base_currency: EUR\n" in settings and "company:" in settings
    assert not (root / "contracts" / "CTR-001.yaml").exists()
    assert "CUST-001" not in (root / "customers.csv").read_text()


def test_bad_rows_name_file_row_column_and_write_nothing(tmp_path: Path, run: Run) -> None:
    path = _csv(
        tmp_path,
        "p,P,NOK,49000,month,1,c1,N,,s1,2026-01-15,,1\n"
        "p,P,ABC,12.50,week,1,c1,N,,s2,15.01.2026,,\n"
        "p,P,NOK,100,month,2,c1,N,,s1,2026-01-15,,-1\n",
    )
    result = run("import", "baremetrics", path, "--data", tmp_path / "d")
    assert result.exit_code == 1
    err = result.stderr
    assert f"{path}:3: plan_currency: 'ABC' is not an ISO 4217 currency code" in err
    assert f"{path}:3: plan_amount: '12.50' is not a whole number of minor units (cents)" in err
    assert f"{path}:3: plan_interval: week × 1 cannot be expressed" in err
    assert f"{path}:3: subscription_started_at: '15.01.2026' is not a date" in err
    assert f"{path}:4: plan_interval: month × 2 cannot be expressed" in err
    assert f"{path}:4: subscription_quantity: '-1' is not a number of at least 0" in err
    assert not (tmp_path / "d").exists()


def test_missing_required_column_is_a_header_problem(tmp_path: Path, run: Run) -> None:
    path = tmp_path / "subs.csv"
    path.write_text("plan_oid,plan_currency\np,NOK\n")
    result = run("import", "baremetrics", path, "--data", tmp_path / "d")
    assert result.exit_code == 1
    assert (
        f"{path}:1: subscription_oid: required column is missing from the header" in result.stderr
    )


@pytest.mark.parametrize("body", ["", "p,P\n"])
def test_missing_required_columns_are_reported_with_or_without_rows(
    tmp_path: Path, run: Run, body: str
) -> None:
    # The header has plan_oid and plan_name only: the six other required columns are
    # missing whether or not a row follows (a header-only file imported "successfully").
    path = tmp_path / "subs.csv"
    path.write_text("plan_oid,plan_name\n" + body)
    result = run("import", "baremetrics", path, "--data", tmp_path / "d")
    assert result.exit_code == 1
    missing = (
        "customer_oid",
        "plan_amount",
        "plan_currency",
        "plan_interval",
        "subscription_oid",
        "subscription_started_at",
    )
    assert (
        result.stderr
        == "".join(f"{path}:1: {c}: required column is missing from the header\n" for c in missing)
        + "6 problems found; nothing was done.\n"
    )
    assert not (tmp_path / "d").exists()


def test_duplicate_subscription_and_conflicting_customer(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "p,P,NOK,100,month,1,c1,Nordlys,,s1,2026-01-15,,\n"
        "p,P,NOK,100,month,1,c1,Nordlys AS,,s2,2026-01-15,,\n"
        "p,P,NOK,100,month,1,c1,Nordlys,,s1,2026-01-15,,\n",
    )
    batch = read_baremetrics(path)
    assert [str(i) for i in batch.issues] == [
        f"warning: {path}:3: customer_name: customer 'c1' differs from line 2; the first row's name and e-mail are used",
        f"{path}:4: subscription_oid: 's1' appears twice; first at line 2",
    ]


def test_cancelled_on_start_day_has_no_service_and_is_skipped(tmp_path: Path) -> None:
    batch = read_baremetrics(
        _csv(tmp_path, "p,P,NOK,100,month,1,c1,N,,s1,2026-01-15,2026-01-15,\n")
    )
    assert batch.contracts == []
    assert "before any day of service" in str(batch.issues[0])


def test_dry_run_prints_summary_and_diff_and_writes_nothing(tmp_path: Path, run: Run) -> None:
    result = run(
        "import",
        "baremetrics",
        _csv(tmp_path, BASIC),
        "--data",
        tmp_path / "d",
        "--dry-run",
        "--country",
        "NO",
    )
    assert result.exit_code == 0, result.stderr
    assert "+++ b/contracts/baremetrics.yaml" in result.stdout
    assert "+c1,Nordlys AS,NO,a@nordlys.example,baremetrics:c1" in result.stdout
    assert "contracts     3 added, 0 changed, 0 unchanged" in result.stderr
    # today's month: s1 980 + s3 1000 (s2 ended in May 2026) → 1,980.00.
    assert "→ 1,980.00 NOK" in result.stderr or "MRR" in result.stderr
    assert not (tmp_path / "d").exists()


def test_default_country_is_the_sellers_with_a_warning(tmp_path: Path, run: Run) -> None:
    result = run("import", "baremetrics", _csv(tmp_path, BASIC), "--data", tmp_path / "d")
    assert result.exit_code == 0, result.stderr
    assert "warning: --country: customers without a country get the seller's, NO" in result.stderr


def test_import_twice_gives_identical_bytes(tmp_path: Path) -> None:
    root = tmp_path / "data"
    path = _csv(tmp_path, BASIC)
    _import(path, root, country="NO")
    first = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    _import(path, root, country="NO")
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == first


def test_hand_edits_survive_and_source_wins_for_its_fields(
    tmp_path: Path, make_data_dir: MakeDir
) -> None:
    root = make_data_dir(
        {
            # A person's customers file: a hand-written customer with a quoted cell,
            # and one imported earlier, to which they added a segment and an owner.
            "customers.csv": """\
                customer_id,name,country,segment,owner,source_id
                HAND,"Hand, Written AS",NO,SMB,kari@example.no,
                c1,Old Name,SE,Enterprise,ola@example.no,baremetrics:c1
            """,
            "contracts/hand.yaml": """\
                contract_id: H1
                customer_id: HAND
                start_date: 2026-01-01
                lines:
                  - product: X
                    unit_price: 10
            """,
            "contracts/baremetrics.yaml": """\
                contracts:
                  - contract_id: HAND-IN-IMPORT-FILE
                    customer_id: HAND
                    start_date: 2026-01-01
                    lines:
                      - product: Y
                        unit_price: 20
                  - contract_id: s1
                    customer_id: c1
                    start_date: 2020-01-01
                    owner: ola@example.no
                    notes: "call before renewal: #1"
                    source_id: baremetrics:s1
                    lines:
                      - line_id: s1
                        product: Old
                        unit_price: 1
                        description: hand description
                        source_id: baremetrics:s1
            """,
        }
    )
    hand_contract = (root / "contracts" / "hand.yaml").read_bytes()
    _import(_csv(tmp_path, BASIC), root, country="NO")
    customers = (root / "customers.csv").read_text()
    assert customers.splitlines()[:3] == [
        "customer_id,name,country,segment,owner,source_id,billing_email",
        # untouched record: its own text, padded for the new column
        'HAND,"Hand, Written AS",NO,SMB,kari@example.no,,',
        # the source's name and e-mail win; country (not mapped), segment, owner stay
        "c1,Nordlys AS,SE,Enterprise,ola@example.no,baremetrics:c1,a@nordlys.example",
    ]
    assert (root / "contracts" / "hand.yaml").read_bytes() == hand_contract
    text = (root / "contracts" / "baremetrics.yaml").read_text()
    assert "  - contract_id: HAND-IN-IMPORT-FILE\n" in text
    assert "    start_date: 2026-01-15\n" in text  # the source's start wins
    assert "    owner: ola@example.no\n" in text
    assert '    notes: "call before renewal: #1"\n' in text
    assert "        description: hand description\n" in text
    assert "        product: Pro\n" in text  # the source's product wins


def test_customer_written_by_hand_is_never_touched(tmp_path: Path, make_data_dir: MakeDir) -> None:
    root = make_data_dir({"customers.csv": "customer_id,name\nc1,Mine\n", "contracts.yaml": "[]\n"})
    plan = plan_import(root, read_baremetrics(_csv(tmp_path, BASIC)), today=TODAY, country="NO")
    assert any("'c1' already exists without baremetrics:c1" in str(w) for w in plan.warnings)
    write_plan(plan)
    assert (root / "customers.csv").read_text().splitlines()[
        1
    ] == "c1,Mine,,"  # padded for source_id, country


def _hand_written(make_data_dir: MakeDir, contract: str, customer: str) -> Path:
    """A data dir with customer c9 and one hand-written contract of ``customer``."""
    return make_data_dir(
        {
            "customers.csv": "customer_id,name\nc9,Nine\n",
            "contracts.yaml": f"""\
                - contract_id: {contract}
                  customer_id: {customer}
                  start_date: 2026-01-01
                  lines:
                    - product: X
                      unit_price: 1
            """,
        }
    )


def test_result_that_would_be_invalid_writes_nothing(
    tmp_path: Path, make_data_dir: MakeDir, run: Run
) -> None:
    # A hand-written contract the import does not touch names a customer nobody has
    # (c8): the data dir after the import would be invalid, so nothing is written.
    root = _hand_written(make_data_dir, "h1", "c8")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    result = run("import", "baremetrics", _csv(tmp_path, BASIC), "--data", root, "--country", "NO")
    assert result.exit_code == 1
    assert "would be invalid after this import" in result.stderr
    assert f"{root}/contracts.yaml:2: customer_id: " in result.stderr
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


# A real `revcli import` process that counts, with an audit hook (no revcli code is
# replaced), how often each file of the import's temporary copy of the data dir
# (`…/revcli-import-XXXX/data/…`) is opened for reading.
COUNTING_READS_OF_THE_COPY = """
import collections, os, sys
from revcli.cli import main
reads = collections.Counter()
def hook(event, args):
    if event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path, mode, flags = os.fsdecode(args[0]), args[1], args[2]
    writes = any(c in (mode or "") for c in "wax+") or bool(flags & (os.O_WRONLY | os.O_RDWR))
    if "/revcli-import-" in path and "/data/" in path and not writes:
        reads[path.split("/data/", 1)[1]] += 1
sys.addaudithook(hook)
sys.argv = ["revcli", *sys.argv[1:]]
try:
    main()
finally:
    print(dict(sorted(reads.items())))
"""


def test_the_would_be_data_dir_is_read_and_validated_once(tmp_path: Path) -> None:
    # The copy holds the data dir's three files with the import's changes. Its validation
    # (that of `revcli validate`) reads each once, and the MRR after the import is
    # computed from the data set it built: no file is read a second time.
    root = tmp_path / "data"
    _import(_csv(tmp_path, BASIC), root, country="NO")
    body = BASIC.replace(",s1,2026-01-15,,2", ",s1,2026-01-15,,3")
    done = subprocess.run(
        [sys.executable, "-c", COUNTING_READS_OF_THE_COPY, "import", "baremetrics",
         str(_csv(tmp_path, body)), "--data", str(root)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "{'contracts/baremetrics.yaml': 1, 'customers.csv': 1, 'revcli.yaml': 1}\n"
    )


def test_the_mrr_before_and_after_a_re_import(tmp_path: Path) -> None:
    # December 2026: s1 2 × 490.00 = 980.00 a month, s2 ended 2026-05-31, s3 6,000.00 a
    # half-year = 1,000.00 a month: 1,980.00. With 3 seats on s1: 1,470.00 + 1,000.00.
    root = tmp_path / "data"
    _import(_csv(tmp_path, BASIC), root, country="NO")
    body = BASIC.replace(",s1,2026-01-15,,2", ",s1,2026-01-15,,3")
    plan = plan_import(root, read_baremetrics(_csv(tmp_path, body)), today=TODAY)
    assert (plan.mrr_before, plan.mrr_after) == (Decimal("1980"), Decimal("2470"))


def test_a_hand_written_contract_of_the_same_id_is_kept(
    tmp_path: Path, make_data_dir: MakeDir, run: Run
) -> None:
    # contract id s1 already exists by hand in another file: it is kept, and the
    # subscription s1 is left out with a warning (as a customer of the same id would be).
    root = _hand_written(make_data_dir, "s1", "c9")
    result = run("import", "baremetrics", _csv(tmp_path, BASIC), "--data", root, "--country", "NO")
    assert result.exit_code == 0, result.stderr
    assert "'s1' already exists in another contract file" in result.stderr
    assert "contract_id: s1\n" not in (root / "contracts" / "baremetrics.yaml").read_text()


def test_fx_rates_file_is_merged_and_conflicts_refused(tmp_path: Path, run: Run) -> None:
    path = _csv(tmp_path, "p,P,EUR,10000,month,1,c1,N,,s1,2026-02-01,,\n")
    root = tmp_path / "d"
    (fx := tmp_path / "fx.csv").write_text("date,currency,rate\n2026-01-01,eur,11.5\n")
    assert run("import", "baremetrics", path, "--data", root, "--fx-rates", fx).exit_code == 0
    assert (root / "fx_rates.csv").read_text() == "date,currency,rate\n2026-01-01,EUR,11.5\n"
    (fx2 := tmp_path / "fx2.csv").write_text("date,currency,rate\n2026-01-01,EUR,12\n")
    result = run("import", "baremetrics", path, "--data", root, "--fx-rates", fx2)
    assert result.exit_code == 1
    assert f"{fx2}:2: rate: 12 for EUR on 2026-01-01 differs from 11.5" in result.stderr


def _files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def test_a_rate_given_twice_in_the_fx_file_is_one_rate(tmp_path: Path, run: Run) -> None:
    # A new data dir (no fx_rates.csv yet) and the same EUR rate on two rows: one rate
    # (this used to be an IndexError: the second row was compared with a row of an empty
    # fx_rates.csv).
    path = _csv(tmp_path, "p,P,EUR,10000,month,1,c1,N,,s1,2026-02-01,,\n")
    fx = tmp_path / "fx.csv"
    fx.write_text("date,currency,rate\n2026-01-01,EUR,11.00\n2026-01-01,eur,11.0\n")
    root = tmp_path / "d"
    result = run("import", "baremetrics", path, "--data", root, "--fx-rates", fx)
    assert result.exit_code == 0, result.stderr
    assert "fx rates      1 added, 0 changed, 0 unchanged" in result.stderr
    assert (root / "fx_rates.csv").read_text() == "date,currency,rate\n2026-01-01,EUR,11.00\n"


@pytest.mark.parametrize("existing", [False, True])
def test_two_rates_for_one_day_in_the_fx_file_are_an_error(
    tmp_path: Path, run: Run, existing: bool
) -> None:
    # Rows 2 and 3 give EUR on 2026-02-01 as 12.00 and 10.00: row 3 differs from row 2 of
    # the same file. The data dir's last fx_rates.csv row is USD 10.00 — equal to row 3's
    # rate, which used to make row 3 "unchanged" and drop it silently; and with a new
    # data dir there is no fx_rates.csv row to compare with at all.
    path = _csv(tmp_path, "p,P,EUR,10000,month,1,c1,N,,s1,2026-03-01,,\n")
    root = tmp_path / "d"
    if existing:
        base = tmp_path / "base.csv"
        base.write_text("date,currency,rate\n2026-01-01,EUR,11.00\n2026-01-01,USD,10.00\n")
        assert run("import", "baremetrics", path, "--data", root, "--fx-rates", base).exit_code == 0
    before = _files(root)
    fx = tmp_path / "fx.csv"
    fx.write_text("date,currency,rate\n2026-02-01,EUR,12.00\n2026-02-01,EUR,10.00\n")
    result = run("import", "baremetrics", path, "--data", root, "--fx-rates", fx)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{fx}:3: rate: 10.00 for EUR on 2026-02-01 differs from 12.00 at {fx}:2; "
        "correct one of them\n"
    )
    assert _files(root) == before


def test_a_rate_that_differs_from_fx_rates_csv_names_its_row(tmp_path: Path, run: Run) -> None:
    # fx_rates.csv: row 2 EUR 11.00, row 3 USD 10.00 on 2026-01-01. The import file's
    # row 2 gives EUR 11.00 again (nothing to do), row 3 EUR 11.50: it differs from row 2
    # of fx_rates.csv (the error used to cite row 3 and its rate 10.00 of USD).
    path = _csv(tmp_path, "p,P,EUR,10000,month,1,c1,N,,s1,2026-03-01,,\n")
    root = tmp_path / "d"
    base = tmp_path / "base.csv"
    base.write_text("date,currency,rate\n2026-01-01,EUR,11.00\n2026-01-01,USD,10.00\n")
    assert run("import", "baremetrics", path, "--data", root, "--fx-rates", base).exit_code == 0
    before = _files(root)
    fx = tmp_path / "fx.csv"
    fx.write_text("date,currency,rate\n2026-01-01,EUR,11.00\n2026-01-01,EUR,11.50\n")
    result = run("import", "baremetrics", path, "--data", root, "--fx-rates", fx)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{fx}:3: rate: 11.50 for EUR on 2026-01-01 differs from 11.00 at "
        f"{root / 'fx_rates.csv'}:2; correct one of them\n"
    )
    assert _files(root) == before


# ---- round trip: a data dir written as a Baremetrics CSV and imported again ----------

_INTERVALS = {
    "month": [("month", 1)],
    "quarter": [("month", 3)],
    "half-year": [("month", 6)],
    "year": [("month", 12), ("year", 1)],
}


@st.composite
def _contracts(draw: st.DrawFn) -> list[dict[str, object]]:
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        start = dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 1000)))
        ends = draw(st.booleans())
        cancelled = start + dt.timedelta(days=draw(st.integers(0, 600))) if ends else None
        period = draw(st.sampled_from(sorted(_INTERVALS)))
        out.append(
            {
                "id": f"s{i}",
                "customer": f"c{draw(st.integers(0, 3))}",
                "product": draw(st.sampled_from(["Pro", "Team", "Seat"])),
                "start": start,
                "cancelled": cancelled,
                "period": period,
                "interval": draw(st.sampled_from(_INTERVALS[period])),
                "quantity": draw(st.integers(0, 5)),
                "cents": draw(st.integers(0, 10_000_000)),
            }
        )
    return out


def _as_data_dir(root: Path, contracts: list[dict[str, object]]) -> None:
    customers = sorted({str(c["customer"]) for c in contracts})
    lines = ["contract_id,line_id,product,quantity,unit_price,price_period"]
    heads = ["contract_id,customer_id,start_date,cancelled_on"]
    for c in contracts:
        cents = int(c["cents"])  # type: ignore[call-overload]
        heads.append(f"{c['id']},{c['customer']},{c['start']},{c['cancelled'] or ''}")
        lines.append(
            f"{c['id']},{c['id']},{c['product']},{c['quantity']},{cents // 100}.{cents % 100:02d},{c['period']}"
        )
    write_data_dir(
        root,
        {
            "customers.csv": "customer_id,name\n" + "".join(f"{c},{c}\n" for c in customers),
            "contracts.csv": "\n".join(heads) + "\n",
            "contract_lines.csv": "\n".join(lines) + "\n",
        },
    )


def _as_baremetrics(contracts: list[dict[str, object]]) -> str:
    """The test helper that writes a data dir's contracts as a Baremetrics CSV."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER.strip().split(","))
    for c in contracts:
        interval, count = c["interval"]  # type: ignore[misc]
        cancelled = c["cancelled"]
        ended = cancelled + dt.timedelta(days=1) if isinstance(cancelled, dt.date) else ""
        writer.writerow(
            [
                f"plan-{c['product']}",
                c["product"],
                "NOK",
                c["cents"],
                interval,
                count,
                c["customer"],
                c["customer"],
                "",
                c["id"],
                c["start"],
                ended,
                c["quantity"],
            ]
        )
    return buf.getvalue()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_contracts())
def test_round_trip_through_baremetrics_keeps_every_months_mrr(
    tmp_path_factory: pytest.TempPathFactory, contracts: list[dict[str, object]]
) -> None:
    base = tmp_path_factory.mktemp("rt")
    original, imported = base / "original", base / "imported"
    _as_data_dir(original, contracts)
    (base / "subs.csv").write_text(_as_baremetrics(contracts))
    _import(base / "subs.csv", imported, country="NO")
    want = mrr_of(original, "2024-01", "2027-06")
    got = mrr_of(imported, "2024-01", "2027-06")
    assert got.get_column("month").to_list() == want.get_column("month").to_list()
    for name in ("mrr", "new", "churn", "expansion", "reactivation", "customers"):
        assert got.get_column(name).to_list() == pytest.approx(want.get_column(name).to_list()), (
            name
        )
    assert month("2024-01") == got.get_column("month")[0]


def test_customers_yaml_is_the_customer_file_when_it_is_the_only_one(
    tmp_path: Path, make_data_dir: MakeDir
) -> None:
    root = make_data_dir(
        {
            "customers.yaml": """\
                customers:
                  - customer_id: HAND
                    name: "Hand: Written AS"
                    country: NO
                    address: "Storgata 1\\n0155 Oslo"
            """,
            "contracts.yaml": "contracts: []\n",
        }
    )
    _import(_csv(tmp_path, BASIC), root, country="SE")
    assert not (root / "customers.csv").exists()
    assert (root / "customers.yaml").read_text() == (
        "customers:\n"
        "  - customer_id: HAND\n"
        '    name: "Hand: Written AS"\n'
        "    country: NO\n"
        '    address: "Storgata 1\\n0155 Oslo"\n'
        "  - customer_id: c1\n"
        "    name: Nordlys AS\n"
        "    country: SE\n"
        "    billing_email: a@nordlys.example\n"
        '    source_id: "baremetrics:c1"\n'
        "  - customer_id: c2\n"
        "    name: Fjell AS\n"
        "    country: SE\n"
        '    source_id: "baremetrics:c2"\n'
    )


def test_import_refuses_a_folder_that_holds_other_things(run: Run, tmp_path: Path) -> None:
    # A folder without revcli.yaml that is not empty (think /etc or a home folder) is
    # not turned into a data dir: exit 2, nothing written.
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    example = ROOT / "docs" / "examples" / "import" / "baremetrics-subscriptions.csv"
    result = run("import", "baremetrics", example, "--data", folder, "--country", "NO")
    assert result.exit_code == 2
    words = " ".join(result.stderr.replace("│", " ").split())
    assert "is not a data dir (no revcli.yaml) and is not empty" in words
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_a_cancellation_the_source_no_longer_sends_is_removed_with_a_warning(
    tmp_path: Path,
) -> None:
    root = tmp_path / "data"
    _import(_csv(tmp_path, BASIC), root, country="NO")
    # s2 is no longer canceled in Baremetrics: the source wins, but says so.
    plan = plan_import(
        root,
        read_baremetrics(_csv(tmp_path, BASIC.replace("2025-06-01,2026-06-01,", "2025-06-01,,"))),
        today=TODAY,
        country="NO",
    )
    # Line 23 of contracts/baremetrics.yaml: 3 comment lines, `contracts:`, s1's 13 lines
    # (7 of the contract, 6 of its line), then s2's contract_id … billing_period (5),
    # then cancelled_on.
    assert [str(w) for w in plan.warnings if "cancelled_on" in str(w)] == [
        f"warning: {root}/contracts/baremetrics.yaml:23: s2: cancelled_on 2026-05-31 removed: "
        "baremetrics sends no cancellation for it any more (to stop the contract for good, "
        "cancel it in baremetrics)"
    ]


def test_a_crlf_customers_file_with_a_bom_keeps_its_style(
    tmp_path: Path, make_data_dir: MakeDir
) -> None:
    # Written on Windows: a byte-order mark and CRLF line ends.
    root = make_data_dir({"contracts.yaml": "contracts: []\n"})
    (root / "customers.csv").write_bytes(
        b"\xef\xbb\xbfcustomer_id,name,country,source_id\r\n"
        b'HAND,"Hand, Written AS",NO,\r\n'
        b"c1,Old Name,SE,baremetrics:c1\r\n"
    )
    _import(_csv(tmp_path, BASIC), root, country="NO")
    assert (root / "customers.csv").read_bytes() == (
        # The BOM stays; the header gains billing_email; every line still ends in CRLF.
        b"\xef\xbb\xbfcustomer_id,name,country,source_id,billing_email\r\n"
        # Untouched: its own bytes, padded for the new column before its line end.
        b'HAND,"Hand, Written AS",NO,,\r\n'
        # Changed by the source (name, e-mail) and new (c2, the --country), with CRLF.
        b"c1,Nordlys AS,SE,baremetrics:c1,a@nordlys.example\r\n"
        b"c2,Fjell AS,NO,baremetrics:c2,\r\n"
    )
    before = (root / "customers.csv").read_bytes()
    _import(_csv(tmp_path, BASIC), root, country="NO")
    assert (root / "customers.csv").read_bytes() == before


def test_untouched_csv_records_keep_their_bytes_across_line_breaks_in_cells() -> None:
    from revcli.importers.textfiles import read_csv_table

    # A quoted cell with a CRLF inside, and a last line without a line end.
    text = 'customer_id,notes\r\nA,"two\r\nlines"\r\nB,x'
    table, issues = read_csv_table(text, "customers.csv")
    assert issues == []
    assert table.rows[0] == {"customer_id": "A", "notes": "two\nlines"}
    assert table.render() == text + "\r\n"  # only the missing last line end is added
    table.append({"customer_id": "C", "notes": "y"})
    assert table.render() == text + "\r\nC,y\r\n"


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``."""
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


def test_an_import_whose_last_file_cannot_be_written_changes_nothing(tmp_path: Path) -> None:
    from revcli.errors import RevcliError

    root = tmp_path / "data"
    _import(_csv(tmp_path, BASIC), root, country="NO")
    # The second import renames c1, adds a EUR subscription (s4) and its rate: three files.
    (fx := tmp_path / "fx.csv").write_text("date,currency,rate\n2026-01-01,EUR,11.5\n")
    body = BASIC.replace("Nordlys AS", "Nordlys Analyse AS")
    body += "pro_e,Pro,EUR,10000,month,1,c2,Fjell AS,,s4,2026-02-01,,\n"
    plan = plan_import(
        root, read_baremetrics(_csv(tmp_path, body)), today=TODAY, country="NO", fx_file=fx
    )
    assert plan.changed == ["contracts/baremetrics.yaml", "customers.csv", "fx_rates.csv"]
    # The last one cannot be written: its name is taken by a folder (a rename onto a
    # folder fails for root too), after the first two were already renamed into place.
    (root / "fx_rates.csv").mkdir()
    before = _tree(root)
    with pytest.raises(RevcliError) as caught:
        write_plan(plan)
    assert str(caught.value) == (
        f"cannot write {root}/fx_rates.csv: Is a directory; nothing was changed"
    )
    # The two files already replaced have their old bytes back; no temporary file is left.
    assert _tree(root) == before


def test_a_new_data_dir_that_cannot_be_written_whole_is_not_left_half_made(
    tmp_path: Path,
) -> None:
    from revcli.errors import RevcliError

    root = tmp_path / "data"
    plan = plan_import(root, read_baremetrics(_csv(tmp_path, BASIC)), today=TODAY, country="NO")
    assert plan.changed == ["contracts/baremetrics.yaml", "customers.csv", "revcli.yaml"]
    (root / "revcli.yaml").mkdir(parents=True)
    with pytest.raises(RevcliError) as caught:
        write_plan(plan)
    assert str(caught.value) == (
        f"cannot write {root}/revcli.yaml: Is a directory; nothing was changed"
    )
    # The new files are removed again, and so is the contracts/ folder made for one.
    assert _tree(root) == {"revcli.yaml": None}


def test_a_file_where_the_contracts_folder_belongs_is_named(tmp_path: Path, run: Run) -> None:
    # contracts/baremetrics.yaml cannot be written: a regular file is named `contracts`.
    # The error names the user's paths (it named the temporary validation copy:
    # "/tmp/revcli-import-…/data/contracts: File exists").
    root = tmp_path / "data"
    _import(_csv(tmp_path, BASIC), root, country="NO")
    shutil.rmtree(root / "contracts")
    (root / "contracts").write_text("not a folder\n")
    before = _tree(root)
    result = run("import", "baremetrics", _csv(tmp_path, BASIC), "--data", root)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot write {root}/contracts/baremetrics.yaml: {root}/contracts is a file, "
        "not a folder; nothing was changed\n"
    )
    assert _tree(root) == before


def test_a_file_in_the_way_when_writing_is_named(tmp_path: Path) -> None:
    from revcli.errors import RevcliError

    # The file appears after the import was checked: writing names it too (the system
    # says only "Not a directory").
    root = tmp_path / "data"
    plan = plan_import(root, read_baremetrics(_csv(tmp_path, BASIC)), today=TODAY, country="NO")
    root.mkdir()
    (root / "contracts").write_text("not a folder\n")
    with pytest.raises(RevcliError) as caught:
        write_plan(plan)
    assert str(caught.value) == (
        f"cannot write {root}/contracts/baremetrics.yaml: {root}/contracts is a file, "
        "not a folder; nothing was changed"
    )
    assert _tree(root) == {"contracts": b"not a folder\n"}


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write a read-only folder"
)
def test_a_read_only_folder_stops_the_import_and_changes_nothing(tmp_path: Path, run: Run) -> None:
    root = tmp_path / "data"
    _import(_csv(tmp_path, BASIC), root, country="NO")
    before = _tree(root)
    (root / "contracts").chmod(0o555)
    try:
        # s1 goes from 2 to 3 seats (contracts/baremetrics.yaml) and c1 is renamed.
        body = BASIC.replace("Nordlys AS", "Nordlys Analyse AS").replace(
            ",s1,2026-01-15,,2", ",s1,2026-01-15,,3"
        )
        result = run("import", "baremetrics", _csv(tmp_path, body), "--data", root)
        assert _tree(root) == before
    finally:
        (root / "contracts").chmod(0o755)
    assert result.exit_code == 1
    assert (
        f"error: cannot write {root}/contracts/baremetrics.yaml: Permission denied; "
        "nothing was changed"
    ) in result.stderr


def test_a_subscription_canceled_on_its_start_day_after_an_import_says_it_still_counts(
    tmp_path: Path,
) -> None:
    root = tmp_path / "data"
    _import(_csv(tmp_path, BASIC), root, country="NO")
    # s1 is now canceled on its start day: no day of service. Baremetrics still sends it.
    again = BASIC.replace("s1,2026-01-15,,2", "s1,2026-01-15,2026-01-15,2")
    plan = plan_import(root, read_baremetrics(_csv(tmp_path, again)), today=TODAY, country="NO")
    assert [str(w) for w in plan.warnings if "source_id" in str(w)] == [
        # Line 5: 3 comment lines, `contracts:`, then s1's contract_id.
        f"warning: {root}/contracts/baremetrics.yaml:5: source_id: contract baremetrics:s1: "
        "baremetrics sends it as ended on 2026-01-15, before any day of service (started "
        "2026-01-15), but an earlier import wrote it, and it is kept as it is: it counts "
        "from 2026-01-15 until you delete it by hand"
    ]


def test_rows_of_empty_cells_are_no_subscriptions(tmp_path: Path) -> None:
    # A spreadsheet saved as CSV writes ",,,," for rows it once formatted.
    blank = "," * (HEADER.count(",")) + "\n"
    root = tmp_path / "data"
    _import(_csv(tmp_path, blank + BASIC + blank + blank), root, country="NO")
    plain = tmp_path / "plain"
    _import(_csv(tmp_path, BASIC, name="plain.csv"), plain, country="NO")
    for name in ("customers.csv", "contracts/baremetrics.yaml"):
        assert (root / name).read_bytes() == (plain / name).read_bytes()
