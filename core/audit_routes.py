"""Administrators read the audit log."""

import marshmallow as ma
from flask_smorest import Blueprint

from core import audit
from core.auth import auth_required
from core.fields import Integer, Text, Timestamp

blp = Blueprint("audit", __name__, url_prefix="/api/v1/admin", description="Audit log (administrators)")


class AuditQuerySchema(ma.Schema):
    event = Text(max_length=100)
    actor_id = Integer(in_query=True)
    limit = Integer(in_query=True, load_default=100, validate=ma.validate.Range(min=1, max=1000))


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = Timestamp(required=True)
    event = ma.fields.String(required=True)
    actor_id = ma.fields.Integer(allow_none=True)
    subject = ma.fields.String(allow_none=True)
    client_address = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)
    details = ma.fields.Dict(required=True)


@blp.get("/audit-events")
@auth_required("admin")
@blp.arguments(AuditQuerySchema(), location="query")
@blp.response(200, AuditEventSchema(many=True))
def list_audit_events(query):
    """Latest security events, newest first."""
    return audit.recent_events(**query)
