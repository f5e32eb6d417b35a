"""Helpdesk lookups for administrators: a citizen by email, a card by its number (each look audited)."""

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import validate

from cardapi.schemas import CardSchema, CitizenEligibilitySchema
from cardapi.services import helpdesk
from core.auth import auth_required, current_user
from core.fields import EmailAddress, Timestamp

blp = Blueprint("card_helpdesk", __name__, url_prefix="/api/v1/admin", description="Helpdesk lookups (administrators)")

# As printed on a card or read out on the phone: 16 digits, in groups of four separated by a space or a hyphen.
CARD_NUMBER_PATTERN = r"^[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}$"


class CardNumberField(ma.fields.String):
    """A card number as a person types it (digits only, so no NUL or surrogate); the groups' separators are dropped."""

    def __init__(self, **kwargs):
        # marshmallow's own message, so the problem-language catalogue (which knows its templates) translates it
        super().__init__(validate=validate.Regexp(CARD_NUMBER_PATTERN), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()

    def deserialize(self, value, attr=None, data=None, **kwargs):
        number = super().deserialize(value, attr, data, **kwargs)
        return number.replace(" ", "").replace("-", "") if isinstance(number, str) else number


class CitizenQuerySchema(ma.Schema):
    email = EmailAddress(required=True, check_format=False, metadata={"description": "The whole address"})


class CardQuerySchema(ma.Schema):
    number = CardNumberField(required=True, metadata={"example": "9410 1234 5678 9015"})


class CitizenRecordSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    birth_date = ma.fields.Date(required=True)
    district = ma.fields.String(required=True)
    roles = ma.fields.List(ma.fields.String(), required=True)
    created_at = Timestamp(required=True)
    cards = ma.fields.List(ma.fields.Nested(CardSchema), required=True, metadata={"description": "Newest first"})
    eligibility = ma.fields.Nested(CitizenEligibilitySchema, required=True)


class CardLookupSchema(ma.Schema):
    card = ma.fields.Nested(CardSchema, required=True)
    holder = ma.fields.Nested(CitizenRecordSchema, required=True)


@blp.get("/citizens")
@auth_required("admin")
@blp.arguments(CitizenQuerySchema(), location="query")
@blp.response(200, CitizenRecordSchema(many=True))
def find_citizens(query):
    """Find a citizen by email (none or one), with their cards and eligibility; the look is audited."""
    return helpdesk.find_citizens(actor_id=current_user.id, **query)


@blp.get("/cards")
@auth_required("admin")
@blp.arguments(CardQuerySchema(), location="query")
@blp.response(200, CardLookupSchema(many=True))
def find_cards(query):
    """Find a card by its number (none or one) and its holder; the look is audited."""
    return helpdesk.find_cards(actor_id=current_user.id, **query)
