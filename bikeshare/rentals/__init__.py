"""Renting and returning bikes: one open rental per rider and per bike, fares at return."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the rentals table, blueprint and the `mark-missing` command."""
    from bikeshare.rentals import cli, models, routes  # noqa: F401  (models: the table in the metadata)
    from core.extensions import api

    api.register_blueprint(routes.blp)
    cli.register()
