"""`flask bikeshare import-stations | setup-city | reindex`: the network, its fleet and its index."""

import click
from flask.cli import with_appcontext

from bikeshare.stations import city, services


@click.command("import-stations")
@with_appcontext
@click.argument("path", required=False, default=city.STATIONS_FILE, type=click.Path(exists=True, dir_okay=False))
def import_stations(path):
    """Load (or update) the official station list from PATH (default: the shipped 2023-12 list)."""
    inserted, updated = city.import_stations(path=path)
    click.echo(f"stations: {inserted} added, {updated} updated")


@click.command("setup-city")
@with_appcontext
def setup_city():
    """Import the stations if needed and place a fleet like the 2026-06-12 05:29 stock, once."""
    summary = city.setup_city()
    if summary["bikes_placed"]:
        click.echo(f"stations imported: {summary['stations_imported']}; bikes placed: {summary['bikes_placed']}")
    else:
        click.echo(f"stations imported: {summary['stations_imported']}; fleet already in place")


@click.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the nearest-stations index from the database."""
    click.echo(f"indexed {services.reindex()} stations")


def register() -> None:
    """Add the stations' commands to `flask bikeshare`."""
    from bikeshare import commands

    for command in (import_stations, setup_city, reindex_command):
        commands.add_command(command)
