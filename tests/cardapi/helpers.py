"""Helpers for card tests: facilities, terminals, cards and payloads, all through the public API."""

import time
from dataclasses import dataclass

import pyotp

from tests.helpers import citizen


@dataclass
class Card:
    session: object  # tests.helpers.Session
    id: int
    number: str
    secret: str

    def code(self, step: int) -> str:
        return pyotp.TOTP(self.secret, digits=8, interval=30).at(step * 30)

    def payload(self, step: int | None = None, code: str | None = None) -> str:
        step = current_step() if step is None else step
        return f"SCC1:{self.number}:{step}:{code or self.code(step)}"


def current_step() -> int:
    return int(time.time() // 30)


def settled_step() -> int:
    """The current step, waiting out its last two seconds so the server sees the same one."""
    if time.time() % 30 > 28:
        time.sleep(30 - time.time() % 30 + 0.1)
    return current_step()


def wrong_code(card: Card, step: int) -> str:
    right = card.code(step)
    return f"{(int(right) + 1) % 10**8:08d}"


def issue_card(client, **citizen_overrides) -> Card:
    session = citizen(client, **citizen_overrides)
    response = client.post("/api/v1/cards", headers=session.headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return Card(session, body["card"]["id"], body["card"]["card_number"], body["enrolment"]["secret"])


def create_facility(client, admin, **overrides) -> dict:
    body = {"name": "서울도서관", "kind": "library", "district": "중구", "benefit_rules": [], **overrides}
    response = client.post("/api/v1/admin/facilities", json=body, headers=admin.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_terminal(client, admin, facility_id: int, name: str = "gate 1") -> dict:
    response = client.post(
        f"/api/v1/admin/facilities/{facility_id}/terminals", json={"name": name}, headers=admin.headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def verify(client, terminal: dict, payload: str):
    return client.post(
        "/api/v1/verifications", json={"payload": payload}, headers={"X-Terminal-Key": terminal["api_key"]}
    )
