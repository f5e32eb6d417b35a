"""Account rules: registration, login, token rotation with reuse detection, logout, roles."""

import logging
import uuid
from datetime import date, datetime

import redis
from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core import audit
from core.accounts.models import ROLES, RefreshToken, User, UserRole
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from core.ratelimits import Limit, account_subject
from core.redis import get_redis
from core.security import hash_password, verify_password

MIN_PASSWORD_LENGTH = 10
log = logging.getLogger(__name__)


def _revoked_family_key(family_id: str) -> str:
    return f"auth:revoked-family:{family_id}"


def _revoked_token_key(jti: str) -> str:
    return f"auth:revoked-jti:{jti}"


def check_password_policy(*, password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            slug="weak-password",
            errors={"password": ["too short"]},
        )
    if password.strip().lower() == email.strip().lower():
        raise InvalidInput(
            "The password must not be the email address.",
            slug="weak-password",
            errors={"password": ["same as the email address"]},
        )


def register(
    *, email: str, password: str, name: str, birth_date: date, district: str, roles: tuple[str, ...] = ("citizen",)
) -> User:
    """Create an account; an address already registered (in any letter case) is a conflict."""
    email = email.strip().lower()
    check_password_policy(password=password, email=email)
    user = User(
        email=email, password_hash=hash_password(password), name=name.strip(), birth_date=birth_date, district=district
    )
    user.roles = [UserRole(role=role) for role in roles]
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("An account with this email address already exists.", slug="email-taken") from None
    audit.record("register", actor_id=user.id, subject=f"user:{user.id}")
    db.session.commit()
    return user


def _issue_tokens(user: User, family_id: str, *, fresh: bool = False) -> dict:
    refresh_jti = str(uuid.uuid4())
    claims = {"fam": family_id}
    # Only a password login makes a fresh token; sensitive actions (unlocking a card) demand one.
    access = create_access_token(identity=str(user.id), additional_claims=claims, fresh=fresh)
    refresh = create_refresh_token(identity=str(user.id), additional_claims={**claims, "jti": refresh_jti})
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
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    }


def _login_limits() -> tuple[Limit, Limit]:
    config = current_app.config
    per_address = Limit(
        "login-address",
        config["LOGIN_LIMIT_PER_ADDRESS"],
        config["LOGIN_ADDRESS_WINDOW_SECONDS"],
        "Too many login attempts from this address; retry later.",
    )
    failures_per_account = Limit(
        "login-account",
        config["LOGIN_FAILURES_PER_ACCOUNT"],
        config["LOGIN_FAILURE_WINDOW_SECONDS"],
        "Too many failed logins for this account; retry later.",
    )
    return per_address, failures_per_account


def login(*, email: str, password: str, client_address: str | None) -> dict:
    """Check the credentials and start a new token family.

    Every attempt counts against the client address; only failures count against the account, and
    once it has too many even the right password waits for the window to pass.
    """
    email = email.strip().lower()
    per_address, failures_per_account = _login_limits()
    per_address.hit(client_address or "unknown")
    account = account_subject(email)
    failures_per_account.check(account)
    user = db.session.scalar(select(User).where(User.email == email))
    if not verify_password(user.password_hash if user else None, password):
        failures_per_account.count_one(account)
        audit.record("login_failed", actor_id=user.id if user else None, subject=f"email:{email}")
        db.session.commit()
        raise Unauthenticated("The email address or the password is wrong.", slug="invalid-credentials")
    tokens = _issue_tokens(user, family_id=str(uuid.uuid4()), fresh=True)
    audit.record("login", actor_id=user.id, subject=f"user:{user.id}")
    db.session.commit()
    return tokens


def refresh(*, user_id: int, jti: str, family_id: str) -> dict:
    """Use a refresh token once for a new pair; presenting a used one revokes its whole family."""
    now = utcnow()
    used = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.jti == jti, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if not used:
        token = db.session.get(RefreshToken, jti)
        if token is not None and token.used_at is not None:
            _revoke_family(family_id, now=now)
            audit.record("refresh_reuse", actor_id=user_id, subject=f"family:{family_id}")
            db.session.commit()
        raise Unauthenticated("This refresh token is no longer valid; log in again.", slug="token-revoked")
    user = db.session.get(User, user_id)
    tokens = _issue_tokens(user, family_id=family_id)
    db.session.commit()
    return tokens


