"""Audit log of security events: who, what, when, from where, under which request id.

Never passwords, tokens, codes or secrets: callers pass only identifiers and outcomes.
"""

from datetime import datetime

from flask import g, has_request_context, request
from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, partial_index, utcnow

# The one event read by time (the login throttle, core/accounts/throttle.py): its index holds no other rows.
LOGIN_FAILED = "login_failed"
ONLY_LOGIN_FAILURES = f"event = '{LOGIN_FAILED}'"


class AuditEvent(db.Model):
    """One event. Its indexes are narrow on purpose: every accepted QR verification writes a row (migration
    0017_qr_lean), so an index its rows never need (by time, by actor) is left without them."""

    __tablename__ = "audit_events"
    __table_args__ = (
        partial_index("ix_audit_events_login_failures", "subject", "at", where=ONLY_LOGIN_FAILURES),
        # Rows with an actor are a person's actions; a verification's has none.
        partial_index("ix_audit_events_actor_id", "actor_id", where="actor_id IS NOT NULL"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event: Mapped[str] = mapped_column(String(50), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str | None] = mapped_column(String(100))
    client_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


def record(event: str, *, actor_id: int | None = None, subject: str | None = None, **details) -> AuditEvent:
    """Add an audit event to the current unit of work (the caller's commit persists it)."""
    entry = AuditEvent(
        event=event,
        actor_id=actor_id,
        subject=subject,
        client_address=request.remote_addr if has_request_context() else None,
        request_id=g.get("request_id") if has_request_context() else None,
        details=details,
    )
    db.session.add(entry)
    return entry


def recent_events(*, event: str | None = None, actor_id: int | None = None, limit: int = 100) -> list[AuditEvent]:
    """Audit events, newest first, optionally of one kind or one actor."""
    statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if event:
        statement = statement.where(AuditEvent.event == event)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    return list(db.session.scalars(statement))
