"""Ttareungyi, the public bike share: stations, bikes, rentals, passes, demand, rebalancing, GBFS."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the bike share's models, blueprints and commands."""
    from bikeshare import demand, demand_routes, gbfs, models, operations, stations  # noqa: F401  (every table in the metadata)
    from bikeshare.cli import bikeshare_cli
    from bikeshare.faults import models as fault_models  # noqa: F401
    from bikeshare.faults import routes as fault_routes
    from bikeshare.passes import models as pass_models  # noqa: F401
    from bikeshare.passes import routes as pass_routes
    from bikeshare.rentals import models as rental_models  # noqa: F401
    from bikeshare.rentals import routes as rental_routes
    from core.extensions import api

    for blueprint in (rental_routes.blp, pass_routes.blp, fault_routes.blp, fault_routes.ops_blp, demand_routes.blp):
        api.register_blueprint(blueprint)
    stations.init_app(app)  # nearest stations; adds `reindex` to the group below
    gbfs.init_app(app)
    operations.init_app(app)  # trips, demand rates, plans, tasks, underused, evaluation
    app.cli.add_command(bikeshare_cli)
