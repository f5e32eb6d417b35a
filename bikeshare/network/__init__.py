"""Network planning (issue 14): dock supply against demand and where docks should move, bikes and stations
that go unused or vanish, and open aggregate data for citizens."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the reports table, the operators' and open-data blueprints and `flask bikeshare network-report`."""
    from bikeshare import commands
    from bikeshare.network import cli, models, open_routes, routes  # noqa: F401  (models: the table in the metadata)
    from core.extensions import api

    api.register_blueprint(routes.blp)
    api.register_blueprint(open_routes.blp)
    commands.add_command(cli.network_report)
