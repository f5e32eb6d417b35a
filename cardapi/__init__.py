"""The citizen card: rotating QR codes verified by facility terminals, benefits and memberships."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the card's models, blueprints and commands."""
    from cardapi import models  # noqa: F401
    from cardapi.cli import cardapi_cli
    from cardapi.routes import blueprints
    from cardapi.services import devices
    from core.extensions import api

    devices.init_app(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.cli.add_command(cardapi_cli)
