"""The citizen's card: issuing, enrolment, QR, secrecy at rest, ownership, suspend, revoke."""

import base64
import time

import pyotp
import sqlalchemy as sa

from tests.cardapi.helpers import issue_card
from tests.helpers import citizen


def test_issuing_returns_the_enrolment_once_with_a_luhn_checked_number(client, card):
    from cardapi.codes import is_valid_card_number

    assert is_valid_card_number(card.number)
    mine = client.get("/api/v1/cards/me", headers=card.session.headers).get_json()
    assert mine["card_number"] == card.number and mine["status"] == "active" and mine["digits"] == 8
    assert "secret" not in str(mine) and card.secret not in str(mine)


def test_the_provisioning_uri_configures_an_authenticator_app(client):
    session = citizen(client)
    enrolment = client.post("/api/v1/cards", headers=session.headers).get_json()["enrolment"]
    totp = pyotp.parse_uri(enrolment["provisioning_uri"])
    assert totp.secret == enrolment["secret"] and totp.digits == 8 and totp.interval == 30
    assert enrolment["algorithm"] == "SHA1" and len(base64.b32decode(enrolment["secret"])) == 20


def test_a_citizen_has_one_active_card(client, card):
    again = client.post("/api/v1/cards", headers=card.session.headers)
    assert again.status_code == 409 and again.get_json()["type"].endswith("card-exists")


def test_the_qr_payload_is_the_totp_of_the_current_step(client, card):
    qr = client.get("/api/v1/cards/me/qr", headers=card.session.headers).get_json()
    prefix, number, step, code = qr["payload"].split(":")
    assert (prefix, number) == ("SCC1", card.number)
    assert abs(int(step) - time.time() // 30) <= 1 and code == card.code(int(step)) and int(step) == qr["step"]


def test_the_qr_renders_as_png_and_svg(client, card):
    png = client.get("/api/v1/cards/me/qr.png", headers=card.session.headers)
    svg = client.get("/api/v1/cards/me/qr.svg", headers=card.session.headers)
    assert png.content_type == "image/png" and png.data.startswith(b"\x89PNG")
    assert svg.content_type.startswith("image/svg+xml") and b"<svg" in svg.data


def test_the_openapi_document_names_the_image_content_types(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert "image/png" in paths["/api/v1/cards/me/qr.png"]["get"]["responses"]["200"]["content"]
    assert "image/svg+xml" in paths["/api/v1/cards/me/qr.svg"]["get"]["responses"]["200"]["content"]
    assert paths["/api/v1/verifications"]["post"]["security"] == [{"terminalKey": []}]


def test_the_stored_secret_is_encrypted_not_the_plaintext(app, card):

    plaintext = base64.b32decode(card.secret)
    with app.app_context():
        from core.db import db

        key_id, stored = db.session.execute(
            sa.text("SELECT secret_key_id, secret_ciphertext FROM cards WHERE id = :id"), {"id": card.id}
        ).one()
    assert key_id and plaintext not in bytes(stored) and card.secret.encode() not in bytes(stored)


def test_citizen_a_cannot_read_b_s_card_or_visits(client, card):
    other = citizen(client)
    assert client.get("/api/v1/cards/me", headers=other.headers).status_code == 404
    assert client.get("/api/v1/cards/me/visits", headers=other.headers).get_json() == []


def test_a_suspended_card_shows_no_qr_until_reissued(client, card):
    client.post("/api/v1/cards/me/suspend", headers=card.session.headers)
    assert client.get("/api/v1/cards/me/qr", headers=card.session.headers).status_code == 409
    client.post("/api/v1/cards/me/reissue", headers=card.session.headers)
    assert client.get("/api/v1/cards/me/qr", headers=card.session.headers).status_code == 200


def test_an_admin_suspends_and_revokes_and_the_citizen_may_then_get_a_new_card(client, admin, card):
    suspended = client.post(f"/api/v1/admin/cards/{card.id}/suspend", headers=admin.headers)
    assert suspended.status_code == 200 and suspended.get_json()["status"] == "suspended"
    revoked = client.post(f"/api/v1/admin/cards/{card.id}/revoke", headers=admin.headers)
    assert revoked.get_json()["status"] == "revoked"
    assert client.get("/api/v1/cards/me", headers=card.session.headers).status_code == 404
    new = client.post("/api/v1/cards", headers=card.session.headers)
    assert new.status_code == 201 and new.get_json()["card"]["card_number"] != card.number


def _rows_containing(app, text: str) -> list[str]:
    """Every table.column whose stored text or bytes contain `text`, across the whole database."""
    from core.db import db

    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, sa.LargeBinary):
                    needle = text.encode()
                    values = db.session.scalars(sa.select(column).where(column.is_not(None)))
                    if any(needle in bytes(value) for value in values):
                        found.append(f"{table.name}.{column.name}")
                elif isinstance(column.type, sa.String | sa.Text | sa.JSON):
                    as_text = sa.cast(column, sa.Text)
                    if db.session.scalar(sa.select(sa.func.count()).where(as_text.contains(text))):
                        found.append(f"{table.name}.{column.name}")
    return found


def test_replaying_an_issue_never_returns_or_stores_the_secret(app, client):
    session = citizen(client)
    headers = {**session.headers, "Idempotency-Key": "issue-1"}
    first = client.post("/api/v1/cards", headers=headers)
    second = client.post("/api/v1/cards", headers=headers)
    secret = first.get_json()["enrolment"]["secret"]
    assert first.status_code == 201 and second.status_code == 409
    assert second.get_json()["type"].endswith("answer-already-delivered") and secret not in second.get_data(True)
    assert client.get("/api/v1/cards/me", headers=session.headers).get_json()["id"] == first.get_json()["card"]["id"]
    assert _rows_containing(app, secret) == []


def test_replaying_a_reissue_never_returns_or_stores_the_new_secret(app, client, card):
    headers = {**card.session.headers, "Idempotency-Key": "reissue-1"}
    first = client.post("/api/v1/cards/me/reissue", headers=headers)
    second = client.post("/api/v1/cards/me/reissue", headers=headers)
    secret = first.get_json()["enrolment"]["secret"]
    assert first.status_code == 200 and second.status_code == 409 and secret not in second.get_data(True)
    assert _rows_containing(app, secret) == [] and _rows_containing(app, card.secret) == []


def test_an_idempotency_key_is_forgotten_after_24_hours(app, client, card):
    from core.db import db

    headers = {**card.session.headers, "Idempotency-Key": "suspend-1"}
    assert client.post("/api/v1/cards/me/suspend", headers=headers).status_code == 200
    replay = client.post("/api/v1/cards/me/suspend", headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    with app.app_context():
        db.session.execute(sa.text("UPDATE idempotency_records SET created_at = created_at - interval '25 hours'"))
        db.session.commit()
    fresh = client.post("/api/v1/cards/me/suspend", headers=headers)
    assert fresh.status_code == 200 and "Idempotent-Replayed" not in fresh.headers


def test_a_second_citizen_gets_a_different_number(client, card):
    assert issue_card(client).number != card.number
