"""Sessions: token families, rotation with a retry grace window, revocation, and the per-request check.

The database is the truth about revocations (a family is revoked when one of its refresh tokens has
`revoked_at`); Redis mirrors it so the per-request check costs one round trip. The mirror is trusted
only while it is known to be complete: a marker key says when it was last filled from the database,
so a Redis that restarted empty (no marker) is detected and refilled, and a revocation that could not
reach Redis while it was down is recorded in the database, which makes every process refill it.
"""

import base64
import json
import logging
import time
import uuid
from datetime import datetime, timedelta

import redis
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import delete, func, select, update

from core import audit
from core.accounts.models import RedisWriteFailure, RefreshToken, User, UserRole
from core.db import db, utcnow
from core.errors import Unauthenticated
from core.problems import Message
from core.redis import get_redis
from core.security import secret_box

log = logging.getLogger(__name__)

ROLES_CACHE_SECONDS = 3600
MIRRORED_AT_KEY = "auth:revocations-mirrored-at"
MIRRORING_LOCK_KEY = "auth:revocations-mirroring"
MIRROR_BATCH = 1000


def _revoked_family_key(family_id: str) -> str:
    return f"auth:revoked-family:{family_id}"


def _roles_cache_key(user_id: int) -> str:
    return f"auth:roles:{user_id}"


def _roles_generation_key(user_id: int) -> str:
    """A counter moved by every role change: a cached role set names the generation it was read in."""
    return f"auth:roles-generation:{user_id}"


def _retry_pair_key(jti: str) -> str:
    return f"auth:refresh-retry:{jti}"


def issue_tokens(user: User, family_id: str, *, fresh: bool = False) -> dict:
    """A new access and refresh pair in `family_id` (added to the caller's unit of work)."""
    refresh_jti = str(uuid.uuid4())
    claims = {"fam": family_id}
    # Only a password login makes a fresh token; sensitive actions (unlocking a card) demand one.
    access = create_access_token(identity=str(user.id), additional_claims=claims, fresh=fresh)
    refresh_token = create_refresh_token(identity=str(user.id), additional_claims={**claims, "jti": refresh_jti})
    db.session.add(
        RefreshToken(
            jti=refresh_jti,
            family_id=family_id,
            user_id=user.id,
            expires_at=utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
        )
    )
    return {
        "access_token": access,
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    }


def start_session(user: User) -> dict:
    """A fresh pair in a new family, for a password just proven (login, password change)."""
    return issue_tokens(user, family_id=str(uuid.uuid4()), fresh=True)


def refresh(*, user_id: int, jti: str, family_id: str) -> dict:
    """Use a refresh token once for a new pair.

    A retry within the grace window (a phone that lost the answer, two tabs at once) gets the pair
    the first call got; presenting a used token after the window revokes its whole family.
    """
    now = utcnow()
    used = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.jti == jti, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if used:
        tokens = issue_tokens(db.session.get(User, user_id), family_id=family_id)
        # Stored before the commit: a concurrent retry waits on the row lock, then finds the pair here.
        _remember_for_retries(jti, tokens)
        db.session.commit()
        return tokens
    token = db.session.get(RefreshToken, jti)
    if token is None or token.revoked_at is not None:
        raise Unauthenticated(Message("auth.refresh_token_revoked"), slug="token-revoked")
    if now - token.used_at <= timedelta(seconds=current_app.config["REFRESH_GRACE_SECONDS"]):
        return _pair_for_retry(token)
    revoke_families([family_id], now=now)
    audit.record("refresh_reuse", actor_id=user_id, subject=f"family:{family_id}")
    db.session.commit()
    raise Unauthenticated(Message("auth.refresh_token_revoked"), slug="token-revoked")


