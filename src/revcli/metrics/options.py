"""Report options of ``revcli.yaml``: the ``cohorts:`` and ``forecast:`` sections."""

from __future__ import annotations

from dataclasses import dataclass

from revcli.errors import Issue
from revcli.settings import Settings, unknown_settings
from revcli.settings_tree import SettingsReader


@dataclass(frozen=True)
class ReportOptions:
    """``cohorts.min_customers``: a cohort with fewer members is marked as small (its
    shares swing with one customer). ``forecast.run_rate_months``: the trailing window
    whose average new, expansion and upgrade MRR the forecast runs forward (0 = none)."""

    cohort_min_customers: int = 5
    run_rate_months: int = 6


def read_report_options(settings: Settings) -> tuple[ReportOptions, list[Issue]]:
    """The two sections, every value not given at its default; problems as issues."""
    issues: list[Issue] = []
    r = SettingsReader(settings.source, issues)
    cohorts = r.section(settings.tree, "cohorts")
    forecast = r.section(settings.tree, "forecast")
    options = ReportOptions(
        cohort_min_customers=r.integer(cohorts, "min_customers", 5, maximum=1_000_000),
        run_rate_months=r.integer(forecast, "run_rate_months", 6, maximum=120),
    )
    where = {
        "min_customers": "cohorts.min_customers",
        "run_rate_months": "forecast.run_rate_months",
    }
    return options, [
        *unknown_settings(cohorts, ["min_customers"], "cohorts", settings.source),
        *unknown_settings(forecast, ["run_rate_months"], "forecast", settings.source),
        *(
            Issue(i.source, i.line, where.get(i.column or "", i.column), i.message, i.severity)
            for i in issues
        ),
    ]


def report_options(settings: Settings) -> ReportOptions:
    """The options, defaults where a value is invalid (``validate`` reports those)."""
    return read_report_options(settings)[0]
