"""Operations: the hourly demand records of a station (for rebalancing and for people)."""

from datetime import timedelta

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validates_schema

from bikeshare.demand import services as demand
from core.auth import auth_required
from core.db import utcnow
from core.fields import Timestamp
from core.problems import english

blp = Blueprint("bike_demand", __name__, url_prefix="/api/v1/ops", description="Operations: station demand")


class StationHoursQuerySchema(Schema):
    since = Timestamp(metadata={"description": "Default: 24 hours ago."})
    until = Timestamp(metadata={"description": "Default: now."})

    @validates_schema
    def _window(self, data, **_):
        since, until = data.get("since"), data.get("until")
        if since and until and not since < until <= since + timedelta(days=31):
            raise ValidationError(english("validation.demand_window"), "until")


class StationHourSchema(Schema):
    hour_start = Timestamp(metadata={"description": "UTC start of the hour."})
    rentals = fields.Integer()
    returns = fields.Integer()
    empty_minutes = fields.Float(metadata={"description": "Minutes with no available bike."})
    full_minutes = fields.Float(metadata={"description": "Minutes with bikes parked >= docks."})


@blp.get("/stations/<int:station_id>/demand")
@auth_required("operator", "admin")
@blp.arguments(StationHoursQuerySchema(), location="query")
@blp.response(200, StationHourSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
def station_demand(query, station_id):
    """A station's hourly rentals, returns and empty/full minutes, the empty or full stretch under way included."""
    until = query.get("until") or utcnow()
    return demand.hourly(station_id=station_id, since=query.get("since") or until - timedelta(days=1), until=until)
