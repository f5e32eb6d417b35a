"""`flask bikeshare import-stations | setup-city | reindex`: the network, its fleet and its index."""

import click
from flask.cli import with_appcontext

from bikeshare.stations import city, services

_LIST = click.Path(exists=True, dir_okay=False)


def _describe(summary: dict) -> str:
    line = (
        f"stations: {summary['added']} added, {summary['updated']} updated; {summary['active']} in service "
        f"({summary['unlisted']} not in the station list), {summary['inactive']} not in service"
    )
    if summary["bikes_at_inactive_stations"]:
        line += f"; {summary['bikes_at_inactive_stations']} bikes parked at stations not in service (collect them)"
    return line


@click.command("import-stations")
@with_appcontext
@click.argument("path", required=False, default=city.STATIONS_FILE, type=_LIST)
@click.option("--snapshot", default=city.SNAPSHOT_FILE, show_default=True, type=_LIST, help="Live station status.")
def import_stations(path, snapshot):
    """Load (or update) the live network: the stations of SNAPSHOT, named from the list at PATH
    (default: the shipped 2023-12 list); listed stations absent from the snapshot become inactive."""
    click.echo(_describe(city.import_stations(stations_path=path, snapshot_path=snapshot)))


@click.command("setup-city")
@with_appcontext
def setup_city():
    """Bring the network up to the shipped live snapshot and place a fleet like its 05:29 stock, once."""
    summary = city.setup_city()
    click.echo(_describe(summary))
    click.echo(f"bikes placed: {summary['bikes_placed']}" if summary["bikes_placed"] else "fleet already in place")


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
