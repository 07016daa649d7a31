"""scripts/make_sample_data.py earns its place: it writes sample_data/ byte for byte, and
its own MRR computation (Decimal, month by month, no Polars) equals ``revcli mrr``."""

from __future__ import annotations

import csv
import importlib.util
import io
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import ModuleType

from tests.conftest import ROOT, SAMPLE, Run

SCRIPT = ROOT / "scripts" / "make_sample_data.py"
CENT = Decimal("0.01")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_sample_data", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_generator_writes_sample_data_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "sample_data"
    # the script's own self-check runs too: it fails the run when its rules do not hold
    subprocess.run([sys.executable, str(SCRIPT), str(out)], check=True, capture_output=True)
    written, shipped = _files(out), _files(SAMPLE)
    assert sorted(written) == sorted(shipped)
    different = [name for name in sorted(shipped) if written[name] != shipped[name]]
    assert different == [], "regenerate with: python scripts/make_sample_data.py"


def test_generator_mrr_and_movements_equal_revcli_mrr(run: Run) -> None:
    """Every month 2023-01..2027-12: MRR, customers and each movement's signed sum, as
    the script computes them from the files (exact Decimal, rounded half-up to cents),
    equal what ``revcli mrr`` prints."""
    script = _script()
    books, fx = script.checked_books(SAMPLE)
    expected = script.monthly_summary(script.mrr_grid(books, fx))
    result = run(
        *("mrr", "--data", SAMPLE, "--from", "2023-01", "--to", "2027-12"),
        *("--as-of", "2026-11-23", "--format", "csv"),
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["month"] for row in rows] == [f"{month:%Y-%m}" for month in expected]
    columns = ("mrr", "customers", *script.MOVEMENT_KINDS)
    moved = 0
    for row, want in zip(rows, expected.values(), strict=True):
        got = {c: int(row[c]) if c == "customers" else Decimal(row[c]) for c in columns}
        exact = {
            c: want[c] if c == "customers" else Decimal(want[c]).quantize(CENT, ROUND_HALF_UP)
            for c in columns
        }
        assert got == exact, row["month"]
        moved += sum(1 for c in script.MOVEMENT_KINDS if want[c])
    assert moved > 100  # the comparison is not of zeros: movements happen in most months
