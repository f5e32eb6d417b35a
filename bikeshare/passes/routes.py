"""Pass and ledger endpoints."""

from flask_smorest import Blueprint

from bikeshare.passes import services
from bikeshare.passes.schemas import ChargeSchema, PassCreateSchema, PassSchema
from core.auth import auth_required, current_user
from core.idempotency import idempotent

blp = Blueprint("bike_passes", __name__, url_prefix="/api/v1", description="Bike share passes and charges")


@blp.post("/passes")
@auth_required()
@idempotent
@blp.arguments(PassCreateSchema())
@blp.response(201, PassSchema)
def buy_pass(data):
    """Buy a pass (real Ttareungyi prices, less the rider's eligibility discount)."""
    return services.buy_pass(user=current_user, kind=data["kind"])


@blp.get("/passes/me")
@auth_required()
@blp.response(200, PassSchema(many=True))
def my_passes():
    """The rider's passes, newest first."""
    return services.my_passes(user_id=current_user.id)


@blp.get("/charges/me")
@auth_required()
@blp.response(200, ChargeSchema(many=True))
def my_charges():
    """The rider's charges (pass purchases, overtime) in integer won, newest first."""
    return services.my_charges(user_id=current_user.id)
