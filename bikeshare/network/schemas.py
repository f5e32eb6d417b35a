"""Network report request and response shapes."""

from marshmallow import Schema, fields, validate

from core.fields import Float, Integer, Text, Timestamp

DAYS = ("weekday", "weekend")
_PER_DAY_STATION = {
    "rentals": fields.Float(metadata={"description": "Expected rentals on a typical day (censoring-corrected)."}),
    "returns": fields.Float(metadata={"description": "Expected returns on a typical day."}),
    "use_per_dock": fields.Float(metadata={"description": "Expected rentals and returns per dock per day."}),
    "lost_rentals_now": fields.Float(metadata={"description": "Riders finding it empty, from today's stock."}),
    "returns_at_full_now": fields.Float(
        metadata={"description": "Returns to a full station (chained beyond the docks or refused), from today's stock."}
    ),
    "refused_returns_now": fields.Float(metadata={"description": "Returns beyond the chained-parking allowance."}),
    "turned_away_at_target": fields.Float(metadata={"description": "Turned away from the best starting stock."}),
    "turned_away_after": fields.Float(metadata={"description": "The same with the recommended docks."}),
    "target_stock": fields.Integer(metadata={"description": "Best 05:00 stock with today's docks."}),
    "target_stock_after": fields.Integer(metadata={"description": "Best 05:00 stock with the recommended docks."}),
}
NetworkStationSchema = Schema.from_dict(
    {
        "station_id": fields.Integer(),
        "name": fields.String(),
        "district": fields.String(),
        "docks": fields.Integer(),
        "docks_recommended": fields.Integer(),
        "dock_change": fields.Integer(),
        "bikes_now": fields.Integer(),
        "chained_parking_allowance": fields.Integer(),
        **{f"{day}_{name}": field for day in DAYS for name, field in _PER_DAY_STATION.items()},
        "observed_rentals_turned_away_per_day": fields.Float(
            metadata={"description": "Recorded empty minutes × the station's rental rate then, per recorded day."}
        ),
        "observed_returns_at_full_per_day": fields.Float(
            metadata={"description": "Recorded full minutes × the station's return rate then, per recorded day."}
        ),
        "observed_empty_share": fields.Float(metadata={"description": "Share of recorded hours spent empty."}),
        "observed_full_share": fields.Float(
            metadata={"description": "Share of recorded hours spent full (overflowing into chained parking)."}
        ),
    },
    name="NetworkStation",
)
_DISTRICT_SUMS = ("rentals", "returns", "lost_rentals_now", "returns_at_full_now", "turned_away_at_target")
NetworkDistrictSchema = Schema.from_dict(
    {
        "district": fields.String(),
        "stations": fields.Integer(),
        "docks": fields.Integer(),
        "docks_recommended": fields.Integer(),
        "bikes_now": fields.Integer(),
        **{f"{day}_{name}": fields.Float() for day in DAYS for name in (*_DISTRICT_SUMS, "turned_away_after")},
        **{f"{day}_use_per_dock": fields.Float() for day in DAYS},
        "observed_rentals_turned_away_per_day": fields.Float(),
        "observed_returns_at_full_per_day": fields.Float(),
    },
    name="NetworkDistrict",
)


class DayFiguresSchema(Schema):
    rentals = fields.Float()
    returns = fields.Float()
    lost_rentals_now = fields.Float()
    returns_at_full_now = fields.Float()
    turned_away_now = fields.Float(metadata={"description": "Lost rentals and returns at full, from today's stock."})
    turned_away_at_target = fields.Float(metadata={"description": "From each station's best stock, today's docks."})
    turned_away_after = fields.Float(metadata={"description": "From each station's best stock, recommended docks."})
    improvement_share = fields.Float()
    fleet_at_target = fields.Integer(metadata={"description": "Bikes the target stocks add up to, today's docks."})
    fleet_after = fields.Integer(metadata={"description": "The same with the recommended docks."})


class SummarySchema(Schema):
    stations = fields.Integer()
    docks = fields.Integer()
    bikes_now = fields.Integer()
    docks_budget = fields.Integer()
    docks_moved = fields.Integer()
    stations_gaining = fields.Integer()
    stations_losing = fields.Integer()
    evaluated_rows = fields.Integer()
    days = fields.Dict(keys=fields.String(validate=validate.OneOf(DAYS)), values=fields.Nested(DayFiguresSchema))
    assumptions = fields.List(fields.String())


class HistorySchema(Schema):
    since = fields.String()
    until = fields.String()
    days = fields.Integer()
    observed_hours = fields.Integer()
    trips = fields.Integer()
    prior_share = fields.Float()


class NetworkReportCreateSchema(Schema):
    docks = Integer(load_default=500, validate=validate.Range(min=0, max=5000))


class NetworkReportSchema(Schema):
    id = fields.Integer()
    created_at = Timestamp()
    docks_budget = fields.Integer()
    elapsed_s = fields.Float()
    history = fields.Nested(HistorySchema)
    summary = fields.Nested(SummarySchema)
    districts = fields.List(fields.Nested(NetworkDistrictSchema))


