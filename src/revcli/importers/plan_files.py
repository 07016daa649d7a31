"""The data dir's files an import merges its batch into, each read, merged and rendered anew."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from revcli.data.csvio import decode, decode_exact
from revcli.errors import DataError, Issue
from revcli.importers.merge import Merged, merge_fx, merge_table, render_yaml_customers
from revcli.importers.merge_contracts import merge_contracts, render_contracts
from revcli.importers.records import Batch
from revcli.importers.textfiles import (
    CsvTable,
    read_csv_table,
    read_yaml_contracts,
    read_yaml_customers,
)
from revcli.schema import CUSTOMERS, FX_RATES, OPPORTUNITIES

CUSTOMER_FILES = ("customers.csv", "customers.yaml", "customers.yml")


def file_text(root: Path, rel: str) -> str | None:
    """A data-dir file's text, or ``None`` when it does not exist. A CSV file is read as
    written (byte-order mark and line ends kept): the import rewrites it record by record."""
    path = root / rel
    if not path.exists():
        return None
    text, issues = (decode_exact if rel.endswith(".csv") else decode)(path, str(path))
    if text is None:
        raise DataError(issues)
    return text


def _csv(root: Path, rel: str, text: str | None, header: tuple[str, ...]) -> CsvTable:
    if text is None:
        return CsvTable(header=list(header), order=header)
    table, issues = read_csv_table(text, str(root / rel))
    if issues:
        raise DataError(issues)
    if not table.header:
        table.header = list(header)
    return table


def needed_rates(batch: Batch, fx: CsvTable, base: str, where: str) -> list[Issue]:
    """Days that need an exchange rate dated on or before them: the start of a
    foreign-currency contract with a recurring line (its booking rate) and the expected
    close of an open foreign-currency opportunity."""
    wanted: list[tuple[str, str, str]] = []  # currency, day, what needs it
    for c in batch.contracts:
        if any(x.get("price_period", "month") != "once" for x in c.lines):
            wanted.append(
                (c.values.get("currency", base), c.values.get("start_date", ""), "contracts start")
            )
    for o in batch.opportunities:
        if o.get("status", "open") == "open":
            wanted.append(
                (o.get("currency", base), o.get("expected_close", ""), "open deals close")
            )
    first: dict[str, dict[str, set[str]]] = {}
    for currency, day, what in wanted:
        cur = currency.upper()
        if cur == base or not day:
            continue
        if not any(
            (r.get("currency") or "").upper() == cur and r.get("date", "") <= day for r in fx.rows
        ):
            first.setdefault(cur, {}).setdefault(day, set()).add(what)
    issues = []
    for cur, needs in sorted(first.items()):
        days = sorted(needs)
        listed = ", ".join(days[:5]) + (f" and {len(days) - 5} more" if len(days) > 5 else "")
        whats = " or ".join(sorted(set().union(*needs.values())))
        issues.append(
            Issue(
                where,
                None,
                "currency",
                f"no exchange rate for {cur} on or before {days[0]} ({whats} on {listed}); "
                f"pass --fx-rates FILE with date,currency,rate rows ({cur} in {base}) dated "
                f"on or before {days[0]}",
            )
        )
    return issues


def customers_file(
    root: Path,
    batch: Batch,
    texts: dict[str, str | None],
    merged: Merged,
    country: str,
) -> tuple[dict[str, str], set[str]]:
    present = [name for name in CUSTOMER_FILES if texts.get(name) is not None]
    target = "customers.csv" if "customers.csv" in present or not present else present[0]
    others: set[str] = set()
    for name in present:
        if name == target:
            continue
        text = texts[name] or ""
        if name.endswith(".csv"):
            others |= {r.get("customer_id", "") for r in _csv(root, name, text, ()).rows}
        else:
            rows, _ = read_yaml_customers(text, str(root / name))
            others |= {r.get("customer_id", "") for r in rows}
    where = str(root / target)
    if target.endswith(".csv"):
        table = _csv(root, target, texts.get(target), CUSTOMERS.names)
        if texts.get(target) is None:
            table.header = ["customer_id", "name", "country"]
    else:
        rows, issues = read_yaml_customers(texts.get(target) or "", where)
        if any(i.is_error for i in issues):
            raise DataError(issues)
        table = CsvTable(header=[], rows=rows, texts=[None] * len(rows), lines=[0] * len(rows))
    merge_table(
        table,
        batch.customers,
        mapped=batch.mapped.get("customers", frozenset()),
        id_column="customer_id",
        where=where,
        merged=merged,
        what="customers",
        other_ids=frozenset(others),
        fill={"country": country},
        covered=batch.source if "customers" in batch.covers else "",
    )
    ids = others | {r.get("customer_id", "") for r in table.rows}
    if not batch.customers:
        return {}, ids
    if target.endswith(".csv"):
        return {target: table.render()}, ids
    return {target: render_yaml_customers(table.rows)}, ids


EMPTY_CONTRACTS = """\
# Contracts written by hand (or put one contract per file in contracts/*.yaml).
contracts: []
"""


def has_contracts(root: Path) -> bool:
    names = ("contracts.yaml", "contracts.yml", "contracts.csv", "contract_lines.csv")
    return (root / "contracts").is_dir() or any((root / n).exists() for n in names)


def contracts_file(
    root: Path, batch: Batch, texts: dict[str, str | None], merged: Merged
) -> dict[str, str]:
    """``contracts/SOURCE.yaml`` after the import (the source's contracts file)."""
    rel = f"contracts/{batch.source}.yaml"
    if not (batch.contracts or batch.lines or {"contracts", "lines"} & batch.covers):
        return {}
    texts[rel] = file_text(root, rel)
    if texts[rel] is None and not (batch.contracts or batch.lines):
        return {}  # an input that holds no contract: no file to write, none gone
    existing, issues = read_yaml_contracts(texts[rel] or "", str(root / rel))
    if any(i.is_error for i in issues):
        raise DataError(issues)
    others = _other_contract_ids(root, rel)
    result = merge_contracts(existing, batch, str(root / rel), merged, others)
    return {rel: render_contracts(result, batch.source)}


def _other_contract_ids(root: Path, own: str) -> frozenset[str]:
    """The ``contract_id`` of every contract in the data dir's other contract files (the
    hand-written ones and other sources'): an import never adds a second contract of an
    id (a file that cannot be read is left to validation, which reports it)."""
    names = [n for n in ("contracts.yaml", "contracts.yml") if (root / n).is_file()]
    if (root / "contracts").is_dir():
        names += sorted(
            f"contracts/{p.name}"
            for p in (root / "contracts").iterdir()
            if p.suffix in (".yaml", ".yml") and f"contracts/{p.name}" != own
        )
    ids: set[str] = set()
    for name in names:
        text = file_text(root, name)
        contracts, _ = read_yaml_contracts(text or "", str(root / name))
        ids |= {c.values.get("contract_id", "") for c in contracts}
    if (root / "contracts.csv").is_file():
        table = _csv(root, "contracts.csv", file_text(root, "contracts.csv"), ())
        ids |= {r.get("contract_id", "") for r in table.rows}
    return frozenset(ids - {""})


def opportunities_file(
    root: Path, batch: Batch, texts: dict[str, str | None], merged: Merged
) -> dict[str, str]:
    """``opportunities.csv`` after the import."""
    rel = "opportunities.csv"
    if not (batch.opportunities or "opportunities" in batch.covers):
        return {}
    texts[rel] = file_text(root, rel)
    if texts[rel] is None and not batch.opportunities:
        return {}
    table = _csv(root, rel, texts[rel], OPPORTUNITIES.names)
    merge_table(
        table,
        batch.opportunities,
        mapped=batch.mapped.get("opportunities", frozenset()),
        id_column="opportunity_id",
        where=str(root / rel),
        merged=merged,
        what="opportunities",
        covered=batch.source if "opportunities" in batch.covers else "",
    )
    return {rel: table.render()}


def fx_rates_file(
    root: Path, fx_file: Path | None, texts: dict[str, str | None], merged: Merged
) -> tuple[CsvTable, dict[str, str], list[Issue]]:
    """``fx_rates.csv`` with the rows of ``--fx-rates`` merged in, and its problems."""
    rel = "fx_rates.csv"
    texts[rel] = file_text(root, rel)
    fx = _csv(root, rel, texts[rel], FX_RATES.names)
    if fx_file is None:
        return fx, {}, []
    given_text, issues = decode(fx_file, str(fx_file))
    if given_text is None:
        raise DataError(issues)
    given = _csv(fx_file.parent, fx_file.name, given_text, FX_RATES.names)
    problems = _given_fx_issues(given, str(fx_file))
    problems += merge_fx(fx, given, str(fx_file), str(root / rel), merged)
    return fx, ({rel: fx.render()} if merged.counts["fx_rates"].added else {}), problems


def unknown_customers(batch: Batch, known: set[str]) -> list[Issue]:
    """Every imported contract needs its customer: imported now or already in the data dir."""
    return [
        Issue(
            c.values.get("_source", batch.source),
            int(c.values["_line"]) if "_line" in c.values else None,
            c.values.get("_column", "customer_id"),
            f"customer '{c.values.get('customer_id')}' is neither in the import nor in the "
            "data dir's customers; import the customers too",
        )
        for c in batch.contracts
        if c.values.get("customer_id") not in known
    ]


def _given_fx_issues(given: CsvTable, source: str) -> list[Issue]:
    """Rows of an ``--fx-rates`` file must be complete: date, currency and rate."""
    issues = [
        Issue(source, 1, name, "required column is missing from the header")
        for name in ("date", "currency", "rate")
        if name not in given.header
    ]
    if issues:
        return issues
    for row, line in zip(given.rows, given.lines, strict=True):
        issues += [
            Issue(source, line, name, "is required")
            for name in ("date", "currency", "rate")
            if name not in row
        ]
        try:
            if "rate" in row and not Decimal(row["rate"]).is_finite():
                raise ArithmeticError
        except ArithmeticError:
            issues.append(Issue(source, line, "rate", f"'{row['rate']}' is not a number"))
    return issues
