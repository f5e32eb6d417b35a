"""Riders report faults; operators see bikes and take them in and out of maintenance."""

from flask_smorest import Blueprint

from bikeshare.faults import services
from bikeshare.faults.schemas import (
    BikeDetailSchema,
    BikeQuerySchema,
    BikeSchema,
    BikeStatusSchema,
    FaultReportCreateSchema,
    FaultReportSchema,
    InspectionSchema,
    ReportedBikeQuerySchema,
    ReportedBikeSchema,
)
from core.auth import auth_required, current_user
from core.idempotency import idempotent

blp = Blueprint("bike_faults", __name__, url_prefix="/api/v1", description="Bike fault reports")
ops_blp = Blueprint("bike_ops", __name__, url_prefix="/api/v1/ops", description="Operations: bikes")


@blp.post("/bikes/<string:bike_id>/reports")
@auth_required()
@blp.arguments(FaultReportCreateSchema())
@blp.response(201, FaultReportSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def report_fault(data, bike_id):
    """Report a fault on a bike; brakes, tyre (wheel) or frame from its last rider holds it at once."""
    return services.report_fault(user=current_user, bike_id=bike_id, **data)


@ops_blp.get("/bikes")
@auth_required("operator", "admin")
@ops_blp.arguments(BikeQuerySchema(), location="query")
@ops_blp.response(200, BikeSchema(many=True))
def list_bikes(query):
    """Bikes by status and/or station, in id order."""
    return services.list_bikes(**query)


@ops_blp.get("/bikes/<string:bike_id>")
@auth_required("operator", "admin")
@ops_blp.response(200, BikeDetailSchema)
@ops_blp.alt_response(404, response="NOT_FOUND")
def get_bike(bike_id):
    """A bike with its open fault reports."""
    return services.get_bike(bike_id=bike_id)


@ops_blp.patch("/bikes/<string:bike_id>")
@auth_required("operator", "admin")
@ops_blp.arguments(BikeStatusSchema())
@ops_blp.response(200, BikeSchema)
@ops_blp.alt_response(404, response="NOT_FOUND")
@ops_blp.alt_response(409, response="CONFLICT")
def set_bike_status(data, bike_id):
    """Put a parked bike in maintenance, or back in service (closing its open reports)."""
    return services.set_status(operator=current_user, bike_id=bike_id, status=data["status"])


@ops_blp.get("/faults")
@auth_required("operator", "admin")
@ops_blp.arguments(ReportedBikeQuerySchema(), location="query")
@ops_blp.response(200, ReportedBikeSchema(many=True))
def list_reported_bikes(query):
    """Bikes with open fault reports, oldest report first."""
    return services.reported_bikes(**query)


@ops_blp.post("/bikes/<string:bike_id>/inspection")
@auth_required("operator", "admin")
@idempotent
@ops_blp.arguments(InspectionSchema())
@ops_blp.response(200, BikeSchema)
@ops_blp.alt_response(404, response="NOT_FOUND")
@ops_blp.alt_response(409, response="CONFLICT")
def inspect_bike(data, bike_id):
    """Close a bike's open reports: return it to service, or hold it for repair."""
    return services.inspect(operator=current_user, bike_id=bike_id, outcome=data["outcome"])
