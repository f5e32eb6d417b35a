"""Operations staff: demand rates, rebalancing plans, truck tasks, underused bikes and stations."""

import time

from flask_smorest import Blueprint

from bikeshare.operations import stock, tasks
from bikeshare.operations.schemas import (
    CurrentPlanSchema,
    DemandQuerySchema,
    DemandSchema,
    DockAboardSchema,
    PlanCreateSchema,
    PlanSchema,
    StationStockQuerySchema,
    StationStockSchema,
    TaskActionSchema,
    TaskSchema,
    TruckSchema,
    UnderusedBikeSchema,
    UnderusedBikesQuerySchema,
    UnderusedStationsQuerySchema,
    UnderusedStationsSchema,
)
from core.auth import auth_required, current_user
from core.idempotency import idempotent

blp = Blueprint("bike_operations", __name__, url_prefix="/api/v1/ops", description="Operations: rebalancing")
STAFF = ("operator", "admin")
# `insight` and `plans` load NumPy, SciPy and OR-Tools: imported by the views that use them, so start-up
# and every other request skip them.


@blp.get("/demand")
@auth_required(*STAFF)
@blp.arguments(DemandQuerySchema(), location="query")
@blp.response(200, DemandSchema)
@blp.alt_response(404, response="NOT_FOUND")
def station_demand_rates(query):
    """A station's rental and return rates per hour of day, corrected for time empty or full."""
    from bikeshare.operations import insight

    return insight.station_rates(**query)


@blp.post("/rebalancing/plans")
@auth_required(*STAFF)
@idempotent
@blp.arguments(PlanCreateSchema())
@blp.response(201, PlanSchema)
@blp.alt_response(409, response="CONFLICT")
def create_plan(data):
    """Plan truck routes that move stock toward each station's target; its stops become tasks."""
    started = time.perf_counter()  # a cold worker's imports count in the time limit too
    from bikeshare.operations import plans

    return plans.create_plan(user_id=current_user.id, started=started, **data)


@blp.get("/rebalancing/current")
@auth_required(*STAFF)
@blp.response(200, CurrentPlanSchema)
def current_plan():
    """What each truck is to do now (its unfinished stops, the kept one first) and the latest re-planning round."""
    from bikeshare.operations import replan

    return replan.current_plan()


@blp.get("/rebalancing/plans/<int:plan_id>")
@auth_required(*STAFF)
@blp.response(200, PlanSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_plan(plan_id):
    """A stored plan: moves, routes and the progress of their tasks."""
    from bikeshare.operations import plans

    return plans.get_plan(plan_id=plan_id)


@blp.post("/tasks/<int:task_id>/pickup")
@auth_required(*STAFF)
@idempotent
@blp.arguments(TaskActionSchema())
@blp.response(200, TaskSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def pickup(data, task_id):
    """Load bikes of the task's station onto its truck (default: what is left of the task)."""
    return tasks.pickup(operator_id=current_user.id, task_id=task_id, **data)


@blp.post("/tasks/<int:task_id>/dropoff")
@auth_required(*STAFF)
@idempotent
@blp.arguments(TaskActionSchema())
@blp.response(200, TaskSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def dropoff(data, task_id):
    """Dock bikes from the task's truck at its station (default: what is left of the task)."""
    return tasks.dropoff(operator_id=current_user.id, task_id=task_id, **data)


@blp.post("/trucks/<int:truck_id>/dock")
@auth_required(*STAFF)
@idempotent
@blp.arguments(DockAboardSchema())
@blp.response(200, TruckSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def dock_aboard(data, truck_id):
    """Dock bikes aboard the truck at any station with room, whatever its plan (default: all that fit)."""
    return tasks.dock_aboard(operator_id=current_user.id, truck_id=truck_id, **data)


@blp.get("/trucks/<int:truck_id>")
@auth_required(*STAFF)
@blp.response(200, TruckSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_truck(truck_id):
    """A truck: where it is, the bikes it carries and its open tasks."""
    return tasks.get_truck(truck_id=truck_id)


@blp.get("/stations")
@auth_required(*STAFF)
@blp.arguments(StationStockQuerySchema(), location="query")
@blp.response(200, StationStockSchema(many=True))
def station_stock(query):
    """Active stations with their stock and fill level, by district, zone or fill level, in id order."""
    return stock.station_stock(**query)


@blp.get("/stations/<int:station_id>")
@auth_required(*STAFF)
@blp.response(200, StationStockSchema)
@blp.alt_response(404, response="NOT_FOUND")
def station_stock_of(station_id):
    """One station's stock and fill level, as the operations map shows it."""
    return stock.station_stock_of(station_id=station_id)


@blp.get("/underused/bikes")
@auth_required(*STAFF)
@blp.arguments(UnderusedBikesQuerySchema(), location="query")
@blp.response(200, UnderusedBikeSchema(many=True))
def underused_bikes(query):
    """Parked bikes that have not moved for `idle_days`, longest idle first (relocation candidates)."""
    from bikeshare.operations import insight

    return insight.underused_bikes(**query)


@blp.get("/underused/stations")
@auth_required(*STAFF)
@blp.arguments(UnderusedStationsQuerySchema(), location="query")
@blp.response(200, UnderusedStationsSchema)
def underused_stations(query):
    """Stations with the lowest turnover per dock over the demand window, lowest first."""
    from bikeshare.operations import insight

    return insight.underused_stations(**query)
