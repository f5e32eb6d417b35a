"""Ttareungyi, the public bike share: stations, bikes, rentals, passes, demand, rebalancing, GBFS.

Each feature is a sub-package whose `init_app` registers its models, blueprints and commands.
"""

from flask import Flask
from flask.cli import AppGroup

# `flask bikeshare ...`: the features add their commands to it.
commands = AppGroup("bikeshare", help="The public bike share: network, fleet and housekeeping.")


def init_app(app: Flask) -> None:
    """Register every feature of the bike share, then the `flask bikeshare` command group."""
    from bikeshare import demand, faults, gbfs, incentives, network, operations, passes, rentals, stations

    for feature in (rentals, passes, faults, demand, stations, gbfs, operations, incentives, network):
        feature.init_app(app)
    app.cli.add_command(commands)
