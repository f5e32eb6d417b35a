"""The citizen's own card: issue, QR, suspend, reissue, unlock, memberships and visits."""

from flask import Response
from flask_smorest import Blueprint

from cardapi import qrimage
from cardapi.schemas import (
    CardRequestSchema,
    CardSchema,
    IssuedCardSchema,
    MembershipSchema,
    MyCardSchema,
    MyVisitSchema,
    PageArgsSchema,
    QrSchema,
    ServiceKeySchema,
)
from cardapi.services import cards, devices, memberships
from core.auth import auth_required, current_user
from core.idempotency import idempotent

blp = Blueprint("cards", __name__, url_prefix="/api/v1", description="The citizen's card")

_ALREADY_DELIVERED = "A replayed Idempotency-Key: the enrolment secret was already delivered, never twice"
_CARD_EXISTS_OR_DELIVERED = "You already have an active card, or a replayed Idempotency-Key (secret already delivered)"
_BINARY = {"schema": {"type": "string", "format": "binary"}}


def _image_response(content_type: str, description: str) -> dict:
    """A 200 documented as binary image content (flask-smorest alone would document no body)."""
    return {"200": {"description": description, "content": {content_type: _BINARY}}}


@blp.get("/cards/scc2-key")
@blp.response(200, ServiceKeySchema)
def scc2_key():
    """The service's current SCC2 key: apps encrypt codes to it (refetch daily; older keys keep working a while)."""
    return devices.service_public_key(), 200, {"Cache-Control": "public, max-age=3600"}


@blp.post("/cards")
@auth_required("citizen")
@idempotent(answer_holds_secret=True)
@blp.arguments(CardRequestSchema(), required=False)
@blp.response(201, IssuedCardSchema)
@blp.alt_response(409, response="CONFLICT", description=_CARD_EXISTS_OR_DELIVERED)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def issue_card(data):
    """Get your card (send your device key for SCC2); the answer holds the enrolment secret, shown only this once."""
    card, enrolment = cards.issue_card(user_id=current_user.id, **data)
    return {"card": card, "enrolment": enrolment}


@blp.get("/cards/me")
@auth_required("citizen")
@blp.response(200, MyCardSchema)
@blp.alt_response(404, response="NOT_FOUND")
def my_card():
    """Your card and its state."""
    return cards.get_my_card(user_id=current_user.id)


@blp.get("/cards/me/qr")
@auth_required("citizen")
@blp.response(200, QrSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def my_qr():
    """The QR payload to show now, and when it expires."""
    return cards.current_qr(user_id=current_user.id)


@blp.get("/cards/me/qr.png")
@auth_required("citizen")
@blp.response(200, content_type="image/png")
@blp.doc(responses=_image_response("image/png", "The current QR code as a PNG image"))
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def my_qr_png():
    """The current QR code as a PNG image."""
    payload = cards.current_qr(user_id=current_user.id)["payload"]
    return Response(qrimage.png(payload), mimetype="image/png", headers={"Cache-Control": "no-store"})


@blp.get("/cards/me/qr.svg")
@auth_required("citizen")
@blp.response(200, content_type="image/svg+xml")
@blp.doc(responses=_image_response("image/svg+xml", "The current QR code as an SVG image"))
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def my_qr_svg():
    """The current QR code as an SVG image."""
    payload = cards.current_qr(user_id=current_user.id)["payload"]
    return Response(qrimage.svg(payload), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@blp.post("/cards/me/suspend")
@auth_required("citizen")
@idempotent
@blp.response(200, CardSchema)
@blp.alt_response(404, response="NOT_FOUND")
def suspend_my_card():
    """Suspend your card at once (lost phone); reissue it to use it again."""
    return cards.suspend_my_card(user_id=current_user.id)


@blp.post("/cards/me/reissue")
@auth_required("citizen", fresh=True)
@idempotent(answer_holds_secret=True)
@blp.arguments(CardRequestSchema(), required=False)
@blp.response(200, IssuedCardSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT", description=_ALREADY_DELIVERED)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def reissue_my_card(data):
    """New secret and device key (needs a fresh login); every code of the old ones stops working."""
    card, enrolment = cards.reissue_my_card(user_id=current_user.id, **data)
    return {"card": card, "enrolment": enrolment}


@blp.post("/cards/me/unlock")
@auth_required("citizen", fresh=True)
@idempotent
@blp.response(200, CardSchema)
@blp.alt_response(404, response="NOT_FOUND")
def unlock_my_card():
    """Let every terminal take your SCC1 codes again after wrong ones (needs a fresh login)."""
    return cards.unlock_my_card(user_id=current_user.id)


@blp.get("/cards/me/memberships")
@auth_required("citizen")
@blp.response(200, MembershipSchema(many=True))
def my_memberships():
    """Facilities that know you as a member (you never registered at each one)."""
    return memberships.my_memberships(user_id=current_user.id)


@blp.delete("/cards/me/memberships/<int:facility_id>")
@auth_required("citizen")
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def revoke_my_membership(facility_id):
    """Leave a facility: it can no longer link your past or future visits to one member."""
    memberships.revoke_membership(user_id=current_user.id, facility_id=facility_id)


@blp.get("/cards/me/visits")
@auth_required("citizen")
@blp.arguments(PageArgsSchema(), location="query")
@blp.response(200, MyVisitSchema(many=True))
def my_visits(args):
    """Your visits, newest first."""
    return memberships.my_visits(user_id=current_user.id, **args)
