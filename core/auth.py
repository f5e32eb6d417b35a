"""Authentication and authorisation: JWT wiring, the current user and role checks.

Deny by default: a view is public only when it carries no `auth_required`. Object ownership is
checked in the services that load the object (a citizen only ever gets their own rows).
"""

from datetime import UTC, datetime
from functools import wraps

from flask import Flask, g
from flask_jwt_extended import decode_token
from flask_jwt_extended.internal_utils import verify_token_type
from flask_jwt_extended.view_decorators import _decode_jwt_from_headers, _verify_token_is_fresh
from werkzeug.local import LocalProxy

from core.db import db
from core.errors import Forbidden, Unauthenticated, problem
from core.extensions import jwt
from core.problems import Message

BEARER_SECURITY = [{"bearerAuth": []}]


class Principal:
    """The signed-in account: id and roles come with the token check; the full row only when asked for.

    Most requests need only the id, so the users row is read lazily on first use of another attribute.
    """

    def __init__(self, user_id: int, roles: frozenset[str]):
        self.id = user_id
        self.roles = roles
        self._user = None

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def role_names(self) -> list[str]:
        return sorted(self.roles)

    def __getattr__(self, name: str):
        if self._user is None:
            from core.accounts.models import User

            self._user = db.session.get(User, self.id)
            if self._user is None:
                raise Unauthenticated(Message("auth.user_gone"), slug="user-gone")
        return getattr(self._user, name)


current_user: Principal = LocalProxy(lambda: g.principal)  # type: ignore[assignment]


def authenticate(*, refresh: bool = False, fresh: bool = False) -> Principal:
    """Verify the request's bearer token (signature, expiry, type, freshness, revocation) and remember who it names.

    flask-jwt-extended's `verify_jwt_in_request` loads every token twice: verified, then again unverified
    for its header (PyJWT checks each base64 character: ~30-60 us a request). Here the token is read from
    the Authorization header and checked with the library's own pieces (4.7.4, pinned), loaded once. The
    header is needed only by blocklist and claims-verification callbacks, which this app does not register:
    revocation is `check_session`'s.
    """
    from core.accounts.sessions import check_session

    encoded_token, _ = _decode_jwt_from_headers()
    claims = decode_token(encoded_token)
    verify_token_type(claims, refresh)
    if fresh:
        _verify_token_is_fresh({}, claims)
    g.token_claims = claims
    g.principal = Principal(int(claims["sub"]), check_session(claims))
    return g.principal


def auth_required(*roles: str, refresh: bool = False, fresh: bool = False):
    """Require a valid, unrevoked token and, when roles are given, one of them.

    `fresh` demands an access token from a password login, not from a refresh: for actions a thief
    holding a stolen session must not take.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = authenticate(refresh=refresh, fresh=fresh)
            if roles and not any(principal.has_role(role) for role in roles):
                raise Forbidden(Message("auth.role_required", roles=" or ".join(roles)), slug="role-required")
            return view(*args, **kwargs)

        # Copies of just the parts written below, so the inner view's doc is left as it was (a deep copy
        # of every view's doc cost ~30 ms of each app build; flask-smorest deep-copies what it stores).
        apidoc = wrapper._apidoc = dict(getattr(view, "_apidoc", {}))
        manual_doc = apidoc["manual_doc"] = dict(apidoc.get("manual_doc", {}))
        manual_doc["security"] = BEARER_SECURITY
        # Who may call, stated in the document (the permission matrix test is generated from it).
        if roles:
            manual_doc["x-roles"] = list(roles)
        if refresh:
            manual_doc["x-token"] = "refresh"
        response = apidoc["response"] = dict(apidoc.get("response", {}))
        responses = response["responses"] = dict(response.get("responses", {}))
        responses[401] = [*responses.get(401, []), "UNAUTHORIZED"]
        if roles:
            responses[403] = [*responses.get(403, []), "FORBIDDEN"]
        return wrapper

    return decorator


def current_token() -> dict:
    """The verified token's claims plus its expiry as a datetime."""
    claims = dict(g.token_claims)
    claims["expires_at"] = datetime.fromtimestamp(claims["exp"], UTC)
    return claims


def init_app(app: Flask) -> None:
    """Problem+json answers for the JWT library's own failures."""

    def unauthorized(detail: Message, slug: str):
        return problem(401, detail, slug=slug, headers={"WWW-Authenticate": "Bearer"})

    jwt.unauthorized_loader(lambda reason: unauthorized(Message("auth.token_missing"), "token-missing"))
    jwt.invalid_token_loader(lambda reason: unauthorized(Message("auth.token_invalid"), "token-invalid"))
    jwt.expired_token_loader(lambda h, p: unauthorized(Message("auth.token_expired"), "token-expired"))
    jwt.needs_fresh_token_loader(
        lambda h, p: unauthorized(Message("auth.fresh_token_required"), "fresh-token-required")
    )
