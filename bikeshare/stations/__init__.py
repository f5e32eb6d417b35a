"""Stations as riders see them: nearest stations with live counts (Redis GEO index over the database)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the stations blueprint and the `reindex` command."""
    from bikeshare.stations import cli, routes
    from core.extensions import api

    api.register_blueprint(routes.blp)
    cli.register(app)
