"""Authentication and authorisation: JWT wiring, the current user and role checks.

Deny by default: a view is public only when it carries no `auth_required`. Object ownership is
checked in the services that load the object (a citizen only ever gets their own rows).
"""

from copy import deepcopy
from datetime import UTC, datetime
from functools import wraps

from flask import Flask
from flask_jwt_extended import current_user, get_jwt, verify_jwt_in_request

from core.errors import Forbidden, problem
from core.extensions import jwt

BEARER_SECURITY = [{"bearerAuth": []}]


def auth_required(*roles: str, refresh: bool = False, fresh: bool = False):
    """Require a valid, unrevoked token and, when roles are given, one of them.

    `fresh` demands an access token from a password login, not from a refresh: for actions a thief
    holding a stolen session must not take.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request(refresh=refresh, fresh=fresh)
            if roles and not any(current_user.has_role(role) for role in roles):
                raise Forbidden(f"This needs the role {' or '.join(roles)}.", slug="role-required")
            return view(*args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        wrapper._apidoc.setdefault("manual_doc", {})["security"] = BEARER_SECURITY
        responses = wrapper._apidoc.setdefault("response", {}).setdefault("responses", {})
        responses.setdefault(401, []).append("UNAUTHORIZED")
        if roles:
            responses.setdefault(403, []).append("FORBIDDEN")
        return wrapper

    return decorator


def current_token() -> dict:
    """The verified token's claims plus its expiry as a datetime."""
    claims = dict(get_jwt())
    claims["expires_at"] = datetime.fromtimestamp(claims["exp"], UTC)
    return claims


def init_app(app: Flask) -> None:
    from core.accounts import services as accounts
    from core.accounts.models import User
    from core.db import db

    @jwt.user_lookup_loader
    def _load_user(_header, payload):
        return db.session.get(User, int(payload["sub"]))

    @jwt.token_in_blocklist_loader
    def _revoked(_header, payload):
        return accounts.is_token_revoked(payload)

    def unauthorized(detail: str, slug: str):
        return problem(401, "Unauthorized", detail, slug=slug, headers={"WWW-Authenticate": "Bearer"})

    jwt.unauthorized_loader(lambda reason: unauthorized("A bearer token is required.", "token-missing"))
    jwt.invalid_token_loader(
        lambda reason: unauthorized("The token is malformed or of the wrong kind.", "token-invalid")
    )
    jwt.expired_token_loader(lambda h, p: unauthorized("The token has expired.", "token-expired"))
    jwt.revoked_token_loader(lambda h, p: unauthorized("The token has been revoked.", "token-revoked"))
    jwt.user_lookup_error_loader(lambda h, p: unauthorized("The account no longer exists.", "user-gone"))
    jwt.needs_fresh_token_loader(lambda h, p: unauthorized("A fresh login is required.", "fresh-token-required"))
