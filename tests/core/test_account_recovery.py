"""Password change, password reset by a mailed one-time token, and logging out everywhere."""

import json
import queue
import re
import socket
import threading

import pytest

from tests.helpers import PASSWORD, citizen, login, staff

NEW_PASSWORD = "a much better passphrase"


@pytest.fixture
def outbox(tmp_path):
    return tmp_path / "outbox.jsonl"


@pytest.fixture
def app(make_app, outbox):
    return make_app(MAIL_OUTBOX=str(outbox))


def _mails(outbox, to: str) -> list[dict]:
    if not outbox.exists():
        return []
    return [mail for mail in map(json.loads, outbox.read_text().splitlines()) if mail["to"] == to]


def _reset_token(outbox, to: str) -> str:
    return re.search(r"Reset token \(.*\): (\S+)", _mails(outbox, to)[-1]["body"]).group(1)


def _works(client, session) -> bool:
    return client.get("/api/v1/me", headers=session.headers).status_code == 200


def _refreshes(client, refresh_token: str) -> bool:
    response = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {refresh_token}"})
    return response.status_code == 200


def _change(client, session, current: str, new: str = NEW_PASSWORD):
    body = {"current_password": current, "new_password": new}
    return client.post("/api/v1/auth/password", json=body, headers=session.headers)


def test_changing_the_password_ends_every_session_and_returns_a_fresh_pair(client):
    phone = citizen(client)
    laptop_tokens = login(client, phone.email).get_json()

    changed = _change(client, phone, PASSWORD)
    assert changed.status_code == 200
    pair = changed.get_json()

    assert not _works(client, phone) and not _refreshes(client, phone.refresh_token)
    assert not _refreshes(client, laptop_tokens["refresh_token"])
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"}).status_code == 200
    assert _refreshes(client, pair["refresh_token"])
    assert login(client, phone.email).status_code == 401
    assert login(client, phone.email, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("current", "new", "field"),
    [("wrong password!", NEW_PASSWORD, "current_password"), (PASSWORD, "short", "password")],
)
def test_a_refused_password_change_changes_nothing(client, current, new, field):
    session = citizen(client)
    refused = _change(client, session, current, new)
    assert refused.status_code == 422
    assert field in refused.get_json()["errors"]
    assert _works(client, session)
    assert login(client, session.email).status_code == 200


def test_wrong_current_passwords_are_throttled_like_logins(client):
    session = citizen(client)
    statuses = [_change(client, session, "wrong password!").status_code for _ in range(5)]
    assert statuses == [422, 422, 422, 422, 429]


def test_a_mailed_token_resets_the_password_once_and_ends_every_session(client, outbox):
    session = citizen(client)
    requested = client.post("/api/v1/auth/password-reset", json={"email": session.email.upper()})
    assert requested.status_code == 202

    token = _reset_token(outbox, session.email)
    reset = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
    assert reset.status_code == 204
    assert not _works(client, session) and not _refreshes(client, session.refresh_token)
    assert login(client, session.email).status_code == 401
    assert login(client, session.email, NEW_PASSWORD).status_code == 200

    again = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": PASSWORD})
    assert again.status_code == 422 and again.get_json()["type"] == "/problems/reset-token-invalid"


def test_a_reset_request_answers_the_same_for_an_unknown_address_and_sends_nothing(client, outbox):
    known = citizen(client)
    answers = [
        client.post("/api/v1/auth/password-reset", json={"email": email})
        for email in (known.email, "nobody@example.kr")
    ]
    assert answers[0].status_code == answers[1].status_code == 202
    assert answers[0].get_data() == answers[1].get_data()
    assert len(_mails(outbox, known.email)) == 1 and _mails(outbox, "nobody@example.kr") == []


