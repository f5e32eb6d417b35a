"""Operations staff's tools: trip import, demand rates, rebalancing plans, truck tasks, underused
bikes and stations, and the policy evaluation. DB and Flask live here; the numbers come from the
pure core in `bikeshare.rebalancing`."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the operations tables, the ops blueprint and the commands in `flask bikeshare`; in a
    serving process (`BIKESHARE_WARM_PLANNER`), start warming the planner."""
    from bikeshare import commands
    from bikeshare.operations import models  # noqa: F401  (tables in the metadata)
    from bikeshare.operations.cli import register_commands
    from bikeshare.operations.routes import blp
    from core.extensions import api

    api.register_blueprint(blp)
    register_commands(commands)
    # Only where plans are served (`make run`, the app service in docker/): other commands, the tests and
    # `import wsgi` leave the planner cold, as they may never plan.
    if app.config["BIKESHARE_WARM_PLANNER"]:
        from bikeshare.operations.warmup import warm_in_background

        app.extensions["planner_warm_up"] = warm_in_background(app)
