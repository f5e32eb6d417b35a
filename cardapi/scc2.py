"""SCC2: a device-signed card code encrypted to the service, as pure helpers (wire format: cardapi/SCC2.md).

The citizen's device signs (card number, step) with its own P-256 key and encrypts the whole to the
service's current P-256 key, so a terminal sees only fresh random bytes and cannot forge a code.
No Flask and no database here: the verification service decrypts with `open_payload`, looks the card
up, checks `Claim.signed_by` against the stored device key, then applies the step rules as for SCC1.
"""

import base64
import binascii
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cardapi.codes import is_valid_card_number

PREFIX = "SCC2:"
VERSION = 1
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,8}$")
SIGNATURE_CONTEXT = b"SCC2 v1 signature"
KDF_INFO_PREFIX = b"SCC2 v1 AES-128-GCM "
DEVICE_KEY_ID_BYTES = 8
_CURVE = ec.SECP256R1()
# Built once: these objects are immutable, and making them costs a few µs on every verification.
_ECDH = ec.ECDH()
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_POINT_BYTES = 33  # compressed ephemeral point
_UNCOMPRESSED_POINT_BYTES = 65
# DER of SubjectPublicKeyInfo {id-ecPublicKey, prime256v1} holding an uncompressed point, up to the point's 0x04.
_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004")
_SPKI_BYTES = len(_SPKI_PREFIX) - 1 + _UNCOMPRESSED_POINT_BYTES
_TAG_BYTES = 16
_CLAIM = struct.Struct(">QQ8s")  # card number, step, device key id: the signed part
_PLAINTEXT_BYTES = _CLAIM.size + 64  # + raw r||s signature
_MAX_TEXT = 300  # longer than any valid payload; refuse before decoding anything
_TEXT_PATTERN = re.compile(r"^SCC2:[0-9A-V]+$")  # base32hex (RFC 4648 section 7), no padding


class Refusal(StrEnum):
    MALFORMED = "malformed"  # not SCC2 text, wrong length or layout, or an invalid card number inside
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_KEY = "unknown_key"  # the service key id is not (or no longer) in the ring
    UNDECRYPTABLE = "undecryptable"  # altered, or encrypted to another key


class Scc2Error(Exception):
    """Any payload the service cannot read; `reason` says why, and nothing else escapes `open_payload`."""

    def __init__(self, reason: Refusal):
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Claim:
    """What a decrypted payload claims; trust it only after `signed_by` the card's device key."""

    card_number: str
    step: int
    device_key_id: bytes
    signature: bytes

    def signed_by(self, device_key: ec.EllipticCurvePublicKey, *, key_id: bytes | None = None) -> bool:
        """`key_id` is the key's `device_key_id` when the caller keeps it (computing it costs ~6 µs)."""
        # The key id is signed too; comparing it first only spares an ECDSA verification for a replaced key.
        if not hmac.compare_digest(self.device_key_id, key_id or device_key_id(device_key)):
            return False
        r, s = int.from_bytes(self.signature[:32]), int.from_bytes(self.signature[32:])
        if not (0 < r < _ORDER and 0 < s < _ORDER):
            return False
        message = _signed_message(self.card_number, self.step, self.device_key_id)
        try:
            device_key.verify(encode_dss_signature(r, s), message, _ECDSA_SHA256)
        except InvalidSignature:
            return False
        return True


