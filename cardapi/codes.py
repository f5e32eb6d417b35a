"""Pure helpers: TOTP codes, card numbers, QR payloads, pseudonyms and what a terminal may see.

No Flask and no database here, so the rules can be read (and tested) on their own.
"""

import base64
import hashlib
import hmac
import re
import secrets
import struct
from datetime import date
from urllib.parse import quote, urlencode

SECRET_BYTES = 20  # 160 bits, the RFC 4226 recommendation
CARD_NUMBER_PREFIX = "9410"
CARD_NUMBER_LENGTH = 16
# [0-9], not \d: \d also matches other scripts' digits, which int() reads and compare_digest refuses (a 500).
PAYLOAD_PATTERN = re.compile(r"^SCC1:([0-9]{16}):([0-9]{1,12}):([0-9]{6,10})$")
_DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def totp_code(secret: bytes, step: int, *, digits: int, algorithm: str) -> str:
    """RFC 6238 code of a time step (the same as pyotp's, without its per-call base32 decoding)."""
    mac = hmac.new(secret, struct.pack(">Q", step), _DIGESTS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def codes_match(secret: bytes, step: int, code: str, *, digits: int, algorithm: str) -> bool:
    return len(code) == digits and hmac.compare_digest(
        totp_code(secret, step, digits=digits, algorithm=algorithm), code
    )


def enrolment(secret: bytes, *, card_number: str, digits: int, period: int, algorithm: str, issuer: str) -> dict:
    """What an authenticator app needs; the secret leaves the server only in this answer."""
    encoded = base64.b32encode(secret).decode().rstrip("=")
    query = urlencode(
        {"secret": encoded, "issuer": issuer, "algorithm": algorithm, "digits": digits, "period": period},
        quote_via=quote,
    )
    return {
        "secret": encoded,
        "digits": digits,
        "period": period,
        "algorithm": algorithm,
        "provisioning_uri": f"otpauth://totp/{quote(issuer)}:{card_number}?{query}",
    }


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # doubled: these sit at odd positions once the check digit is appended
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def new_card_number() -> str:
    body = CARD_NUMBER_PREFIX + "".join(secrets.choice("0123456789") for _ in range(CARD_NUMBER_LENGTH - 5))
    return body + luhn_check_digit(body)


def is_valid_card_number(number: str) -> bool:
    return len(number) == CARD_NUMBER_LENGTH and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def payload(card_number: str, step: int, code: str) -> str:
    return f"SCC1:{card_number}:{step}:{code}"


def parse_payload(text: str) -> tuple[str, int, str] | None:
    """(card number, step, code), or None when the text is not a well-formed card payload."""
    match = PAYLOAD_PATTERN.match(text)
    if match is None or not is_valid_card_number(match.group(1)):
        return None
    return match.group(1), int(match.group(2)), match.group(3)


def member_id(key: bytes, *, user_id: int, facility_id: int, epoch: int) -> str:
    """A per-facility pseudonym: stable for the citizen (across reissues), unlinkable across facilities."""
    message = f"member:{user_id}:{facility_id}:{epoch}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def masked_name(name: str) -> str:
    """김민수 → 김*수, 김수 → 김*, 남궁민수 → 남**수; each word of a Latin name likewise."""
    return " ".join(_mask_word(word) for word in name.split())


def _mask_word(word: str) -> str:
    if len(word) <= 1:
        return "*"
    if len(word) == 2:
        return word[0] + "*"
    return word[0] + "*" * (len(word) - 2) + word[-1]


def age_group(birth_date: date, today: date) -> str:
    age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    if age >= 65:
        return "65+"
    return f"{age // 10 * 10}s"


def best_benefits(rules: list[dict], *, categories: set[str], resident: bool) -> list[dict]:
    """The facility's discounts this citizen holds, best first, one per category.

    Category `resident` is held by everyone living in the facility's district; a rule marked
    residents_only applies only to them.
    """
    held = categories | ({"resident"} if resident else set())
    best: dict[str, int] = {}
    for rule in rules:
        if rule["category"] in held and (resident or not rule.get("residents_only")):
            best[rule["category"]] = max(best.get(rule["category"], 0), rule["discount_percent"])
    ordered = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    return [{"category": category, "discount_percent": percent} for category, percent in ordered]
