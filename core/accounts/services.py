"""Account rules: registration, login, roles. Sessions and tokens are in `sessions`, passwords in `passwords`."""

from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.accounts import sessions
from core.accounts.models import ROLES, User, UserRole
from core.accounts.throttle import LoginThrottle, login_audit_subject
from core.db import db
from core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from core.problems import Message
from core.ratelimits import Limit
from core.security import hash_password, verify_password

MIN_PASSWORD_LENGTH = 10


def _registration_limit() -> Limit:
    config = current_app.config
    return Limit(
        "register-address",
        config["REGISTRATIONS_PER_ADDRESS"],
        config["REGISTRATION_WINDOW_SECONDS"],
        Message("limits.register_address"),
    )


def check_password_policy(*, password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            Message("accounts.password_too_short", length=MIN_PASSWORD_LENGTH),
            slug="weak-password",
            errors={"password": [Message("accounts.password_too_short_field")]},
        )
    if password.strip().lower() == email.strip().lower():
        raise InvalidInput(
            Message("accounts.password_is_email"),
            slug="weak-password",
            errors={"password": [Message("accounts.password_is_email_field")]},
        )


def register(
    *,
    email: str,
    password: str,
    name: str,
    birth_date: date,
    district: str,
    roles: tuple[str, ...] = ("citizen",),
    client_address: str | None = None,
) -> User:
    """Create an account; an address already registered (in any letter case) is a conflict.

    Sign-ups through the API give their client address, which may register only so many per window.
    """
    if client_address is not None:
        _registration_limit().hit(client_address)
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
        raise Conflict(Message("accounts.email_taken"), slug="email-taken") from None
    audit.record("register", actor_id=user.id, subject=f"user:{user.id}")
    db.session.commit()
    return user


def login(*, email: str, password: str, client_address: str | None) -> dict:
    """Check the credentials and start a new token family, throttled per account and address (see throttle)."""
    email = email.strip().lower()
    address = client_address or "unknown"
    throttle = LoginThrottle.from_config()
    throttle.check(email=email, address=address)
    user = db.session.scalar(select(User).where(User.email == email))
    if not verify_password(user.password_hash if user else None, password):
        audit.record(audit.LOGIN_FAILED, actor_id=user.id if user else None, subject=login_audit_subject(email))
        db.session.commit()
        throttle.failed(email=email, address=address)
        raise Unauthenticated(Message("accounts.invalid_credentials"), slug="invalid-credentials")
    tokens = sessions.start_session(user)
    audit.record("login", actor_id=user.id, subject=f"user:{user.id}")
    db.session.commit()
    throttle.succeeded(email=email, address=address)
    return tokens


def _commit_role_change(user: User) -> None:
    """Commit a role change and drop the cached roles, before and after, so no reader keeps old ones.

    The second commit only persists a note that Redis was unreachable, if it was.
    """
    sessions.forget_cached_roles(user.id)
    db.session.commit()
    sessions.forget_cached_roles(user.id)
    db.session.commit()


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(Message("accounts.user_not_found", user=user_id), slug="user-not-found")
    return user


def find_user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(Message("accounts.email_not_found", email=email), slug="user-not-found")
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
        raise Conflict(Message("accounts.own_admin_role"), slug="own-admin-role")
    remaining = [r for r in user.roles if r.role != role]
    if len(remaining) != len(user.roles):
        user.roles = remaining
        audit.record("role_revoked", actor_id=actor_id, subject=f"user:{user.id}", role=role)
    _commit_role_change(user)
    return user


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(Message("accounts.unknown_role", role=role, roles=", ".join(ROLES)), slug="unknown-role")
