"""Password change and password reset by a one-time token sent by mail; both end every other session."""

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from core import audit, mail
from core.accounts import sessions
from core.accounts.models import PasswordResetToken, User
from core.accounts.services import check_password_policy
from core.accounts.throttle import LoginThrottle, login_audit_subject
from core.db import db, utcnow
from core.errors import InvalidInput, TooManyRequests
from core.problems import Message
from core.ratelimits import Limit, account_subject
from core.security import hash_password, verify_password

log = logging.getLogger(__name__)


def change_password(*, user_id: int, current_password: str, new_password: str, client_address: str | None) -> dict:
    """Set a new password after proving the current one; every session ends and a fresh pair is returned.

    Wrong current passwords are throttled like logins, so a stolen access token cannot guess the password.
    """
    user = db.session.get(User, user_id)
    address = client_address or "unknown"
    throttle = LoginThrottle.from_config()
    throttle.check(email=user.email, address=address)
    if not verify_password(user.password_hash, current_password):
        audit.record(
            audit.LOGIN_FAILED, actor_id=user.id, subject=login_audit_subject(user.email), during="password_change"
        )
        db.session.commit()
        throttle.failed(email=user.email, address=address)
        raise InvalidInput(
            Message("accounts.wrong_password"),
            slug="wrong-password",
            errors={"current_password": [Message("accounts.wrong_password_field")]},
        )
    check_password_policy(password=new_password, email=user.email)
    user.password_hash = hash_password(new_password)
    ended = sessions.revoke_all_sessions(user_id=user.id)
    tokens = sessions.start_session(user)
    audit.record("password_changed", actor_id=user.id, subject=f"user:{user.id}", sessions_ended=ended)
    db.session.commit()
    return tokens


def _token_hash(token: str) -> str:
    # The token is 256 random bits, so a plain SHA-256 is enough to make the stored value useless.
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(*, email: str, client_address: str | None) -> None:
    """Mail a one-time reset token to the account, if there is one; the caller cannot tell either way.

    Each client address may ask only so many times per hour (429). Each account gets only so many mails
    per hour; requests beyond that are answered the same but send nothing, so nobody is mail-bombed.
    """
    config = current_app.config
    Limit(
        "reset-address",
        config["PASSWORD_RESETS_PER_ADDRESS"],
        3600,
        Message("limits.reset_address"),
    ).hit(client_address or "unknown")
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    audit.record("password_reset_requested", actor_id=user.id if user else None, subject=login_audit_subject(email))
    if user is None or not _account_may_get_mail(email):
        db.session.commit()
        return
    now = utcnow()
    token = secrets.token_urlsafe(32)
    # A new token replaces any earlier one still waiting.
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    minutes = config["PASSWORD_RESET_TOKEN_MINUTES"]
    db.session.add(
        PasswordResetToken(user_id=user.id, token_hash=_token_hash(token), expires_at=now + timedelta(minutes=minutes))
    )
    db.session.commit()
    mail.send(
        to=user.email,
        subject="Reset your password",
        body=(
            f"Someone asked to reset the password of your account {user.email}.\n\n"
            f"Reset token (valid for {minutes} minutes, once): {token}\n\n"
            "If it was not you, ignore this mail; your password stays as it is."
        ),
    )


def _account_may_get_mail(email: str) -> bool:
    limit = Limit("reset-account", current_app.config["PASSWORD_RESETS_PER_ACCOUNT"], 3600, "")
    try:
        limit.hit(account_subject(email))
    except TooManyRequests:
        log.info("password reset mail withheld: account over its hourly limit")
        return False
    return True


def reset_password(*, token: str, new_password: str) -> None:
    """Set a new password with a reset token (once, before it expires); every session of the account ends."""
    now = utcnow()
    user_id = db.session.scalar(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == _token_hash(token),
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(PasswordResetToken.user_id)
    )
    if user_id is None:
        raise InvalidInput(
            Message("accounts.reset_token_invalid"),
            slug="reset-token-invalid",
            errors={"token": [Message("accounts.reset_token_invalid_field")]},
        )
    user = db.session.get(User, user_id)
    check_password_policy(password=new_password, email=user.email)
    user.password_hash = hash_password(new_password)
    ended = sessions.revoke_all_sessions(user_id=user.id)
    audit.record("password_reset", actor_id=user.id, subject=f"user:{user.id}", sessions_ended=ended)
    db.session.commit()
