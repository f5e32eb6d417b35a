"""Request and response shapes for accounts."""

from datetime import date

import marshmallow as ma
from marshmallow import validate

from core.accounts.models import ROLES
from core.districts import DISTRICTS, normalise_district
from core.fields import Date, EmailAddress, Text, Timestamp
from core.problems import english


class DistrictField(Text):
    """A Seoul district, given in Korean (강남구) or romanised (Gangnam-gu); stored in Korean."""

    def __init__(self, **kwargs):
        accepted = {"enum": [*DISTRICTS, *DISTRICTS.values()]}  # romanised names in any letter case, too
        kwargs["metadata"] = {**accepted, **kwargs.get("metadata", {})}
        super().__init__(min_length=1, max_length=40, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        district = normalise_district(text)
        if district is None:
            raise ma.ValidationError(english("validation.not_district").format(districts=", ".join(DISTRICTS)))
        return district


class RegisterSchema(ma.Schema):
    email = EmailAddress(required=True)
    password = Text(required=True, load_only=True, max_length=256, strip=False)
    name = Text(required=True, min_length=1, max_length=100)
    birth_date = Date(required=True)
    district = DistrictField(required=True, metadata={"example": "강남구"})

    @ma.validates("birth_date")
    def _plausible_birth_date(self, value: date, **kwargs):
        if not date(1900, 1, 1) <= value <= date.today():
            raise ma.ValidationError(english("validation.birth_date_range"))


class LoginSchema(ma.Schema):
    email = EmailAddress(required=True, check_format=False)
    password = Text(required=True, load_only=True, min_length=1, max_length=256, strip=False)


class PasswordChangeSchema(ma.Schema):
    current_password = Text(required=True, load_only=True, min_length=1, max_length=256, strip=False)
    new_password = Text(required=True, load_only=True, max_length=256, strip=False)


class PasswordResetRequestSchema(ma.Schema):
    email = EmailAddress(required=True, check_format=False)


class PasswordResetAcceptedSchema(ma.Schema):
    detail = ma.fields.String(required=True)


class PasswordResetSchema(ma.Schema):
    token = Text(required=True, min_length=1, max_length=100, metadata={"description": "The token from the mail"})
    new_password = Text(required=True, load_only=True, max_length=256, strip=False)


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Access token lifetime, seconds"})


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    birth_date = ma.fields.Date(required=True)
    district = ma.fields.String(required=True)
    roles = ma.fields.List(ma.fields.String(), required=True, attribute="role_names")
    created_at = Timestamp(required=True)


class RoleSchema(ma.Schema):
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
