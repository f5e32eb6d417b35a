"""Helpers for card tests: facilities, terminals, cards and payloads, all through the public API."""

import base64
import time
from dataclasses import dataclass

import pyotp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cardapi import scc2
from tests.helpers import citizen


@dataclass
class Card:
    session: object  # tests.helpers.Session
    id: int
    number: str
    secret: str
    device: ec.EllipticCurvePrivateKey | None = None
    service_key: dict | None = None  # what GET /cards/scc2-key published

    def code(self, step: int) -> str:
        return pyotp.TOTP(self.secret, digits=8, interval=30).at(step * 30)

    def payload(self, step: int | None = None, code: str | None = None) -> str:
        step = current_step() if step is None else step
        return f"SCC1:{self.number}:{step}:{code or self.code(step)}"

    def scc2(self, step: int | None = None, device: ec.EllipticCurvePrivateKey | None = None) -> str:
        step = current_step() if step is None else step
        return scc2.build_payloads(
            card_number=self.number,
            device_key=device or self.device,
            public_key=self.service_key,
            first_step=step,
            count=1,
        )[0]


def spki(device: ec.EllipticCurvePrivateKey) -> str:
    der = device.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


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
    """A card without a device key: SCC1 only."""
    session = citizen(client, **citizen_overrides)
    response = client.post("/api/v1/cards", headers=session.headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return Card(session, body["card"]["id"], body["card"]["card_number"], body["enrolment"]["secret"])


def issue_device_card(client, *, scc1_enabled: bool | None = None, **citizen_overrides) -> Card:
    """A card enrolled with a device key, as an app does it: SCC2 codes (and SCC1 only if asked for)."""
    session = citizen(client, **citizen_overrides)
    device = ec.generate_private_key(ec.SECP256R1())
    body = {"device_public_key": spki(device)}
    if scc1_enabled is not None:
        body["scc1_enabled"] = scc1_enabled
    response = client.post("/api/v1/cards", json=body, headers=session.headers)
    assert response.status_code == 201, response.get_json()
    issued = response.get_json()
    service_key = client.get("/api/v1/cards/scc2-key").get_json()
    return Card(
        session, issued["card"]["id"], issued["card"]["card_number"], issued["enrolment"]["secret"], device, service_key
    )


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
