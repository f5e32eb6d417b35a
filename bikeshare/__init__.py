"""Ttareungyi, the public bike share: stations, bikes, rentals, passes, demand, rebalancing, GBFS."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the bike share's models, blueprints and commands."""
    from bikeshare import models  # noqa: F401
