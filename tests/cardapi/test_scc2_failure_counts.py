"""Administrators see each terminal's SCC2 failures of the day in the facility's terminal list."""

import time

from cryptography.hazmat.primitives.asymmetric import ec

from cardapi.services.verification_guard import failure_day
from tests.cardapi.helpers import create_terminal, settled_step, verify


def _terminals(client, admin, facility) -> dict[str, dict]:
    listed = client.get(f"/api/v1/admin/facilities/{facility['id']}/terminals", headers=admin.headers)
    assert listed.status_code == 200, listed.get_json()
    return {terminal["name"]: terminal for terminal in listed.get_json()}


def test_the_terminal_list_shows_each_terminals_scc2_failures_today(client, admin, facility, terminal, device_card):
    quiet = create_terminal(client, admin, facility["id"], name="gate 2")
    stranger = ec.generate_private_key(ec.SECP256R1())
    step = settled_step()
    day = failure_day(time.time())
    for payload in (device_card.scc2(step, device=stranger), device_card.scc2(step + 3)):
        assert verify(client, terminal, payload).get_json()["reason"] == "invalid_code"
    assert verify(client, terminal, device_card.scc2(step)).get_json()["accepted"] is True  # not a failure

    listed = _terminals(client, admin, facility)
    if failure_day(time.time()) != day:  # midnight in Seoul passed mid-test: the count started again
        return
    assert listed[terminal["name"]]["scc2_failures_today"] == 2
    assert listed[quiet["name"]]["scc2_failures_today"] == 0
