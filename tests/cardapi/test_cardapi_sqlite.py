"""The card's SQLite paths, as `make run` serves them: verification, the lock, leaving a facility.

On PostgreSQL an acceptance is one prepared statement; on SQLite it is three statements (step, visit,
audit event), and leaving a facility upserts in SQLite's dialect. Every fixture here builds on SQLite.
"""

import pytest

from tests.cardapi.helpers import current_step, verify, wrong_code


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
    replayed = verify(client, terminal, card.payload(step)).get_json()
    older = verify(client, terminal, card.payload(step - 1)).get_json()
    assert (replayed["accepted"], replayed["reason"]) == (older["accepted"], older["reason"]) == (False, "invalid_code")

    assert [(v["id"], v["member_id"]) for v in _terminal_visits(client, terminal)] == [
        (first["visit_id"], first["member_id"])
    ]
    mine = client.get("/api/v1/cards/me/visits", headers=card.session.headers).get_json()
    assert [v["id"] for v in mine] == [first["visit_id"]]
    events = client.get("/api/v1/admin/audit-events?limit=1000", headers=admin.headers).get_json()
    assert [e["event"] for e in events].count("card_verified") == 1


def test_the_card_locks_after_ten_wrong_codes(client, terminal, card):
    step = current_step()
    reasons = [
        verify(client, terminal, card.payload(step, wrong_code(card, step))).get_json()["reason"] for _ in range(10)
    ]
    assert reasons[-1] == "locked"
    assert verify(client, terminal, card.payload(step)).get_json()["reason"] == "locked"
    assert client.get("/api/v1/cards/me", headers=card.session.headers).get_json()["locked"] is True


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
