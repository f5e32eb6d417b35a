"""A citizen sees their own eligibility: the categories held now, each with its expiry, and the birth-date check."""

from tests.helpers import citizen, staff


def _mine(client, session):
    response = client.get("/api/v1/me/eligibility", headers=session.headers)
    assert response.status_code == 200
    return response.get_json()


def test_a_new_citizen_holds_nothing_and_the_birth_date_is_unverified(client):
    assert _mine(client, citizen(client)) == {"birth_date_verified": False, "categories": []}


def test_grants_show_with_their_expiry_and_a_verified_senior_by_birth_date(app, client):
    admin = staff(app, client, "admin")
    elder = citizen(client, birth_date="1950-03-01")
    grants = f"/api/v1/admin/citizens/{elder.id}/eligibilities"
    client.post(grants, json={"category": "disabled", "expires_on": "2099-12-31"}, headers=admin.headers)
    assert _mine(client, elder)["categories"] == [
        {"category": "disabled", "expires_at": "2099-12-31T15:00:00+00:00", "source": "admin"}
    ]  # an unverified birth date earns nothing

    client.put(
        f"/api/v1/admin/citizens/{elder.id}/birth-date-verification", json={"verified": True}, headers=admin.headers
    )
    mine = _mine(client, elder)

    assert mine["birth_date_verified"] is True
    assert {"category": "senior", "expires_at": None, "source": "birth_date"} in mine["categories"]


def test_eligibility_needs_a_login(client):
    assert client.get("/api/v1/me/eligibility").status_code == 401
