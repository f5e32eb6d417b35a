"""Shapes of rentals and returns."""

from marshmallow import Schema, fields, pre_dump, validate

from bikeshare.incentives.schemas import EarnedSchema
from bikeshare.passes.fares import DAY_PASS_KINDS, fare
from core.db import utcnow
from core.fields import Integer, Timestamp


class RentSchema(Schema):
    station_id = Integer(required=True, metadata={"description": "The station's official number."})
    bike_id = fields.String(
        validate=validate.Regexp(r"^SPB-[0-9]{5}$"), metadata={"description": "The scanned bike; omit to get any."}
    )
    buy_day_pass = fields.String(
        validate=validate.OneOf(DAY_PASS_KINDS),
        metadata={
            "description": "Buy this day pass with the rental if you hold no usable pass (charged only if the "
            "rental succeeds)."
        },
    )


class ReturnSchema(Schema):
    station_id = Integer(required=True)


class RentalListQuerySchema(Schema):
    limit = Integer(in_query=True, load_default=20, validate=validate.Range(min=1, max=100))


class FareSchema(Schema):
    duration_seconds = fields.Integer()
    ride_limit_minutes = fields.Integer()
    overtime_seconds = fields.Integer()
    overtime_steps = fields.Integer(metadata={"description": "Started 5-minute steps past the limit."})
    overtime_won = fields.Integer()
    total_won = fields.Integer(metadata={"description": "Charged for this ride (the pass was paid before)."})


class RentalSchema(Schema):
    id = fields.Integer()
    bike_id = fields.String()
    pass_id = fields.Integer()
    pass_kind = fields.String()
    ride_minutes = fields.Integer(metadata={"description": "Free minutes for this ride."})
    start_station_id = fields.Integer()
    started_at = Timestamp()
    end_station_id = fields.Integer(allow_none=True)
    returned_at = Timestamp(allow_none=True)
    duration_seconds = fields.Integer(allow_none=True)
    overtime_won = fields.Integer()
    missing_since = Timestamp(allow_none=True)
    fare_so_far = fields.Nested(
        FareSchema, allow_none=True, metadata={"description": "While the ride runs: its fare if returned now."}
    )

    @pre_dump
    def _with_fare_so_far(self, rental, **kwargs):
        """A running ride's fare as of now, so a rider sees what returning now would cost."""
        shown = {name: self.get_attribute(rental, name, None) for name in self.fields if name != "fare_so_far"}
        if shown["returned_at"] is None and shown["started_at"] is not None:
            running = fare(duration=utcnow() - shown["started_at"], ride_minutes=shown["ride_minutes"])
            shown["fare_so_far"] = {**vars(running), "total_won": running.overtime_won}
        return shown


class ReturnedSchema(Schema):
    rental = fields.Nested(RentalSchema)
    fare = fields.Nested(FareSchema)
    mileage = fields.Nested(EarnedSchema, metadata={"description": "Points this return earned, or why none."})
