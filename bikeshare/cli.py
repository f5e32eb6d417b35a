"""`flask bikeshare ...`: load the real network, place the fleet, flag missing bikes."""

import click
from flask.cli import AppGroup

from bikeshare import city
from bikeshare.rentals import services as rentals

bikeshare_cli = AppGroup("bikeshare", help="The public bike share: network, fleet and housekeeping.")


@bikeshare_cli.command("import-stations")
@click.argument("path", required=False, default=city.STATIONS_FILE, type=click.Path(exists=True, dir_okay=False))
def import_stations(path):
    """Load (or update) the official station list from PATH (default: the shipped 2023-12 list)."""
    inserted, updated = city.import_stations(path=path)
    click.echo(f"stations: {inserted} added, {updated} updated")


@bikeshare_cli.command("setup-city")
def setup_city():
    """Import the stations if needed and place a fleet like the 2026-06-12 05:29 stock, once."""
    summary = city.setup_city()
    if summary["bikes_placed"]:
        click.echo(f"stations imported: {summary['stations_imported']}; bikes placed: {summary['bikes_placed']}")
    else:
        click.echo(f"stations imported: {summary['stations_imported']}; fleet already in place")


@bikeshare_cli.command("mark-missing")
def mark_missing():
    """Flag as missing the bikes of rentals open past 4 h (6 h on 2-hour passes); run it periodically."""
    click.echo(f"bikes flagged missing: {rentals.mark_missing()}")
