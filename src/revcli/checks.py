"""The data dir as the commands see it: the core's validation plus every feature's checks."""

from __future__ import annotations

from pathlib import Path

from revcli.billing.register import check_register
from revcli.data.load import read_raw
from revcli.data.validate import Check, DataSet, validate
from revcli.data.validate import load_dataset as load_core
from revcli.errors import DataError, Issue
from revcli.renewals.checks import renewal_checks
from revcli.risk.signals import signal_issues


def _renewals(data: DataSet) -> list[Issue]:
    return renewal_checks(data.contracts, data.settings)


def _signals(data: DataSet) -> list[Issue]:
    return signal_issues(data.extra, data.customers, data.settings)


CHECKS: tuple[Check, ...] = (_renewals, _signals)
"""Feature checks: renewal columns and reminder settings; signal files and risk settings."""


def load_dataset(root: Path) -> DataSet:
    """Read and validate a data dir with every feature's checks; raise on any error."""
    return load_core(root, CHECKS)


def check_data_dir(root: Path) -> list[Issue]:
    """Every problem of a data dir, the invoice register included (``revcli validate``)."""
    try:
        _, issues = validate(read_raw(root), CHECKS)
    except DataError as exc:
        issues = exc.issues
    return [*issues, *check_register(root)]
