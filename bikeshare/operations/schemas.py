"""Operations request and response shapes."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from bikeshare.stations.models import FillLevel
from core.fields import Float, Integer, Text, Timestamp
from core.problems import english


class DemandQuerySchema(Schema):
    station_id = Integer(in_query=True, required=True)
    day_type = fields.String(validate=validate.OneOf(("weekday", "weekend")))
    since = Timestamp(metadata={"description": "Default: the window's days before `until`."})
    until = Timestamp(metadata={"description": "Default: the end of the latest recorded hour."})


class DemandHourSchema(Schema):
    day_type = fields.String()
    hour = fields.Integer(metadata={"description": "Hour of day in Seoul (KST)."})
    rentals = fields.Integer()
    returns = fields.Integer()
    minutes_with_bike = fields.Float()
    minutes_with_room = fields.Float()
    rent_per_h = fields.Float(metadata={"description": "Rentals per hour with a bike available (shrunken)."})
    return_per_h = fields.Float(metadata={"description": "Returns per hour with room (shrunken)."})


class DemandSchema(Schema):
    station_id = fields.Integer()
    since = Timestamp()
    until = Timestamp()
    observed_hours = fields.Integer()
    hours = fields.List(fields.Nested(DemandHourSchema))


class PlanTruckSchema(Schema):
    truck_id = Integer(required=True, validate=validate.Range(min=1))
    station_id = Integer(required=True)
    load = Integer(
        validate=validate.Range(min=0),
        metadata={
            "description": "The bikes the crew believes are on board; a plan is made only when it is the number the "
            "service knows (409 load-mismatch otherwise, with `aboard`). Default: the bikes on board."
        },
    )
    capacity = Integer(validate=validate.Range(min=1, max=100))


class PlanCreateSchema(Schema):
    horizon_h = Float(load_default=3.0, validate=validate.Range(min=0.25, max=12))
    trucks = fields.List(fields.Nested(PlanTruckSchema), validate=validate.Length(min=1, max=200))
    truck_count = Integer(validate=validate.Range(min=1, max=200))
    truck_capacity = Integer(load_default=20, validate=validate.Range(min=1, max=100))
    zone = Text(max_length=40, metadata={"description": "gangnam, gangbuk or a district; omitted: the whole city."})
    time_limit_s = Float(validate=validate.Range(min=0.5, max=60))
    start_at = Timestamp(metadata={"description": "Default: now."})

    @validates_schema
    def _one_fleet(self, data, **_):
        if ("trucks" in data) == ("truck_count" in data):
            raise ValidationError(english("validation.trucks_or_count"), "trucks")


class MoveSchema(Schema):
    source_station_id = fields.Integer()
    target_station_id = fields.Integer()
    bikes = fields.Integer()
    value = fields.Float(metadata={"description": "Expected dissatisfaction the move removes."})


class TaskSchema(Schema):
    id = fields.Integer()
    plan_id = fields.Integer()
    truck_id = fields.Integer()
    sequence = fields.Integer()
    station_id = fields.Integer()
    kind = fields.String(metadata={"description": "pickup or dropoff"})
    load_change = fields.Integer(metadata={"description": "Positive for a pickup, negative for a drop."})
    load_after = fields.Integer(metadata={"description": "Planned truck load after this stop."})
    planned = fields.Integer()
    done = fields.Integer()
    status = fields.String(metadata={"description": "open, partial, done or superseded (by a later plan)"})
    superseded_by = fields.Integer(
        allow_none=True, metadata={"description": "The later plan for this truck that replaced an unfinished stop."}
    )
    distance_km = fields.Float(metadata={"description": "Driving from the previous stop."})
    arrival_min = fields.Float(metadata={"description": "Minutes after the plan's start."})


class RouteSchema(Schema):
    truck_id = fields.Integer()
    distance_km = fields.Float()
    stops = fields.List(fields.Nested(TaskSchema))


class ZoneReportSchema(Schema):
    zone = fields.Integer(metadata={"description": "The planning zone (k-means on coordinates; 0 when one zone)."})
    stations = fields.Integer()
    truck_ids = fields.List(fields.Integer())
    outcome = fields.String(
        metadata={
            "description": "solved (chain targets; solver or marginal routes), fallback (quick targets and/or "
            "greedy routes because the zone's share of the time limit ran out) or nothing_to_do"
        }
    )
    reason = fields.String(metadata={"description": "Why: what fell back, or why there was nothing to do."})
    targets = fields.String(allow_none=True, metadata={"description": "chain or quick (none if not planned)"})
    routes = fields.String(
        allow_none=True,
        metadata={
            "description": "solver, marginal (the value-per-minute router, when its routes remove more) or "
            "greedy (none if nothing to route)"
        },
    )
    bikes_moved = fields.Integer()
    seconds = fields.Float()


class PlanSchema(Schema):
    id = fields.Integer()
    created_at = Timestamp()
    zone = fields.String(allow_none=True)
    start_at = Timestamp()
    day_type = fields.String()
    horizon_h = fields.Float()
    time_limit_s = fields.Float(metadata={"description": "Bounds the whole request, writing included."})
    elapsed_s = fields.Float(metadata={"description": "Wall clock from the request's start to storing the plan."})
    station_count = fields.Integer()
    dissatisfaction_before = fields.Float(
        metadata={"description": "Expected over the horizon, current stock (zones with chain targets)."}
    )
    dissatisfaction_after = fields.Float(
        metadata={"description": "Expected over the horizon, after the routes (zones with chain targets)."}
    )
    bikes_moved = fields.Integer()
    truck_km = fields.Float()
    moves = fields.List(fields.Nested(MoveSchema))
    routes = fields.List(fields.Nested(RouteSchema))
    zones = fields.List(fields.Nested(ZoneReportSchema), metadata={"description": "What happened in each zone."})
    history = fields.Dict(
        metadata={
            "description": "The demand history planned on: since, until, days and observed_hours with records, "
            "trips (rentals recorded), prior_share (of expected rentals from the priors), estimate_cached "
            "(the rates were estimated by an earlier plan on the same history), and nothing_moved_because "
            "when no bike moved."
        }
    )


class TaskActionSchema(Schema):
    bike_ids = fields.List(Text(max_length=20), validate=validate.Length(min=1, max=100))
    count = Integer(validate=validate.Range(min=1), metadata={"description": "Default: what is left."})

    @validates_schema
    def _not_both(self, data, **_):
        if "bike_ids" in data and "count" in data:
            raise ValidationError(english("validation.bike_ids_or_count"), "count")


class TruckSchema(Schema):
    id = fields.Integer()
    capacity = fields.Integer()
    station_id = fields.Integer(allow_none=True)
    load = fields.Integer()
    bike_ids = fields.List(fields.String())
    open_tasks = fields.List(fields.Nested(TaskSchema))


class UnderusedBikesQuerySchema(Schema):
    idle_days = Integer(in_query=True, load_default=7, validate=validate.Range(min=1, max=3650))
    limit = Integer(in_query=True, load_default=100, validate=validate.Range(min=1, max=1000))


class UnderusedBikeSchema(Schema):
    bike_id = fields.String()
    station_id = fields.Integer()
    district = fields.String()
    status = fields.String()
    last_moved_at = Timestamp()
    idle_days = fields.Float()


class UnderusedStationsQuerySchema(Schema):
    limit = Integer(in_query=True, load_default=50, validate=validate.Range(min=1, max=3000))
    max_turnover = Float(
        in_query=True, validate=validate.Range(min=0, max=10**6), metadata={"description": "Per dock per day."}
    )
    since = Timestamp()
    until = Timestamp()


class UnderusedStationSchema(Schema):
    station_id = fields.Integer()
    district = fields.String()
    docks = fields.Integer()
    bikes_parked = fields.Integer()
    rentals = fields.Integer()
    returns = fields.Integer()
    turnover_per_dock_day = fields.Float()


class UnderusedStationsSchema(Schema):
    since = Timestamp()
    until = Timestamp()
    stations = fields.List(fields.Nested(UnderusedStationSchema))


class StationStockQuerySchema(Schema):
    district = Text(max_length=20, metadata={"description": "A district in Korean or romanised (Jongno-gu)."})
    zone = Text(max_length=40, metadata={"description": "gangnam, gangbuk or a district, as for a plan."})
    fill_level = fields.String(validate=validate.OneOf(tuple(FillLevel)))


class StationStockSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    district = fields.String()
    zone = fields.String(allow_none=True, metadata={"description": "The operations centre: gangnam or gangbuk."})
    lat = fields.Float()
    lon = fields.Float()
    docks = fields.Integer()
    capacity = fields.Integer(metadata={"description": "Docks plus the chained-parking allowance."})
    bikes_parked = fields.Integer()
    bikes_available = fields.Integer()
    bikes_held = fields.Integer(metadata={"description": "Parked but held for inspection or repair."})
    docks_available = fields.Integer()
    room = fields.Integer(metadata={"description": "Bikes it can still take (up to its capacity)."})
    fill_level = fields.String(
        metadata={
            "description": "empty (no bike to rent), low (under 30 % of docks), normal, high (90 % of docks "
            "taken or more) or over_docks (more bikes than docks)."
        }
    )


class DockAboardSchema(TaskActionSchema):
    station_id = Integer(required=True)


class ReplanRoundSchema(Schema):
    id = fields.Integer()
    started_at = Timestamp()
    finished_at = Timestamp()
    status = fields.String(metadata={"description": "planned or failed"})
    plan_id = fields.Integer(allow_none=True)
    trucks = fields.Integer(metadata={"description": "Trucks planned in the round."})
    kept_tasks = fields.Dict(metadata={"description": "{truck_id: task_id}: the stop each truck kept as its first."})
    detail = fields.String(allow_none=True)


class TruckPlanSchema(Schema):
    truck_id = fields.Integer()
    station_id = fields.Integer(allow_none=True, metadata={"description": "Where it last handled bikes."})
    load = fields.Integer()
    capacity = fields.Integer()
    stops = fields.List(fields.Nested(TaskSchema), metadata={"description": "Unfinished stops in order."})


class CurrentPlanSchema(Schema):
    latest_round = fields.Nested(ReplanRoundSchema, allow_none=True)
    trucks = fields.List(fields.Nested(TruckPlanSchema))
