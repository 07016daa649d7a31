"""Benchmark: issue 1,000 invoices as PDF + XML (the e-invoice inside the PDF/A-3 too).

``python bench/issue_pdf.py [N]`` copies sample_data to a temporary folder and issues its
billing runs month by month from 2025-01 until at least N invoices (default 1,000) are
issued, with ``--format pdf --format xml``; prints the count, the wall time and the CPU
time of the process and its workers. The target on a 2-core machine is 150 s.
Not a timed test: the machine's load decides the figure.
"""

from __future__ import annotations

import datetime as dt
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from revcli.billing.documents import DocumentFiles
from revcli.billing.issue import issue_invoices
from revcli.checks import load_dataset

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def main(target: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "data"
        shutil.copytree(SAMPLE, root)
        data = load_dataset(root)
        files = DocumentFiles(data.settings, root, ["pdf", "xml"])
        month, issued = dt.date(2025, 1, 1), 0
        start = time.perf_counter()
        while issued < target and month <= dt.date(2026, 12, 1):
            result = issue_invoices(
                data, month, month, files, on=month, today=dt.date(2026, 12, 31)
            )
            issued += len(result.issued)
            month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        wall = time.perf_counter() - start
    cpu = sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for field in ("ru_utime", "ru_stime")
    )
    print(f"{issued} invoices as PDF + XML: {wall:.1f} s wall, {cpu:.1f} s CPU (target ≤ 150 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
