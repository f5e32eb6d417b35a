"""A citizen's card: issue, show, QR code, suspend, reissue, unlock; admin suspend and revoke.

Issue and reissue register the citizen's SCC2 device key when the app sends one; such a card takes SCC1
codes only if the citizen asks for them (`scc1_enabled`), so a copied TOTP secret is worth nothing.
"""

import math
import time
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cardapi import codes
from cardapi.models import Card, CardStatus
from cardapi.services.devices import checked_device_key
from cardapi.services.verification_guard import card_keys
from core import audit
from core.db import db, utcnow
from core.errors import Conflict, NotFound
from core.problems import Message
from core.redis import get_redis
from core.security import secret_box

ISSUE_ATTEMPTS = 5  # card-number collisions are rare (10^11 numbers); retry a few times


def associated_data(card_number: str, secret_version: int) -> bytes:
    """Binds a ciphertext to its card and secret version: copied elsewhere it no longer decrypts."""
    return f"card:{card_number}:v{secret_version}".encode()


def card_secret(card: Card) -> bytes:
    return secret_box().decrypt(
        card.secret_key_id,
        card.secret_ciphertext,
        associated=associated_data(card.card_number, card.secret_version),
    )


def _store_secret(card: Card, secret: bytes) -> None:
    card.secret_key_id, card.secret_ciphertext = secret_box().encrypt(
        secret, associated=associated_data(card.card_number, card.secret_version)
    )


def _enrolment(card: Card, secret: bytes) -> dict:
    return codes.enrolment(
        secret,
        card_number=card.card_number,
        digits=card.digits,
        period=card.period,
        algorithm=card.algorithm,
        issuer=current_app.config["CARDAPI_TOTP_ISSUER"],
    )


def _live_card(user_id: int, *, for_update: bool = False) -> Card | None:
    query = select(Card).where(Card.user_id == user_id, Card.status != CardStatus.REVOKED)
    if for_update:
        query = query.with_for_update()
    return db.session.scalar(query)


def _require_live_card(user_id: int, *, for_update: bool = False) -> Card:
    card = _live_card(user_id, for_update=for_update)
    if card is None:
        raise NotFound(Message("cards.none"), slug="card-not-found")
    return card


def _register_device(card: Card, device_public_key: str | None, scc1_enabled: bool | None) -> None:
    """The device key replaces any earlier one (a lost phone's key dies with the reissue)."""
    card.device_public_key = None if device_public_key is None else checked_device_key(device_public_key)
    # Without a device key SCC1 is the only code there is.
    card.scc1_enabled = device_public_key is None or bool(scc1_enabled)


def issue_card(
    *, user_id: int, device_public_key: str | None = None, scc1_enabled: bool | None = None
) -> tuple[Card, dict]:
    """Issue the citizen's card; the enrolment (with the secret) is in this answer only."""
    if _live_card(user_id) is not None:
        raise Conflict(Message("cards.already_held"), slug="card-exists")
    config = current_app.config
    secret = codes.new_secret()
    for _ in range(ISSUE_ATTEMPTS):
        card = Card(
            user_id=user_id,
            card_number=codes.new_card_number(),
            status=CardStatus.ACTIVE,
            secret_version=1,
            digits=config["CARDAPI_TOTP_DIGITS"],
            period=config["CARDAPI_TOTP_PERIOD"],
            algorithm=config["CARDAPI_TOTP_ALGORITHM"],
        )
        _register_device(card, device_public_key, scc1_enabled)
        _store_secret(card, secret)
        try:
            with db.session.begin_nested():
                db.session.add(card)
        except IntegrityError:
            # Either the number was taken or a concurrent request issued the citizen's card.
            if _live_card(user_id) is not None:
                raise Conflict(Message("cards.already_held"), slug="card-exists") from None
            continue
        break
    else:
        raise Conflict(Message("cards.number_exhausted"), slug="card-number-exhausted")
    audit.record("card_issued", actor_id=user_id, subject=f"card:{card.id}")
    db.session.commit()
    return card, _enrolment(card, secret)


