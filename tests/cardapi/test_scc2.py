"""SCC2 payloads: built by a device, read only by the service, refused when altered in any way."""

import base64
import dataclasses
import random
from pathlib import Path

import pytest
import qrcode
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cardapi import scc2
from cardapi.codes import new_card_number

STEP = 59_012_345


@pytest.fixture(scope="module")
def ring():
    return scc2.KeyRing.from_setting(scc2.new_key_entry("2026b") + "," + scc2.new_key_entry("2026a"))


@pytest.fixture(scope="module")
def device():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def card_number():
    return new_card_number()


def build(ring, device, card_number, *, step=STEP, kid=None):
    kid = kid or ring.current_key_id
    return scc2.build_payload(
        card_number=card_number,
        step=step,
        device_key=device,
        service_key=ring.private_key(kid).public_key(),
        kid=kid,
    )


def reason_of(text, ring):
    with pytest.raises(scc2.Scc2Error) as refused:
        scc2.open_payload(text, ring=ring)
    return refused.value.reason


def payload_bytes(text):
    body = text.removeprefix("SCC2:")
    return bytearray(base64.b32hexdecode(body + "=" * (-len(body) % 8)))


def payload_text(data):
    return "SCC2:" + base64.b32hexencode(bytes(data)).decode().rstrip("=")


def test_service_reads_the_card_step_and_device_signature(ring, device, card_number):
    claim = scc2.open_payload(build(ring, device, card_number), ring=ring)

    assert (claim.card_number, claim.step) == (card_number, STEP)
    assert claim.device_key_id == scc2.device_key_id(device.public_key())
    assert claim.signed_by(device.public_key())


@pytest.mark.parametrize("step", [0, 1, 2**64 - 1])
def test_any_unsigned_64_bit_step_round_trips(ring, device, card_number, step):
    assert scc2.open_payload(build(ring, device, card_number, step=step), ring=ring).step == step


def test_payload_fits_a_version_10_qr_at_error_correction_m(device, card_number):
    longest_kid_ring = scc2.KeyRing.from_setting(scc2.new_key_entry("k" * 8))
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(build(longest_kid_ring, device, card_number))
    code.make(fit=True)

    assert code.version <= 10
    assert code.data_list[0].mode == qrcode.util.MODE_ALPHA_NUM


def test_terminal_sees_no_card_number_and_nothing_repeated(ring, device, card_number):
    first, second = build(ring, device, card_number), build(ring, device, card_number)
    # Only the version and key id are the same in every payload, and they name the service's key, not the citizen.
    header_chars = len("SCC2:") + (2 + len(ring.current_key_id)) * 8 // 5
    same_places = sum(a == b for a, b in zip(first[header_chars:], second[header_chars:], strict=True))

    assert card_number not in first
    assert same_places < 30  # about 1 in 32 characters agree by chance


