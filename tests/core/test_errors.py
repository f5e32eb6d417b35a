"""Every error is RFC 9457 problem+json, and every response carries a request id."""

import pytest

PROBLEM = "application/problem+json"


def _assert_problem(response, status):
    assert response.status_code == status
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    assert body["instance"] == response.request.path
    return body


def test_malformed_json_is_a_400_problem(client):
    response = client.post("/api/v1/auth/login", data='{"email": ', content_type="application/json")
    _assert_problem(response, 400)


def test_a_body_that_is_not_json_is_415(client):
    response = client.post(
        "/api/v1/auth/login", data="email=a&password=b", content_type="application/x-www-form-urlencoded"
    )
    body = _assert_problem(response, 415)
    assert "application/json" in body["detail"]


def test_missing_fields_are_a_422_with_per_field_errors(client):
    body = _assert_problem(client.post("/api/v1/auth/register", json={"email": "x@example.kr"}), 422)
    assert set(body["errors"]) == {"password", "name", "birth_date", "district"}


def test_unknown_route_is_a_404_problem(client):
    _assert_problem(client.get("/api/v1/no-such-thing"), 404)


def test_wrong_method_is_a_405_problem_with_allow(client):
    response = client.delete("/api/v1/auth/login")
    _assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_an_unexpected_failure_is_a_500_problem_without_internals(app):
    def explode():
        raise RuntimeError("secret internal detail: password=hunter2")

    app.add_url_rule("/explode", view_func=explode)
    body = _assert_problem(app.test_client().get("/explode"), 500)
    assert "hunter2" not in str(body) and "RuntimeError" not in str(body)


def test_a_database_constraint_race_becomes_409_without_the_database_message(app):
    from sqlalchemy.exc import IntegrityError

    def collide():
        raise IntegrityError("INSERT INTO users ...", {}, Exception('duplicate key value violates "uq_users_email"'))

    app.add_url_rule("/collide", view_func=collide)
    body = _assert_problem(app.test_client().get("/collide"), 409)
    assert "uq_users_email" not in str(body) and "INSERT" not in str(body)


@pytest.mark.parametrize(("sent", "echoed"), [("abc12345-req", True), ("bad id with spaces", False), (None, False)])
def test_responses_carry_a_request_id(client, sent, echoed):
    headers = {"X-Request-ID": sent} if sent else {}
    response = client.get("/api/v1/no-such-thing", headers=headers)
    request_id = response.headers["X-Request-ID"]
    assert (request_id == sent) is echoed
    assert len(request_id) >= 8
    assert response.get_json()["request_id"] == request_id
