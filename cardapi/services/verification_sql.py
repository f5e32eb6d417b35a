"""The SQL of a verification, built once at import and run as HotStatements (no ORM objects).

On PostgreSQL an acceptance is ONE statement (a data-modifying CTE: step update, visit insert, audit
insert, and the terminal's last use when it is due); other databases (SQLite in development) run the same
writes one by one. On PostgreSQL the card's read and that statement each commit themselves (autocommit):
the read needs no transaction and the statement is atomic on its own, so neither pays a BEGIN and a
COMMIT round trip: 2 round trips to PostgreSQL per accepted verification instead of 4.
"""

import json

from flask import g, has_request_context, request
from sqlalchemy import bindparam, func, insert, or_, select, text, update

from cardapi.models import Card, CardStatus, MembershipEpoch, Terminal, Visit
from core import audit
from core.accounts.models import User
from core.db import Database, HotStatement, UTCDateTime, database
from core.eligibility import Eligibility

# The card, its holder, the holder's active eligibility categories and membership epoch at the facility.
CARD = HotStatement(
    select(
        Card.id,
        Card.user_id,
        Card.status,
        Card.secret_key_id,
        Card.secret_ciphertext,
        Card.secret_version,
        Card.digits,
        Card.period,
        Card.algorithm,
        Card.device_public_key,
        Card.scc1_enabled,
        Card.last_accepted_step,
        User.name,
        User.birth_date,
        User.birth_date_verified,
        User.district,
        select(func.aggregate_strings(Eligibility.category, ","))
        .where(
            Eligibility.user_id == Card.user_id,
            or_(Eligibility.expires_at.is_(None), Eligibility.expires_at > bindparam("now", type_=UTCDateTime)),
        )
        .scalar_subquery()
        .label("categories"),
        # The facility is the terminal's: the card is read before the terminal gate (one Redis call for both).
        select(MembershipEpoch.epoch)
        .join(Terminal, Terminal.facility_id == MembershipEpoch.facility_id)
        .where(MembershipEpoch.user_id == Card.user_id, Terminal.key_hash == bindparam("key_hash"))
        .scalar_subquery()
        .label("epoch"),
    )
    .join(User, User.id == Card.user_id)
    .where(Card.card_number == bindparam("card_number"))
)

# The database's word on acceptance: this step is later, and the secret is the one that was checked.
_STEP_GUARD = f"""
    id = :card_id AND status = '{CardStatus.ACTIVE}' AND secret_version = :checked_version
    AND (last_accepted_step IS NULL OR last_accepted_step < :step)
"""

# The audit row is written here rather than through core.audit.record, so it must stay in step with
# core.audit.AuditEvent (and, like it, never holds the code). set_config applies to this transaction only.
_ACCEPT_POSTGRESQL = HotStatement(
    text(f"""
WITH step AS (
    UPDATE cards SET last_accepted_step = :step WHERE {_STEP_GUARD} RETURNING id
), visit AS (
    INSERT INTO card_visits (at, card_id, user_id, facility_id, terminal_id, step, member_id, member_epoch, benefits)
    SELECT :at, step.id, :user_id, :facility_id, :terminal_id, :step, :member_id, :member_epoch, CAST(:benefits AS JSON)
    FROM step
    RETURNING id
), audited AS (
    INSERT INTO audit_events (at, event, subject, client_address, request_id, details)
    SELECT :at, 'card_verified', :subject, :client_address, :request_id,
           json_build_object('terminal_id', CAST(:terminal_id AS INTEGER),
                             'facility_id', CAST(:facility_id AS INTEGER), 'visit_id', visit.id)
    FROM visit
), touched AS (
    UPDATE facility_terminals SET last_used_at = :at
    FROM visit WHERE facility_terminals.id = CAST(:terminal_id AS INTEGER) AND CAST(:touch AS BOOLEAN)
)
SELECT visit.id, set_config('synchronous_commit', :synchronous_commit, true) FROM visit
""")
)

_RECORD_STEP = HotStatement(update(Card).where(text(_STEP_GUARD)).values(last_accepted_step=bindparam("step")))
_INSERT_VISIT = HotStatement(insert(Visit).returning(Visit.id))
_TOUCH_TERMINAL = HotStatement(
    update(Terminal)
    .where(Terminal.id == bindparam("terminal_id"))
    .values(last_used_at=bindparam("at", type_=UTCDateTime))
)
_SCANNED_VISIT = HotStatement(
    select(Visit.id, Visit.member_id, Visit.benefits).where(
        Visit.card_id == bindparam("card_id"),
        Visit.terminal_id == bindparam("terminal_id"),
        Visit.step == bindparam("step"),
    )
)


def read_card(card_number: str, *, key_hash: str, now):
    """The card's row (None for an unknown number), with the epoch at the facility of the terminal's key."""
    # A read decides nothing alone (the acceptance re-checks under the row lock): no transaction needed.
    return CARD.first({"card_number": card_number, "key_hash": key_hash, "now": now}, own_transaction=True)


def scanned_visit(*, card_id: int, terminal_id: int, step: int):
    """The visit a code of this step made at this terminal: (id, member_id, benefits), or None."""
    return _SCANNED_VISIT.first({"card_id": card_id, "terminal_id": terminal_id, "step": step})


def accept(card, *, step: int, visit: dict, touch: bool, synchronous_commit: bool) -> int | None:
    """Record the accepted step, the visit and its audit event, and the terminal's last use if `touch`; the
    visit's id, or None if the step lost (then nothing is written: the caller's refusal records the use).

    `visit` holds the card_visits columns. On PostgreSQL the one statement commits itself unless the request
    has a transaction open (a terminal read on a cache miss, or a read that found every kept connection
    busy), which it then joins; elsewhere nothing is committed here.
    """
    guard = {"card_id": card.id, "checked_version": card.secret_version, "step": step}
    details = {"terminal_id": visit["terminal_id"], "facility_id": visit["facility_id"]}
    if database() == Database.POSTGRESQL:
        params = {
            **guard,
            **visit,
            "benefits": json.dumps(visit["benefits"]),
            "subject": f"card:{card.id}",
            "client_address": request.remote_addr if has_request_context() else None,
            "request_id": g.get("request_id") if has_request_context() else None,
            "synchronous_commit": "on" if synchronous_commit else "off",
            "touch": touch,
        }
        return _ACCEPT_POSTGRESQL.scalar(params, own_transaction=True)
    if _RECORD_STEP.rowcount(guard) != 1:
        return None
    visit_id = _INSERT_VISIT.scalar({**visit, "step": step})
    audit.record("card_verified", subject=f"card:{card.id}", visit_id=visit_id, **details)
    if touch:
        _TOUCH_TERMINAL.rowcount({"terminal_id": visit["terminal_id"], "at": visit["at"]})
    return visit_id