def _remember_for_retries(jti: str, tokens: dict) -> None:
    """Keep the pair, encrypted and only for the grace window, for retries of the same refresh."""
    key_id, blob = secret_box().encrypt(json.dumps(tokens).encode(), associated=jti.encode())
    try:
        get_redis().set(
            _retry_pair_key(jti),
            f"{key_id}:{base64.b64encode(blob).decode()}",
            ex=current_app.config["REFRESH_GRACE_SECONDS"],
        )
    except redis.exceptions.RedisError:
        log.warning("redis unavailable: a retried refresh will get another pair of the same family")


def _pair_for_retry(token: RefreshToken) -> dict:
    try:
        stored = get_redis().get(_retry_pair_key(token.jti))
    except redis.exceptions.RedisError:
        stored = None
    if stored is not None:
        key_id, _, encoded = stored.partition(":")
        return json.loads(secret_box().decrypt(key_id, base64.b64decode(encoded), associated=token.jti.encode()))
    # The pair is gone (Redis was down or lost it): inside the window the retry is still the same
    # client, so it gets another pair of the family rather than a logout.
    tokens = issue_tokens(db.session.get(User, token.user_id), family_id=token.family_id)
    db.session.commit()
    return tokens


def logout(*, user_id: int, family_id: str) -> None:
    """End the session: every token of its family stops working everywhere."""
    revoke_families([family_id], now=utcnow())
    audit.record("logout", actor_id=user_id, subject=f"family:{family_id}")
    db.session.commit()


def logout_everywhere(*, user_id: int) -> None:
    """End every session of the account, on every device."""
    revoked = revoke_all_sessions(user_id=user_id)
    audit.record("logout_all", actor_id=user_id, subject=f"user:{user_id}", sessions=revoked)
    db.session.commit()


def revoke_all_sessions(*, user_id: int) -> int:
    """Revoke every live family of the account (in the caller's unit of work); how many there were."""
    now = utcnow()
    families = db.session.scalars(
        select(RefreshToken.family_id)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now)
        .distinct()
    ).all()
    revoke_families(families, now=now)
    return len(families)


def revoke_families(family_ids, *, now: datetime) -> None:
    """Mark families revoked in the database and in Redis (in the caller's unit of work)."""
    if not family_ids:
        return
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id.in_(family_ids), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    try:
        _mark_revoked_in_redis(get_redis(), family_ids)
    except redis.exceptions.RedisError:
        log.warning("redis unavailable: revocation kept in the database; Redis is refilled when it returns")
        _note_redis_write_failure()


def _mark_revoked_in_redis(client: redis.Redis, family_ids) -> None:
    # Access tokens of the family live at most this long; the Redis mark only has to outlive them.
    lifetime = int(current_app.config["JWT_REFRESH_TOKEN_EXPIRES"].total_seconds())
    with client.pipeline(transaction=False) as pipe:
        for family_id in family_ids:
            pipe.set(_revoked_family_key(family_id), "1", ex=lifetime)
        pipe.execute()


def forget_cached_roles(user_id: int) -> None:
    """Make the cached role set stale: move the user's roles generation on (and drop the set). A request that
    read the old roles from the database before the change and caches them after it writes them under the old
    generation, which no check believes. When Redis is unreachable, note it (in the caller's unit of work) so
    the cache is cleared when Redis returns."""
    try:
        with get_redis().pipeline(transaction=True) as pipe:
            # It outlives every role set cached under an older generation, so it never restarts below one.
            pipe.incr(_roles_generation_key(user_id))
            pipe.expire(_roles_generation_key(user_id), 2 * ROLES_CACHE_SECONDS)
            pipe.delete(_roles_cache_key(user_id))
            pipe.execute()
    except redis.exceptions.RedisError:
        log.warning("redis unavailable: role change kept in the database; Redis is refilled when it returns")
        _note_redis_write_failure()


def _note_redis_write_failure() -> None:
    """Record (in the caller's unit of work) that Redis missed a write. Only the newest record is ever
    compared with the mirror's age, so the older ones go: the table holds one row, not one per outage."""
    db.session.execute(delete(RedisWriteFailure))
    db.session.add(RedisWriteFailure())


