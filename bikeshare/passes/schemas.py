"""Shapes of passes and charges."""

from marshmallow import Schema, fields, validate

from bikeshare.passes.fares import PASS_KINDS
from core.fields import Timestamp


class PassCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(PASS_KINDS))


class PassSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    ride_minutes = fields.Integer(metadata={"description": "Free minutes per ride; overtime after that."})
    list_price_won = fields.Integer()
    discount_category = fields.String(allow_none=True)
    discount_percent = fields.Integer()
    price_won = fields.Integer()
    purchased_at = Timestamp()
    start_by = Timestamp(allow_none=True, metadata={"description": "Day passes: start (first rental) before this."})
    valid_from = Timestamp(allow_none=True, metadata={"description": "Empty until a day pass's first rental."})
    valid_until = Timestamp(allow_none=True)


class ChargeSchema(Schema):
    id = fields.Integer()
    amount_won = fields.Integer()
    reason = fields.String(metadata={"description": "pass_purchase or overtime"})
    pass_id = fields.Integer(allow_none=True)
    rental_id = fields.Integer(allow_none=True)
    created_at = Timestamp()
