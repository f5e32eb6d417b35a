"""Network planning: dock supply against demand and where docks should move (issue 14)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the network reports table, the operators' blueprint and `flask bikeshare network-report`."""
    from bikeshare import commands
    from bikeshare.network import cli, models, routes  # noqa: F401  (models: the table in the metadata)
    from core.extensions import api

    api.register_blueprint(routes.blp)
    commands.add_command(cli.network_report)
