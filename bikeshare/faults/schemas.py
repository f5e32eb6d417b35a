"""Shapes of fault reports and of bikes as operators see them."""

from marshmallow import Schema, fields, validate

from bikeshare.faults.models import FAULT_KINDS
from bikeshare.stations.models import BIKE_STATUSES


class FaultReportCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(FAULT_KINDS))
    note = fields.String(validate=validate.Length(max=500))


class FaultReportSchema(Schema):
    id = fields.Integer()
    bike_id = fields.String()
    kind = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


class BikeSchema(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    station_id = fields.Integer(allow_none=True)
    needs_repair = fields.Boolean()
    last_moved_at = fields.DateTime()


class BikeDetailSchema(Schema):
    bike = fields.Nested(BikeSchema)
    open_reports = fields.List(fields.Nested(FaultReportSchema))


class BikeQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(BIKE_STATUSES))
    station_id = fields.Integer()
    after = fields.String(metadata={"description": "Page on: the last bike id of the previous page."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class BikeStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("maintenance", "available")))
