"""Membership without registering: a stable, per-facility pseudonym that the citizen can revoke."""

from tests.cardapi.helpers import create_facility, create_terminal, current_step, settled_step, verify


def test_the_member_id_survives_reissue_and_differs_between_facilities(client, admin, facility, terminal, card):
    other = create_terminal(client, admin, create_facility(client, admin, name="DDP", kind="culture")["id"])
    step = settled_step()
    # Each acceptance needs a later step, and only step-1 .. step+1 are valid now.
    here = verify(client, terminal, card.payload(step - 1)).get_json()["member_id"]
    there = verify(client, other, card.payload(step)).get_json()["member_id"]
    assert here and there and here != there

    reissued = client.post("/api/v1/cards/me/reissue", headers=card.session.headers).get_json()
    card.secret = reissued["enrolment"]["secret"]
    assert verify(client, terminal, card.payload(step + 1)).get_json()["accepted"]
    visits = client.get(
        f"/api/v1/facilities/{facility['id']}/visits", headers={"X-Terminal-Key": terminal["api_key"]}
    ).get_json()
    assert [v["member_id"] for v in visits] == [here, here]


def test_the_citizen_lists_and_revokes_memberships(client, admin, facility, terminal, card):
    step = current_step()
    first = verify(client, terminal, card.payload(step)).get_json()["member_id"]
    memberships = client.get("/api/v1/cards/me/memberships", headers=card.session.headers).get_json()
    assert [(m["facility"]["id"], m["visits"]) for m in memberships] == [(facility["id"], 1)]

    left = client.delete(f"/api/v1/cards/me/memberships/{facility['id']}", headers=card.session.headers)
    assert left.status_code == 204
    assert client.get("/api/v1/cards/me/memberships", headers=card.session.headers).get_json() == []
    after = verify(client, terminal, card.payload(step + 1)).get_json()["member_id"]
    assert after and after != first
    visits = client.get(f"/api/v1/facilities/{facility['id']}/visits", headers=admin.headers).get_json()
    assert [v["member_id"] for v in visits] == [after, None]
    mine = client.get("/api/v1/cards/me/visits", headers=card.session.headers).get_json()
    assert len(mine) == 2 and mine[0]["facility_name"] == facility["name"]
