"""Large CSV files are read on worker threads: the same frames, warnings and problems as
read one after the other."""

from __future__ import annotations

from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from revcli.data import reader
from revcli.data.load import RawData, read_raw
from revcli.errors import DataError
from tests.conftest import write_data_dir

CUSTOMERS = "customer_id,name\nA,Acme AS\nB,Bergen AS\n"
CONTRACTS = "contract_id,customer_id,start_date\nK1,A,2026-01-01\nK2,B,2026-02-01\n"
LINES = "contract_id,product,unit_price\nK1,P,10\nK2,P,20\nK2,Q,5\n"


def _read(root: Path, *, parallel: bool, monkeypatch: pytest.MonkeyPatch) -> RawData | list[str]:
    # From 0 bytes on every CSV file goes to a worker thread; past any size, none does.
    monkeypatch.setattr(reader, "PARALLEL_BYTES", 0 if parallel else 1 << 62)
    try:
        return read_raw(root)
    except DataError as exc:
        return [str(i) for i in exc.issues]


def test_files_read_side_by_side_give_the_frames_read_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_data_dir(
        tmp_path,
        {
            "customers.csv": CUSTOMERS,
            "contracts.csv": CONTRACTS,
            "contract_lines.csv": LINES,
            "fx_rates.csv": "date,currency,rate\n2026-01-01,EUR,11.5\n",
            "usage.csv": "customer_id,month,active_users\nA,2026-01,3\n",
        },
    )
    parallel = _read(root, parallel=True, monkeypatch=monkeypatch)
    sequential = _read(root, parallel=False, monkeypatch=monkeypatch)
    assert isinstance(parallel, RawData)
    assert isinstance(sequential, RawData)
    for name in ("customers", "contracts", "lines", "fx_rates", "opportunities"):
        assert_frame_equal(getattr(parallel, name), getattr(sequential, name))
    assert parallel.extra.keys() == sequential.extra.keys() == {"usage"}
    assert_frame_equal(parallel.extra["usage"], sequential.extra["usage"])
    assert parallel.issues == sequential.issues


def test_problems_of_files_read_side_by_side_are_those_read_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_data_dir(
        tmp_path,
        {
            "customers.csv": "customer_id,name\nA,Acme AS,x\n",  # row 2 has 3 fields
            "contracts.csv": CONTRACTS,
            "contract_lines.csv": 'contract_id,product,unit_price\nK1,"P\n',  # malformed
            "opportunities.csv": "opportunity_id,name\nO1\n",  # row 2 has 1 field
        },
    )
    (root / "fx_rates.csv").mkdir()  # not a file
    parallel = _read(root, parallel=True, monkeypatch=monkeypatch)
    sequential = _read(root, parallel=False, monkeypatch=monkeypatch)
    assert parallel == sequential
    # (listed by file, as every DataError lists them)
    assert [line.split(": ", 1)[0].rsplit("/", 1)[-1] for line in parallel] == [
        "contract_lines.csv:2",
        "customers.csv:2",
        "fx_rates.csv",
        "opportunities.csv:2",
    ]
