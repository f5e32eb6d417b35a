"""`Idempotency-Key` for mutating endpoints that phones retry.

A retry with the same key and body gets the stored answer and runs nothing twice; the same key
with another body is 422. An answer that holds a secret (the card's enrolment) is never stored: a retry
of it gets 409 `answer-already-delivered`, so the secret cannot be fetched again from the service or
read from its database. A record older than 24 h is forgotten and the key starts a new request.

The key is claimed by inserting its row in the request's own transaction, so the claim commits with
the work (or rolls back with it); a concurrent duplicate waits on the row's unique index and then replays the answer.
"""

import hashlib
import re
from copy import deepcopy
from datetime import datetime, timedelta
from functools import wraps

from flask import current_app, json, request
from sqlalchemy import JSON, ForeignKey, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.auth import current_user
from core.db import UTCDateTime, db, utcnow
from core.errors import Conflict, InvalidInput
from core.headers import environ_key
from core.problems import Message

HEADER = "Idempotency-Key"
_ENVIRON_HEADER = environ_key(HEADER)
_WELL_FORMED_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
LIFETIME = timedelta(hours=24)


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def idempotent(view=None, *, answer_holds_secret: bool = False):
    """Apply below the auth check and above the flask-smorest response decorator.

    With `answer_holds_secret` only the status is kept, and a retry is 409 instead of the answer.
    """
    if view is None:
        return lambda undecorated: idempotent(undecorated, answer_holds_secret=answer_holds_secret)

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.environ.get(_ENVIRON_HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not _WELL_FORMED_KEY.match(key):
            raise InvalidInput(Message("idempotency.bad_key", header=HEADER), slug="bad-idempotency-key")
        user_id = current_user.id
        fingerprint = _fingerprint()

        stored = _replay(user_id, key, fingerprint)
        if stored is not None:
            return stored
        db.session.add(IdempotencyRecord(user_id=user_id, key=key, fingerprint=fingerprint))
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            stored = _replay(user_id, key, fingerprint)
            if stored is not None:
                return stored
            raise Conflict(
                Message("idempotency.in_progress"),
                slug="idempotency-in-progress",
                headers={"Retry-After": "1"},
            ) from None

        response = current_app.make_response(view(*args, **kwargs))
        # The service committed the claim with its work; now keep the answer for retries.
        record = db.session.get(IdempotencyRecord, (user_id, key))
        if record is not None:
            record.status_code = response.status_code
            record.response_body = None if answer_holds_secret else response.get_json(silent=True)
            db.session.commit()
        return response

    wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
    parameters = wrapper._apidoc.setdefault("manual_doc", {}).setdefault("parameters", [])
    parameters.append(
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "description": "Makes a retry safe: the same key and body return the first answer.",
            "schema": {"type": "string", "pattern": _WELL_FORMED_KEY.pattern},
        }
    )
    return wrapper


def _fingerprint() -> str:
    """The request's identity: method, path and the JSON body in canonical form (key order, spacing)."""
    body = request.get_json(silent=True)
    canonical = (
        json.dumps(body, sort_keys=True, separators=(",", ":")) if body is not None else request.get_data(as_text=True)
    )
    return hashlib.sha256("\n".join([request.method, request.path, canonical]).encode()).hexdigest()


def _replay(user_id: int, key: str, fingerprint: str):
    record = db.session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
    )
    if record is not None and record.created_at < utcnow() - LIFETIME:
        db.session.delete(record)
        db.session.flush()
        return None
    if record is None or record.status_code is None:
        return None
    if record.fingerprint != fingerprint:
        raise InvalidInput(Message("idempotency.key_reused", header=HEADER), slug="idempotency-key-reused")
    if record.response_body is None and 200 <= record.status_code < 300:
        raise Conflict(
            Message("idempotency.answer_delivered", header=HEADER),
            slug="answer-already-delivered",
        )
    response = current_app.response_class(
        json.dumps(record.response_body), status=record.status_code, mimetype="application/json"
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response
