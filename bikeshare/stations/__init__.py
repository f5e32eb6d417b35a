"""Stations and bikes, the physical network: nearest stations with live counts (Redis GEO index over
the database), the real Seoul network and its fleet."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the stations and bikes tables, the stations blueprint and their commands."""
    from bikeshare.stations import cli, models, routes  # noqa: F401  (models: the tables in the metadata)
    from core.extensions import api

    api.register_blueprint(routes.blp)
    cli.register()