class KeyRing:
    """The service's decryption keys: the first one is current (clients encrypt to it), the others still decrypt."""

    def __init__(self, keys: list[tuple[str, ec.EllipticCurvePrivateKey]]):
        if not keys:
            raise ValueError("an SCC2 key ring needs at least one key")
        kids = [kid for kid, _ in keys]
        if len(set(kids)) != len(kids):
            raise ValueError("SCC2 key ids must be unique")
        self._keys = dict(keys)
        self.current_key_id = kids[0]

    @classmethod
    def from_setting(cls, text: str) -> "KeyRing":
        """Parse `kid:base64,kid:base64,...` (current key first); each key is a PKCS#8 DER or a raw 32-byte scalar."""
        keys = []
        for number, entry in enumerate(re.split(r"[,\s]+", text.strip()), start=1):
            kid, _, encoded = entry.partition(":")
            if not KEY_ID_PATTERN.match(kid):
                raise ValueError(f"SCC2 key entry {number}: the key id must be 1-8 of A-Z a-z 0-9 _ -")
            keys.append((kid, _private_key(encoded, kid)))
        return cls(keys)

    def private_key(self, kid: str) -> ec.EllipticCurvePrivateKey | None:
        return self._keys.get(kid)

    def public_key(self) -> dict:
        """What clients need to build payloads: the current key id and its uncompressed point, base64url."""
        point = (
            self._keys[self.current_key_id]
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        return {"kid": self.current_key_id, "public_key": _b64url(point)}


def new_key_entry(kid: str) -> str:
    """A fresh `kid:base64(raw scalar)` entry for an operator to put first in the key setting."""
    if not KEY_ID_PATTERN.match(kid):
        raise ValueError("the key id must be 1-8 of A-Z a-z 0-9 _ -")
    scalar = ec.generate_private_key(_CURVE).private_numbers().private_value
    return f"{kid}:{base64.b64encode(scalar.to_bytes(32)).decode()}"


def _private_key(encoded: str, kid: str) -> ec.EllipticCurvePrivateKey:
    try:
        data = base64.b64decode(encoded, validate=True)
        if len(data) == 32:
            return ec.derive_private_key(int.from_bytes(data), _CURVE)
        key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError, binascii.Error):
        key = None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"SCC2 key {kid}: not a base64 P-256 key (PKCS#8 DER or a raw 32-byte scalar)")
    return key


def device_key_id(device_key: ec.EllipticCurvePublicKey) -> bytes:
    """The first 8 bytes of SHA-256 over the uncompressed point: names the device key inside the payload."""
    return _key_id(device_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def _key_id(uncompressed_point: bytes) -> bytes:
    return hashlib.sha256(uncompressed_point).digest()[:DEVICE_KEY_ID_BYTES]


def load_device_key(spki_base64: str) -> ec.EllipticCurvePublicKey:
    """The public key an app registers at enrolment (base64 SPKI DER, as WebCrypto's exportKey("spki"))."""
    return read_device_key(spki_base64)[0]


def read_device_key(spki_base64: str) -> tuple[ec.EllipticCurvePublicKey, bytes]:
    """The registered key and its `device_key_id`; raises Scc2Error unless it is a base64 P-256 SPKI DER.

    What WebCrypto exports is a fixed header and the uncompressed point: read the point directly and hash
    it (10 µs, against 15 µs through the DER parser and re-encoding the point); any other encoding of a
    P-256 key takes the parser.
    """
    try:
        spki = base64.b64decode(spki_base64, validate=True)
        if len(spki) == _SPKI_BYTES and spki.startswith(_SPKI_PREFIX):
            point = spki[-_UNCOMPRESSED_POINT_BYTES:]
            return ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, point), _key_id(point)
        key = serialization.load_der_public_key(spki)
    except (ValueError, TypeError, binascii.Error):
        key = None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise Scc2Error(Refusal.MALFORMED)
    return key, device_key_id(key)


def build_payload(
    *,
    card_number: str,
    step: int,
    device_key: ec.EllipticCurvePrivateKey,
    service_key: ec.EllipticCurvePublicKey,
    kid: str,
) -> str:
    """What a citizen's app shows (the reference client is web/static/js/scc2.js); used here by tests and the bench."""
    own_id = device_key_id(device_key.public_key())
    r, s = decode_dss_signature(device_key.sign(_signed_message(card_number, step, own_id), _ECDSA_SHA256))
    plaintext = _CLAIM.pack(int(card_number), step, own_id) + r.to_bytes(32) + s.to_bytes(32)
    ephemeral = ec.generate_private_key(_CURVE)
    point = ephemeral.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    header = bytes([VERSION, len(kid)]) + kid.encode("ascii") + point
    key, nonce = _derive(ephemeral.exchange(_ECDH, service_key), point, kid)
    return PREFIX + _b32(header + AESGCM(key).encrypt(nonce, plaintext, header))


