"""Network report request and response shapes."""

from marshmallow import Schema, fields, validate

from core.fields import Integer, Text, Timestamp

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