class NetworkStationsQuerySchema(Schema):
    district = Text(max_length=20)
    changed_only = fields.Boolean(load_default=False)


class NetworkStationsSchema(Schema):
    report_id = fields.Integer()
    created_at = Timestamp()
    stations = fields.List(fields.Nested(NetworkStationSchema))


ACTIONS = ("relocate", "inspect", "search", "collect")


class AttentionQuerySchema(Schema):
    idle_days = Integer(in_query=True, load_default=7, validate=validate.Range(min=1, max=3650))
    short_ride_s = Integer(in_query=True, load_default=120, validate=validate.Range(min=1, max=3600))
    short_rides = Integer(in_query=True, load_default=2, validate=validate.Range(min=1, max=20))
    limit = Integer(in_query=True, load_default=200, validate=validate.Range(min=1, max=5000))


class AttentionBikeSchema(Schema):
    bike_id = fields.String()
    station_id = fields.Integer(allow_none=True, metadata={"description": "Where it stands, or was last rented."})
    district = fields.String(allow_none=True)
    status = fields.String()
    last_moved_at = Timestamp()
    idle_days = fields.Float()
    suggested_action = fields.String(validate=validate.OneOf(ACTIONS))


class AttentionDistrictSchema(Schema):
    district = fields.String()
    idle = fields.Integer()
    likely_broken = fields.Integer()
    missing = fields.Integer()
    stranded = fields.Integer()


class AttentionSchema(Schema):
    idle = fields.List(fields.Nested(AttentionBikeSchema), metadata={"description": "Unmoved for idle_days."})
    likely_broken = fields.List(
        fields.Nested(AttentionBikeSchema),
        metadata={"description": "Last short_rides rides all returned where they began within short_ride_s."},
    )
    missing = fields.List(fields.Nested(AttentionBikeSchema), metadata={"description": "Flagged or overdue."})
    stranded = fields.List(
        fields.Nested(AttentionBikeSchema), metadata={"description": "Parked at a station not in service."}
    )
    districts = fields.List(fields.Nested(AttentionDistrictSchema))


class IdleStationsQuerySchema(Schema):
    max_use = Float(
        in_query=True,
        load_default=0.1,
        validate=validate.Range(min=0, max=1000),
        metadata={"description": "Rentals per bike-day at or under which a station counts as idle."},
    )
    limit = Integer(in_query=True, load_default=100, validate=validate.Range(min=1, max=5000))
    since = Timestamp()
    until = Timestamp()


class WeekUseSchema(Schema):
    week = fields.Date(metadata={"description": "Monday of the Seoul week."})
    rentals_per_bike_day = fields.Float()


class IdleStationSchema(Schema):
    station_id = fields.Integer()
    district = fields.String()
    bikes_parked = fields.Integer()
    rentals_per_bike_day = fields.Float()
    weekly = fields.List(fields.Nested(WeekUseSchema))
    trend_per_week = fields.Float(metadata={"description": "Least-squares change of the weekly figure per week."})
    suggested_action = fields.String(validate=validate.OneOf(ACTIONS))


class DistrictIdleSchema(Schema):
    district = fields.String()
    idle_stations = fields.Integer()


class WeekDistrictsSchema(Schema):
    week = fields.Date()
    districts = fields.List(fields.Nested(DistrictIdleSchema))


class IdleStationsSchema(Schema):
    since = Timestamp()
    until = Timestamp()
    max_use = fields.Float()
    stations = fields.List(fields.Nested(IdleStationSchema))
    districts_by_week = fields.List(fields.Nested(WeekDistrictsSchema))


class OpenStationHoursQuerySchema(Schema):
    station_id = Integer(in_query=True)
    district = Text(max_length=20)
    day_type = fields.String(validate=validate.OneOf(DAYS))


class OpenStationHourSchema(Schema):
    station_id = fields.Integer()
    district = fields.String()
    day_type = fields.String()
    hour = fields.Integer(metadata={"description": "Hour of day in Seoul (KST)."})
    days = fields.Integer(metadata={"description": "Days of this type with records in the window."})
    rentals = fields.Integer(allow_none=True, metadata={"description": "Null when suppressed (1 to 4)."})
    returns = fields.Integer(allow_none=True, metadata={"description": "Null when suppressed (1 to 4)."})
    rentals_per_day = fields.Float(allow_none=True)
    returns_per_day = fields.Float(allow_none=True)
    empty_share = fields.Float(metadata={"description": "Share of the recorded time the station had no bike."})
    full_share = fields.Float(metadata={"description": "Share of the recorded time its docks were full."})
    suppressed = fields.Boolean()


class OpenStationHoursSchema(Schema):
    since = Timestamp()
    until = Timestamp()
    suppress_below = fields.Integer(metadata={"description": "Counts from 1 up to this minus one are null."})
    licence = fields.String()
    rows = fields.List(fields.Nested(OpenStationHourSchema))


class OpenDistrictsSchema(Schema):
    report_id = fields.Integer()
    created_at = Timestamp()
    districts = fields.List(fields.Nested(NetworkDistrictSchema))
