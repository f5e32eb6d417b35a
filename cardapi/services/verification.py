"""Verifying a QR payload at a facility terminal.

Round trips per verification (steady state, terminal cached):
  DB    1  SELECT card + holder + active eligibility categories + membership epoch (one statement)
  Redis 1  ONE Lua script, atomic: terminal gate (rate-limit count + cached terminal, services.terminals),
           then step guard + failure counting + back-off + lock decision
  DB    2  accepted: ONE statement updates the card's last accepted step (guarded by the step and the
           secret version) and inserts the visit and its audit event; refused: INSERT audit event
  DB    3  COMMIT
Rare extras: terminal cache miss (+1 SELECT, +1 Redis SET, +1 script call that does not count again),
last_used_at once a minute (+1 UPDATE), the attempt that locks the card (+1 UPDATE).
The card is read before the terminal is authenticated so that one Redis call serves both: an
unknown, revoked or rate-limited key costs one indexed SELECT before its 401 or 429.

Acceptance is decided atomically in Redis (the Lua script compares and sets the last step) and then
confirmed by the database's conditional UPDATE, the source of truth: a step no later than the stored
one, or a secret rotated since the card was read, updates no row and is refused. Without Redis the
request fails with 503 before anything is accepted.

An acceptance's commit does not wait for the WAL flush unless CARDAPI_VERIFY_SYNCHRONOUS_COMMIT is set
(the flush cost ~3 ms a commit, most of a verification's latency). What a PostgreSQL crash can lose
is the last fraction of a second of acceptances (at most 3 x wal_writer_delay): their visits, their
audit rows and their steps, atomically (never half of one), and never anything of another kind:
refusals, locks and every other transaction keep synchronous commits. Replay protection survives:
Redis keeps the last accepted step for a few periods and the guard takes the later of Redis's and
the database's, so a lost step would matter only if Redis lost it at the same moment, and even then
only for codes presented in that fraction of a second, within their 90-second window.
"""

import math
import time
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import update

from cardapi import codes
from cardapi.models import Card, CardStatus
from cardapi.services import terminals
from cardapi.services import verification_sql as sql
from cardapi.services.cards import associated_data, redis_keys
from cardapi.services.terminals import GATE, TerminalContext
from core import audit
from core.db import db
from core.eligibility import with_age_categories
from core.errors import InvalidInput
from core.security import secret_box
from core.timezones import SEOUL

LAST_STEP_TTL_STEPS = 4  # past ±1 step the guard is moot, and the database still holds the step
FAILURES_TTL_SECONDS = 86400

# After the terminal gate (terminals.GATE), in the same script call, for a live terminal:
# KEYS 3-5: last step, failures, back-off deadline (ms).
# ARGV 6-15: step, code_ok, blocked, last step in the database, now (ms), lock after, back-off after,
#            back-off cap (ms), failures TTL (s), last-step TTL (s).
_GATED_GUARD = (
    GATE
    + """
if not live or #KEYS < 5 then return {n, cached or '', touch} end
local K = {KEYS[3], KEYS[4], KEYS[5]}
local A = {unpack(ARGV, 6)}
local function guard()
  local step = tonumber(A[1])
  local last = tonumber(redis.call('GET', K[1]) or '-1')
  if tonumber(A[4]) > last then last = tonumber(A[4]) end
  local good = A[2] == '1' and step > last
  local fails
  if good then
    fails = tonumber(redis.call('GET', K[2]) or '0')
  else
    fails = redis.call('INCR', K[2])
    redis.call('EXPIRE', K[2], A[9])
  end
  if A[3] == '1' then return {'blocked', fails, 0} end
  if fails >= tonumber(A[6]) then return {'locked', fails, 0} end
  local now = tonumber(A[5])
  local deadline = tonumber(redis.call('GET', K[3]) or '0')
  if now < deadline then return {'backoff', fails, deadline - now} end
  if good then
    redis.call('SET', K[1], A[1], 'EX', A[10])
    redis.call('DEL', K[2], K[3])
    return {'accepted', 0, 0}
  end
  local over = fails - tonumber(A[7])
  if over >= 0 then
    local delay = math.min(1000 * 2 ^ over, tonumber(A[8]))
    redis.call('SET', K[3], string.format('%.0f', now + delay), 'PX', string.format('%.0f', delay))
    return {'invalid', fails, delay}
  end
  return {'invalid', fails, 0}
end
local verdict, fails, wait = unpack(guard())
return {n, cached, touch, verdict, fails, wait}
"""
)


