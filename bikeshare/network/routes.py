"""Operations staff: dock supply against demand and the dock-reallocation recommendation."""

from flask_smorest import Blueprint

from bikeshare.network.schemas import (
    AttentionQuerySchema,
    AttentionSchema,
    IdleStationsQuerySchema,
    IdleStationsSchema,
    NetworkReportCreateSchema,
    NetworkReportSchema,
    NetworkStationsQuerySchema,
    NetworkStationsSchema,
)
from core.auth import auth_required, current_user
from core.idempotency import idempotent

blp = Blueprint("bike_network", __name__, url_prefix="/api/v1/ops/network", description="Operations: network")
STAFF = ("operator", "admin")
# `services` loads NumPy and SciPy: imported by the views that use it, so start-up skips them.


@blp.post("/reports")
@auth_required(*STAFF)
@idempotent
@blp.arguments(NetworkReportCreateSchema())
@blp.response(201, NetworkReportSchema)
def create_report(data):
    """Compute and store a network report: riders turned away and where moving at most `docks` docks helps."""
    from bikeshare.network import services

    return services.build_report(docks_budget=data["docks"], user_id=current_user.id)


@blp.get("/report")
@auth_required(*STAFF)
@blp.response(200, NetworkReportSchema)
@blp.alt_response(404, response="NOT_FOUND")
def latest_report():
    """The latest network report: per typical day and district, riders turned away before and after."""
    from bikeshare.network import services

    return services.latest_report()


@blp.get("/report/stations")
@auth_required(*STAFF)
@blp.arguments(NetworkStationsQuerySchema(), location="query")
@blp.response(200, NetworkStationsSchema)
@blp.alt_response(404, response="NOT_FOUND")
def report_stations(query):
    """The latest report's stations: demand, use per dock, riders turned away, docks and target stock."""
    from bikeshare.network import services

    return services.report_stations(**query)


@blp.get("/bikes/attention")
@auth_required(*STAFF)
@blp.arguments(AttentionQuerySchema(), location="query")
@blp.response(200, AttentionSchema)
def bikes_needing_attention(query):
    """Bikes that go unused or vanish (idle, likely broken, missing, stranded), each with an action."""
    from bikeshare.operations import insight

    return insight.bikes_needing_attention(**query)


@blp.get("/stations/idle")
@auth_required(*STAFF)
@blp.arguments(IdleStationsQuerySchema(), location="query")
@blp.response(200, IdleStationsSchema)
def idle_stations(query):
    """Stations whose bikes sit idle: rentals per bike-day, its weekly trend, and idle counts per district."""
    from bikeshare.operations import insight

    return insight.idle_stations(**query)
