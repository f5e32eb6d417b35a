"""Request and response shapes for accounts."""

from datetime import date

import marshmallow as ma
from marshmallow import validate

from core.accounts.models import ROLES
from core.districts import DISTRICTS, normalise_district


class DistrictField(ma.fields.String):
    """A Seoul district, given in Korean (강남구) or romanised (Gangnam-gu); stored in Korean."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        district = normalise_district(text)
        if district is None:
            raise ma.ValidationError(f"Not a Seoul district; one of: {', '.join(DISTRICTS)}.")
        return district


class RegisterSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=validate.Length(max=254))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    birth_date = ma.fields.Date(required=True)
    district = DistrictField(required=True, metadata={"example": "강남구"})

    @ma.validates("birth_date")
    def _plausible_birth_date(self, value: date, **kwargs):
        if not date(1900, 1, 1) <= value <= date.today():
            raise ma.ValidationError("Must be a date between 1900-01-01 and today.")


class LoginSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class PasswordChangeSchema(ma.Schema):
    current_password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class PasswordResetRequestSchema(ma.Schema):
    email = ma.fields.String(required=True, validate=validate.Length(min=1, max=254))


class PasswordResetAcceptedSchema(ma.Schema):
    detail = ma.fields.String(required=True)


class PasswordResetSchema(ma.Schema):
    token = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=100), metadata={"description": "The token from the mail"}
    )
    new_password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=256))


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
    created_at = ma.fields.AwareDateTime(required=True)


class RoleSchema(ma.Schema):
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
