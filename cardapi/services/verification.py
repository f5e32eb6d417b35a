"""Verifying a QR payload at a facility terminal.

Round trips per verification (steady state, terminal cached):
  DB    1  SELECT card + holder + active eligibility categories + membership epoch (one statement, which on
           PostgreSQL commits itself: a read needs no transaction, so no BEGIN is sent)
  Redis 1  ONE Lua script, atomic: terminal gate (rate-limit count + cached terminal, services.terminals),
           then the verdict (services.verification_guard: steps, repeated scans, per-terminal failures)
  DB    2  accepted: ONE statement, which on PostgreSQL commits itself (no BEGIN, no COMMIT round trip),
           updates the card's last accepted step (guarded by the step and the secret version), inserts the
           visit and its audit event, and records the terminal's last use when due (once a minute);
           refused: BEGIN, INSERT audit event (+1 UPDATE of the last use when due), COMMIT
Rare extras: terminal cache miss (+1 SELECT, +1 Redis SET, +1 script call that does not count again),
a duplicate scan (+1 SELECT of the first visit), the failure that quarantines a terminal (+1 UPDATE,
+1 Redis SET). A refusal is the same one script call (an SCC2 failure is
counted in it) and one INSERT of its audit event.
Why the card's read and the acceptance's write stay two statements: the write needs the member id (an HMAC
under a key PostgreSQL must not hold) and the benefits (codes.best_benefits), both of the row the read
returns, and the Redis verdict between them needs the code checked against that row's secret or device key.

An SCC2 code costs one P-256 ECDH (decryption) and one ECDSA verification more than an SCC1 code
(~0.26 ms of CPU, cardapi/SCC2.md). What a terminal is told is deliberately little (section "Citizen card"
of the README): `invalid_code` for a wrong code, an unknown number and a suspended or revoked card alike.
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
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app

from cardapi import codes, scc2
from cardapi.models import CardStatus
from cardapi.services import devices, terminals
from cardapi.services import verification_sql as sql
from cardapi.services.cards import associated_data
from cardapi.services.terminals import TerminalContext
from cardapi.services.verification_guard import count_unreadable, judge
from core import audit
from core.db import db
from core.eligibility import with_age_categories
from core.errors import InvalidInput
from core.problems import Message
from core.security import secret_box
from core.timezones import SEOUL

DUPLICATE_WAIT_SECONDS = 2.0  # a double scan may arrive before the first scan's visit is committed


@dataclass(frozen=True)
class Presented:
    """What a payload claims: the card and step, and either an SCC1 code or an SCC2 claim to check."""

    card_number: str
    step: int
    code: str | None = None
    claim: scc2.Claim | None = None


def verify(*, api_key: str, payload: str) -> dict:
    """Accept or refuse a QR payload presented at the facility of the terminal holding `api_key`."""
    now = time.time()
    key_hash = terminals.hash_key(api_key)
    try:
        presented = _read(payload)
    except scc2.Scc2Error as unreadable:  # readable text, but not for us: an old key, or altered
        terminal = count_unreadable(key_hash, now=now)
        return _refuse(terminal, None, "invalid_code", scheme="SCC2", detail=unreadable.reason.value)
    now_dt = datetime.fromtimestamp(now, UTC)
    card = sql.read_card(presented.card_number, key_hash=key_hash, now=now_dt)
    period = card.period if card else current_app.config["CARDAPI_TOTP_PERIOD"]
    terminal, verdict = judge(
        key_hash,
        card_number=presented.card_number,
        step=presented.step,
        scc1=presented.claim is None,
        genuine=_genuine(card, presented),
        in_window=abs(presented.step - math.floor(now / period)) <= 1,
        last_step=card.last_accepted_step if card else None,
        period=period,
        now=now,
    )
    if verdict.outcome == "accepted":
        accepted = _accept(terminal, card, presented.step, now_dt)
        if accepted is not None:
            return accepted
    if verdict.outcome == "duplicate":
        return _duplicate(terminal, card, presented.step, now_dt)
    if verdict.quarantine:
        terminals.quarantine(terminal)
    scheme = "SCC1" if presented.claim is None else "SCC2"
    reason = verdict.outcome if verdict.outcome in ("replayed", "backoff", "locked") else "invalid_code"
    retry_after = verdict.wait_ms / 1000 if verdict.wait_ms else None
    if verdict.held_off:  # nothing was tried: no audit row, so a flood from a held-off terminal writes nothing
        return _answer_refusal(terminal, reason, retry_after)
    return _refuse(
        terminal,
        f"card:{card.id}" if card else f"card-number:{presented.card_number}",
        reason,
        scheme=scheme,
        failures=verdict.failures,
        retry_after=retry_after,
    )


def _answered(reason: str) -> str:
    """The reason a terminal is told. A replay is answered as a wrong code (DESIGN.md): "replayed" would tell a
    terminal that the code was genuine and used at another terminal, maybe another facility, a moment ago. The
    audit row keeps the difference."""
    return "invalid_code" if reason == "replayed" else reason


def _read(payload: str) -> Presented:
    """The payload's claim; InvalidInput (422) when it is no card code at all, Scc2Error when unreadable."""
    if payload.startswith(scc2.PREFIX):
        try:
            claim = scc2.open_payload(payload, ring=devices.key_ring())
        except scc2.Scc2Error as error:
            if error.reason != scc2.Refusal.MALFORMED:
                raise
        else:
            return Presented(claim.card_number, claim.step, claim=claim)
    parsed = codes.parse_payload(payload)
    if parsed is None:
        raise InvalidInput(
            Message("verification.malformed_payload"),
            slug="malformed-payload",
            errors={"payload": [Message("verification.malformed_payload_field")]},
        )
    card_number, step, code = parsed
    return Presented(card_number, step, code=code)


