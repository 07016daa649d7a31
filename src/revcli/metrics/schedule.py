"""The recurring-line schedule of the MRR engine (SPEC §2–3), and the integer codes of its
customer ids and products."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import polars as pl

from revcli.calendar import add_months, whole_months
from revcli.data.fx import booking_rates
from revcli.data.ids import in_order_of
from revcli.data.validate import LINE_MRR_LIMIT, LINE_MRR_SLACK
from revcli.errors import Issue, sort_issues
from revcli.metrics.common import CUSTOMER, PRODUCT
from revcli.schema import LINE, PERIOD_MONTHS, SOURCE


def line_schedule(contracts: pl.DataFrame, lines: pl.DataFrame, rates: pl.Series) -> pl.DataFrame:
    """Recurring lines with their monthly amount and active span (SPEC §2–3).

    In: typed ``contracts`` and ``lines``, and ``rates`` — each contract's booking rate
    (base currency per unit of its currency on its ``start_date``), aligned with
    ``contracts``. Out, one row per recurring line (``once`` lines dropped, free lines
    kept): ``customer_id, contract_id, line_id, product, line_mrr`` (base currency),
    ``line_mrr_ccy`` (contract currency), ``start_date``, ``end_date`` (effective end,
    null while open-ended), ``renewal_start`` (first renewal day, null when the contract
    does not auto-renew), ``renewal_term_months``, ``uplift`` (factor per renewal).
    """
    # What depends on the contract alone is worked out once per contract.
    renews = pl.col("auto_renew") & pl.col("end_date").is_not_null()
    head = contracts.select(
        "contract_id",
        CUSTOMER,
        "currency",
        # The contract's end ends its lines unless it renews.
        pl.when(~renews).then(pl.col("end_date")).alias("_c_stop"),
        "cancelled_on",
        pl.when(renews).then(pl.col("end_date") + pl.duration(days=1)).alias("renewal_start"),
        "renewal_term_months",
        "term_months",
        (1 + pl.col("renewal_uplift_pct").cast(pl.Float64) / 100).alias("uplift"),
        rates.alias("rate"),
    )
    # Months per price period: a comparison per period costs less than a lookup per line.
    period = pl.coalesce(
        pl.when(pl.col("price_period") == "term").then(pl.col("term_months")),
        *(
            pl.when(pl.col("price_period") == name).then(float(months))
            for name, months in PERIOD_MONTHS.items()
        ),
    )
    amount = (
        pl.col("quantity").cast(pl.Float64)
        * pl.col("unit_price").cast(pl.Float64)
        * (1 - pl.col("discount_pct").cast(pl.Float64) / 100)
        / period
    )
    effective_end = pl.min_horizontal(pl.col("end_date"), pl.col("cancelled_on"), pl.col("_c_stop"))
    kept = lines.select(pl.col("price_period") != "once").to_series().fill_null(False)
    recurring = lines.select(
        "contract_id",
        "line_id",
        PRODUCT,
        "quantity",
        "unit_price",
        "discount_pct",
        "price_period",
        "start_date",
        "end_date",
    ).filter(kept)
    # Lines come grouped contract by contract in the contracts' order as a rule: then each
    # line's contract is the number of its group, found in one walk; contracts sorted by
    # id are found by binary search; both are cheaper than hashing every id. Otherwise the
    # join.
    ids = contracts.get_column("contract_id")
    in_turn = in_order_of(lines.get_column("contract_id"), ids)
    if in_turn is not None:
        at: pl.Series | None = in_turn.filter(kept)
    else:
        at = positions(ids, recurring.get_column("contract_id"))
    if at is None:
        joined = recurring.join(head, on="contract_id", how="inner")
    else:
        joined = pl.concat(
            [recurring, head.drop("contract_id").select(pl.all().gather(at))], how="horizontal"
        )
    # The amount once, then valued: the same product as writing it out twice.
    return joined.with_columns(amount.alias("_amount")).select(
        CUSTOMER,
        "contract_id",
        "line_id",
        PRODUCT,
        (pl.col("_amount") * pl.col("rate")).alias("line_mrr"),
        pl.col("_amount").alias("line_mrr_ccy"),
        "currency",
        "start_date",
        effective_end.alias("end_date"),
        "renewal_start",
        "renewal_term_months",
        "uplift",
    )


def coded_schedule(
    contracts: pl.DataFrame, lines: pl.DataFrame, rates: pl.Series, customer_ids: pl.Series
) -> tuple[IdCodes, pl.DataFrame] | None:
    """The :class:`IdCodes` and the coded :func:`line_schedule` (``customer_id`` and
    ``product`` as codes) of the contracts, their lines and the customers file's
    ``customer_ids``, with each contract's customer looked up once instead of each line's;
    ``None`` where a contract's customer is not among ``customer_ids`` (or a product is
    missing).

    Every customer of the schedule is then one of ``customer_ids``: the codes are the
    places of the ids among them sorted, as :meth:`IdCodes.of` gives them, and the coded
    schedule is what :meth:`IdCodes.encode` makes of the schedule. Where the ids are
    sorted in their file and the contracts name every one of them in turn (as exports
    usually list them), each contract's code is the number of its customer's run of
    contracts; otherwise it is found by binary search among the sorted ids.
    """
    if customer_ids.null_count():
        return None
    owners = contracts.get_column(CUSTOMER)
    ids = customer_ids
    at = None
    if _strictly_rising(customer_ids):
        at = in_order_of(owners, customer_ids)
    else:
        ids = customer_ids.unique().sort()
    if at is None:
        at = positions(ids, owners)
    if at is None:
        return None
    coded = line_schedule(contracts.with_columns(at.cast(pl.UInt32).alias(CUSTOMER)), lines, rates)
    names = coded.get_column(PRODUCT)
    if names.null_count():
        return None
    products = names.unique().sort()
    codes = IdCodes(
        ids.to_frame(CUSTOMER).with_row_index("_code"),
        products.to_frame(PRODUCT).with_row_index("_code"),
    )
    # Each product's code is its place among the sorted names: the place of its category.
    number = pl.col(PRODUCT).cast(pl.Enum(products)).to_physical().cast(pl.UInt32)
    return codes, coded.with_columns(number)


def _strictly_rising(values: pl.Series) -> bool:
    """Whether ``values`` has no null and each value is greater than the one before."""
    if values.null_count():
        return False
    return values.len() < 2 or bool((values.slice(1) > values.slice(0, values.len() - 1)).all())


def distinct(values: pl.Series) -> int:
    """How many distinct values ``values`` holds; counted without hashing when they are
    strictly rising (as ids sorted in their file are)."""
    return values.len() if _strictly_rising(values) else values.n_unique()


def oversized_lines(
    schedule: pl.DataFrame,
    contracts: pl.DataFrame,
    lines: pl.DataFrame,
    fx_rates: pl.DataFrame,
    base: str,
) -> list[Issue]:
    """An error for each line of ``schedule`` whose MRR reaches :data:`LINE_MRR_LIMIT`, at
    its row of the typed ``lines``, on the larger of its quantity and unit price.

    The float ``line_mrr`` only finds the candidates (those within
    :data:`LINE_MRR_SLACK` of the limit, or beyond); each of those few is decided, and its
    MRR quoted, in exact arithmetic (:func:`exact_line_mrr`) at its contract's booking
    rate as ``fx_rates`` (typed) give it, so that a line just below the limit passes and
    the message has the MRR's own digits.
    """
    near = schedule.filter(pl.col("line_mrr").abs() >= LINE_MRR_LIMIT * (1 - LINE_MRR_SLACK))
    if not near.height:
        return []
    keys = ["contract_id", "line_id"]
    found = near.select(keys).join(
        lines.select(*keys, SOURCE, LINE, "quantity", "unit_price", "discount_pct", "price_period"),
        on=keys,
        how="left",
    )
    stop = pl.col("end_date") + pl.duration(days=1)
    whole = whole_months(pl.col("start_date"), stop)
    head = contracts.filter(pl.col("contract_id").is_in(found.get_column("contract_id").implode()))
    head = head.select(
        "contract_id",
        booking_rates(head, "start_date", "currency", fx_rates, base, exact=True),
        whole.alias("_whole"),
        (stop - add_months(pl.col("start_date"), whole)).dt.total_days().alias("_days"),
    )
    rows = found.join(head, on="contract_id", how="left").select(
        SOURCE,
        LINE,
        "quantity",
        "unit_price",
        "discount_pct",
        "price_period",
        "rate",
        "_whole",
        "_days",
    )
    issues = []
    for source, line, quantity, price, discount, period, rate, whole_, days in rows.iter_rows():
        months = (
            Fraction(QUARTER_DAYS * whole_ + DAY_PARTS * days, QUARTER_DAYS)
            if period == "term"
            else Fraction(PERIOD_MONTHS[period])
        )
        mrr = exact_line_mrr(quantity, price, discount, rate, months)
        if mrr < LINE_MRR_LIMIT:
            continue
        issues.append(
            Issue(
                source,
                line,
                "quantity" if quantity > price else "unit_price",
                f"gives the line an MRR of {whole_units(mrr)} {base} a month; reports add up "
                f"MRR to the cent only for lines below {LINE_MRR_LIMIT:,} {base} a month: "
                "check quantity and unit_price",
            )
        )
    return sort_issues(issues)


QUARTER_DAYS = 487
"""4 × 30.4375: a term of *m* months and *d* days is (487·*m* + 16·*d*) / 487 months."""
DAY_PARTS = 16


def exact_line_mrr(
    quantity: Decimal, unit_price: Decimal, discount_pct: Decimal, rate: Decimal, months: Fraction
) -> Fraction:
    """A line's MRR in the base currency, exactly (docs/rules.md): quantity × unit price ×
    (1 − discount_pct / 100) × booking ``rate`` ÷ ``months`` per price period — what
    :func:`line_schedule`'s ``line_mrr`` is in float64."""
    return (
        Fraction(quantity)
        * Fraction(unit_price)
        * (1 - Fraction(discount_pct) / 100)
        * Fraction(rate)
        / months
    )


