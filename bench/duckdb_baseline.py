"""Run the DuckDB baseline (bench/duckdb_mrr.sql) on a data dir.

    python bench/duckdb_baseline.py --data DIR --from 2022-01 --to 2026-12 --out mrr.csv

Writes month, mrr, arr, customers, the seven movements and net_change as CSV, like
``revcli mrr --format csv`` (without the derived columns).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb

SQL = Path(__file__).with_name("duckdb_mrr.sql")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def base_currency(data: Path) -> str:
    """``base_currency`` of the data dir's revcli.yaml (NOK when not set)."""
    text = (data / "revcli.yaml").read_text(encoding="utf-8")
    found = re.search(r"^base_currency:\s*[\"']?([A-Za-z]{3})", text, re.MULTILINE)
    return found.group(1).upper() if found else "NOK"


def render(data: Path, first: str, last: str, out: Path) -> str:
    """The baseline SQL with its placeholders filled in."""
    values = {
        "DATA": data.resolve().as_posix(),
        "FROM": first,
        "TO": last,
        "BASE": base_currency(data),
        "OUT": out.resolve().as_posix(),
    }
    sql = SQL.read_text(encoding="utf-8")
    for key, value in values.items():
        sql = sql.replace("${" + key + "}", value.replace("'", "''"))
    return sql


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--from", dest="first", required=True, help="first month, YYYY-MM")
    parser.add_argument("--to", dest="last", required=True, help="last month, YYYY-MM")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: all cores)")
    args = parser.parse_args(argv)
    if not (MONTH.match(args.first) and MONTH.match(args.last)):
        parser.error("--from and --to take YYYY-MM")
    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    try:
        con.execute(render(args.data, args.first, args.last, args.out))
    except duckdb.Error as exc:
        print(f"duckdb baseline failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
