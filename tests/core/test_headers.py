"""Headers on every answer: nothing stored unless a feed opts in, security headers, CSP per blueprint."""

import pytest

from tests.cardapi.helpers import create_facility, issue_card
from tests.core.test_config_and_health import PRODUCTION
from tests.helpers import PASSWORD, login, register, staff

STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def test_no_answer_carrying_a_token_a_secret_or_a_code_may_be_stored(app, client):
    user = register(client)
    logged_in = login(client, user["email"], PASSWORD)
    tokens = logged_in.get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    admin = staff(app, client, "admin")
    card = issue_card(client)
    answers = {
        "register": client.post(
            "/api/v1/auth/register",
            json={
                "email": "another@example.kr",
                "password": PASSWORD,
                "name": "이서연",
                "birth_date": "1991-01-02",
                "district": "중구",
            },
        ),
        "login": logged_in,
        "refresh": client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}),
        "enrolment": client.post("/api/v1/cards", headers=bearer),
        "reissue": client.post("/api/v1/cards/me/reissue", headers=card.session.headers),
        "qr": client.get("/api/v1/cards/me/qr", headers=card.session.headers),
        "qr.png": client.get("/api/v1/cards/me/qr.png", headers=card.session.headers),
        "qr.svg": client.get("/api/v1/cards/me/qr.svg", headers=card.session.headers),
        "terminal key": client.post(
            f"/api/v1/admin/facilities/{create_facility(client, admin)['id']}/terminals",
            json={"name": "gate 2"},
            headers=admin.headers,
        ),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == {
        name: 201 if name in ("register", "enrolment", "terminal key") else 200 for name in answers
    }
    assert {name: answer.headers.get("Cache-Control") for name, answer in answers.items()} == dict.fromkeys(
        answers, "no-store"
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/api/v1/stations?lat=37.5665&lon=126.978", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/api/v1/me", 401),
        ("GET", "/no/such/page", 404),
        ("POST", "/api/v1/auth/login", 415),
        ("GET", "/gbfs/3.0/gbfs.json", 200),
    ],
)
def test_every_answer_carries_the_security_headers_and_no_server_banner(client, method, path, status):
    response = client.open(path, method=method, data="x" if method == "POST" else None, content_type="text/plain")

    assert response.status_code == status
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert response.headers["Content-Security-Policy"] == STRICT_CSP
    assert "Server" not in response.headers
    assert "Strict-Transport-Security" not in response.headers  # the test settings are not served over HTTPS


def test_json_answers_are_same_origin_resources_and_not_stored(client):
    response = client.get("/api/v1/stations?lat=37.5665&lon=126.978")

    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_docs_page_runs_only_this_origins_scripts_and_is_not_framed(client):
    response = client.get("/docs")

    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_content_security_policy_is_a_setting_per_blueprint(make_app):
    client = make_app(CONTENT_SECURITY_POLICY={"default": STRICT_CSP, "health": "default-src 'self'"}).test_client()

    assert client.get("/health").headers["Content-Security-Policy"] == "default-src 'self'"
    assert client.get("/openapi.json").headers["Content-Security-Policy"] == STRICT_CSP


def test_production_answers_insist_on_https(base_config, migrated):
    from core.app import create_app

    app = create_app({**PRODUCTION, "DATABASE_URL": base_config["DATABASE_URL"], "REDIS_URL": base_config["REDIS_URL"]})

    assert app.test_client().get("/health").headers["Strict-Transport-Security"].startswith("max-age=31536000")
