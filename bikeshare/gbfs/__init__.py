"""GBFS 2.3 and 3.0 feeds of the bike share (https://gbfs.org), built from the database."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the GBFS blueprint."""
    from bikeshare.gbfs import routes
    from core.extensions import api

    api.register_blueprint(routes.blp)
