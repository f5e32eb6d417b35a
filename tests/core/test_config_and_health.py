"""Configuration safety, liveness, readiness, and the OpenAPI document."""

import pytest

from config import ConfigError
from core.app import create_app

PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "JWT_SECRET_KEY": "j" * 40,
    "PSEUDONYM_KEY": "p" * 40,
    "SECRET_ENCRYPTION_KEYS": "k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU=",
    "CARDAPI_SCC2_KEYS": "2026a:cHJvZHVjdGlvbi1zY2MyLWtleS1mb3ItdGhlLXRlc3Q=",
    "PUBLIC_BASE_URL": "https://bikes.seoul.example",
    "SMTP_HOST": "mail.seoul.example",
}


# Written out here, not taken from config: the test states what production must insist on.
REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "JWT_SECRET_KEY",
    "PSEUDONYM_KEY",
    "SECRET_ENCRYPTION_KEYS",
    "DATABASE_URL",
    "REDIS_URL",
    "PUBLIC_BASE_URL",
    "SMTP_HOST",  # password resets are mailed
)


@pytest.mark.parametrize("variable", REQUIRED_IN_PRODUCTION)
@pytest.mark.parametrize("value", [None, "default"])
def test_production_refuses_to_start_on_a_missing_or_default_setting(base_config, monkeypatch, variable, value):
    for name in REQUIRED_IN_PRODUCTION:
        monkeypatch.delenv(name, raising=False)
    settings = {**PRODUCTION, "DATABASE_URL": base_config["DATABASE_URL"], "REDIS_URL": base_config["REDIS_URL"]}
    if value is None:
        del settings[variable]
    else:
        from config import DEVELOPMENT_ENCRYPTION_KEYS, DEVELOPMENT_SECRET

        settings[variable] = DEVELOPMENT_ENCRYPTION_KEYS if variable == "SECRET_ENCRYPTION_KEYS" else DEVELOPMENT_SECRET
        if variable in ("DATABASE_URL", "REDIS_URL", "SMTP_HOST"):
            settings[variable] = ""
        if variable == "PUBLIC_BASE_URL":
            settings[variable] = "http://127.0.0.1:5000"
    with pytest.raises(ConfigError, match=variable):
        create_app(settings)


def test_production_starts_with_every_setting_given(base_config, migrated):
    app = create_app({**PRODUCTION, "DATABASE_URL": base_config["DATABASE_URL"], "REDIS_URL": base_config["REDIS_URL"]})
    assert app.test_client().get("/ready").status_code == 200


def test_production_refuses_a_public_base_url_that_is_not_an_absolute_http_url(base_config):
    settings = {**PRODUCTION, "DATABASE_URL": base_config["DATABASE_URL"], "REDIS_URL": base_config["REDIS_URL"]}
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        create_app({**settings, "PUBLIC_BASE_URL": "bikes.seoul.example"})


def test_an_unknown_app_env_is_refused():
    with pytest.raises(ConfigError, match="APP_ENV"):
        create_app({"APP_ENV": "staging"})


def test_health_and_ready(client):
    assert client.get("/health").status_code == 200
    ready = client.get("/ready").get_json()
    assert ready == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_ready_is_503_naming_redis_when_redis_is_down(make_app, tmp_path):
    app = make_app(REDIS_URL=f"unix://{tmp_path}/no-redis.sock")
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.get_json()["checks"] == {"database": "ok", "redis": "unavailable"}
    assert "redis" in response.get_json()["detail"]


def test_ready_is_503_naming_the_database_when_it_is_down(make_app):
    app = make_app(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "unavailable", "redis": "ok"}


def test_openapi_document_is_served_and_documents_problem_errors(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "application/problem+json" in spec["components"]["responses"]["UNAUTHORIZED"]["content"]
    assert {"200", "401", "422", "429"} <= set(login["responses"])
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert client.get("/docs").status_code == 200
