"""Incentive endpoints: the points on offer (public, and as a feed beside GBFS), the rider's mileage,
and the anti-gaming flags for staff."""

import json

from flask import current_app
from flask_smorest import Blueprint

from bikeshare.incentives import ledger
from bikeshare.incentives.schemas import FlagSchema, LimitQuerySchema, MileageSchema, OffersSchema
from core.auth import auth_required, current_user
from core.db import utcnow

blp = Blueprint("bike_incentives", __name__, url_prefix="/api/v1", description="Bike share rider incentives")
feed = Blueprint("incentive_feed", __name__, url_prefix="/gbfs", description="Rider incentives feed beside GBFS")
STAFF = ("operator", "admin")
# `offers` loads NumPy and the planner's chain: imported by the views that publish, not at start-up.


@blp.get("/incentives")
@blp.response(200, OffersSchema)
def offers():
    """Stations where points are on offer now, for renting or returning there."""
    from bikeshare.incentives.offers import current_offers

    return current_offers()


@feed.get("/incentives.json")
@feed.response(200, description="{last_updated, ttl, version, data: {policy, valid_from, valid_until, stations}}.")
def incentives_feed():
    """The points on offer as a GBFS-style file: refresh after `ttl` seconds (the slot's end)."""
    from bikeshare.incentives.offers import feed_document

    body, ttl = feed_document()
    headers = {"Cache-Control": f"public, max-age={ttl}", "Access-Control-Allow-Origin": "*"}
    return current_app.response_class(json.dumps(body), mimetype="application/json", headers=headers)


@blp.get("/me/mileage")
@auth_required()
@blp.arguments(LimitQuerySchema(), location="query")
@blp.response(200, MileageSchema)
def my_mileage(query):
    """The rider's mileage balance, today's and this month's points against the caps, latest entries."""
    return ledger.my_mileage(user_id=current_user.id, now=utcnow(), limit=query["limit"])


@blp.get("/ops/incentives/flags")
@auth_required(*STAFF)
@blp.arguments(LimitQuerySchema(), location="query")
@blp.response(200, FlagSchema(many=True))
def gaming_flags(query):
    """Rides whose points the anti-gaming rules withheld, newest first."""
    return ledger.flags(limit=query["limit"])
