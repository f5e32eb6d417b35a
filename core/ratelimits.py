"""Rate-limit keys that need the request body (the login limit counts per account)."""

import hashlib

from flask import request


def login_account_key() -> str:
    """The account a login attempt targets, hashed so addresses do not sit in Redis in clear."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    normalised = str(email or "").strip().lower()
    return "login-account:" + hashlib.sha256(normalised.encode()).hexdigest()[:32]