def test_every_single_bit_flip_is_refused(ring, device, card_number):
    original = payload_bytes(build(ring, device, card_number))
    for bit in range(len(original) * 8):
        altered = bytearray(original)
        altered[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(scc2.Scc2Error):
            scc2.open_payload(payload_text(altered), ring=ring)


def test_spare_bits_in_the_last_character_are_refused(ring, device, card_number):
    text = build(ring, device, card_number)
    assert len(payload_bytes(text)) * 8 % 5  # the last character carries spare bits
    # The last digit's spare bits are zero, so the next digit differs only in them.
    altered = text[:-1] + "0123456789ABCDEFGHIJKLMNOPQRSTUV"[int(text[-1], 32) + 1]

    assert reason_of(altered, ring) is scc2.Refusal.MALFORMED


def test_signature_of_another_device_key_is_refused(ring, device, card_number):
    other = ec.generate_private_key(ec.SECP256R1())
    claim = scc2.open_payload(build(ring, other, card_number), ring=ring)
    forged = scc2.open_payload(build(ring, other, card_number), ring=ring)
    posing = scc2.Claim(card_number, STEP, scc2.device_key_id(device.public_key()), forged.signature)

    assert not claim.signed_by(device.public_key())
    assert not posing.signed_by(device.public_key())


@pytest.mark.parametrize("field", ["card_number", "step"])
def test_signature_covers_card_number_and_step(ring, device, card_number, field):
    claim = scc2.open_payload(build(ring, device, card_number), ring=ring)
    changed = {"card_number": new_card_number(), "step": STEP + 1}[field]
    moved = dataclasses.replace(claim, **{field: changed})

    assert not moved.signed_by(device.public_key())


def test_out_of_range_signature_values_are_refused(ring, device, card_number):
    claim = scc2.open_payload(build(ring, device, card_number), ring=ring)
    for signature in (bytes(64), b"\xff" * 64):
        assert not scc2.Claim(claim.card_number, claim.step, claim.device_key_id, signature).signed_by(
            device.public_key()
        )


def test_unknown_key_id_is_refused(ring, device, card_number):
    stranger = scc2.KeyRing.from_setting(scc2.new_key_entry("other"))

    assert reason_of(build(stranger, device, card_number), ring) is scc2.Refusal.UNKNOWN_KEY


def test_payload_for_another_key_with_the_same_id_is_undecryptable(ring, device, card_number):
    impostor = scc2.KeyRing.from_setting(scc2.new_key_entry(ring.current_key_id))

    assert reason_of(build(impostor, device, card_number), ring) is scc2.Refusal.UNDECRYPTABLE


def test_rotated_key_still_decrypts_until_removed_from_the_ring(ring, device, card_number):
    old = build(ring, device, card_number, kid="2026a")
    after_rotation = scc2.KeyRing.from_setting(scc2.new_key_entry("2027a") + " " + _setting_entry(ring, "2026a"))
    retired = scc2.KeyRing.from_setting(scc2.new_key_entry("2027a"))

    assert scc2.open_payload(old, ring=after_rotation).card_number == card_number
    assert after_rotation.public_key()["kid"] == "2027a"
    assert reason_of(old, retired) is scc2.Refusal.UNKNOWN_KEY


def _setting_entry(ring, kid):
    der = ring.private_key(kid).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return f"{kid}:{base64.b64encode(der).decode()}"


def test_key_ring_accepts_pkcs8_and_raw_scalars_and_publishes_the_current_key(ring):
    public = base64.urlsafe_b64decode(ring.public_key()["public_key"] + "=")

    assert ring.public_key()["kid"] == "2026b"
    assert (
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public) == ring.private_key("2026b").public_key()
    )
    pkcs8 = scc2.KeyRing.from_setting(_setting_entry(ring, "2026b") + ",\n" + _setting_entry(ring, "2026a"))

    assert pkcs8.current_key_id == "2026b"
    assert pkcs8.public_key() == ring.public_key()


@pytest.mark.parametrize(
    "setting",
    [
        "",
        "nokey",
        "toolongkeyid:" + base64.b64encode(bytes(range(1, 33))).decode(),
        "a:not base64!",
        "a:" + base64.b64encode(b"short").decode(),
        "a:" + base64.b64encode(bytes(32)).decode(),  # zero is no private key
        "a:{0},a:{0}".format(base64.b64encode(bytes(range(1, 33))).decode()),
    ],
)
def test_key_ring_setting_errors_name_the_entry_not_the_secret(setting):
    with pytest.raises(ValueError) as refused:
        scc2.KeyRing.from_setting(setting)
    assert "AQID" not in str(refused.value)


def test_key_ring_refuses_a_key_on_another_curve():
    der = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="P-256"):
        scc2.KeyRing.from_setting("a:" + base64.b64encode(der).decode())


def test_device_public_key_loads_from_base64_spki(device):
    spki = device.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    assert scc2.load_device_key(base64.b64encode(spki).decode()) == device.public_key()


