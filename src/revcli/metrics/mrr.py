"""MRR per month and its movements (SPEC §2–4), computed from change events.

A line adds its MRR at the first month-end it is active and removes it after its last;
each renewal uplift is one more event. Cumulative sums of events per (customer, product)
give the MRR at every month-end without expanding lines × months, so the cost grows
with the number of lines and changes, not with the length of history.

:class:`Book` holds all of it for one data set, computed once and asked by every report.
The steps live in the modules beside this one, and this module names them all:

- :mod:`~revcli.metrics.common`: column names, movement kinds, rounding, the split size;
- :mod:`~revcli.metrics.money`: exact money (decimals of 9 places), sums and ratios;
- :mod:`~revcli.metrics.schedule`: the recurring-line schedule and the integer codes;
- :mod:`~revcli.metrics.events`: change events at month-ends;
- :mod:`~revcli.metrics.states`: running MRR per key, summed exactly;
- :mod:`~revcli.metrics.movements`: the movements classified (SPEC §4);
- :mod:`~revcli.metrics.table`: the ``revcli mrr`` table's sums and derived columns.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable
from functools import cached_property, partial

import polars as pl

from revcli.calendar import (
    add_months,
)
from revcli.concurrency import side_by_side
from revcli.data.fx import booking_rates
from revcli.data.load import relocate
from revcli.data.validate import DataSet, may_reach_line_limit
from revcli.errors import DataError, Issue
from revcli.metrics.common import (
    CUSTOMER,
    DEFAULT_POLICY,
    MONTH,
    MOVEMENT,
    MOVEMENTS,
    PRODUCT,
    ROUND_DIGITS,
    SPLIT_ROWS,
)
from revcli.metrics.events import (
    free_line_events,
    month_end_rates,
    month_numbers,
    mrr_events,
    valued_events,
)
from revcli.metrics.money import (
    MONEY,
    MONEY_LIMIT,
    exact_money,
    exactly,
    money_ratio,
    money_sum,
    money_times,
)
from revcli.metrics.movements import classify, movements
from revcli.metrics.schedule import (
    IdCodes,
    coded_schedule,
    distinct,
    line_schedule,
    oversized_lines,
    positions,
)
from revcli.metrics.states import states
from revcli.metrics.table import (
    COUNTED,
    as_of_grid,
    month_range,
    movement_sums,
    running_totals,
    with_derived,
)
from revcli.settings import MetricsPolicy

__all__ = [
    "CUSTOMER",
    "DEFAULT_POLICY",
    "MONEY",
    "MONEY_LIMIT",
    "MONTH",
    "MOVEMENT",
    "MOVEMENTS",
    "MRR_COLUMNS",
    "PRODUCT",
    "ROUND_DIGITS",
    "SPLIT_ROWS",
    "Book",
    "IdCodes",
    "classify",
    "coded_schedule",
    "exact_money",
    "exactly",
    "free_line_events",
    "line_limit_issues",
    "line_schedule",
    "money_ratio",
    "money_sum",
    "money_times",
    "month_end_rates",
    "month_numbers",
    "month_range",
    "movements",
    "mrr_events",
    "mrr_table",
    "oversized_lines",
    "positions",
    "states",
    "valued_events",
]

MRR_COLUMNS = (
    "month",
    "mrr",
    "arr",
    "customers",
    *MOVEMENTS,
    "uplift",
    "contraction",
    "net_change",
    "net_new",
    "growth_pct",
    "new_customers",
    "churned_customers",
    "reactivated_customers",
    "arpa",
)


def line_limit_issues(data: DataSet) -> list[Issue]:
    """The errors :meth:`Book.of` raises for lines at or above :data:`LINE_MRR_LIMIT`
    (``revcli validate`` and every command report them too), without building the book
    when no line can reach the limit (:func:`may_reach_line_limit`)."""
    if not may_reach_line_limit(data):
        return []
    try:
        Book.of(data)
    except DataError as exc:
        return list(exc.issues)
    return []


def mrr_table(
    schedule: pl.DataFrame,
    customers: pl.DataFrame,
    first: dt.date,
    last: dt.date,
    by: str | None = None,
) -> pl.DataFrame:
    """The ``revcli mrr`` table of a :func:`line_schedule` and typed ``customers``: see
    :meth:`Book.mrr_table` (a report of a data set asks the data set's :class:`Book`)."""
    return Book(schedule, customers).mrr_table(first, last, by)


def _named(codes: IdCodes, coded: pl.DataFrame) -> pl.DataFrame:
    """A coded schedule with its customer ids and products as text again: each code is
    the row of its name in :class:`IdCodes`."""
    return coded.with_columns(
        codes.customers.get_column(CUSTOMER).gather(coded.get_column(CUSTOMER)),
        codes.products.get_column(PRODUCT).gather(coded.get_column(PRODUCT)),
    )


_BOOKS: weakref.WeakKeyDictionary[DataSet, Book] = weakref.WeakKeyDictionary()
"""The :class:`Book` of each data set in memory, dropped with the data set."""


def _upto(held: tuple[dt.date, pl.DataFrame], until: dt.date) -> pl.DataFrame:
    horizon, frame = held
    return frame if horizon == until else frame.filter(pl.col(MONTH) <= until)


class Book:
    """The MRR engine of one data set: computed once per command, asked by every report.

    It owns the recurring-line :attr:`schedule`, the integer :attr:`codes` of customer ids
    and products, the change :meth:`events`, the MRR :meth:`states` per customer and per
    (customer, product) and the classified :meth:`movements`. Each is computed on first
    use and kept, so ``mrr``, cohorts, retention, the forecast, the risk score and the
    renewals of one command share one computation. A report of a data set gets its book
    with :meth:`Book.of`.

    Events, states and movements are computed up to a month (``until``) and kept for the
    furthest month asked so far: a later question up to an earlier month filters them,
    which gives the same rows as computing up to that month (nothing before a month
    depends on what comes after it). They are on the integer codes: :meth:`IdCodes.decode`
    turns ``customer_id`` and ``product`` back into text.
    """

    def __init__(
        self,
        schedule: pl.DataFrame | Callable[[], pl.DataFrame],
        customers: pl.DataFrame | None = None,
        policy: MetricsPolicy = DEFAULT_POLICY,
        fx_rates: tuple[pl.DataFrame, str] | None = None,
        coded: tuple[IdCodes, pl.DataFrame] | None = None,
    ) -> None:
        """``schedule``: the :func:`line_schedule` frame, or what makes it when first asked;
        ``customers``: the typed customers (their ids get codes too, and ``--by`` reads
        their columns), when known; ``policy``: the metric policy (SPEC §12);
        ``fx_rates``: the typed ``fx_rates`` and the base currency, which ``fx: month_end``
        values lines with; ``coded``: the :attr:`codes` and :attr:`coded_schedule`, when
        already made (they are the schedule's)."""
        self._schedule = schedule
        self._coded = coded
        if customers is None:
            customers = self.schedule.select(CUSTOMER).unique()
        self.customers = customers
        self.policy = policy
        self.month_end_fx = policy.fx == "month_end" and fx_rates is not None
        self._fx_rates = fx_rates
        self._events: tuple[dt.date, pl.DataFrame] | None = None
        self._states: dict[tuple[str, ...], tuple[dt.date, pl.DataFrame]] = {}
        self._movements: tuple[dt.date, pl.DataFrame] | None = None

    @classmethod
    def of(cls, data: DataSet) -> Book:
        """The book of ``data``: made on first ask (its schedule booked at each contract's
        start rate, SPEC §3) and the same object for every later ask about ``data``.

        Where every contract's customer is in the customers file (a valid data set), the
        coded schedule is made with each contract's customer looked up once
        (:func:`coded_schedule`), and the schedule with the ids as text (each code's
        name read off its row) only when a report asks for it.

        Raises :class:`DataError` naming every line whose MRR reaches
        :data:`LINE_MRR_LIMIT`: no report is computed from such data.
        """
        book = _BOOKS.get(data)
        if book is None:
            contracts, lines = data.contracts, data.lines
            rates = booking_rates(
                contracts, "start_date", "currency", data.fx_rates, data.settings.base_currency
            )
            fx = (data.fx_rates, data.settings.base_currency)
            coded = coded_schedule(contracts, lines, rates, data.customers.get_column(CUSTOMER))
            schedule: pl.DataFrame | Callable[[], pl.DataFrame]
            if coded is None:
                made = schedule = line_schedule(contracts, lines, rates)
            else:
                made, schedule = coded[1], partial(_named, *coded)
            oversized = oversized_lines(
                made, contracts, lines, data.fx_rates, data.settings.base_currency
            )
            if oversized:
                raise DataError(relocate(oversized, data.positions))
            book = cls(schedule, data.customers, data.settings.metrics, fx, coded)
            _BOOKS[data] = book
        return book

    @cached_property
    def schedule(self) -> pl.DataFrame:
        """The :func:`line_schedule` frame, ids and products as text."""
        return self._schedule() if callable(self._schedule) else self._schedule

    @cached_property
    def codes(self) -> IdCodes:
        """Integer codes of every customer id (of the schedule and the customers) and product."""
        if self._coded is not None:
            return self._coded[0]
        return IdCodes.of(self.schedule, self.customers.get_column(CUSTOMER))

    @cached_property
    def coded_schedule(self) -> pl.DataFrame:
        """:attr:`schedule` with ``customer_id`` and ``product`` as :attr:`codes`."""
        if self._coded is not None:
            return self._coded[1]
        return self.codes.encode(self.schedule)

    def events(self, until: dt.date) -> pl.DataFrame:
        """:func:`mrr_events` of the coded schedule up to the month of ``until``; under
        ``fx: month_end`` :func:`valued_events` (with their ``fx`` column)."""
        until = until.replace(day=1)
        if self._events is None or self._events[0] < until:
            if self.month_end_fx:
                events = valued_events(self.coded_schedule, until, self._month_end_rates(until))
            else:
                events = mrr_events(self.coded_schedule, until)
            self._events = (until, events)
        return _upto(self._events, until)

    def _month_end_rates(self, until: dt.date) -> pl.DataFrame:
        """:func:`month_end_rates` from the month before the first line starts to ``until``."""
        assert self._fx_rates is not None
        fx, base = self._fx_rates
        earliest = self.coded_schedule.select(pl.col("start_date").min()).item() or until
        start = add_months(pl.lit(earliest.replace(day=1)), -1)
        first = pl.select(start).item()
        return month_end_rates(fx, self.coded_schedule.get_column("currency"), first, until, base)

    def states(self, keys: list[str], until: dt.date) -> pl.DataFrame:
        """:func:`states` per ``keys`` (``[customer_id]`` or ``[customer_id, product]``) up to
        the month of ``until``, coded."""
        until = until.replace(day=1)
        held = self._states.get(tuple(keys))
        if held is None or held[0] < until:
            held = self._states[tuple(keys)] = (until, states(self.events(until), keys))
        return _upto(held, until)

    def _both_states(self, until: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The states per (customer, product) and per customer up to the month of ``until``.

        When neither is kept yet, the two are made side by side: each has steps that run
        on one core (its stable sort, running sums), so a second thread keeps both busy.
        Each is the same frame as made alone (exact integer sums, in a fixed order)."""
        until = until.replace(day=1)
        product, customer = (CUSTOMER, PRODUCT), (CUSTOMER,)
        if all(k not in self._states or self._states[k][0] < until for k in (product, customer)):
            events = self.events(until)
            by_product, by_customer = side_by_side(
                lambda: states(events, list(product)), lambda: states(events, list(customer))
            )
            self._states[product] = (until, by_product)
            self._states[customer] = (until, by_customer)
        return self.states(list(product), until), self.states(list(customer), until)

    def movements(self, until: dt.date) -> pl.DataFrame:
        """:func:`classify` of the states up to the month of ``until``, coded."""
        until = until.replace(day=1)
        if self._movements is None or self._movements[0] < until:
            by_product, by_customer = self._both_states(until)
            free = None
            if self.policy.free_to_paid == "expansion":
                free = states(free_line_events(self.coded_schedule, until), [CUSTOMER])
            fx = None
            if self.month_end_fx:
                fx = self.events(until).select(CUSTOMER, PRODUCT, MONTH, "fx")
            moves = classify(by_product, by_customer, self.policy, free, fx)
            self._movements = (until, moves)
        return _upto(self._movements, until)

    def mrr_table(
        self, first: dt.date, last: dt.date, by: str | None = None, *, exact: bool = False
    ) -> pl.DataFrame:
        """The ``revcli mrr`` table: one row per month (per group with ``by``), SPEC §4 and §9.

        ``first`` and ``last`` are the first and last month (first days). ``by`` is
        ``None``, ``"product"`` or a customer column. Out: ``[by,] month`` (first day)
        and the columns of :data:`MRR_COLUMNS`, unrounded; every group appears in every
        month. Movements follow the book's policy (SPEC §12); under ``fx: month_end`` an
        ``fx`` column follows ``churn`` and counts in ``net_change`` only. Money is floats,
        each the nearest to its exact value; with ``exact`` the exact :data:`MONEY`
        decimals themselves (which ``revcli diff`` adds up customer by customer).
        """
        month_end_fx = self.month_end_fx
        group = "_group"
        codes, customers = self.codes, self.customers
        by_product, by_customer = self._both_states(last)
        keys = [group, MONTH]
        attr: pl.DataFrame | None = None
        if by == PRODUCT:
            groups = codes.products.select(pl.col("_code").alias(group))
            members = by_product.rename({PRODUCT: group})
        elif not by and distinct(customers.get_column(CUSTOMER)) == codes.customers.height:
            # Every coded customer is in the customers file: all are in the one group,
            # without looking each one up; rows are summed per month alone and the group
            # named afterwards.
            members = by_customer
            keys = [MONTH]
        else:
            # The group's value is read before the key is coded: --by customer_id shows ids.
            attr = codes.encode(
                customers.unique(CUSTOMER, keep="first").select(
                    CUSTOMER,
                    (pl.col(by).cast(pl.String) if by else pl.lit("")).fill_null("").alias(group),
                )
            )
            groups = attr.select(group).unique()
            members = by_customer.join(attr, on=CUSTOMER, how="left")
        if not by:
            groups = pl.DataFrame({group: [""]})
        # The running totals need only the states: they are summed on a second thread while
        # the movements are classified (a step that runs on one core).
        running, moves = side_by_side(
            lambda: running_totals(members, keys, group), lambda: self.movements(last)
        )
        if by == PRODUCT:
            tagged = moves.with_columns(pl.col(PRODUCT).alias(group))
        elif attr is None:
            tagged = moves
        else:
            tagged = moves.join(attr, on=CUSTOMER, how="left")
        named = [] if keys == [group, MONTH] else [pl.lit("").alias(group)]
        before = add_months(pl.lit(first), -1)
        months = pl.date_range(before, pl.lit(last), interval="1mo", eager=True).alias(MONTH)
        grid = groups.join(months.to_frame(), how="cross")
        table = as_of_grid(grid, running, group, ["mrr", "customers"])

        kinds = movement_sums(
            tagged.lazy().filter(pl.col(MONTH).is_between(first, last)), keys, month_end_fx
        )
        counts = [column for _, column in COUNTED]
        kinds = kinds.with_columns(named)
        flows = (*MOVEMENTS, *(["fx"] if month_end_fx else []))
        table = table.join(kinds, on=[group, MONTH], how="left").with_columns(
            *(pl.col(k).fill_null(pl.lit(0, MONEY)) for k in flows),
            *(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts),
        )
        table = with_derived(table, group, first, with_fx=month_end_fx, exact=exact)
        if by == PRODUCT:  # back from codes to product names
            table = codes.decode(table.rename({group: PRODUCT})).rename({PRODUCT: group})
        leading = [pl.col(group).alias(by)] if by else []
        columns = list(MRR_COLUMNS)
        if month_end_fx:
            columns.insert(columns.index("churn") + 1, "fx")
        return table.sort(group, MONTH).select(*leading, *columns)