def check_session(payload: dict) -> frozenset[str]:
    """The roles of a verified token's account, after checking the token is not revoked.

    One Redis round trip answers both (revocation mark and cached roles) while Redis is known to mirror
    the database; otherwise (Redis down, emptied, or behind) the database answers.
    """
    user_id, family_id = int(payload["sub"]), payload.get("fam")
    try:
        family_revoked, cached_roles, generation, mirrored_at = get_redis().mget(
            [
                _revoked_family_key(family_id or ""),
                _roles_cache_key(user_id),
                _roles_generation_key(user_id),
                MIRRORED_AT_KEY,
            ]
        )
    except redis.exceptions.RedisError:
        log.warning("redis unavailable: session checked in the database")
        return _check_in_database(user_id, family_id)
    if mirrored_at is None or _mirror_behind(float(mirrored_at)):
        roles = _check_in_database(user_id, family_id)
        try:
            refill_mirror()
        except redis.exceptions.RedisError:
            log.warning("redis unavailable while refilling revocations; the next request tries again")
        return roles
    if family_revoked:
        raise _revoked()
    generation = generation or "0"
    cached_generation, _, cached = (cached_roles or "").partition("/")
    if cached_roles is not None and cached_generation == generation:
        return frozenset(filter(None, cached.split(",")))
    roles = _roles_in_database(user_id)
    get_redis().set(_roles_cache_key(user_id), f"{generation}/{','.join(sorted(roles))}", ex=ROLES_CACHE_SECONDS)
    return roles


def _check_in_database(user_id: int, family_id: str | None) -> frozenset[str]:
    if family_id is None:
        raise _revoked()  # every token we issue has a family; refuse what cannot be checked
    revoked = select(RefreshToken.jti).where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_not(None))
    if db.session.scalar(revoked.limit(1)) is not None:
        raise _revoked()
    return _roles_in_database(user_id)


def _mirror_behind(mirrored_at: float) -> bool:
    """Whether a write missed Redis after it was last filled; asked of the database once per period."""
    state = current_app.extensions.setdefault("revocation_sync", {"checked": float("-inf")})
    if time.monotonic() - state["checked"] < current_app.config["REVOCATION_SYNC_SECONDS"]:
        return False
    state["checked"] = time.monotonic()
    last_failure = db.session.scalar(select(func.max(RedisWriteFailure.at)))
    return last_failure is not None and last_failure.timestamp() >= mirrored_at


def refill_mirror() -> None:
    """Copy every revocation that still matters into Redis and drop cached roles; one process at a time."""
    client = get_redis()
    if not client.set(MIRRORING_LOCK_KEY, "1", nx=True, ex=60):
        return  # another process is refilling; until it is done, checks go to the database
    started = time.time()
    lifetime = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    families = db.session.scalars(
        select(RefreshToken.family_id).where(RefreshToken.revoked_at > utcnow() - lifetime).distinct()
    ).all()
    for start in range(0, len(families), MIRROR_BATCH):
        _mark_revoked_in_redis(client, families[start : start + MIRROR_BATCH])
    # Roles changed while Redis was unreachable may still be cached; the cache refills from the database.
    for keys in _batches(client.scan_iter(match=_roles_cache_key("*"), count=MIRROR_BATCH)):
        client.unlink(*keys)
    client.set(MIRRORED_AT_KEY, repr(started))
    client.delete(MIRRORING_LOCK_KEY)
    log.info("revocations mirrored into redis: %d families", len(families))


def _batches(keys):
    batch = []
    for key in keys:
        batch.append(key)
        if len(batch) == MIRROR_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _revoked() -> Unauthenticated:
    return Unauthenticated(Message("auth.token_revoked"), slug="token-revoked", headers={"WWW-Authenticate": "Bearer"})


def _roles_in_database(user_id: int) -> frozenset[str]:
    return frozenset(db.session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))
