"""Facilities and terminals: administration, keys shown once, and who may read a facility's visits."""

from tests.cardapi.helpers import create_facility, verify


def test_a_facility_validates_kind_district_and_rules(client, admin):
    body = {"name": "x", "kind": "zoo", "district": "Atlantis", "benefit_rules": [{"category": "vip"}]}
    response = client.post("/api/v1/admin/facilities", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert {"kind", "district", "benefit_rules"} <= set(response.get_json()["errors"])


def test_a_terminal_key_is_shown_once_and_its_use_recorded(client, admin, facility, terminal, card):
    listed = client.get(f"/api/v1/admin/facilities/{facility['id']}/terminals", headers=admin.headers).get_json()
    assert terminal["api_key"].startswith("sct_") and "api_key" not in listed[0]
    assert listed[0]["last_used_at"] is None
    verify(client, terminal, card.payload())
    listed = client.get(f"/api/v1/admin/facilities/{facility['id']}/terminals", headers=admin.headers).get_json()
    assert listed[0]["last_used_at"] is not None


def test_facilities_are_listed_and_updated(client, admin, facility):
    rules = [{"category": "disabled", "discount_percent": 80, "residents_only": False}]
    patched = client.patch(
        f"/api/v1/admin/facilities/{facility['id']}", json={"benefit_rules": rules}, headers=admin.headers
    ).get_json()
    assert patched["benefit_rules"] == rules
    assert [f["id"] for f in client.get("/api/v1/admin/facilities", headers=admin.headers).get_json()] == [
        facility["id"]
    ]


def test_facility_xs_terminal_cannot_read_facility_ys_visits(client, admin, terminal, card):
    other = create_facility(client, admin, name="세종문화회관", kind="culture", district="종로구")
    verify(client, terminal, card.payload())
    response = client.get(f"/api/v1/facilities/{other['id']}/visits", headers={"X-Terminal-Key": terminal["api_key"]})
    assert response.status_code == 403
    own = client.get(
        f"/api/v1/facilities/{terminal['facility_id']}/visits", headers={"X-Terminal-Key": terminal["api_key"]}
    )
    assert own.status_code == 200 and len(own.get_json()) == 1


def test_a_terminal_never_sees_birth_date_email_district_or_secret(client, admin, terminal, card):
    body = verify(client, terminal, card.payload()).get_json()
    visits = client.get(
        f"/api/v1/facilities/{terminal['facility_id']}/visits", headers={"X-Terminal-Key": terminal["api_key"]}
    ).get_json()
    text = str(body) + str(visits)
    for private in ("1990", card.session.email, "강남구", card.secret, "김민수"):
        assert private not in text
    assert body["holder"] == {"display_name": "김*수", "age_group": "30s"}


def test_a_retried_terminal_creation_makes_one_terminal_and_never_shows_its_key_twice(client, admin, facility):
    path = f"/api/v1/admin/facilities/{facility['id']}/terminals"
    headers = {**admin.headers, "Idempotency-Key": "new-desk-1"}
    first = client.post(path, json={"name": "1층 안내"}, headers=headers)
    retry = client.post(path, json={"name": "1층 안내"}, headers=headers)
    assert first.status_code == 201 and first.get_json()["api_key"].startswith("sct_")
    assert retry.status_code == 409 and retry.get_json()["type"] == "/problems/answer-already-delivered"
    assert "sct_" not in retry.get_data(as_text=True)
    assert len(client.get(path, headers=admin.headers).get_json()) == 1  # no second live key nobody holds


def test_a_retried_facility_creation_makes_one_facility(client, admin):
    body = {"name": "서울도서관", "kind": "library", "district": "중구"}
    headers = {**admin.headers, "Idempotency-Key": "new-library-1"}
    first = client.post("/api/v1/admin/facilities", json=body, headers=headers)
    retry = client.post("/api/v1/admin/facilities", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201 and retry.get_json() == first.get_json()
    assert len(client.get("/api/v1/admin/facilities", headers=admin.headers).get_json()) == 1
