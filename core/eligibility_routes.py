"""A citizen reads their own eligibility: the categories behind card benefits and pass discounts."""

import marshmallow as ma
from flask_smorest import Blueprint

from core import eligibility
from core.auth import auth_required, current_user
from core.db import utcnow
from core.fields import Timestamp

blp = Blueprint("eligibility", __name__, url_prefix="/api/v1", description="Eligibility categories")


class HeldCategorySchema(ma.Schema):
    category = ma.fields.String(required=True, metadata={"enum": list(eligibility.CATEGORIES)})
    expires_at = Timestamp(allow_none=True, metadata={"description": "Empty: held without an end date."})
    source = ma.fields.String(required=True, metadata={"description": "admin, import, or birth_date (senior)"})


class MyEligibilitySchema(ma.Schema):
    birth_date_verified = ma.fields.Boolean(
        required=True, metadata={"description": "Checked against an identity record; only then does age count."}
    )
    categories = ma.fields.List(ma.fields.Nested(HeldCategorySchema), required=True)


@blp.get("/me/eligibility")
@auth_required()
@blp.response(200, MyEligibilitySchema)
def my_eligibility():
    """The categories the citizen holds now, each with its expiry, and whether the birth date is verified."""
    return eligibility.held_categories(user=current_user, at=utcnow())
