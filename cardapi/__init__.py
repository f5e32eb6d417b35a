"""The citizen card: rotating QR codes verified by facility terminals, benefits and memberships."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the card's models, blueprints and commands."""