def whole_units(value: Fraction) -> str:
    """``value`` (not negative) rounded half up to a whole number, with thousands separators."""
    return f"{math.floor(value + Fraction(1, 2)):,}"


def positions(table: pl.Series, wanted: pl.Series) -> pl.Series | None:
    """Where each of ``wanted`` is in ``table``, found by binary search; ``None`` unless
    that is shown to be what a join on them matches: ``table`` strictly rising, no nulls,
    and every one of ``wanted`` found."""
    if not table.len() or table.null_count() or wanted.null_count():
        return None
    if not bool((table.slice(1) > table.slice(0, table.len() - 1)).all()):
        return None
    at = table.search_sorted(wanted).clip(upper_bound=table.len() - 1)
    if not bool((table.gather(at) == wanted).all()):
        return None
    return at


@dataclass(frozen=True)
class IdCodes:
    """Dense integer codes of customer ids and product names: grouping and joining on
    integers is several times faster than on strings, so the engine runs on codes and
    turns them back into names at the end."""

    customers: pl.DataFrame  # customer_id (text), _code
    products: pl.DataFrame  # product (text), _code

    @classmethod
    def of(cls, schedule: pl.DataFrame, customers: pl.Series | None = None) -> IdCodes:
        """Codes for the customers and products of ``schedule`` (and ``customers``)."""
        ids = schedule.get_column(CUSTOMER)
        if customers is not None:
            ids = pl.concat([customers, ids])
        return cls(
            ids.unique().sort().to_frame().with_row_index("_code"),
            schedule.select(pl.col(PRODUCT).unique().sort()).with_row_index("_code"),
        )

    def _pairs(self, frame: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
        pairs = ((CUSTOMER, self.customers), (PRODUCT, self.products))
        return [(key, codes) for key, codes in pairs if key in frame.columns]

    def encode(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with its ``customer_id`` and ``product`` columns as codes."""
        for key, codes in self._pairs(frame):
            frame = frame.join(codes, on=key, how="left", maintain_order="left").with_columns(
                pl.col("_code").alias(key)
            )
            frame = frame.drop("_code")
        return frame

    def decode(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with coded ``customer_id`` and ``product`` columns as text again."""
        for key, codes in self._pairs(frame):
            names = codes.select(pl.col("_code").alias(key), pl.col(key).alias("_name"))
            frame = frame.join(names, on=key, how="left", maintain_order="left")
            frame = frame.with_columns(pl.col("_name").alias(key)).drop("_name")
        return frame
