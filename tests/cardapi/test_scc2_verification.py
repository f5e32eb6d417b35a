"""SCC2 codes at POST /verifications: accepted once, never guessable, so their failures lock nothing."""

import base64
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cardapi import scc2
from cardapi.services.verification_guard import failure_day
from config import DEVELOPMENT_SCC2_KEYS, ConfigError
from core.app import create_app
from core.redis import get_redis
from tests.cardapi.helpers import create_terminal, current_step, issue_device_card, settled_step, spki, verify
from tests.core.test_config_and_health import PRODUCTION
from tests.helpers import citizen


def _mine(client, card):
    return client.get("/api/v1/cards/me", headers=card.session.headers).get_json()


def test_the_service_key_is_published_with_its_key_id(client):
    response = client.get("/api/v1/cards/scc2-key")
    assert response.status_code == 200
    kid, key = scc2.published_key(response.get_json())
    assert kid == "dev" and isinstance(key, ec.EllipticCurvePublicKey)


def test_a_device_code_is_accepted_once_and_a_rescan_returns_the_first_visit(client, terminal, device_card):
    step = settled_step()
    first = verify(client, terminal, device_card.scc2(step)).get_json()
    # The device makes new text for the same step: a repeated scan is recognised by card and step.
    again = verify(client, terminal, device_card.scc2(step)).get_json()
    assert first["accepted"] is True and first["duplicate"] is False and first["member_id"]
    assert again == {**first, "duplicate": True}


def test_a_device_code_used_at_one_terminal_is_refused_at_another(client, admin, facility, terminal, device_card):
    other = create_terminal(client, admin, facility["id"], name="gate 2")
    payload = device_card.scc2()
    assert verify(client, terminal, payload).get_json()["accepted"] is True
    replayed = verify(client, other, payload).get_json()
    assert (replayed["accepted"], replayed["reason"], replayed["holder"]) == (False, "invalid_code", None)


