"""Passes a rider buys and the ledger of what they are charged."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the passes and ledger tables and the passes blueprint."""
    from bikeshare.passes import models, routes  # noqa: F401  (models: the tables in the metadata)
    from core.extensions import api

    api.register_blueprint(routes.blp)