def verify(*, api_key: str, payload: str) -> dict:
    """Accept or refuse a QR payload presented at the facility of the terminal holding `api_key`."""
    parsed = codes.parse_payload(payload)
    if parsed is None:
        raise InvalidInput(
            "The payload is not a citizen card code (SCC1:{card_number}:{step}:{code}).",
            slug="malformed-payload",
            errors={"payload": ["not a citizen card payload"]},
        )
    card_number, step, code = parsed
    now = time.time()
    now_dt = datetime.fromtimestamp(now, UTC)
    key_hash = terminals.hash_key(api_key)
    card = sql.read_card(card_number, key_hash=key_hash, now=now_dt)
    if card is None:
        terminal, _ = terminals.gate(key_hash)
        # An unknown number gets the answer a wrong code gets: numbers cannot be probed.
        return _refuse(terminal, card_number, None, "invalid_code")

    code_ok = abs(step - math.floor(now / card.period)) <= 1 and codes.codes_match(
        secret_box().decrypt(
            card.secret_key_id, card.secret_ciphertext, associated=associated_data(card_number, card.secret_version)
        ),
        step,
        code,
        digits=card.digits,
        algorithm=card.algorithm,
    )
    blocked = card.status != CardStatus.ACTIVE or card.locked_at is not None
    terminal, (verdict, failures, wait_ms) = _gated_guard(key_hash, card, step, code_ok, blocked, now)
    failures, wait_ms = int(failures), int(wait_ms)

    if card.status != CardStatus.ACTIVE:
        return _refuse(terminal, card_number, card.id, card.status, failures=failures)
    if verdict == "locked" or card.locked_at is not None:
        if card.locked_at is None:
            _lock(card.id, now_dt, failures)
        return _refuse(terminal, card_number, card.id, "locked", failures=failures)
    if verdict == "backoff":
        return _refuse(terminal, card_number, card.id, "backoff", failures=failures, retry_after=wait_ms / 1000)
    if verdict == "accepted":
        accepted = _accept(terminal, card_number, card, step, now_dt)
        if accepted is not None:
            return accepted
    retry_after = wait_ms / 1000 if wait_ms else None
    return _refuse(terminal, card_number, card.id, "invalid_code", failures=failures, retry_after=retry_after)


def _gated_guard(key_hash: str, card, step: int, code_ok: bool, blocked: bool, now: float):
    """The terminal (authenticated, rate limit counted) and the card guard's verdict, in one Redis call."""
    config = current_app.config
    return terminals.gate(
        key_hash,
        _GATED_GUARD,
        keys=list(redis_keys(card.id)),
        args=[
            step,
            int(code_ok),
            int(blocked),
            -1 if card.last_accepted_step is None else card.last_accepted_step,
            int(now * 1000),
            config["CARDAPI_LOCK_AFTER_FAILURES"],
            config["CARDAPI_BACKOFF_AFTER_FAILURES"],
            config["CARDAPI_BACKOFF_MAX_SECONDS"] * 1000,
            FAILURES_TTL_SECONDS,
            card.period * LAST_STEP_TTL_STEPS,
        ],
    )


def _lock(card_id: int, now: datetime, failures: int) -> None:
    locked = db.session.execute(
        update(Card)
        .where(Card.id == card_id, Card.locked_at.is_(None))
        .values(locked_at=now)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount:
        audit.record("card_locked", subject=f"card:{card_id}", failures=failures)


def _refuse(terminal: TerminalContext, card_number: str, card_id, reason: str, **details) -> dict:
    audit.record(
        "card_verification_refused",
        subject=f"card:{card_id}" if card_id else f"card-number:{card_number}",
        terminal_id=terminal.terminal_id,
        facility_id=terminal.facility_id,
        reason=reason,
        **{k: v for k, v in details.items() if k == "failures"},
    )
    terminals.touch_terminal(terminal)
    db.session.commit()
    return {
        "accepted": False,
        "reason": reason,
        "card_number": card_number,
        "holder": None,
        "benefits": [],
        "member_id": None,
        "visit_id": None,
        "retry_after": details.get("retry_after"),
    }


def _accept(terminal: TerminalContext, card_number: str, card, step: int, now: datetime) -> dict | None:
    granted = set(card.categories.split(",")) if card.categories else set()
    categories = with_age_categories(
        granted, birth_date=card.birth_date, birth_date_verified=card.birth_date_verified, at=now
    )
    benefits = codes.best_benefits(
        terminal.benefit_rules, categories=categories, resident=card.district == terminal.district
    )
    epoch = card.epoch or 0
    member_id = codes.member_id(
        current_app.config["PSEUDONYM_KEY"].encode(),
        user_id=card.user_id,
        facility_id=terminal.facility_id,
        epoch=epoch,
    )
    visit_id = sql.accept(
        card,
        step=step,
        visit={
            "at": now,
            "card_id": card.id,
            "user_id": card.user_id,
            "facility_id": terminal.facility_id,
            "terminal_id": terminal.terminal_id,
            "member_id": member_id,
            "member_epoch": epoch,
            "benefits": benefits,
        },
        synchronous_commit=current_app.config["CARDAPI_VERIFY_SYNCHRONOUS_COMMIT"],
    )
    if visit_id is None:  # the database saw a later step or a rotated secret: the step lost
        return None
    # After the acceptance's write: its row lock on the card is taken right after the Redis verdict.
    terminals.touch_terminal(terminal)
    db.session.commit()
    return {
        "accepted": True,
        "reason": "ok",
        "card_number": card_number,
        "holder": {
            "display_name": codes.masked_name(card.name),
            "age_group": codes.age_group(card.birth_date, now.astimezone(SEOUL).date()),
        },
        "benefits": benefits,
        "member_id": member_id,
        "visit_id": visit_id,
        "retry_after": None,
    }
