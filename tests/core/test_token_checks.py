"""The bearer token checks, which the app's single-decode token manager (core/security.py) must keep."""

from datetime import timedelta

import jwt
import pytest

from tests.helpers import citizen


def _me(client, token: str):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_an_expired_access_token_is_a_401_token_expired(make_app):
    client = make_app(JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=-1)).test_client()
    response = _me(client, citizen(client).access_token)
    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/token-expired"


def test_a_token_signed_with_another_key_is_refused(app, client):
    claims = jwt.decode(citizen(client).access_token, options={"verify_signature": False})
    forged = jwt.encode(claims, "not the server's key" * 3, algorithm="HS256")
    response = _me(client, forged)
    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/token-invalid"


@pytest.mark.parametrize("claim", ["sub", "exp"])
def test_a_validly_signed_token_is_still_checked_claim_by_claim(app, client, claim):
    claims = jwt.decode(citizen(client).access_token, options={"verify_signature": False})
    if claim == "sub":
        del claims["sub"]
    else:
        claims["exp"] = claims["iat"] - 60
    token = jwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")
    assert _me(client, token).status_code == 401


def test_a_refresh_token_does_not_pass_for_an_access_token(client):
    response = _me(client, citizen(client).refresh_token)
    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/token-invalid"


def test_a_valid_access_token_names_its_citizen(client):
    session = citizen(client)
    response = _me(client, session.access_token)
    assert response.status_code == 200 and response.get_json()["id"] == session.id