def get_my_card(*, user_id: int) -> Card:
    """The citizen's live card, with its SCC1 failures and the terminals locked for it (read from Redis)."""
    card = _require_live_card(user_id)
    per_terminal = [int(count) for count in get_redis().hvals(card_keys(card.card_number)[2])]
    card.failed_attempts = sum(per_terminal)
    card.locked_terminals = sum(count >= current_app.config["CARDAPI_LOCK_AFTER_FAILURES"] for count in per_terminal)
    return card


def _forget_failures(card: Card) -> None:
    """Clear the SCC1 failures and back-off of the card at every terminal."""
    _, _, failures_key, backoff_key = card_keys(card.card_number)
    get_redis().delete(failures_key, backoff_key)


def current_qr(*, user_id: int) -> dict:
    """The SCC1 payload to show now (the next step's once this step's code was accepted), and its expiry."""
    card = _require_live_card(user_id)
    if card.status != CardStatus.ACTIVE:
        raise Conflict(Message("cards.suspended"), slug="card-suspended")
    if not card.scc1_enabled:
        raise Conflict(Message("cards.scc1_disabled"), slug="scc1-disabled")
    step = math.floor(time.time() / card.period)
    if card.last_accepted_step is not None and card.last_accepted_step >= step:
        step = card.last_accepted_step + 1  # still within the ±1 window the verification allows
    code = codes.totp_code(card_secret(card), step, digits=card.digits, algorithm=card.algorithm)
    return {
        "payload": codes.payload(card.card_number, step, code),
        "step": step,
        "expires_at": datetime.fromtimestamp((step + 1) * card.period, UTC),
    }


def suspend_my_card(*, user_id: int) -> Card:
    """Stop the card at once (lost phone); reissue brings it back with a new secret."""
    card = _require_live_card(user_id, for_update=True)
    _suspend(card, actor_id=user_id)
    db.session.commit()
    return card


def _suspend(card: Card, *, actor_id: int) -> None:
    if card.status == CardStatus.ACTIVE:
        card.status, card.suspended_at = CardStatus.SUSPENDED, utcnow()
        audit.record("card_suspended", actor_id=actor_id, subject=f"card:{card.id}")


def reissue_my_card(
    *, user_id: int, device_public_key: str | None = None, scc1_enabled: bool | None = None
) -> tuple[Card, dict]:
    """A new secret and device key on the same card number; every code of the old ones fails from the commit on.

    Failures are forgotten: they were counted against the old secret."""
    card = _require_live_card(user_id, for_update=True)
    secret = codes.new_secret()
    card.secret_version += 1
    _register_device(card, device_public_key, scc1_enabled)
    _store_secret(card, secret)
    card.status, card.suspended_at, card.reissued_at = CardStatus.ACTIVE, None, utcnow()
    audit.record("card_reissued", actor_id=user_id, subject=f"card:{card.id}", secret_version=card.secret_version)
    db.session.commit()
    _forget_failures(card)  # after the commit: a reissue that failed leaves the failures as they were
    return card, _enrolment(card, secret)


def unlock_my_card(*, user_id: int) -> Card:
    """Clear the SCC1 locks and failures at every terminal (the route demands a fresh login)."""
    card = _require_live_card(user_id, for_update=True)
    _forget_failures(card)
    audit.record("card_unlocked", actor_id=user_id, subject=f"card:{card.id}")
    db.session.commit()
    return card


def _card_by_id(card_id: int) -> Card:
    card = db.session.get(Card, card_id, with_for_update=True)
    if card is None:
        raise NotFound(Message("cards.not_found", card=card_id), slug="card-not-found")
    return card


def admin_suspend_card(*, actor_id: int, card_id: int) -> Card:
    card = _card_by_id(card_id)
    if card.status == CardStatus.REVOKED:
        raise Conflict(Message("cards.revoked"), slug="card-revoked")
    _suspend(card, actor_id=actor_id)
    db.session.commit()
    return card


def admin_revoke_card(*, actor_id: int, card_id: int) -> Card:
    """End a card for good; the citizen may then be issued a new one (with a new number)."""
    card = _card_by_id(card_id)
    if card.status != CardStatus.REVOKED:
        card.status, card.revoked_at = CardStatus.REVOKED, utcnow()
        audit.record("card_revoked", actor_id=actor_id, subject=f"card:{card.id}")
    db.session.commit()
    return card
