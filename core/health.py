"""Liveness (`/health`) and readiness (`/ready`: the database and Redis answer)."""

import marshmallow as ma
from flask_smorest import Blueprint
from sqlalchemy import text

from core.db import db
from core.errors import ServiceUnavailable
from core.problems import Message
from core.redis import get_redis

blp = Blueprint("health", __name__, description="Liveness and readiness")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})


class ReadySchema(HealthSchema):
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)


@blp.get("/health")
@blp.response(200, HealthSchema)
def health():
    """The process is up."""
    return {"status": "ok"}


@blp.get("/ready")
@blp.response(200, ReadySchema)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def ready():
    """The database and Redis both answer."""
    checks = {
        "database": _check(lambda: db.session.execute(text("SELECT 1"))),
        "redis": _check(lambda: get_redis().ping()),
    }
    down = sorted(name for name, state in checks.items() if state != "ok")
    if down:
        raise ServiceUnavailable(
            Message("service.not_ready", services=" and ".join(down)), slug="not-ready", checks=checks
        )
    return {"status": "ok", "checks": checks}


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception:  # any failure means "not ready"; the detail stays in the logs
        db.session.rollback()
        return "unavailable"
