"""``revcli renewals --fail-on notice-within:SPAN``: auto-renewing contracts whose notice
deadline comes soon and that nobody has decided on yet."""

from __future__ import annotations

import datetime as dt

import polars as pl

from revcli.data.validate import DataSet
from revcli.renewals.report import RenewalQuery, select_renewals
from revcli.renewals.terms import Window


def unanswered_notices(
    data: DataSet,
    as_of: dt.date,
    window: Window,
    owner: str | None,
    upcoming: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Auto-renewing contracts whose notice deadline is within ``window`` from ``as_of``
    (``as_of`` ≤ deadline ≤ end of window) and that have no ``renewal_decision``.

    Independent of the report's ``--within``: a deadline can fall inside the window for a
    term end far beyond it. ``owner`` restricts to one owner; ``upcoming``: as for
    :func:`select_renewals`. Sorted by deadline, then ``contract_id``.
    """
    frame = select_renewals(data, RenewalQuery(as_of=as_of, owner=owner), upcoming)
    return frame.filter(
        (pl.col("status") == "auto-renews")
        & (pl.col("notice_deadline") <= window.end(as_of))
        & pl.col("renewal_decision").is_null()
    ).sort("notice_deadline", "contract_id")


def unanswered_notices_message(
    data: DataSet,
    as_of: dt.date,
    window: Window,
    owner: str | None,
    upcoming: pl.DataFrame | None = None,
) -> str | None:
    """What ``--fail-on notice-within:SPAN`` reports: the :func:`unanswered_notices`,
    one per line, or ``None`` when there are none (the check passes)."""
    late = unanswered_notices(data, as_of, window, owner, upcoming)
    if not late.height:
        return None
    items = "".join(
        f"\n  {c}  notice by {d:%Y-%m-%d}  {n or ''} ({o or 'no owner'})"
        for c, n, d, o in late.select(
            "contract_id", "customer_name", "notice_deadline", "owner"
        ).iter_rows()
    )
    plural = "s have" if late.height != 1 else " has"
    return (
        f"{late.height} auto-renewing contract{plural} a notice deadline by "
        f"{window.end(as_of):%Y-%m-%d} and no renewal_decision:{items}"
    )
