"""Input rules stated once in core/fields.py, seen through the API: what is refused, how it is normalised,
and how problems and timestamps read."""

import pytest

from tests.bikeshare.helpers import place_network, rent, rider
from tests.helpers import PASSWORD, citizen, login, register, staff

PROBLEM = "application/problem+json"


def _post_raw(client, path: str, text: str, headers=None):
    return client.post(path, data=text, content_type="application/json", headers=headers or {})


def test_a_full_width_email_names_the_same_account(client):
    register(client, email="minsu.kim@example.kr")
    again = client.post(
        "/api/v1/auth/register",
        json={
            "email": "ｍｉｎｓｕ.kim@example.kr",
            "password": PASSWORD,
            "name": "김민수",
            "birth_date": "1990-05-17",
            "district": "강남구",
        },
    )
    assert again.status_code == 409
    assert login(client, "ＭＩＮＳＵ.KIM@example.kr").status_code == 200


@pytest.mark.parametrize(
    ("name", "field_error"),
    [("   ", "blank"), ("김\\u0000민수", "NUL"), ("\\ud800", "surrogate")],
    ids=["spaces", "nul", "lone-surrogate"],
)
def test_a_name_of_spaces_nul_or_a_lone_surrogate_is_refused(client, name, field_error):
    body = (
        '{"email": "x@example.kr", "password": "correct horse battery", "name": "' + name + '", '
        '"birth_date": "1990-05-17", "district": "강남구"}'
    )
    response = _post_raw(client, "/api/v1/auth/register", body)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert field_error in response.get_json()["errors"]["name"][0]


@pytest.mark.parametrize(
    "name", ["\u202e\u202e", "\u0301\u0301", "\u200b \u2060"], ids=["bidi-overrides", "accents", "zero-width"]
)
def test_a_name_of_only_invisible_characters_is_refused_as_blank(client, name):
    body = {
        "email": "x@example.kr",
        "password": PASSWORD,
        "name": name,
        "birth_date": "1990-05-17",
        "district": "강남구",
    }
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422 and "blank" in response.get_json()["errors"]["name"][0]


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u00ad", "\u2060", "\u1806"],
    ids=["zero-width-space", "soft-hyphen", "joiner", "mongolian-soft-hyphen"],
)
def test_an_email_with_an_invisible_character_is_refused_not_a_second_account(client, invisible):
    register(client, email="minsu.kim@example.kr")
    body = {
        "email": f"minsu.kim@exam{invisible}ple.kr",
        "password": PASSWORD,
        "name": "김민수",
        "birth_date": "1990-05-17",
        "district": "강남구",
    }
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422 and "invisible" in response.get_json()["errors"]["email"][0]


def test_a_login_address_pasted_with_whitespace_around_it_names_the_trimmed_account(client):
    register(client, email="minsu.kim@example.kr")
    assert login(client, " minsu.kim@example.kr\t").status_code == 200


def test_a_decomposed_accent_in_an_email_names_the_composed_account(client):
    register(client, email="josé@example.kr")
    assert login(client, "jose\u0301@example.kr").status_code == 200


def test_a_lone_surrogate_at_login_is_refused_not_a_server_error(client):
    response = _post_raw(client, "/api/v1/auth/login", '{"email": "a@example.kr", "password": "\\udfff"}')
    assert response.status_code == 422


def test_json_nested_deeply_is_400_before_authentication(client):
    response = _post_raw(client, "/api/v1/rentals", "[" * 1000 + "]" * 1000)
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert "nested" in response.get_json()["detail"]


def test_a_5000_digit_number_is_400(client):
    response = _post_raw(client, "/api/v1/auth/login", '{"email": ' + "9" * 5000 + "}")
    assert response.status_code == 400 and "too long" in response.get_json()["detail"]


def test_a_body_over_the_limit_is_413(client):
    response = client.post("/api/v1/auth/login", json={"email": "x" * 70_000, "password": "p"})
    assert response.status_code == 413 and response.mimetype == PROBLEM
    assert response.get_json()["title"] == "Request Entity Too Large"


def test_a_fractional_station_id_is_refused_not_truncated(app, client):
    place_network(app, {4768: (10, 0, 3)})
    response = rent(client, rider(client), 4768.5)
    assert response.status_code == 422 and "station_id" in response.get_json()["errors"]


@pytest.mark.parametrize("value", [2**31, 2**63, -(2**31) - 1])
def test_integers_beyond_the_database_range_are_refused(client, value):
    response = rent(client, citizen(client), value)
    assert response.status_code == 422 and "station_id" in response.get_json()["errors"]


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_dates_outside_1900_to_2100_are_refused_with_the_range_named(app, client, year):
    operator = staff(app, client, "operator")
    response = client.get(f"/api/v1/ops/underused/stations?since={year}-01-01T00:00:00Z", headers=operator.headers)
    assert response.status_code == 422
    assert "between 1900-01-01" in response.get_json()["errors"]["since"][0]


def test_since_after_until_is_refused(app, client):
    operator = staff(app, client, "operator")
    response = client.get(
        "/api/v1/ops/underused/stations?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", headers=operator.headers
    )
    assert response.status_code == 422 and response.get_json()["type"] == "/problems/empty-window"


def test_two_rules_for_one_category_and_scope_are_refused(app, client):
    admin = staff(app, client, "admin")
    rules = [{"category": "senior", "discount_percent": 50}, {"category": "senior", "discount_percent": 30}]
    facility = {"name": "체육관", "kind": "sports", "district": "중구", "benefit_rules": rules}
    response = client.post("/api/v1/admin/facilities", json=facility, headers=admin.headers)
    assert response.status_code == 422 and response.get_json()["type"] == "/problems/duplicate-benefit-rule"
    tiered = [rules[0], {**rules[1], "residents_only": True}]
    tiered_facility = {**facility, "benefit_rules": tiered}
    accepted = client.post("/api/v1/admin/facilities", json=tiered_facility, headers=admin.headers)
    assert accepted.status_code == 201


def test_problem_titles_are_the_reason_phrases_whatever_raised_them(app, client):
    admin = staff(app, client, "admin")
    from_a_service = client.get("/api/v1/admin/facilities/999", headers=admin.headers).get_json()
    from_routing = client.get("/api/v1/no-such-thing").get_json()
    assert from_a_service["title"] == from_routing["title"] == "Not Found"


def test_an_expiry_reads_the_same_from_post_and_get(app, client):
    admin = staff(app, client, "admin")
    user = citizen(client)
    granted = client.post(
        f"/api/v1/admin/citizens/{user.id}/eligibilities",
        json={"category": "disabled", "expires_on": "2030-06-30"},
        headers=admin.headers,
    ).get_json()
    listed = client.get(f"/api/v1/admin/citizens/{user.id}/eligibilities", headers=admin.headers).get_json()
    assert granted["expires_at"] == listed["grants"][0]["expires_at"] == "2030-06-30T15:00:00+00:00"
