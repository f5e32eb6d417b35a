"""What facility terminals call: verify a QR payload, read their facility's visits."""

from copy import deepcopy
from functools import wraps

from flask import request
from flask_smorest import Blueprint

from cardapi.schemas import FacilityVisitSchema, PageArgsSchema, VerificationRequestSchema, VerificationSchema
from cardapi.services import memberships, terminals, verification
from core.auth import authenticate
from core.errors import Forbidden
from core.problems import Message

blp = Blueprint("verification", __name__, url_prefix="/api/v1", description="Facility terminals")

HEADER = "X-Terminal-Key"


def _document(wrapper, view, security: list, statuses: dict, roles: tuple = ()):
    wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
    manual_doc = wrapper._apidoc.setdefault("manual_doc", {})
    manual_doc["security"] = security
    if roles:  # the roles a bearer token needs, documented as core.auth.auth_required does
        manual_doc["x-roles"] = list(roles)
    responses = wrapper._apidoc.setdefault("response", {}).setdefault("responses", {})
    for status, name in statuses.items():
        responses.setdefault(status, []).append(name)
    return wrapper


def terminal_key_required(view):
    """Require the key; the service authenticates it (and counts the rate limit) with its own Redis call."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, api_key=terminals.require_key(request.headers.get(HEADER)), **kwargs)

    return _document(
        wrapper, view, [{"terminalKey": []}], {401: "UNAUTHORIZED", 403: "FORBIDDEN", 429: "TOO_MANY_REQUESTS"}
    )


def terminal_or_admin(view):
    """A terminal (by its key) or an administrator (by JWT); `terminal` is None for the administrator."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        terminal = None
        if request.headers.get(HEADER):
            terminal = terminals.authenticate_terminal(request.headers[HEADER])
        else:
            if not authenticate().has_role("admin"):
                raise Forbidden(Message("terminals.key_or_admin_required"), slug="role-required")
        return view(*args, terminal=terminal, **kwargs)

    return _document(
        wrapper,
        view,
        [{"terminalKey": []}, {"bearerAuth": []}],
        {401: "UNAUTHORIZED", 403: "FORBIDDEN", 429: "TOO_MANY_REQUESTS"},
        roles=("admin",),
    )


@blp.post("/verifications")
@terminal_key_required
@blp.arguments(VerificationRequestSchema())
@blp.response(200, VerificationSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def verify(data, api_key):
    """Check a card's QR payload (SCC2 or SCC1): accepted once; the same scan again here repeats the answer."""
    return verification.verify(api_key=api_key, payload=data["payload"])


@blp.get("/facilities/<int:facility_id>/visits")
@terminal_or_admin
@blp.arguments(PageArgsSchema(), location="query")
@blp.response(200, FacilityVisitSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
def facility_visits(args, facility_id, terminal):
    """The facility's visits, newest first, by member id (for its own terminals or an administrator)."""
    return memberships.facility_visits(facility_id=facility_id, terminal=terminal, **args)
