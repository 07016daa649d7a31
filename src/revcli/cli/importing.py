"""``revcli import``: bring customers and contracts in from Stripe, Baremetrics or a sheet."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from revcli.cli.common import error_boundary, resolve_data_dir
from revcli.cli.console import BadValue, err, print_issues, working
from revcli.cli.options import today
from revcli.cli.streams import write_data
from revcli.errors import UsageError
from revcli.visible import visible

if TYPE_CHECKING:
    from revcli.importers.records import Batch

import_app = typer.Typer(
    name="import",
    help="Bring customers and contracts in from Stripe, Baremetrics or a spreadsheet export.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

ImportDataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        "-d",
        help="Data dir to import into; created (with init's revcli.yaml) when missing.",
        envvar="REVCLI_DATA",
        file_okay=False,
        show_default=False,
    ),
]
BaseCurrencyOption = Annotated[
    str | None,
    typer.Option(
        "--base-currency",
        help="Base currency of a data dir the import creates (default NOK).",
        show_default=False,
    ),
]
CountryOption = Annotated[
    str | None,
    typer.Option(
        "--country",
        help="Country of imported customers the source gives none (default: the seller's).",
        show_default=False,
    ),
]
FxOption = Annotated[
    Path | None,
    typer.Option(
        "--fx-rates",
        help="fx_rates.csv-style file (date,currency,rate) merged into the data dir.",
        dir_okay=False,
        exists=True,
        show_default=False,
    ),
]
DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help=(
            "Show the summary and the diff; write nothing (an import killed earlier is "
            "completed first)."
        ),
    ),
]


def _codes(base_currency: str | None, country: str | None) -> tuple[str | None, str | None]:
    from revcli.schema import country_codes, currency_codes

    if base_currency is not None and base_currency.upper() not in currency_codes():
        raise BadValue(
            f"'{base_currency}' is not an ISO 4217 currency code", param_hint="--base-currency"
        )
    if country is not None and country.upper() not in country_codes():
        raise BadValue(
            f"'{country}' is not an ISO 3166-1 two-letter country code", param_hint="--country"
        )
    return (
        base_currency.upper() if base_currency else None,
        country.upper() if country else None,
    )


def _run(
    batch: Batch,
    data: Path | None,
    base_currency: str | None,
    country: str | None,
    fx_rates: Path | None,
    dry_run: bool,
) -> None:
    from revcli.importers.lock import import_lock, remove_stale
    from revcli.importers.plan import plan_import
    from revcli.importers.plan_output import plan_diff, summary, write_plan

    base, land = _codes(base_currency, country)
    root = data if data is not None else resolve_data_dir(None)
    if root.exists() and not root.is_dir():
        raise BadValue(f"{root} is not a folder", param_hint="--data")
    if root.is_dir() and not (root / "revcli.yaml").is_file() and _holds_files(root):
        # Making a data dir in a folder that holds other things (a home folder, /etc)
        # would scatter revcli's files among them. (A first import killed before its
        # revcli.yaml was in place leaves its journal: the import below completes it.)
        raise BadValue(
            f"{root} is not a data dir (no revcli.yaml) and is not empty; import into a "
            "data dir, or into a new or empty folder",
            param_hint="--data",
        )
    with import_lock(root, dry_run=dry_run) as since:  # two imports at once: one waits
        with working(f"Merging into {root} and checking the result …"):
            plan = plan_import(
                root, batch, today=today(), base_currency=base, country=land, fx_file=fx_rates
            )
        print_issues(plan.warnings)
        for line in summary(plan):
            err.print(line, markup=False)
        if dry_run:  # a diff for a person: the data's escape sequences stay text
            write_data(visible(plan_diff(plan), keep="\t\n\r"))
            err.print("dry run: nothing was written", markup=False)
            return
        remove_stale([root / rel for rel in plan.files], since)
        written = write_plan(plan)
    if written:
        err.print("wrote " + ", ".join(str(p) for p in written), markup=False)
    else:
        err.print("nothing changed", markup=False)


@import_app.command("baremetrics")
def import_baremetrics_command(
    file: Annotated[
        Path, typer.Argument(help="Baremetrics subscription CSV.", dir_okay=False, exists=True)
    ],
    data: ImportDataOption = None,
    base_currency: BaseCurrencyOption = None,
    country: CountryOption = None,
    fx_rates: FxOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Import a Baremetrics subscription CSV: one contract per subscription row.

    Example: [bold]revcli import baremetrics docs/examples/import/baremetrics-subscriptions.csv
        --data revenue --country NO --dry-run[/]
    """
    with error_boundary():
        from revcli.importers.sources import read_baremetrics

        _run(read_baremetrics(file), data, base_currency, country, fx_rates, dry_run)


