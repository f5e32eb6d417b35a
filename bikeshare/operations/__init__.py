"""Operations staff's tools: trip import, demand rates, rebalancing plans, truck tasks, underused
bikes and stations, and the policy evaluation. DB and Flask live here; the numbers come from the
pure core in `bikeshare.rebalancing`."""

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the operations tables, the ops blueprint and the commands in `flask bikeshare`; under
    `flask run`, start warming the planner."""
    from bikeshare import commands
    from bikeshare.operations import models  # noqa: F401  (tables in the metadata)
    from bikeshare.operations.cli import register_commands
    from bikeshare.operations.routes import blp
    from core.extensions import api

    api.register_blueprint(blp)
    register_commands(commands)
    if _served_by_flask_run():
        from bikeshare.operations.warmup import warm_in_background

        warm_in_background(app)


def _served_by_flask_run() -> bool:
    """Whether `flask run` is building the app to serve it (gunicorn warms in its post_worker_init hook).

    Other commands and plain imports (tests, `import wsgi`) leave the planner cold: they may never plan.
    """
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name == "run"
