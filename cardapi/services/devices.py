"""SCC2 keys: the service's key ring (from CARDAPI_SCC2_KEYS) and the device keys citizens register."""

import functools

from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app

from cardapi import scc2
from config import ConfigError
from core.errors import InvalidInput
from core.problems import Message

_RING = "cardapi_scc2_ring"


def init_app(app: Flask) -> None:
    """Parse the key ring once, at start-up: a malformed setting stops the app before it serves anything."""
    try:
        app.extensions[_RING] = scc2.KeyRing.from_setting(app.config["CARDAPI_SCC2_KEYS"])
    except ValueError as error:  # the message names the entry, never the key
        raise ConfigError(f"CARDAPI_SCC2_KEYS: {error}") from None


def key_ring() -> scc2.KeyRing:
    return current_app.extensions[_RING]


def service_public_key() -> dict:
    """The key apps encrypt SCC2 codes to: `{kid, public_key}` (cardapi/SCC2.md)."""
    return key_ring().public_key()


def checked_device_key(spki_base64: str) -> str:
    """The device key an app registers, refused with 422 unless it is a P-256 public key (base64 SPKI)."""
    try:
        device_key(spki_base64)
    except scc2.Scc2Error:
        raise InvalidInput(
            Message("devices.invalid_key"),
            slug="invalid-device-key",
            errors={"device_public_key": [Message("devices.invalid_key_field")]},
        ) from None
    return spki_base64


@functools.lru_cache(maxsize=4096)
def device_key(spki_base64: str) -> tuple[ec.EllipticCurvePublicKey, bytes]:
    """The stored key, parsed, and its key id (cached: reading both costs ~10 µs, the lookup ~0.1 µs).

    Keyed by the key itself, so a reissue with a new device key never meets the old entry.
    """
    return scc2.read_device_key(spki_base64)
