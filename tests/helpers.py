"""Test helpers that act through the public API and CLI, as a client would."""

import itertools
from dataclasses import dataclass

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


@dataclass
class Session:
    id: int
    email: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}"}


def register(client, **overrides) -> dict:
    body = {
        "email": f"citizen{next(_sequence)}@example.kr",
        "password": PASSWORD,
        "name": "김민수",
        "birth_date": "1990-05-17",
        "district": "강남구",
        **overrides,
    }
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 201, response.get_json()
    return {**response.get_json(), "password": body["password"]}


def login(client, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def citizen(client, **overrides) -> Session:
    """A registered, logged-in citizen."""
    user = register(client, **overrides)
    tokens = login(client, user["email"], user["password"]).get_json()
    return Session(user["id"], user["email"], tokens["access_token"], tokens["refresh_token"])


def staff(app, client, role: str, **overrides) -> Session:
    """A logged-in account holding `role`, granted through the `flask users grant-role` command."""
    user = register(client, **overrides)
    result = app.test_cli_runner().invoke(args=["users", "grant-role", user["email"], role])
    assert result.exit_code == 0, result.output
    tokens = login(client, user["email"], user["password"]).get_json()
    return Session(user["id"], user["email"], tokens["access_token"], tokens["refresh_token"])
