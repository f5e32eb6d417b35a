"""Helpdesk lookups: an administrator finds a citizen by email and a card by its number; every look is audited."""

import pytest

from cardapi.codes import new_card_number
from tests.cardapi.helpers import issue_card
from tests.helpers import citizen, staff

CITIZENS = "/api/v1/admin/citizens"
CARDS = "/api/v1/admin/cards"


def audit_events(client, admin, event: str) -> list[dict]:
    response = client.get("/api/v1/admin/audit-events", query_string={"event": event}, headers=admin.headers)
    assert response.status_code == 200
    return response.get_json()


def test_admin_finds_a_citizen_by_email_with_cards_roles_and_eligibility(client, admin):
    card = issue_card(client, email="minsu.kim@example.kr", birth_date="1950-03-01")
    client.post(
        f"/api/v1/admin/citizens/{card.session.id}/eligibilities", json={"category": "disabled"}, headers=admin.headers
    )

    response = client.get(CITIZENS, query_string={"email": "  MinSu.Kim@Example.KR "}, headers=admin.headers)

    assert response.status_code == 200
    [found] = response.get_json()
    assert found["id"] == card.session.id and found["email"] == "minsu.kim@example.kr"
    assert found["roles"] == ["citizen"]
    assert [c["card_number"] for c in found["cards"]] == [card.number]
    assert found["eligibility"]["active_categories"] == ["disabled"]  # the 1950 birth date is not verified
    assert found["eligibility"]["birth_date_verified"] is False


def test_an_unknown_email_finds_nobody(client, admin):
    response = client.get(CITIZENS, query_string={"email": "nobody@example.kr"}, headers=admin.headers)
    assert response.status_code == 200 and response.get_json() == []


@pytest.mark.parametrize("separator", ["", " ", "-"], ids=["digits", "spaces", "hyphens"])
def test_admin_finds_a_card_by_its_number_as_typed(client, admin, separator):
    card = issue_card(client)
    typed = separator.join(card.number[i : i + 4] for i in range(0, 16, 4))

    response = client.get(CARDS, query_string={"number": f" {typed} "}, headers=admin.headers)

    assert response.status_code == 200
    [found] = response.get_json()
    assert found["card"]["id"] == card.id and found["card"]["status"] == "active"
    assert found["holder"]["id"] == card.session.id and found["holder"]["email"] == card.session.email


def test_a_revoked_card_is_still_found_with_its_status(client, admin):
    card = issue_card(client)
    assert client.post(f"/api/v1/admin/cards/{card.id}/revoke", headers=admin.headers).status_code == 200

    [found] = client.get(CARDS, query_string={"number": card.number}, headers=admin.headers).get_json()

    assert found["card"]["status"] == "revoked"


@pytest.mark.parametrize("number", ["12345", "9410-1234-5678-901X", "9410123456789015 1", ""])
def test_a_card_number_that_is_not_16_digits_is_refused(client, admin, number):
    response = client.get(CARDS, query_string={"number": number}, headers=admin.headers)
    assert response.status_code == 422 and "number" in response.get_json()["errors"]


def test_lookups_need_their_query(client, admin):
    assert client.get(CARDS, headers=admin.headers).status_code == 422
    assert client.get(CITIZENS, headers=admin.headers).status_code == 422


@pytest.mark.parametrize("role", ["citizen", "operator"])
# A fixed number: pytest-xdist workers must collect the same parameters.
@pytest.mark.parametrize("path", [f"{CITIZENS}?email=a@example.kr", f"{CARDS}?number=9410000000000017"])
def test_only_administrators_may_look_up(app, client, role, path):
    account = citizen(client) if role == "citizen" else staff(app, client, role)
    assert client.get(path, headers=account.headers).status_code == 403
    assert client.get(path).status_code == 401


def test_a_citizen_lookup_is_audited_by_id_not_by_address(client, admin):
    somebody = citizen(client, email="jiyoung.lee@example.kr")
    client.get(CITIZENS, query_string={"email": "jiyoung.lee@example.kr"}, headers=admin.headers)
    client.get(CITIZENS, query_string={"email": "fishing@example.kr"}, headers=admin.headers)

    missed, found = audit_events(client, admin, "citizen_lookup")

    assert found["actor_id"] == admin.id and found["subject"] == f"user:{somebody.id}"
    assert found["details"] == {"found": True}
    assert missed["actor_id"] == admin.id and missed["subject"] is None
    assert missed["details"] == {"found": False, "asked": "f***@example.kr"}
    assert "jiyoung" not in str(found) and "fishing" not in str(missed)


def test_a_card_lookup_is_audited_by_id_not_by_number(client, admin):
    card = issue_card(client)
    other = new_card_number()
    client.get(CARDS, query_string={"number": card.number}, headers=admin.headers)
    client.get(CARDS, query_string={"number": other}, headers=admin.headers)

    missed, found = audit_events(client, admin, "card_lookup")

    assert found["actor_id"] == admin.id and found["subject"] == f"card:{card.id}"
    assert found["details"] == {"found": True, "user_id": card.session.id}
    assert missed["details"] == {"found": False, "asked": "*" * 12 + other[-4:]}
    assert card.number not in str(found) and other not in str(missed)


def test_a_refused_lookup_writes_no_audit_row(client, admin):
    somebody = citizen(client)
    client.get(CITIZENS, query_string={"email": somebody.email}, headers=somebody.headers)
    assert audit_events(client, admin, "citizen_lookup") == []


def test_both_lookups_work_on_either_database(any_database_app):
    client = any_database_app.test_client()
    admin = staff(any_database_app, client, "admin")
    card = issue_card(client, email="Seo.Yeon@example.kr")

    [citizen_found] = client.get(CITIZENS, query_string={"email": "seo.yeon@example.kr"}, headers=admin.headers).json
    [card_found] = client.get(CARDS, query_string={"number": card.number}, headers=admin.headers).json

    assert citizen_found["cards"][0]["id"] == card_found["card"]["id"] == card.id
    assert len(audit_events(client, admin, "citizen_lookup")) == len(audit_events(client, admin, "card_lookup")) == 1
