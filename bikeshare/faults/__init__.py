"""Fault reports from riders, and operators putting bikes in and out of maintenance."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the fault reports table and the riders' and operators' blueprints."""
    from bikeshare.faults import models, routes  # noqa: F401  (models: the table in the metadata)
    from core.extensions import api

    api.register_blueprint(routes.blp)
    api.register_blueprint(routes.ops_blp)
