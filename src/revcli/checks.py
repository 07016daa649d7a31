"""The data dir as the commands see it: the core's validation plus every feature's checks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from revcli.billing.layout import has_register_dir
from revcli.data.controls import control_character_warnings
from revcli.data.load import RawData, read_raw
from revcli.data.source import GitSource, Revision
from revcli.data.validate import Check, DataSet, may_reach_line_limit, validate
from revcli.data.validate import load_dataset as load_core
from revcli.einvoice.checks import einvoice_issues, einvoice_warnings
from revcli.errors import DataError, Issue, as_warnings, raise_if_errors, sort_issues
from revcli.metrics.options import read_report_options
from revcli.renewals.checks import renewal_checks
from revcli.risk.signals import signal_issues
from revcli.state.journal import settled


def _renewals(data: DataSet) -> list[Issue]:
    return renewal_checks(data.contracts, data.settings)


def _signals(data: DataSet) -> list[Issue]:
    return signal_issues(data.extra, data.customers, data.settings)


def _report_options(data: DataSet) -> list[Issue]:
    return read_report_options(data.settings)[1]


CHECKS: tuple[Check, ...] = (_renewals, _signals, _report_options, einvoice_issues)
"""Feature checks: renewal columns and reminder settings; signal files and risk settings;
the cohorts and forecast options; what e-invoices need (bank, Peppol addresses)."""


def check_state(root: Path, *, orphans: bool = True) -> list[Issue]:
    """Problems of the state revcli keeps in the data dir: the invoice register and the
    reminder log (gaps, duplicates, hand edits). SPEC §1: checked on every run.
    Without ``orphans`` (every command's check) a register found clean before and not
    changed since is not read again (:mod:`revcli.billing.stamped`).

    ``orphans``: also report an issued document no record names — what a run that died
    between writing a document and recording it leaves, and the next ``invoice issue``
    completes; so only ``validate`` and ``invoice check`` report it.
    """
    issues: list[Issue] = []
    if has_register_dir(root):  # else there is nothing to check: no billing code loaded
        if orphans:
            from revcli.billing.register import check_register

            issues = check_register(root, orphans=True)
        else:  # every command's check: a register unchanged since found clean is not read
            from revcli.billing.stamped import register_issues

            issues = register_issues(root)
    from revcli.renewals.log import ReminderLog

    try:
        ReminderLog(root).read()
    except DataError as exc:
        issues += exc.issues
    return issues


def load_dataset(root: Path, revision: Revision | None = None) -> DataSet:
    """Read and validate a data dir with every feature's checks and its state; raise
    :class:`DataError` on any error, so no command runs on damaged data or state.

    With ``revision``: the data dir as it was at that git revision, read from git
    objects. Its state (invoice register, reminder log) is not checked: reports of the
    past read contracts, never the state that commands write today. Nothing is written
    then. The working tree is read :func:`~revcli.state.journal.settled`, as by every
    entry point here that reads it: an import interrupted between its renames completed
    first, and no import renaming files during the read.
    """
    if revision is not None:
        with GitSource.open(root, revision) as files:
            return replace(load_core(files, CHECKS), revision=revision)
    with settled(root):
        raw = read_raw(root)
    data, issues = validate(raw, CHECKS)
    raise_if_errors(issues)
    state = [i for i in check_state(root, orphans=False) if i.is_error]
    if state:
        raise DataError(state)
    raise_if_errors(line_limit_issues(data))
    return data


def line_limit_issues(data: DataSet) -> list[Issue]:
    """The lines whose MRR reaches the engine's limit, which every command refuses as
    ``validate`` does (invoices too: data that validate rejects is never invoiced). The
    MRR engine is loaded only when the cheap bound says a line may reach it."""
    if not may_reach_line_limit(data):
        return []
    from revcli.metrics.mrr import line_limit_issues as found

    return found(data)


def read_checked(root: Path, revision: Revision | None) -> tuple[RawData, list[Issue]]:
    """The raw data of a data dir (at ``revision``, else the working tree) after checking
    it like every command does; :class:`DataError` with every problem when it is invalid.
    Returns the raw data and the warnings."""
    if revision is None:
        with settled(root):
            raw = read_raw(root)
    else:
        with GitSource.open(root, revision) as files:
            raw = read_raw(files)
    _, issues = validate(raw, CHECKS)
    return raw, raise_if_errors(issues)


def check_data_dir(root: Path) -> list[Issue]:
    """Every problem of a data dir, its state included (``revcli validate``), and on valid
    data the lines the reports refuse (:func:`~revcli.metrics.mrr.line_limit_issues`) and
    a warning per text with a control character
    (:func:`~revcli.data.controls.control_character_warnings`)."""
    return check_and_load(root)[0]


def check_and_load(root: Path) -> tuple[list[Issue], DataSet | None]:
    """:func:`check_data_dir`'s problems and, when none is an error, the data set it read
    and validated: a caller that needs both (an import's would-be data dir and its MRR)
    reads and validates the data dir once."""
    try:
        with settled(root):
            raw = read_raw(root)
        data, issues = validate(raw, CHECKS)
    except DataError as exc:
        return [*exc.issues, *check_state(root)], None
    if not any(i.is_error for i in issues):  # what every command would refuse
        issues = sort_issues(
            [
                *issues,
                *line_limit_issues(data),
                *control_character_warnings(data),
                *_seller_text_warnings(data),
                *einvoice_warnings(data),
            ]
        )
    issues = [*issues, *check_state(root)]
    return issues, None if any(i.is_error for i in issues) else data


def _seller_text_warnings(data: DataSet) -> list[Issue]:
    """The seller's texts in revcli.yaml that no invoice can show, as warnings: reports
    run; invoices and drafts are refused (:func:`~revcli.billing.numbering.seller_text_issues`)."""
    from revcli.billing.numbering import seller_text_issues

    return as_warnings(seller_text_issues(data.settings))