def test_a_reset_token_expires(make_app, outbox):
    client = make_app(MAIL_OUTBOX=str(outbox), PASSWORD_RESET_TOKEN_MINUTES=0).test_client()
    session = citizen(client)
    client.post("/api/v1/auth/password-reset", json={"email": session.email})
    body = {"token": _reset_token(outbox, session.email), "new_password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 422
    assert _works(client, session)


def test_a_newer_reset_token_replaces_the_earlier_one(client, outbox):
    session = citizen(client)
    client.post("/api/v1/auth/password-reset", json={"email": session.email})
    earlier = _reset_token(outbox, session.email)
    client.post("/api/v1/auth/password-reset", json={"email": session.email})
    later = _reset_token(outbox, session.email)
    confirm = "/api/v1/auth/password-reset/confirm"
    assert client.post(confirm, json={"token": earlier, "new_password": NEW_PASSWORD}).status_code == 422
    assert client.post(confirm, json={"token": later, "new_password": NEW_PASSWORD}).status_code == 204


def test_a_reset_token_is_stored_only_as_a_hash(app, client, outbox):
    session = citizen(client)
    client.post("/api/v1/auth/password-reset", json={"email": session.email})
    token = _reset_token(outbox, session.email)
    with app.app_context():
        from sqlalchemy import text

        from core.db import db

        stored = db.session.execute(text("SELECT token_hash FROM password_reset_tokens")).scalars().all()
    assert len(stored) == 1 and token not in stored[0]


def test_reset_requests_are_limited_per_address_and_mails_per_account(make_app, outbox):
    client = make_app(
        MAIL_OUTBOX=str(outbox), PASSWORD_RESETS_PER_ADDRESS=5, PASSWORD_RESETS_PER_ACCOUNT=2
    ).test_client()
    session = citizen(client)
    statuses = [client.post("/api/v1/auth/password-reset", json={"email": session.email}).status_code for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    assert len(_mails(outbox, session.email)) == 2


def test_logging_out_everywhere_ends_every_session_of_the_account_only(client):
    phone, stranger = citizen(client), citizen(client)
    laptop_tokens = login(client, phone.email).get_json()
    assert client.post("/api/v1/auth/logout-all", headers=phone.headers).status_code == 204
    assert not _works(client, phone)
    assert not _refreshes(client, laptop_tokens["refresh_token"])
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {laptop_tokens['access_token']}"}).status_code
        == 401
    )
    assert _works(client, stranger)
    assert login(client, phone.email).status_code == 200


def test_password_and_session_events_are_audited_without_secrets(app, client, outbox):
    session = citizen(client)
    client.post("/api/v1/auth/password-reset", json={"email": session.email})
    token = _reset_token(outbox, session.email)
    client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
    fresh = citizen(client)
    pair = _change(client, fresh, PASSWORD).get_json()
    client.post("/api/v1/auth/logout-all", headers={"Authorization": f"Bearer {pair['access_token']}"})
    admin = staff(app, client, "admin")

    events = client.get("/api/v1/admin/audit-events?limit=1000", headers=admin.headers).get_json()
    kinds = {event["event"] for event in events}
    assert {"password_reset_requested", "password_reset", "password_changed", "logout_all"} <= kinds
    dump = json.dumps(events)
    assert token not in dump and NEW_PASSWORD not in dump and PASSWORD not in dump


class HeldMailServer:
    """A minimal real SMTP server on localhost that greets a client only once `release` is set."""

    def __init__(self):
        self.release, self.received = threading.Event(), queue.Queue()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        connection, _ = self._listener.accept()
        with connection, connection.makefile("rwb") as stream:
            self.release.wait(30)
            stream.write(b"220 held.example ESMTP\r\n")
            stream.flush()
            data = []
            for line in iter(stream.readline, b""):
                command = line[:4].upper()
                if command == b"DATA":
                    stream.write(b"354 go on\r\n")
                    stream.flush()
                    data = list(iter(stream.readline, b".\r\n"))
                    self.received.put(b"".join(data).decode())
                reply = b"221 bye\r\n" if command == b"QUIT" else b"250 ok\r\n"
                stream.write(reply)
                stream.flush()
                if command == b"QUIT":
                    return

    def close(self):
        self.release.set()
        self._listener.close()


def test_a_slow_mail_server_does_not_hold_the_reset_answer(make_app, outbox):
    mail_server = HeldMailServer()
    try:
        settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": mail_server.port, "SMTP_STARTTLS": False}
        client = make_app(MAIL_OUTBOX=str(outbox), **settings).test_client()
        session = citizen(client)
        # The mail server has not even greeted yet: the answer must not wait for it.
        requested = client.post("/api/v1/auth/password-reset", json={"email": session.email})
        assert requested.status_code == 202
        assert mail_server.received.empty()

        mail_server.release.set()
        mail = mail_server.received.get(timeout=30)
        assert f"To: {session.email}" in mail and "Reset token" in mail
        assert not outbox.exists()  # with SMTP configured nothing goes to the local outbox
    finally:
        mail_server.close()