def logout(*, user_id: int, jti: str, family_id: str, expires_at: datetime) -> None:
    """End the session: this access token and every token of its family stop working everywhere."""
    now = utcnow()
    ttl = max(1, int((expires_at - now).total_seconds()))
    get_redis().set(_revoked_token_key(jti), "1", ex=ttl)
    _revoke_family(family_id, now=now)
    audit.record("logout", actor_id=user_id, subject=f"family:{family_id}")
    db.session.commit()


def _revoke_family(family_id: str, *, now: datetime) -> None:
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    # Access tokens of the family live at most this long; the Redis mark only has to outlive them.
    lifetime = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    get_redis().set(_revoked_family_key(family_id), "1", ex=int(lifetime.total_seconds()))


def _roles_cache_key(user_id: int) -> str:
    return f"auth:roles:{user_id}"


ROLES_CACHE_SECONDS = 3600


def check_session(payload: dict) -> frozenset[str]:
    """The roles of a verified token's account, after checking the token is not revoked.

    One Redis round trip answers both (revocation marks and the cached roles). Redis only mirrors the
    database: revocations are recorded per family (logout revokes the family), so when Redis is down
    the database answers instead and signed-in riders are not locked out.
    """
    user_id = int(payload["sub"])
    keys = [_revoked_token_key(payload["jti"]), _revoked_family_key(payload.get("fam", "")), _roles_cache_key(user_id)]
    try:
        token_revoked, family_revoked, cached_roles = get_redis().mget(keys)
    except redis.exceptions.RedisError:
        log.warning("redis unavailable: session checked in the database")
        if _family_revoked_in_database(payload.get("fam")):
            raise _revoked() from None
        return _roles_in_database(user_id)
    if token_revoked or family_revoked:
        raise _revoked()
    if cached_roles is not None:
        return frozenset(filter(None, cached_roles.split(",")))
    roles = _roles_in_database(user_id)
    get_redis().set(_roles_cache_key(user_id), ",".join(sorted(roles)), ex=ROLES_CACHE_SECONDS)
    return roles


def _revoked() -> Unauthenticated:
    return Unauthenticated("The token has been revoked.", slug="token-revoked", headers={"WWW-Authenticate": "Bearer"})


def _roles_in_database(user_id: int) -> frozenset[str]:
    return frozenset(db.session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))


def _family_revoked_in_database(family_id: str | None) -> bool:
    if family_id is None:
        return True  # every token we issue has a family; refuse what cannot be checked
    revoked = select(RefreshToken.jti).where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_not(None))
    return db.session.scalar(revoked.limit(1)) is not None


def _commit_role_change(user: User) -> None:
    """Commit a role change and drop the cached roles, before and after, so no reader keeps old ones."""
    get_redis().delete(_roles_cache_key(user.id))
    db.session.commit()
    get_redis().delete(_roles_cache_key(user.id))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.", slug="user-not-found")
    return user


def find_user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No account with the email address {email}.", slug="user-not-found")
    return user


def grant_role(*, user: User, role: str, actor_id: int | None = None) -> User:
    """Give an account a role (idempotent)."""
    _check_role(role)
    if not user.has_role(role):
        user.roles.append(UserRole(role=role))
        audit.record("role_granted", actor_id=actor_id, subject=f"user:{user.id}", role=role)
    _commit_role_change(user)
    return user


def revoke_role(*, user: User, role: str, actor_id: int) -> User:
    """Take a role away (idempotent); an administrator cannot drop their own admin role."""
    _check_role(role)
    if role == "admin" and user.id == actor_id:
        raise Conflict("Administrators cannot remove their own admin role.", slug="own-admin-role")
    remaining = [r for r in user.roles if r.role != role]
    if len(remaining) != len(user.roles):
        user.roles = remaining
        audit.record("role_revoked", actor_id=actor_id, subject=f"user:{user.id}", role=role)
    _commit_role_change(user)
    return user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.", slug="unknown-role")