def _genuine(card, presented: Presented) -> bool:
    """Made by the card's holder: the TOTP of its secret (SCC1 allowed), or signed by its device key (SCC2).

    A card that is not active has no genuine codes, so a terminal cannot tell it from an unknown number.
    """
    if card is None or card.status != CardStatus.ACTIVE:
        return False
    if presented.claim is not None:
        if card.device_public_key is None:
            return False
        public_key, key_id = devices.device_key(card.device_public_key)
        return presented.claim.signed_by(public_key, key_id=key_id)
    if not card.scc1_enabled:
        return False
    secret = secret_box().decrypt(
        card.secret_key_id,
        card.secret_ciphertext,
        associated=associated_data(presented.card_number, card.secret_version),
    )
    return codes.codes_match(secret, presented.step, presented.code, digits=card.digits, algorithm=card.algorithm)


def _refuse(terminal: TerminalContext, subject: str | None, reason: str, **details) -> dict:
    retry_after = details.pop("retry_after", None)
    audit.record(
        "card_verification_refused",
        subject=subject,
        terminal_id=terminal.terminal_id,
        facility_id=terminal.facility_id,
        reason=reason,
        **details,
    )
    return _answer_refusal(terminal, reason, retry_after)


def _answer_refusal(terminal: TerminalContext, reason: str, retry_after: float | None) -> dict:
    terminals.touch_terminal(terminal)
    db.session.commit()
    return {
        "accepted": False,
        "duplicate": False,
        "reason": _answered(reason),
        "holder": None,
        "benefits": [],
        "member_id": None,
        "visit_id": None,
        "retry_after": retry_after,
    }


def _accept(terminal: TerminalContext, card, step: int, now: datetime) -> dict | None:
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
        touch=terminal.touch,
        synchronous_commit=current_app.config["CARDAPI_VERIFY_SYNCHRONOUS_COMMIT"],
    )
    if visit_id is None:  # the database saw a later step or a rotated secret: the step lost
        return None
    db.session.commit()  # on PostgreSQL the statement committed itself, unless it joined a transaction (accept)
    return _accepted(card, now, visit_id=visit_id, member_id=member_id, benefits=benefits, duplicate=False)


def _duplicate(terminal: TerminalContext, card, step: int, now: datetime) -> dict:
    """The first acceptance's answer again: a gate scanner that read one code twice did nothing wrong."""
    deadline = time.monotonic() + DUPLICATE_WAIT_SECONDS
    while (visit := sql.scanned_visit(card_id=card.id, terminal_id=terminal.terminal_id, step=step)) is None:
        db.session.rollback()  # a fresh snapshot: the first scan's commit may be a moment away
        if time.monotonic() > deadline:  # the first scan lost its step in the database: nobody was accepted
            return _refuse(terminal, f"card:{card.id}", "invalid_code", detail="first scan not recorded")
        time.sleep(0.02)
    db.session.rollback()
    return _accepted(card, now, visit_id=visit.id, member_id=visit.member_id, benefits=visit.benefits, duplicate=True)


def _accepted(card, now: datetime, *, visit_id: int, member_id: str, benefits: list, duplicate: bool) -> dict:
    """What the desk sees: the member id of this facility, never the card number or anything the same elsewhere
    beyond the masked name and age group the clerk checks against the person."""
    return {
        "accepted": True,
        "duplicate": duplicate,
        "reason": "ok",
        "holder": {
            "display_name": codes.masked_name(card.name),
            "age_group": codes.age_group(card.birth_date, now.astimezone(SEOUL).date()),
        },
        "benefits": benefits,
        "member_id": member_id,
        "visit_id": visit_id,
        "retry_after": None,
    }
