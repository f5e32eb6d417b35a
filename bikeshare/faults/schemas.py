"""Shapes of fault reports and of bikes as operators see them."""

from marshmallow import Schema, fields, validate

from bikeshare.faults.models import FAULT_KINDS
from bikeshare.faults.services import RETURN_TO_SERVICE, SEND_TO_REPAIR
from bikeshare.stations.models import BIKE_STATUSES
from core.fields import Integer, Text, Timestamp


class FaultReportCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(FAULT_KINDS))
    note = Text(max_length=500)


class FaultReportSchema(Schema):
    id = fields.Integer()
    bike_id = fields.String()
    kind = fields.String()
    note = fields.String(allow_none=True)
    created_at = Timestamp()
    resolved_at = Timestamp(allow_none=True)


class BikeSchema(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    station_id = fields.Integer(allow_none=True)
    needs_repair = fields.Boolean()
    last_moved_at = Timestamp()


class BikeDetailSchema(Schema):
    bike = fields.Nested(BikeSchema)
    open_reports = fields.List(fields.Nested(FaultReportSchema))


class BikeQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(BIKE_STATUSES))
    station_id = Integer(in_query=True)
    after = Text(max_length=20, metadata={"description": "Page on: the last bike id of the previous page."})
    limit = Integer(in_query=True, load_default=100, validate=validate.Range(min=1, max=1000))


class BikeStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("maintenance", "available")))


class ReportedBikeQuerySchema(Schema):
    kind = fields.String(
        validate=validate.OneOf(FAULT_KINDS), metadata={"description": "Bikes with an open report of this kind."}
    )
    station_id = Integer(in_query=True)
    min_age_minutes = Integer(
        in_query=True,
        load_default=0,
        validate=validate.Range(min=0, max=525_600),
        metadata={"description": "Only bikes whose oldest open report is at least this old."},
    )


class ReportedBikeSchema(Schema):
    bike = fields.Nested(BikeSchema)
    kinds = fields.List(fields.String())
    reporters = fields.Integer(metadata={"description": "Distinct riders with an open report."})
    first_reported_at = Timestamp()


class InspectionSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf((RETURN_TO_SERVICE, SEND_TO_REPAIR)))