def published_key(public_key: dict) -> tuple[str, ec.EllipticCurvePublicKey]:
    """The key id and key of what `KeyRing.public_key` publishes (what an app fetches)."""
    point = base64.urlsafe_b64decode(public_key["public_key"] + "=" * (-len(public_key["public_key"]) % 4))
    return public_key["kid"], ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, point)


def build_payloads(
    *, card_number: str, device_key: ec.EllipticCurvePrivateKey, public_key: dict, first_step: int, count: int
) -> list[str]:
    """`count` payloads for consecutive steps from `first_step`, as a device would show them (for the bench)."""
    kid, service_key = published_key(public_key)
    return [
        build_payload(card_number=card_number, step=step, device_key=device_key, service_key=service_key, kid=kid)
        for step in range(first_step, first_step + count)
    ]


def open_payload(text: str, *, ring: KeyRing) -> Claim:
    """Decrypt and parse a payload; raises Scc2Error (and nothing else) when it cannot be read."""
    data = _decode(text)
    if data[0] != VERSION:
        raise Scc2Error(Refusal.UNSUPPORTED_VERSION)
    kid_end = 2 + data[1]
    header_end = kid_end + _POINT_BYTES
    if len(data) != header_end + _PLAINTEXT_BYTES + _TAG_BYTES:
        raise Scc2Error(Refusal.MALFORMED)
    kid = data[2:kid_end].decode("ascii", errors="replace")
    private_key = ring.private_key(kid) if KEY_ID_PATTERN.match(kid) else None
    if private_key is None:
        raise Scc2Error(Refusal.UNKNOWN_KEY)
    point = data[kid_end:header_end]
    try:
        ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, point)
        key, nonce = _derive(private_key.exchange(_ECDH, ephemeral), point, kid)
        plaintext = AESGCM(key).decrypt(nonce, data[header_end:], data[:header_end])
    except (ValueError, InvalidTag):
        raise Scc2Error(Refusal.UNDECRYPTABLE) from None
    card, step, own_id = _CLAIM.unpack_from(plaintext)
    card_number = str(card).zfill(16)
    if not is_valid_card_number(card_number):
        raise Scc2Error(Refusal.MALFORMED)
    return Claim(card_number=card_number, step=step, device_key_id=own_id, signature=plaintext[_CLAIM.size :])


def _decode(text: str) -> bytes:
    if not isinstance(text, str) or len(text) > _MAX_TEXT or not _TEXT_PATTERN.match(text):
        raise Scc2Error(Refusal.MALFORMED)
    # base32hex digits are Python's base-32 digits, so int() decodes in C (base64.b32decode is pure Python, ~100 us).
    body = text[len(PREFIX) :]
    spare_bits = 5 * len(body) % 8
    value = int(body, 32)
    # One text per byte string: a length with 5+ spare bits or spare bits set would otherwise pass unnoticed.
    if spare_bits >= 5 or value & ((1 << spare_bits) - 1) or len(body) * 5 // 8 < 2 + _POINT_BYTES:
        raise Scc2Error(Refusal.MALFORMED)
    return (value >> spare_bits).to_bytes(len(body) * 5 // 8)


def _signed_message(card_number: str, step: int, own_id: bytes) -> bytes:
    return SIGNATURE_CONTEXT + _CLAIM.pack(int(card_number), step, own_id)


def _derive(shared: bytes, point: bytes, kid: str) -> tuple[bytes, bytes]:
    """HKDF-SHA256 (RFC 5869; salt = the ephemeral point, info names the suite and key id) → AES key, GCM nonce."""
    prk = hmac.digest(point, shared, "sha256")
    okm = hmac.digest(prk, KDF_INFO_PREFIX + kid.encode("ascii") + b"\x01", "sha256")
    return okm[:16], okm[16:28]


def _b32(data: bytes) -> str:
    return base64.b32hexencode(data).decode("ascii").rstrip("=")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
