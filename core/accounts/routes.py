"""Account endpoints: register, login, refresh, logout, passwords, me, roles."""

from flask import request
from flask_smorest import Blueprint

from core.accounts import passwords, services, sessions
from core.accounts.schemas import (
    LoginSchema,
    PasswordChangeSchema,
    PasswordResetAcceptedSchema,
    PasswordResetRequestSchema,
    PasswordResetSchema,
    RegisterSchema,
    RoleSchema,
    TokenPairSchema,
    UserSchema,
)
from core.auth import auth_required, current_token, current_user
from core.problems import Message, localise

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts and sessions")


@blp.post("/auth/register")
@blp.arguments(RegisterSchema())
@blp.response(201, UserSchema)
@blp.alt_response(409, response="CONFLICT")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def register(data):
    """Create a citizen account."""
    return services.register(**data, client_address=request.remote_addr)


@blp.post("/auth/login")
@blp.arguments(LoginSchema())
@blp.response(200, TokenPairSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def login(data):
    """Log in with email and password; returns an access and a refresh token."""
    return services.login(**data, client_address=request.remote_addr)


@blp.post("/auth/refresh")
@auth_required(refresh=True)
@blp.response(200, TokenPairSchema)
def refresh():
    """Trade a refresh token for a new pair (a retry within seconds gets the same pair)."""
    token = current_token()
    return sessions.refresh(user_id=int(token["sub"]), jti=token["jti"], family_id=token["fam"])


@blp.post("/auth/logout")
@auth_required()
@blp.response(204)
def logout():
    """End this session: its access and refresh tokens stop working on every instance."""
    sessions.logout(user_id=current_user.id, family_id=current_token()["fam"])


@blp.post("/auth/logout-all")
@auth_required()
@blp.response(204)
def logout_everywhere():
    """End every session of this account, on every device."""
    sessions.logout_everywhere(user_id=current_user.id)


@blp.post("/auth/password")
@auth_required()
@blp.arguments(PasswordChangeSchema())
@blp.response(200, TokenPairSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def change_password(data):
    """Change the password (the current one is required); every session ends and a fresh pair is returned."""
    return passwords.change_password(user_id=current_user.id, **data, client_address=request.remote_addr)


@blp.post("/auth/password-reset")
@blp.arguments(PasswordResetRequestSchema())
@blp.response(202, PasswordResetAcceptedSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def request_password_reset(data):
    """Mail a one-time reset token to the address, if it has an account (the answer is the same either way)."""
    passwords.request_password_reset(**data, client_address=request.remote_addr)
    return {"detail": localise(Message("accounts.reset_mailed"))}


@blp.post("/auth/password-reset/confirm")
@blp.arguments(PasswordResetSchema())
@blp.response(204)
def reset_password(data):
    """Set a new password with the mailed token; every session of the account ends."""
    passwords.reset_password(**data)


@blp.get("/me")
@auth_required()
@blp.response(200, UserSchema)
def me():
    """The logged-in account."""
    return current_user


@blp.post("/admin/users/<int:user_id>/roles")
@auth_required("admin")
@blp.arguments(RoleSchema())
@blp.response(200, UserSchema)
@blp.alt_response(404, response="NOT_FOUND")
def grant_role(data, user_id):
    """Give an account a role."""
    return services.grant_role(user=services.get_user(user_id), role=data["role"], actor_id=current_user.id)


@blp.delete("/admin/users/<int:user_id>/roles/<string:role>")
@auth_required("admin")
@blp.response(200, UserSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(409, response="CONFLICT")
def revoke_role(user_id, role):
    """Take a role away from an account."""
    return services.revoke_role(user=services.get_user(user_id), role=role, actor_id=current_user.id)
