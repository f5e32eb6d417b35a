"""Rental endpoints: rent, return, and the rider's own rentals."""

from flask_smorest import Blueprint

from bikeshare.rentals import services
from bikeshare.rentals.schemas import RentalListQuerySchema, RentalSchema, RentSchema, ReturnedSchema, ReturnSchema
from core.auth import auth_required, current_user
from core.idempotency import idempotent

blp = Blueprint("bike_rentals", __name__, url_prefix="/api/v1", description="Bike share rentals")


@blp.post("/rentals")
@auth_required()
@idempotent
@blp.arguments(RentSchema())
@blp.response(201, RentalSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def rent(data):
    """Rent a bike at a station: any available one, or the scanned `bike_id`."""
    return services.rent(user=current_user, **data)


@blp.post("/rentals/<int:rental_id>/return")
@auth_required()
@idempotent
@blp.arguments(ReturnSchema())
@blp.response(200, ReturnedSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def return_bike(data, rental_id):
    """Return the bike at a station with room; a full station answers 409 with nearby stations."""
    rental, ride = services.return_bike(user=current_user, rental_id=rental_id, station_id=data["station_id"])
    return {"rental": rental, "fare": {**vars(ride), "total_won": ride.overtime_won}, "mileage": rental["mileage"]}


@blp.get("/rentals/me")
@auth_required()
@blp.arguments(RentalListQuerySchema(), location="query")
@blp.response(200, RentalSchema(many=True))
def my_rentals(query):
    """The rider's rentals, newest first."""
    return services.my_rentals(user=current_user, limit=query["limit"])


@blp.get("/rentals/<int:rental_id>")
@auth_required()
@blp.response(200, RentalSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_rental(rental_id):
    """One of the rider's rentals."""
    return services.get_rental(user=current_user, rental_id=rental_id)
