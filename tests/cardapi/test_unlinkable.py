"""Terminals see the member id of their own facility and nothing that is the same at another facility."""

import base64

from tests.cardapi.helpers import create_facility, create_terminal, current_step, settled_step, verify

# What both facilities' desks are shown on purpose: the outcome, and what the clerk compares with the person
# (a masked name and an age group, shared by many citizens) and the discounts of the same categories.
SAME_BY_DESIGN = {"accepted", "duplicate", "reason", "holder", "benefits", "retry_after"}


def _flatten(value, prefix=""):
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flatten(item, f"{prefix}{key}.").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flatten(item, f"{prefix}{i}.").items()}
    return {prefix.rstrip("."): value}


def test_two_facilities_answers_for_one_citizen_share_no_linking_field(client, admin, device_card):
    here = create_terminal(client, admin, create_facility(client, admin)["id"])
    there = create_terminal(client, admin, create_facility(client, admin, name="DDP", kind="culture")["id"])
    step = settled_step()
    answers = [verify(client, here, device_card.scc2(step)).get_json()]
    answers.append(verify(client, there, device_card.scc2(step + 1)).get_json())

    assert all(answer["accepted"] for answer in answers)
    assert set(answers[0]) == set(answers[1])
    for field in set(answers[0]) - SAME_BY_DESIGN:
        assert answers[0][field] != answers[1][field], field
    for answer in answers:
        values = [str(v) for v in _flatten(answer).values()]
        assert not any(device_card.number in v or device_card.number[-8:] in v for v in values)
        assert str(device_card.id) != str(answer["member_id"])


def test_facility_visit_lists_hold_no_card_number_and_differ_between_facilities(client, admin, card):
    facilities = [create_facility(client, admin, name=name) for name in ("서울도서관", "DDP")]
    terminals = [create_terminal(client, admin, facility["id"]) for facility in facilities]
    step = settled_step()
    for offset, terminal in enumerate(terminals):
        assert verify(client, terminal, card.payload(step + offset - 1)).get_json()["accepted"]
    lists = [
        client.get(f"/api/v1/facilities/{t['facility_id']}/visits", headers={"X-Terminal-Key": t["api_key"]}).get_json()
        for t in terminals
    ]
    assert all(len(visits) == 1 for visits in lists)
    assert lists[0][0]["member_id"] != lists[1][0]["member_id"]
    assert card.number not in str(lists)


def test_the_raw_scc2_payload_holds_no_card_number(device_card):
    payload = device_card.scc2(current_step())
    body = payload.removeprefix("SCC2:")
    raw = base64.b32hexdecode(body + "=" * (-len(body) % 8))
    assert device_card.number not in payload
    assert int(device_card.number).to_bytes(8) not in raw and device_card.number.encode() not in raw


def test_refusals_do_not_tell_a_terminal_whether_a_card_exists_or_is_suspended(client, terminal, card, device_card):
    step = current_step()
    unknown = verify(client, terminal, f"SCC1:9410000000000005:{step}:12345678").get_json()
    wrong = verify(client, terminal, card.payload(step, "00000000" if card.code(step) != "00000000" else "1" * 8))
    client.post("/api/v1/cards/me/suspend", headers=device_card.session.headers)
    suspended = verify(client, terminal, device_card.scc2(step)).get_json()
    assert unknown == wrong.get_json() == suspended
    assert unknown["reason"] == "invalid_code" and unknown["holder"] is None