def test_a_payload_with_one_bit_changed_is_refused(client, terminal, device_card):
    payload = device_card.scc2(settled_step())
    data = bytearray(base64.b32hexdecode(payload[5:] + "=" * (-len(payload[5:]) % 8)))
    data[len(data) // 2] ^= 0x01
    altered = "SCC2:" + base64.b32hexencode(bytes(data)).decode().rstrip("=")
    answer = verify(client, terminal, altered).get_json()
    assert answer["accepted"] is False and answer["reason"] == "invalid_code"
    assert verify(client, terminal, payload).get_json()["accepted"] is True


@pytest.mark.parametrize("offset", [-2, 2])
def test_a_step_outside_one_step_of_now_is_refused(client, terminal, device_card, offset):
    answer = verify(client, terminal, device_card.scc2(current_step() + offset)).get_json()
    assert answer["accepted"] is False and answer["reason"] == "invalid_code"


def test_a_step_older_than_the_last_accepted_one_is_refused(client, terminal, device_card):
    step = settled_step()
    assert verify(client, terminal, device_card.scc2(step + 1)).get_json()["accepted"] is True
    assert verify(client, terminal, device_card.scc2(step)).get_json()["accepted"] is False


def test_a_signature_by_another_device_key_is_refused(client, terminal, device_card):
    stranger = ec.generate_private_key(ec.SECP256R1())
    answer = verify(client, terminal, device_card.scc2(device=stranger)).get_json()
    assert answer["accepted"] is False and answer["reason"] == "invalid_code"


def test_scc2_failures_never_back_off_or_lock_the_card(client, terminal, device_card):
    stranger = ec.generate_private_key(ec.SECP256R1())
    step = settled_step()
    forged = [device_card.scc2(step, device=stranger) for _ in range(12)]
    reasons = {verify(client, terminal, payload).get_json()["reason"] for payload in forged}
    assert reasons == {"invalid_code"}
    assert _mine(client, device_card)["failed_attempts"] == 0
    assert verify(client, terminal, device_card.scc2(step)).get_json()["accepted"] is True


def test_scc2_failures_are_counted_per_terminal_per_day_and_acceptances_are_not(app, client, terminal, device_card):
    """Operators read these counters in Redis; the verdict's one script call counts them (an unreadable code's too)."""
    stranger = ec.generate_private_key(ec.SECP256R1())
    step = settled_step()
    body = device_card.scc2(step)[5:]
    data = bytearray(base64.b32hexdecode(body + "=" * (-len(body) % 8)))
    data[len(data) // 2] ^= 0x01
    unreadable = "SCC2:" + base64.b32hexencode(bytes(data)).decode().rstrip("=")
    days = {failure_day(time.time())}
    for payload in (device_card.scc2(step, device=stranger), device_card.scc2(step + 3), unreadable):
        assert verify(client, terminal, payload).get_json()["reason"] == "invalid_code"
    assert verify(client, terminal, device_card.scc2(step)).get_json()["accepted"] is True
    days.add(failure_day(time.time()))  # the Seoul day may turn mid-test
    with app.app_context():
        counts = [get_redis().get(f"cardapi:terminal-scc2-failures:{terminal['id']}:{day}") for day in days]
    assert sum(int(count or 0) for count in counts) == 3


def test_a_card_with_a_device_key_refuses_scc1_unless_the_citizen_turned_it_on(client, terminal):
    device_only = issue_device_card(client)
    both = issue_device_card(client, scc1_enabled=True)
    assert _mine(client, device_only)["scc1_enabled"] is False and _mine(client, both)["scc1_enabled"] is True
    assert verify(client, terminal, device_only.payload()).get_json()["reason"] == "invalid_code"
    assert verify(client, terminal, both.payload()).get_json()["accepted"] is True


def test_reissue_replaces_the_device_key(client, terminal, device_card):
    old_payload = device_card.scc2(settled_step())
    new_device = ec.generate_private_key(ec.SECP256R1())
    reissued = client.post(
        "/api/v1/cards/me/reissue", json={"device_public_key": spki(new_device)}, headers=device_card.session.headers
    )
    assert reissued.status_code == 200 and reissued.get_json()["card"]["device_key_registered"] is True
    assert verify(client, terminal, old_payload).get_json()["accepted"] is False
    assert verify(client, terminal, device_card.scc2(device=new_device)).get_json()["accepted"] is True


@pytest.mark.parametrize("key", ["not base64!", base64.b64encode(b"\x30\x03\x02\x01\x01").decode(), "A" * 201])
def test_a_device_key_that_is_not_p256_is_refused_at_enrolment(client, key):
    session = citizen(client)
    response = client.post("/api/v1/cards", json={"device_public_key": key}, headers=session.headers)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert client.get("/api/v1/cards/me", headers=session.headers).status_code == 404


def test_a_code_made_with_a_rotated_key_still_works_while_the_ring_holds_it(make_app, client, terminal, device_card):
    older = device_card.scc2(settled_step())
    rotated = make_app(CARDAPI_SCC2_KEYS=scc2.new_key_entry("2026b") + "," + DEVELOPMENT_SCC2_KEYS).test_client()
    assert rotated.get("/api/v1/cards/scc2-key").get_json()["kid"] == "2026b"
    assert verify(rotated, terminal, older).get_json()["accepted"] is True


def test_a_code_for_a_key_removed_from_the_ring_is_refused(make_app, terminal, device_card):
    removed = make_app(CARDAPI_SCC2_KEYS=scc2.new_key_entry("2026b")).test_client()
    answer = verify(removed, terminal, device_card.scc2()).get_json()
    assert answer["accepted"] is False and answer["reason"] == "invalid_code"


def test_production_refuses_to_start_without_scc2_keys(base_config):
    settings = {**PRODUCTION, "DATABASE_URL": base_config["DATABASE_URL"], "REDIS_URL": base_config["REDIS_URL"]}
    del settings["CARDAPI_SCC2_KEYS"]
    with pytest.raises(ConfigError, match="CARDAPI_SCC2_KEYS"):
        create_app(settings)
    with pytest.raises(ConfigError, match="CARDAPI_SCC2_KEYS"):
        create_app({**settings, "CARDAPI_SCC2_KEYS": DEVELOPMENT_SCC2_KEYS})


def test_a_malformed_key_setting_stops_the_app_naming_the_entry_not_the_key(base_config):
    with pytest.raises(ConfigError, match="CARDAPI_SCC2_KEYS: SCC2 key 2026a") as refused:
        create_app({**base_config, "CARDAPI_SCC2_KEYS": "2026a:c2VjcmV0"})
    assert "c2VjcmV0" not in str(refused.value)
