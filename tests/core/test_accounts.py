"""Registration, login, token rotation with reuse detection, logout, /me."""

import pytest

from tests.helpers import PASSWORD, citizen, login, register


def test_register_returns_the_account_without_its_password(client):
    user = register(client, email="Kim@Example.KR", district="Gangnam-gu")
    assert user["email"] == "kim@example.kr"
    assert user["district"] == "강남구"
    assert user["roles"] == ["citizen"]
    assert "password_hash" not in user and "password" not in client.get("/api/v1/me").get_data(as_text=True)


def test_register_refuses_an_email_taken_in_another_letter_case(client):
    register(client, email="park@example.kr")
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "PARK@example.kr",
            "password": PASSWORD,
            "name": "박지민",
            "birth_date": "1990-01-01",
            "district": "마포구",
        },
    )
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert response.get_json()["type"] == "/problems/email-taken"


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1234", "too short"), ("lee@example.kr", "same as the email address")],
)
def test_register_enforces_the_password_policy(client, password, reason):
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "lee@example.kr",
            "password": password,
            "name": "이서준",
            "birth_date": "1985-03-03",
            "district": "종로구",
        },
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"password": [reason]}


def test_register_refuses_a_district_outside_seoul(client):
    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "a@example.kr",
            "password": PASSWORD,
            "name": "최",
            "birth_date": "1985-03-03",
            "district": "Busan",
        },
    )
    assert response.status_code == 422
    assert "district" in response.get_json()["errors"]


def test_stored_password_is_an_argon2_hash(app, client):
    user = register(client)
    with app.app_context():
        from core.accounts.models import User
        from core.db import db

        stored = db.session.get(User, user["id"]).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_login_returns_a_bearer_pair_and_me_answers(client):
    user = register(client)
    response = login(client, user["email"].upper())
    body = response.get_json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.get_json()["id"] == user["id"]


@pytest.mark.parametrize("email_known", [True, False])
def test_login_with_wrong_credentials_is_401_and_says_the_same_either_way(client, email_known):
    register(client, email="known@example.kr")
    email = "known@example.kr" if email_known else "unknown@example.kr"
    response = login(client, email, "wrong password!")
    assert response.status_code == 401
    assert response.get_json()["detail"] == "The email address or the password is wrong."


def test_me_without_a_token_is_a_401_problem(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.get_json()["type"] == "/problems/token-missing"


def test_me_with_a_garbage_token_is_401(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/token-invalid"


def _refresh(client, refresh_token):
    return client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {refresh_token}"})


def test_refresh_rotates_and_each_refresh_token_works_once(client):
    session = citizen(client)
    first = _refresh(client, session.refresh_token)
    assert first.status_code == 200
    pair = first.get_json()
    assert pair["refresh_token"] != session.refresh_token
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"}).status_code == 200
    assert _refresh(client, pair["refresh_token"]).status_code == 200


def test_reusing_a_refresh_token_revokes_the_whole_family(make_app):
    client = make_app(REFRESH_GRACE_SECONDS=0).test_client()  # every reuse is past the window
    session = citizen(client)
    rotated = _refresh(client, session.refresh_token).get_json()

    reuse = _refresh(client, session.refresh_token)
    assert reuse.status_code == 401

    # Everything issued in that family is dead: the rotated refresh token and its access token.
    assert _refresh(client, rotated["refresh_token"]).status_code == 401
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert me.status_code == 401 and me.get_json()["type"] == "/problems/token-revoked"
    # Another login (another family) is untouched.
    other = login(client, session.email).get_json()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other['access_token']}"}).status_code == 200


def test_an_access_token_cannot_be_used_to_refresh(client):
    session = citizen(client)
    assert _refresh(client, session.access_token).status_code == 401


def test_logout_revokes_access_and_refresh_tokens(client):
    session = citizen(client)
    assert client.post("/api/v1/auth/logout", headers=session.headers).status_code == 204
    assert client.get("/api/v1/me", headers=session.headers).status_code == 401
    assert _refresh(client, session.refresh_token).status_code == 401


def test_logout_on_one_instance_is_seen_by_another(make_app):
    instance_a, instance_b = make_app().test_client(), make_app().test_client()
    session = citizen(instance_a)
    assert instance_b.get("/api/v1/me", headers=session.headers).status_code == 200
    instance_a.post("/api/v1/auth/logout", headers=session.headers)
    assert instance_b.get("/api/v1/me", headers=session.headers).status_code == 401
    assert _refresh(instance_b, session.refresh_token).status_code == 401


def test_with_redis_down_tokens_are_checked_against_the_database(make_app, tmp_path):
    healthy = make_app().test_client()
    signed_in, signed_out = citizen(healthy), citizen(healthy)
    healthy.post("/api/v1/auth/logout", headers=signed_out.headers)

    without_redis = make_app(REDIS_URL=f"unix://{tmp_path}/no-redis.sock").test_client()
    assert without_redis.get("/api/v1/me", headers=signed_in.headers).status_code == 200
    assert without_redis.get("/api/v1/me", headers=signed_out.headers).status_code == 401