@import_app.command("stripe")
def import_stripe_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Saved Stripe JSON: list objects or arrays of customers, subscriptions, products.",
            dir_okay=False,
            exists=True,
            show_default=False,
        ),
    ] = None,
    data: ImportDataOption = None,
    fetch: Annotated[
        bool,
        typer.Option(
            "--fetch",
            help="Fetch customers, subscriptions and products with $STRIPE_API_KEY first.",
        ),
    ] = False,
    timezone: Annotated[
        str,
        typer.Option("--timezone", help="Time zone that turns Stripe timestamps into days."),
    ] = "UTC",
    base_currency: BaseCurrencyOption = None,
    country: CountryOption = None,
    fx_rates: FxOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Import Stripe customers and subscriptions: one contract per subscription.

    The API key is read from $STRIPE_API_KEY only, never from the command line.

    Example: [bold]revcli import stripe docs/examples/import/stripe-customers.json
        docs/examples/import/stripe-subscriptions.json --data revenue --fx-rates
        docs/examples/import/fx-rates.csv --dry-run[/]
    """
    with error_boundary():
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from revcli.importers.sources import fetch_stripe, read_stripe_files
        from revcli.importers.stripe import import_stripe

        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadValue(
                f"'{timezone}' is not a time zone name such as UTC or Europe/Oslo",
                param_hint="--timezone",
            ) from None
        if not paths and not fetch:
            raise BadValue("give saved JSON files, or --fetch", param_hint="PATHS")
        objects = read_stripe_files(list(paths or []))
        if fetch:
            key = os.environ.get("STRIPE_API_KEY", "")
            if not key:
                raise UsageError("--fetch needs the API key in $STRIPE_API_KEY")
            objects = fetch_stripe(key) + objects
        _run(import_stripe(objects, tz), data, base_currency, country, fx_rates, dry_run)


@import_app.command("csv")
def import_csv_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="CRM or spreadsheet export (.csv or .xlsx).", dir_okay=False, exists=True
        ),
    ],
    map_file: Annotated[
        Path,
        typer.Option(
            "--map",
            help="MAP.yaml (target table, source name, id column, column rules), or a "
            "shipped map's name: hubspot-companies, hubspot-deals.",
            dir_okay=False,
        ),
    ],
    data: ImportDataOption = None,
    base_currency: BaseCurrencyOption = None,
    country: CountryOption = None,
    fx_rates: FxOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Import any CRM or spreadsheet export into customers, contracts, lines or opportunities.

    Example: [bold]revcli import csv docs/examples/import/hubspot-deals.csv --map hubspot-deals
        --data revenue --dry-run[/]
    """
    with error_boundary():
        from revcli.importers.sources import read_mapped

        with working(f"Reading {file} …"):
            batch = read_mapped(file, map_file)
        _run(batch, data, base_currency, country, fx_rates, dry_run)


def register(app: typer.Typer) -> None:
    """Add ``revcli import`` and its sources to ``app``."""
    app.add_typer(import_app)


def _holds_files(folder: Path) -> bool:
    """Whether ``folder`` holds anything but empty folders, and no import journal (a first
    import into it that was killed: the next import completes or clears it)."""
    from revcli.output.journal import JOURNAL

    if os.path.lexists(folder / JOURNAL):
        return False
    return any(
        not (p.is_dir() and not p.is_symlink() and not any(p.iterdir())) for p in folder.iterdir()
    )
