"""Shapes of offers, mileage and flags."""

from marshmallow import Schema, fields, validate

from core.fields import Integer, Timestamp


class OfferStationSchema(Schema):
    station_id = fields.Integer()
    name = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    bikes_available = fields.Integer()
    docks_available = fields.Integer()
    rent_points = fields.Integer(metadata={"description": "Earned by renting here (paid at a qualifying return)."})
    return_points = fields.Integer(metadata={"description": "Earned by returning here."})


class OffersSchema(Schema):
    policy = fields.String(metadata={"description": "`pilot` (Seoul's 2023-2024 rules) or `planner` (ours)."})
    valid_from = Timestamp()
    valid_until = Timestamp()
    stations = fields.List(fields.Nested(OfferStationSchema))


class EarnedReasonSchema(Schema):
    reason = fields.String(
        metadata={
            "description": "`rent-at-crowded-station`, `return-at-sparse-station`, or `return-taken-back` (an "
            "earlier return's points reversed: the rider rented again near it at once)."
        }
    )
    station_id = fields.Integer()
    offered = fields.Integer()
    points = fields.Integer(
        metadata={"description": "Credited (less than offered when a cap was reached); negative when taken back."}
    )


class EarnedSchema(Schema):
    """What one return earned."""

    points = fields.Integer()
    reasons = fields.List(fields.Nested(EarnedReasonSchema))
    withheld_because = fields.List(
        fields.String(), metadata={"description": "Anti-gaming rules that withheld the points on offer."}
    )


class MileageEntrySchema(Schema):
    id = fields.Integer()
    rental_id = fields.Integer()
    reason = fields.String()
    station_id = fields.Integer()
    offered = fields.Integer()
    points = fields.Integer()
    earned_at = Timestamp()


class MileageSchema(Schema):
    balance = fields.Integer()
    today = fields.Integer()
    this_month = fields.Integer()
    daily_cap = fields.Integer()
    monthly_cap = fields.Integer()
    entries = fields.List(fields.Nested(MileageEntrySchema))


class LimitQuerySchema(Schema):
    limit = Integer(in_query=True, load_default=50, validate=validate.Range(min=1, max=500))


class FlagSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    rental_id = fields.Integer()
    rule = fields.String()
    detail = fields.String()
    points_withheld = fields.Integer()
    created_at = Timestamp()
