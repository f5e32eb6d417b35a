"""Request and response shapes for the citizen card; separate input and output shapes per use."""

import marshmallow as ma
from marshmallow import validate

from cardapi.models import CARD_STATUSES, FACILITY_KINDS
from core.accounts.schemas import DistrictField
from core.eligibility import CATEGORIES, GRANTED_CATEGORIES
from core.fields import Date, Integer, Text, Timestamp

BENEFIT_CATEGORIES = (*CATEGORIES, "resident")


class CardSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    card_number = ma.fields.String(required=True, metadata={"example": "9410123456789015"})
    status = ma.fields.String(required=True, validate=validate.OneOf(CARD_STATUSES))
    device_key_registered = ma.fields.Function(
        lambda card: card.device_public_key is not None,
        required=True,
        metadata={"description": "An SCC2 device key is registered (cardapi/SCC2.md)"},
    )
    scc1_enabled = ma.fields.Boolean(required=True, metadata={"description": "SCC1 (TOTP) codes are accepted"})
    digits = ma.fields.Integer(required=True)
    period = ma.fields.Integer(required=True)
    algorithm = ma.fields.String(required=True)
    issued_at = Timestamp(required=True)
    reissued_at = Timestamp(allow_none=True)
    suspended_at = Timestamp(allow_none=True)
    revoked_at = Timestamp(allow_none=True)


class MyCardSchema(CardSchema):
    failed_attempts = ma.fields.Integer(
        required=True, metadata={"description": "Wrong SCC1 codes, all terminals, since their last success or unlock"}
    )
    locked_terminals = ma.fields.Integer(
        required=True, metadata={"description": "Terminals that refuse this card's SCC1 codes until you unlock"}
    )


class CardRequestSchema(ma.Schema):
    device_public_key = Text(
        load_default=None,
        min_length=1,
        max_length=200,
        metadata={"description": "Your device's P-256 public key, base64 SPKI DER, for SCC2 codes (cardapi/SCC2.md)"},
    )
    scc1_enabled = ma.fields.Boolean(
        load_default=None,
        metadata={"description": "Also accept SCC1 codes (always on without a device key; off by default with one)"},
    )


class ServiceKeySchema(ma.Schema):
    kid = ma.fields.String(required=True, metadata={"example": "2026a"})
    public_key = ma.fields.String(
        required=True,
        metadata={"description": "The current P-256 key: base64url, no padding, of the uncompressed point"},
    )


class EnrolmentSchema(ma.Schema):
    secret = ma.fields.String(required=True, metadata={"description": "Base32 TOTP secret; shown only here"})
    digits = ma.fields.Integer(required=True)
    period = ma.fields.Integer(required=True)
    algorithm = ma.fields.String(required=True)
    provisioning_uri = ma.fields.String(required=True, metadata={"example": "otpauth://totp/..."})


class IssuedCardSchema(ma.Schema):
    card = ma.fields.Nested(CardSchema, required=True)
    enrolment = ma.fields.Nested(EnrolmentSchema, required=True)


class QrSchema(ma.Schema):
    payload = ma.fields.String(required=True, metadata={"example": "SCC1:9410123456789015:59138000:12345678"})
    step = ma.fields.Integer(required=True)
    expires_at = Timestamp(required=True)


class BenefitRuleSchema(ma.Schema):
    category = ma.fields.String(required=True, validate=validate.OneOf(BENEFIT_CATEGORIES))
    discount_percent = Integer(required=True, validate=validate.Range(1, 100))
    residents_only = ma.fields.Boolean(load_default=False, dump_default=False)


class FacilityCreateSchema(ma.Schema):
    name = Text(required=True, min_length=1, max_length=200)
    kind = ma.fields.String(required=True, validate=validate.OneOf(FACILITY_KINDS))
    district = DistrictField(required=True, metadata={"example": "중구"})
    benefit_rules = ma.fields.List(ma.fields.Nested(BenefitRuleSchema), load_default=list)


class FacilityUpdateSchema(ma.Schema):
    name = Text(min_length=1, max_length=200)
    kind = ma.fields.String(validate=validate.OneOf(FACILITY_KINDS))
    district = DistrictField()
    benefit_rules = ma.fields.List(ma.fields.Nested(BenefitRuleSchema))
    active = ma.fields.Boolean(metadata={"description": "false shuts out the facility's terminals at once"})


class FacilitySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    district = ma.fields.String(required=True)
    benefit_rules = ma.fields.List(ma.fields.Nested(BenefitRuleSchema), required=True)
    active = ma.fields.Boolean(required=True)
    created_at = Timestamp(required=True)


class TerminalCreateSchema(ma.Schema):
    name = Text(required=True, min_length=1, max_length=100)


class TerminalSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    facility_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    key_prefix = ma.fields.String(required=True, metadata={"description": "The key's first characters"})
    created_at = Timestamp(required=True)
    revoked_at = Timestamp(allow_none=True)
    last_used_at = Timestamp(allow_none=True)
    quarantined_at = Timestamp(
        allow_none=True, metadata={"description": "Set when it sent wrong codes for many cards; refused until released"}
    )
    scc2_failures_today = ma.fields.Integer(
        metadata={
            "description": "SCC2 codes it sent since 00:00 UTC that failed (many: a misconfigured terminal or a "
            "forged app); in a facility's terminal list only"
        }
    )


class NewTerminalSchema(TerminalSchema):
    api_key = ma.fields.String(required=True, metadata={"description": "Send as X-Terminal-Key; shown only here"})


class VerificationRequestSchema(ma.Schema):
    payload = Text(required=True, min_length=1, max_length=300)


class HolderSchema(ma.Schema):
    display_name = ma.fields.String(required=True, metadata={"example": "김*수"})
    age_group = ma.fields.String(required=True, metadata={"example": "30s"})


class BenefitSchema(ma.Schema):
    category = ma.fields.String(required=True)
    discount_percent = ma.fields.Integer(required=True)


class VerificationSchema(ma.Schema):
    """What a terminal learns: the member id at its facility and what the clerk checks, nothing that links."""

    accepted = ma.fields.Boolean(required=True)
    duplicate = ma.fields.Boolean(
        required=True, metadata={"description": "The same code scanned again here: the first acceptance's answer"}
    )
    reason = ma.fields.String(
        required=True,
        validate=validate.OneOf(("ok", "invalid_code", "backoff", "locked")),
        metadata={
            "description": "ok; invalid_code (not valid: ask the citizen to open the app; a wrong or expired code, "
            "a code already used at another terminal, an unknown, suspended or revoked card all get this one "
            "answer); backoff (too many wrong SCC1 codes from this terminal, see retry_after); "
            "locked (this terminal takes no more SCC1 codes for this card)"
        },
    )
    holder = ma.fields.Nested(HolderSchema, allow_none=True)
    benefits = ma.fields.List(ma.fields.Nested(BenefitSchema), required=True, metadata={"description": "Best first"})
    member_id = ma.fields.String(allow_none=True, metadata={"description": "Stable pseudonym at this facility"})
    visit_id = ma.fields.Integer(allow_none=True)
    retry_after = ma.fields.Float(allow_none=True, metadata={"description": "Seconds before the card may try again"})


class PageArgsSchema(ma.Schema):
    limit = Integer(in_query=True, load_default=50, validate=validate.Range(1, 200))
    before_id = Integer(
        in_query=True,
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "Visits older than this"},
    )


class MyVisitSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = Timestamp(required=True)
    facility_id = ma.fields.Integer(required=True)
    facility_name = ma.fields.String(required=True)
    benefits = ma.fields.List(ma.fields.Nested(BenefitSchema), required=True)


class FacilityVisitSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = Timestamp(required=True)
    terminal_id = ma.fields.Integer(allow_none=True)
    member_id = ma.fields.String(allow_none=True, metadata={"description": "null once the member left"})
    benefits = ma.fields.List(ma.fields.Nested(BenefitSchema), required=True)


class FacilityRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    district = ma.fields.String(required=True)


class MembershipSchema(ma.Schema):
    facility = ma.fields.Nested(FacilityRefSchema, required=True)
    visits = ma.fields.Integer(required=True)
    first_visit_at = Timestamp(required=True)
    last_visit_at = Timestamp(required=True)


class EligibilityGrantSchema(ma.Schema):
    category = ma.fields.String(required=True, validate=validate.OneOf(GRANTED_CATEGORIES))
    expires_on = Date(allow_none=True, load_default=None, metadata={"description": "Last day, Seoul time"})


class EligibilitySchema(ma.Schema):
    category = ma.fields.String(required=True)
    expires_at = Timestamp(allow_none=True)
    source = ma.fields.String(required=True)
    granted_at = Timestamp(required=True)


class CitizenEligibilitySchema(ma.Schema):
    user_id = ma.fields.Integer(required=True)
    birth_date_verified = ma.fields.Boolean(
        required=True, metadata={"description": "Only a verified birth date earns the senior discount"}
    )
    active_categories = ma.fields.List(ma.fields.String(), required=True)
    grants = ma.fields.List(ma.fields.Nested(EligibilitySchema), required=True)


class BirthDateVerificationSchema(ma.Schema):
    verified = ma.fields.Boolean(required=True, metadata={"description": "The birth date was checked against an ID"})
