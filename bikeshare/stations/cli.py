"""`flask bikeshare reindex`: rebuild the stations' Redis GEO index from the database."""

import click
from flask import Flask
from flask.cli import with_appcontext

from bikeshare.stations import services


@click.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the nearest-stations index from the database."""
    click.echo(f"indexed {services.reindex()} stations")


def register(app: Flask) -> None:
    """Add `reindex` to the bike share command group (which bikeshare.init_app registers)."""
    from bikeshare.cli import bikeshare_cli

    bikeshare_cli.add_command(reindex_command)
