"""`flask bikeshare mark-missing`: flag the bikes of rentals open too long."""

import click
from flask.cli import with_appcontext

from bikeshare.rentals import services as rentals


@click.command("mark-missing")
@with_appcontext
def mark_missing():
    """Flag as missing the bikes of rentals open past 4 h (6 h on 2-hour passes); run it periodically."""
    click.echo(f"bikes flagged missing: {rentals.mark_missing()}")


def register() -> None:
    """Add `mark-missing` to `flask bikeshare`."""
    from bikeshare import commands

    commands.add_command(mark_missing)
