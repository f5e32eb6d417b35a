"""Rider incentives: mileage points for renting at crowded and returning to sparse stations.

Seoul's pilot rules or ours (from the planner's dissatisfaction, coordinated with the trucks),
a ledger with caps and anti-gaming rules, and their evaluation in the replay simulator.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the incentive tables, the blueprints and the `publish-incentives` and `evaluate-incentives` commands."""
    from bikeshare import commands
    from bikeshare.incentives import cli, models, routes  # noqa: F401  (models: the tables in the metadata)
    from core.extensions import api

    # An unknown policy name stops the start, instead of failing the first rider who looks for points.
    models.IncentivePolicy(app.config["BIKESHARE_INCENTIVE_POLICY"])

    api.register_blueprint(routes.blp)
    api.register_blueprint(routes.feed)
    commands.add_command(cli.publish_incentives)
    commands.add_command(cli.evaluate_incentives)
