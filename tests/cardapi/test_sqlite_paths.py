"""Verification and leaving a facility on SQLite (what `make run` uses), whose statements differ from PostgreSQL's."""

import pytest

from tests.cardapi.helpers import current_step, verify


@pytest.fixture
def app(make_app, tmp_path):
    """The card fixtures (admin, facility, terminal, card) on a fresh SQLite database."""
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/dev.db")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return app


def test_on_sqlite_a_code_is_accepted_once_audited_and_a_left_facility_gets_a_new_member_id(
    client, admin, facility, terminal, card
):
    step = current_step()
    accepted = verify(client, terminal, card.payload(step)).get_json()
    assert accepted["accepted"] and accepted["member_id"]
    assert not verify(client, terminal, card.payload(step)).get_json()["accepted"]  # the same step again
    audited = client.get("/api/v1/admin/audit-events?event=card_verified", headers=admin.headers).get_json()
    assert [e["details"]["facility_id"] for e in audited] == [facility["id"]]

    left = client.delete(f"/api/v1/cards/me/memberships/{facility['id']}", headers=card.session.headers)
    assert left.status_code == 204
    again = client.delete(f"/api/v1/cards/me/memberships/{facility['id']}", headers=card.session.headers)
    assert again.status_code == 204  # the second leave bumps the epoch of the existing row
    after = verify(client, terminal, card.payload(step + 1)).get_json()
    assert after["accepted"] and after["member_id"] != accepted["member_id"]
    visits = client.get(f"/api/v1/facilities/{facility['id']}/visits", headers=admin.headers).get_json()
    assert [v["member_id"] for v in visits] == [after["member_id"], None]
