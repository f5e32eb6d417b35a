"""The account flows on SQLite (what `make run` uses): refresh retries, reset by mailed token, logout-all."""

import json
import re

from tests.helpers import citizen, login

NEW_PASSWORD = "a much better passphrase"


def test_refresh_retry_password_reset_and_logout_everywhere_work_on_sqlite(make_app, tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/seoul.db", MAIL_OUTBOX=str(outbox))
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    client = app.test_client()
    session = citizen(client)

    refresh = {"Authorization": f"Bearer {session.refresh_token}"}
    first, retry = (client.post("/api/v1/auth/refresh", headers=refresh) for _ in range(2))
    assert first.status_code == 200 and retry.get_json() == first.get_json()

    assert client.post("/api/v1/auth/password-reset", json={"email": session.email}).status_code == 202
    token = re.search(r"Reset token \(.*\): (\S+)", json.loads(outbox.read_text())["body"]).group(1)
    body = {"token": token, "new_password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 204
    assert client.get("/api/v1/me", headers=session.headers).status_code == 401

    pair = login(client, session.email, NEW_PASSWORD).get_json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert client.post("/api/v1/auth/logout-all", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
