"""Password hashing (argon2id), encryption of stored secrets (AES-GCM with rotating key ids), bearer token decoding."""

import base64
import contextlib
import os
import secrets

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config as jwt_config
from flask_jwt_extended.tokens import _decode_jwt


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(time_cost=config["PASSWORD_HASH_TIME_COST"], memory_cost=config["PASSWORD_HASH_MEMORY_KIB"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, verify against a dummy one so unknown accounts take as long."""
    hasher = _hasher()
    if password_hash is None:
        with contextlib.suppress(VerificationError):
            hasher.verify(_dummy_hash(hasher), password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash with this app's parameters, made once: hashing on every call doubled an unknown account's time."""
    dummy = current_app.extensions.get("dummy_password_hash")
    if dummy is None:
        dummy = current_app.extensions["dummy_password_hash"] = hasher.hash(secrets.token_urlsafe(16))
    return dummy


class SecretBox:
    """AES-256-GCM with a keyring: the first key encrypts, every key decrypts (for rotation).

    Stored form: `(key_id, nonce || ciphertext)`; `associated` binds a ciphertext to its row so a
    secret copied onto another row fails to decrypt.
    """

    def __init__(self, keyring_spec: str):
        self._keys: dict[str, AESGCM] = {}
        for entry in keyring_spec.split(","):
            key_id, _, encoded = entry.strip().partition(":")
            key = base64.b64decode(encoded)
            if not key_id or len(key) != 32:
                raise ValueError("SECRET_ENCRYPTION_KEYS entries must be 'kid:base64(32 bytes)'")
            self._keys[key_id] = AESGCM(key)
        self.active_key_id = keyring_spec.split(",")[0].split(":")[0].strip()

    def encrypt(self, plaintext: bytes, *, associated: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(12)
        return self.active_key_id, nonce + self._keys[self.active_key_id].encrypt(nonce, plaintext, associated)

    def decrypt(self, key_id: str, blob: bytes, *, associated: bytes) -> bytes:
        return self._keys[key_id].decrypt(blob[:12], blob[12:], associated)


def secret_box() -> SecretBox:
    box = current_app.extensions.get("secret_box")
    if box is None:
        box = current_app.extensions["secret_box"] = SecretBox(current_app.config["SECRET_ENCRYPTION_KEYS"])
    return box


class SingleDecodeJWTManager(JWTManager):
    """Decodes a token once. flask-jwt-extended (4.7.4, pinned) decodes every token twice: first
    unverified, only to hand its claims to a decode-key callback this app does not use (one key signs
    every token), then verified. Measured at load average 10, `decode_token`: 237-265 -> 100-164 us."""

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None, allow_expired: bool = False) -> dict:
        arguments = {
            "algorithms": jwt_config.decode_algorithms,
            "audience": jwt_config.decode_audience,
            "csrf_value": csrf_value,
            "encoded_token": encoded_token,
            "identity_claim_key": jwt_config.identity_claim_key,
            "issuer": jwt_config.decode_issuer,
            "leeway": jwt_config.leeway,
            "secret": jwt_config.decode_key,
            "verify_aud": jwt_config.decode_audience is not None,
            "verify_sub": jwt_config.verify_sub,
        }
        try:
            return _decode_jwt(**arguments, allow_expired=allow_expired)
        except jwt.ExpiredSignatureError as error:  # the library's expired-token callback reads both
            error.jwt_header = jwt.get_unverified_header(encoded_token)
            error.jwt_data = _decode_jwt(**arguments, allow_expired=True)
            raise
