"""The card's SQLite paths, as `make run` serves them: SCC1 and SCC2 verification, rescans, locks, leaving.

On PostgreSQL an acceptance is one prepared statement; on SQLite it is three statements (step, visit,
audit event), and leaving a facility upserts in SQLite's dialect. Every fixture here builds on SQLite.
"""

import pytest

from tests.cardapi.helpers import create_terminal, current_step, issue_device_card, settled_step, verify, wrong_code


@pytest.fixture
def app(sqlite_app):
    return sqlite_app


def _terminal_visits(client, terminal):
    url = f"/api/v1/facilities/{terminal['facility_id']}/visits"
    return client.get(url, headers={"X-Terminal-Key": terminal["api_key"]}).get_json()


def test_a_code_is_accepted_once_and_its_visit_and_audit_event_are_stored(client, admin, terminal, card):
    step = current_step()
    first = verify(client, terminal, card.payload(step)).get_json()
    assert first["accepted"] is True and first["reason"] == "ok" and first["member_id"]
    rescanned = verify(client, terminal, card.payload(step)).get_json()
    older = verify(client, terminal, card.payload(step - 1)).get_json()
    assert rescanned == {**first, "duplicate": True}
    assert (older["accepted"], older["reason"]) == (False, "invalid_code")

    assert [(v["id"], v["member_id"]) for v in _terminal_visits(client, terminal)] == [
        (first["visit_id"], first["member_id"])
    ]
    mine = client.get("/api/v1/cards/me/visits", headers=card.session.headers).get_json()
    assert [v["id"] for v in mine] == [first["visit_id"]]
    events = client.get("/api/v1/admin/audit-events?limit=1000", headers=admin.headers).get_json()
    assert [e["event"] for e in events].count("card_verified") == 1
    terminals = f"/api/v1/admin/facilities/{terminal['facility_id']}/terminals"
    assert client.get(terminals, headers=admin.headers).get_json()[0]["last_used_at"] is not None


def test_a_device_code_is_accepted_once_rescanned_here_and_refused_elsewhere(client, admin, facility, terminal):
    device_card = issue_device_card(client)
    other = create_terminal(client, admin, facility["id"], name="gate 2")
    payload = device_card.scc2(settled_step())
    first = verify(client, terminal, payload).get_json()
    assert first["accepted"] is True
    assert verify(client, terminal, payload).get_json() == {**first, "duplicate": True}
    assert verify(client, other, payload).get_json()["reason"] == "invalid_code"


def test_the_pair_locks_after_three_wrong_codes(sqlite_app, terminal, card):
    sqlite_app.config["CARDAPI_BACKOFF_AFTER_FAILURES"] = 100
    client = sqlite_app.test_client()
    step = current_step()
    reasons = [
        verify(client, terminal, card.payload(step, wrong_code(card, step))).get_json()["reason"] for _ in range(3)
    ]
    assert reasons[-1] == "locked"
    assert verify(client, terminal, card.payload(step)).get_json()["reason"] == "locked"
    assert client.get("/api/v1/cards/me", headers=card.session.headers).get_json()["locked_terminals"] == 1


def test_leaving_a_facility_twice_unlinks_the_visits_each_time_with_a_new_member_id(client, facility, terminal, card):
    step = current_step()
    member_ids = [verify(client, terminal, card.payload(step - 1)).get_json()["member_id"]]
    for later_step in (step, step + 1):  # the first leave inserts the epoch row, the second updates it
        left = client.delete(f"/api/v1/cards/me/memberships/{facility['id']}", headers=card.session.headers)
        assert left.status_code == 204
        assert client.get("/api/v1/cards/me/memberships", headers=card.session.headers).get_json() == []
        member_ids.append(verify(client, terminal, card.payload(later_step)).get_json()["member_id"])

    assert len(set(member_ids)) == 3 and None not in member_ids
    assert [v["member_id"] for v in _terminal_visits(client, terminal)] == [member_ids[2], None, None]