def test_device_key_reads_alike_from_an_spki_with_a_compressed_or_an_uncompressed_point(device):
    point = device.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    # The same AlgorithmIdentifier, then a BIT STRING of the 33-byte point.
    compressed = bytes.fromhex("3039301306072a8648ce3d020106082a8648ce3d030107032200") + point
    uncompressed = device.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    read = [scc2.read_device_key(base64.b64encode(spki).decode()) for spki in (compressed, uncompressed)]

    assert read[0] == read[1] == (device.public_key(), scc2.device_key_id(device.public_key()))


def test_device_key_with_a_point_off_the_curve_is_refused(device):
    spki = device.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    off_curve = spki[:-1] + bytes([spki[-1] ^ 1])

    with pytest.raises(scc2.Scc2Error):
        scc2.read_device_key(base64.b64encode(off_curve).decode())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64!",
        base64.b64encode(b"\x30\x03\x02\x01\x01").decode(),
        base64.b64encode(
            ec.generate_private_key(ec.SECP384R1())
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        ).decode(),
    ],
)
def test_device_public_key_that_is_not_p256_spki_is_refused(text):
    with pytest.raises(scc2.Scc2Error):
        scc2.load_device_key(text)


def test_every_truncation_raises_only_the_domain_error(ring, device, card_number):
    text = build(ring, device, card_number)
    for length in range(len(text)):
        with pytest.raises(scc2.Scc2Error):
            scc2.open_payload(text[:length], ring=ring)


def test_random_input_raises_only_the_domain_error(ring, device, card_number):
    rng = random.Random(2026)
    valid = payload_bytes(build(ring, device, card_number))
    samples = [None, b"SCC2:00", 42, "SCC2:" + "0" * 400, "scc2:" + payload_text(valid)[5:].lower(), "SCC2:-1"]
    for _ in range(500):
        samples.append("SCC2:" + "".join(rng.choices("0123456789ABCDEFGHIJKLMNOPQRSTUV", k=rng.randrange(300))))
        samples.append("".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(60))))
        samples.append(payload_text(rng.randbytes(rng.randrange(200))))
        # Valid layout and the ring's key id, random cryptographic material.
        header = 2 + len(ring.current_key_id)
        samples.append(payload_text(valid[:header] + rng.randbytes(len(valid) - header)))
    for sample in samples:
        with pytest.raises(scc2.Scc2Error):
            scc2.open_payload(sample, ring=ring)


EXAMPLE_SERVICE_KEY = "2026a:cD+ipBxv0HIdj1F62ZUYnX9ZOheAK6cfn3mkFELuYDE="
EXAMPLE_DEVICE_SPKI = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE0GVQ7kkOeISiYjff0ko07kTrQxv/rgXz73NN"
    "bIZE56jccsQcHQxzCE9HaNPd4b9vQI5w0Aty7rTMuGmLMjb/uQ=="
)
EXAMPLE_TEXT = (
    "SCC2:042J4C1I6PGG6ARV222JO2T0SF2M91ETEH9AO0G8JSOPKN3BI4FED8B2B85DKK1ORJR1TRU7C3FH"
    "VH4NPAAUPKD6J6N680TD5G6LGS2O012KQAMB7HDVLJ9C7SR69OFH0UEK1SE676044GHVEAUFDK4JN2S7"
    "4Q9CHLPUVECDREBHS7PG3JAQTU3CQC3IS7LH3HHK99JNF988FOSGD7EL3GL7EDTO7T87GTBDTOG"
)


def test_documented_example_opens_to_its_card_step_and_device():
    ring = scc2.KeyRing.from_setting(EXAMPLE_SERVICE_KEY)
    documented = "".join(Path(scc2.__file__).with_name("SCC2.md").read_text().split())  # the doc wraps the text

    claim = scc2.open_payload(EXAMPLE_TEXT, ring=ring)

    assert (claim.card_number, claim.step) == ("9410123456789010", 59_000_000)
    assert claim.signed_by(scc2.load_device_key(EXAMPLE_DEVICE_SPKI))
    assert ring.public_key()["public_key"] in documented
    assert EXAMPLE_TEXT in documented
