"""Administration: facilities and their terminals, cards, citizens' eligibility categories."""

from flask_smorest import Blueprint

from cardapi.schemas import (
    BirthDateVerificationSchema,
    CardSchema,
    CitizenEligibilitySchema,
    EligibilityGrantSchema,
    EligibilitySchema,
    FacilityCreateSchema,
    FacilitySchema,
    FacilityUpdateSchema,
    NewTerminalSchema,
    TerminalCreateSchema,
    TerminalSchema,
)
from cardapi.services import cards, eligibility, terminals, verification_guard
from core.auth import auth_required, current_user
from core.idempotency import idempotent

blp = Blueprint("card_admin", __name__, url_prefix="/api/v1/admin", description="Citizen card administration")

# A retry never creates a second terminal whose key nobody received, nor shows a key twice.
_KEY_ALREADY_DELIVERED = "A replayed Idempotency-Key: the terminal and its key were already delivered, never twice"


@blp.post("/facilities")
@auth_required("admin")
@idempotent
@blp.arguments(FacilityCreateSchema())
@blp.response(201, FacilitySchema)
def create_facility(data):
    """Register a facility and its discount rules."""
    return terminals.create_facility(actor_id=current_user.id, **data)


@blp.get("/facilities")
@auth_required("admin")
@blp.response(200, FacilitySchema(many=True))
def list_facilities():
    """All facilities."""
    return terminals.list_facilities()


@blp.get("/facilities/<int:facility_id>")
@auth_required("admin")
@blp.response(200, FacilitySchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_facility(facility_id):
    """One facility."""
    return terminals.get_facility(facility_id)


@blp.patch("/facilities/<int:facility_id>")
@auth_required("admin")
@blp.arguments(FacilityUpdateSchema())
@blp.response(200, FacilitySchema)
@blp.alt_response(404, response="NOT_FOUND")
def update_facility(changes, facility_id):
    """Change a facility; `active: false` shuts out its terminals at once."""
    return terminals.update_facility(actor_id=current_user.id, facility_id=facility_id, changes=changes)


@blp.post("/facilities/<int:facility_id>/terminals")
@auth_required("admin")
@idempotent(answer_holds_secret=True)
@blp.arguments(TerminalCreateSchema())
@blp.response(201, NewTerminalSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT", description=_KEY_ALREADY_DELIVERED)
def create_terminal(data, facility_id):
    """Add a terminal; its API key is in this answer only."""
    return terminals.create_terminal(actor_id=current_user.id, facility_id=facility_id, **data)


@blp.get("/facilities/<int:facility_id>/terminals")
@auth_required("admin")
@blp.response(200, TerminalSchema(many=True))
@blp.alt_response(404, response="NOT_FOUND")
def list_terminals(facility_id):
    """A facility's terminals (without keys), with the SCC2 codes each sent today that failed."""
    return verification_guard.terminals_with_scc2_failures(facility_id=facility_id)


@blp.delete("/facilities/<int:facility_id>/terminals/<int:terminal_id>")
@auth_required("admin")
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def revoke_terminal(facility_id, terminal_id):
    """Revoke a terminal's key."""
    terminals.revoke_terminal(actor_id=current_user.id, facility_id=facility_id, terminal_id=terminal_id)


@blp.post("/cards/<int:card_id>/suspend")
@auth_required("admin")
@blp.response(200, CardSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def suspend_card(card_id):
    """Suspend a card (the citizen reissues it to use it again)."""
    return cards.admin_suspend_card(actor_id=current_user.id, card_id=card_id)


@blp.post("/cards/<int:card_id>/revoke")
@auth_required("admin")
@blp.response(200, CardSchema)
@blp.alt_response(404, response="NOT_FOUND")
def revoke_card(card_id):
    """Revoke a card for good; the citizen may then get a new card."""
    return cards.admin_revoke_card(actor_id=current_user.id, card_id=card_id)


@blp.get("/citizens/<int:user_id>/eligibilities")
@auth_required("admin")
@blp.response(200, CitizenEligibilitySchema)
@blp.alt_response(404, response="NOT_FOUND")
def list_eligibilities(user_id):
    """A citizen's granted categories and the categories they hold now."""
    return eligibility.list_eligibilities(user_id=user_id)


@blp.put("/citizens/<int:user_id>/birth-date-verification")
@auth_required("admin")
@blp.arguments(BirthDateVerificationSchema())
@blp.response(200, CitizenEligibilitySchema)
@blp.alt_response(404, response="NOT_FOUND")
def set_birth_date_verification(data, user_id):
    """Record that the citizen's birth date was checked against an ID (audited); only then does it earn senior."""
    return eligibility.set_birth_date_verified(actor_id=current_user.id, user_id=user_id, **data)


@blp.post("/citizens/<int:user_id>/eligibilities")
@auth_required("admin")
@blp.arguments(EligibilityGrantSchema())
@blp.response(201, EligibilitySchema)
@blp.alt_response(404, response="NOT_FOUND")
def grant_eligibility(data, user_id):
    """Grant a category (again: changes its expiry)."""
    return eligibility.grant(actor_id=current_user.id, user_id=user_id, **data)


@blp.delete("/citizens/<int:user_id>/eligibilities/<string:category>")
@auth_required("admin")
@blp.response(204)
@blp.alt_response(404, response="NOT_FOUND")
def revoke_eligibility(user_id, category):
    """Withdraw a granted category."""
    eligibility.revoke(actor_id=current_user.id, user_id=user_id, category=category)


@blp.get("/terminals/quarantined")
@auth_required("admin")
@blp.response(200, TerminalSchema(many=True))
def list_quarantined_terminals():
    """Terminals refused after wrong codes for many cards, awaiting review."""
    return terminals.quarantined_terminals()


@blp.post("/terminals/<int:terminal_id>/release")
@auth_required("admin")
@blp.response(200, TerminalSchema)
@blp.alt_response(404, response="NOT_FOUND")
def release_terminal(terminal_id):
    """Let a quarantined terminal's key work again after review (audited)."""
    return terminals.release_terminal(actor_id=current_user.id, terminal_id=terminal_id)
