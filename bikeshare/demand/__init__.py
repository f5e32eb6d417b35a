"""Demand records: per station and hour, rentals, returns and the minutes it was empty or full."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the hourly records table and the operators' blueprint that reads it."""
    from bikeshare.demand import models, routes  # noqa: F401  (models: the table in the metadata)
    from core.extensions import api

    api.register_blueprint(routes.blp)
