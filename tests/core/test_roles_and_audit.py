"""Roles (CLI and admin API), deny-by-default role checks, and the audit log."""

import json

from tests.helpers import PASSWORD, citizen, login, register, staff


def test_create_admin_command_makes_a_working_admin(app, client):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--email", "root@seoul.go.kr"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    tokens = login(client, "root@seoul.go.kr").get_json()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).get_json()
    assert me["roles"] == ["admin", "citizen"]


def test_grant_role_command_refuses_unknown_roles_and_accounts(app, client):
    user = register(client)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "grant-role", user["email"], "superuser"]).exit_code != 0
    assert runner.invoke(args=["users", "grant-role", "nobody@example.kr", "admin"]).exit_code != 0


def test_admin_grants_and_revokes_roles_through_the_api(app, client):
    admin = staff(app, client, "admin")
    user = register(client)
    granted = client.post(f"/api/v1/admin/users/{user['id']}/roles", json={"role": "operator"}, headers=admin.headers)
    assert granted.status_code == 200 and "operator" in granted.get_json()["roles"]
    revoked = client.delete(f"/api/v1/admin/users/{user['id']}/roles/operator", headers=admin.headers)
    assert "operator" not in revoked.get_json()["roles"]
    own = client.delete(f"/api/v1/admin/users/{admin.id}/roles/admin", headers=admin.headers)
    assert own.status_code == 409


def test_role_changes_take_effect_without_a_new_login(app, client):
    admin = staff(app, client, "admin")
    operator = staff(app, client, "admin")
    assert client.get("/api/v1/admin/audit-events", headers=operator.headers).status_code == 200
    client.delete(f"/api/v1/admin/users/{operator.id}/roles/admin", headers=admin.headers)
    assert client.get("/api/v1/admin/audit-events", headers=operator.headers).status_code == 403


def test_a_role_set_read_before_a_revocation_and_cached_after_it_is_not_believed(app, client):
    from core.redis import get_redis

    admin, operator = staff(app, client, "admin"), staff(app, client, "admin")
    for _ in range(2):  # the first request after start-up fills the revocation mirror, the next the role cache
        assert client.get("/api/v1/admin/audit-events", headers=operator.headers).status_code == 200
    with app.app_context():
        # What a request that read the roles just before the revocation committed writes just after it.
        key = next(key for key in get_redis().scan_iter(match="*auth:roles:*") if key.endswith(f":{operator.id}"))
        slow_fill = get_redis().get(key)
    assert client.delete(f"/api/v1/admin/users/{operator.id}/roles/admin", headers=admin.headers).status_code == 200
    with app.app_context():
        get_redis().set(key, slow_fill)
    assert client.get("/api/v1/admin/audit-events", headers=operator.headers).status_code == 403


def test_security_events_are_audited_with_request_id_and_never_secrets(make_app):
    app = make_app(REFRESH_GRACE_SECONDS=0)  # the second refresh is a reuse, not a retry
    client = app.test_client()
    session = citizen(client)
    login(client, session.email, "wrong password!")
    client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {session.refresh_token}"})
    client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {session.refresh_token}"})  # reuse
    client.post("/api/v1/auth/logout", headers=citizen(client).headers, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    admin = staff(app, client, "admin")

    events = client.get("/api/v1/admin/audit-events?limit=1000", headers=admin.headers).get_json()
    kinds = {event["event"] for event in events}
    assert {"register", "login", "login_failed", "refresh_reuse", "logout", "role_granted"} <= kinds
    logout = next(event for event in events if event["event"] == "logout")
    assert logout["client_address"] == "10.1.2.3" and logout["request_id"]
    dump = json.dumps(events)
    assert PASSWORD not in dump and "wrong password!" not in dump and session.refresh_token not in dump


def test_audit_events_can_be_filtered_by_kind(app, client):
    session = citizen(client)
    login(client, session.email, "wrong password!")
    admin = staff(app, client, "admin")
    events = client.get("/api/v1/admin/audit-events?event=login_failed", headers=admin.headers).get_json()
    assert [event["event"] for event in events] == ["login_failed"]
