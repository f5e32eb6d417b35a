"""Refresh retries inside the grace window, and revocation that survives Redis being emptied or down."""

import time

import jwt
import pytest
from sqlalchemy import func, select

from core.accounts.models import RedisWriteFailure
from core.db import db
from tests.helpers import citizen, login, staff
from tests.system.stoppable import Redis
from tests.system.support import race


def _refresh(client, refresh_token: str):
    return client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {refresh_token}"})


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_retried_refresh_inside_the_grace_window_gets_the_same_pair_and_keeps_the_session(client):
    session = citizen(client)
    first, retry = _refresh(client, session.refresh_token), _refresh(client, session.refresh_token)
    assert first.status_code == retry.status_code == 200
    assert retry.get_json() == first.get_json()
    pair = first.get_json()
    assert client.get("/api/v1/me", headers=_bearer(pair["access_token"])).status_code == 200
    assert _refresh(client, pair["refresh_token"]).status_code == 200


def test_two_tabs_refreshing_at_once_both_stay_signed_in(app):
    for _ in range(5):  # several rounds, so the two requests really overlap in some of them
        token = citizen(app.test_client()).refresh_token
        tabs = [app.test_client(), app.test_client()]
        answers = race([lambda tab=tab, token=token: _refresh(tab, token) for tab in tabs])
        assert [answer.status_code for answer in answers] == [200, 200]
        assert answers[0].get_json() == answers[1].get_json()
        assert _refresh(app.test_client(), answers[0].get_json()["refresh_token"]).status_code == 200


def test_reuse_after_the_grace_window_still_revokes_the_family(make_app):
    client = make_app(REFRESH_GRACE_SECONDS=1).test_client()
    session = citizen(client)
    rotated = _refresh(client, session.refresh_token).get_json()
    time.sleep(1.2)
    assert _refresh(client, session.refresh_token).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(rotated["access_token"])).status_code == 401
    assert _refresh(client, rotated["refresh_token"]).status_code == 401


def test_a_revoked_token_stays_refused_after_redis_restarts_empty(app, client):
    signed_out, signed_in = citizen(client), citizen(client)
    client.post("/api/v1/auth/logout", headers=signed_out.headers)

    app.extensions["redis"].flushall()  # what a restart without persistence leaves

    assert client.get("/api/v1/me", headers=signed_out.headers).status_code == 401
    assert _refresh(client, signed_out.refresh_token).status_code == 401
    assert client.get("/api/v1/me", headers=signed_in.headers).status_code == 200
    # Refilled from the database: the mark is back in Redis, not only checked once.
    assert app.extensions["redis"].exists(f"auth:revoked-family:{_family(signed_out)}")
    assert client.get("/api/v1/me", headers=signed_out.headers).status_code == 401


def _family(session) -> str:
    return jwt.decode(session.access_token, options={"verify_signature": False})["fam"]


def test_logout_and_role_revocation_with_redis_unreachable_still_hold_when_it_returns(make_app, tmp_path):
    healthy = make_app(REVOCATION_SYNC_SECONDS=0).test_client()
    admin_app = make_app()
    admin = staff(admin_app, healthy, "admin")
    operator, leaving = staff(admin_app, healthy, "admin"), citizen(healthy)
    assert healthy.get("/api/v1/admin/audit-events", headers=operator.headers).status_code == 200  # roles cached

    without_redis = make_app(REDIS_URL=f"unix://{tmp_path}/no-redis.sock").test_client()
    assert without_redis.post("/api/v1/auth/logout", headers=leaving.headers).status_code == 204
    revoked = without_redis.delete(f"/api/v1/admin/users/{operator.id}/roles/admin", headers=admin.headers)
    assert revoked.status_code == 200 and "admin" not in revoked.get_json()["roles"]
    assert without_redis.get("/api/v1/me", headers=leaving.headers).status_code == 401

    # Redis kept its old contents (no mark, roles still cached): the database says it missed writes.
    assert healthy.get("/api/v1/me", headers=leaving.headers).status_code == 401
    assert healthy.get("/api/v1/admin/audit-events", headers=operator.headers).status_code == 403


@pytest.fixture
def own_redis(tmp_path):
    server = Redis(tmp_path)
    yield server
    server.cleanup()


def test_with_redis_stopped_logout_and_login_work_and_the_revocation_outlives_the_restart(make_app, own_redis):
    client = make_app(REDIS_URL=own_redis.url).test_client()
    leaving, staying = citizen(client), citizen(client)

    own_redis.stop()
    try:
        assert client.post("/api/v1/auth/logout", headers=leaving.headers).status_code == 204
        assert client.get("/api/v1/me", headers=leaving.headers).status_code == 401
        assert login(client, staying.email).status_code == 200
    finally:
        own_redis.start()  # empty: the server keeps nothing on disk

    assert client.get("/api/v1/me", headers=leaving.headers).status_code == 401
    assert _refresh(client, leaving.refresh_token).status_code == 401
    assert client.get("/api/v1/me", headers=staying.headers).status_code == 200


def test_only_the_newest_redis_write_failure_is_kept_and_revocations_hold(make_app, tmp_path):
    healthy_app = make_app(REVOCATION_SYNC_SECONDS=0)
    healthy = healthy_app.test_client()
    first, second, checking = citizen(healthy), citizen(healthy), citizen(healthy)
    without_redis = make_app(REDIS_URL=f"unix://{tmp_path}/no-redis.sock").test_client()
    assert without_redis.post("/api/v1/auth/logout", headers=first.headers).status_code == 204
    assert without_redis.post("/api/v1/auth/logout", headers=second.headers).status_code == 204
    with healthy_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RedisWriteFailure)) == 1

    assert healthy.get("/api/v1/me", headers=checking.headers).status_code == 200  # Redis is behind: refilled
    assert healthy.get("/api/v1/me", headers=first.headers).status_code == 401
    assert healthy.get("/api/v1/me", headers=second.headers).status_code == 401
