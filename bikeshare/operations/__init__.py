"""Operations staff's tools: trip import, demand rates, rebalancing plans, truck tasks, underused
bikes and stations, and the policy evaluation. DB and Flask live here; the numbers come from the
pure core in `bikeshare.rebalancing`."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the operations tables, the ops blueprint and the commands in `flask bikeshare`."""
    from bikeshare import commands
    from bikeshare.operations import models  # noqa: F401  (tables in the metadata)
    from bikeshare.operations.cli import register_commands
    from bikeshare.operations.routes import blp
    from core.extensions import api

    api.register_blueprint(blp)
    register_commands(commands)
