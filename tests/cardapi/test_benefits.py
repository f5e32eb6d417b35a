"""Benefits at verification, eligibility grants and the bulk import command."""

from datetime import date

import pytest
import sqlalchemy as sa

from cardapi.codes import age_group, masked_name
from core.audit import AuditEvent
from core.db import db
from tests.cardapi.helpers import create_facility, create_terminal, issue_card, settled_step, verify
from tests.helpers import register

RULES = [
    {"category": "senior", "discount_percent": 50, "residents_only": False},
    {"category": "disabled", "discount_percent": 80, "residents_only": False},
    {"category": "multi_child", "discount_percent": 30, "residents_only": True},
    {"category": "resident", "discount_percent": 10, "residents_only": True},
]


@pytest.fixture
def gangnam_gate(client, admin):
    facility = create_facility(
        client, admin, name="강남구민체육관", kind="sports", district="강남구", benefit_rules=RULES
    )
    return create_terminal(client, admin, facility["id"])


def _grant(client, admin, user_id, category, **extra):
    return client.post(
        f"/api/v1/admin/citizens/{user_id}/eligibilities", json={"category": category, **extra}, headers=admin.headers
    )


def _verify_birth_date(client, admin, user_id, verified=True):
    return client.put(
        f"/api/v1/admin/citizens/{user_id}/birth-date-verification", json={"verified": verified}, headers=admin.headers
    )


def test_benefits_come_best_first_and_residents_only_rules_check_the_district(client, admin, gangnam_gate):
    resident = issue_card(client, district="강남구", birth_date="1950-01-01")
    visitor = issue_card(client, district="마포구", birth_date="1950-01-01")
    for card in (resident, visitor):
        assert _verify_birth_date(client, admin, card.session.id).status_code == 200
        assert _grant(client, admin, card.session.id, "disabled").status_code == 201
        assert _grant(client, admin, card.session.id, "multi_child").status_code == 201
    assert verify(client, gangnam_gate, resident.payload()).get_json()["benefits"] == [
        {"category": "disabled", "discount_percent": 80},
        {"category": "senior", "discount_percent": 50},
        {"category": "multi_child", "discount_percent": 30},
        {"category": "resident", "discount_percent": 10},
    ]
    assert verify(client, gangnam_gate, visitor.payload()).get_json()["benefits"] == [
        {"category": "disabled", "discount_percent": 80},
        {"category": "senior", "discount_percent": 50},
    ]


def test_a_self_declared_birth_date_shows_the_age_group_but_earns_senior_only_once_verified(
    app, client, admin, gangnam_gate
):
    card = issue_card(client, district="마포구", birth_date="1950-01-01")
    step = settled_step()
    unverified = verify(client, gangnam_gate, card.payload(step - 1)).get_json()
    assert unverified["holder"]["age_group"] == "65+" and unverified["benefits"] == []
    verified = _verify_birth_date(client, admin, card.session.id)
    assert verified.get_json()["birth_date_verified"] is True and verified.get_json()["active_categories"] == ["senior"]
    assert verify(client, gangnam_gate, card.payload(step)).get_json()["benefits"] == [
        {"category": "senior", "discount_percent": 50}
    ]
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.event == "birth_date_verification_set")
        )


def test_a_grant_expiring_in_the_past_or_beyond_2100_is_422_and_changes_nothing(client, admin, card):
    assert _grant(client, admin, card.session.id, "disabled").status_code == 201
    past = _grant(client, admin, card.session.id, "disabled", expires_on="2020-01-01")
    assert past.status_code == 422 and "in the past" in past.get_json()["detail"]
    far = _grant(client, admin, card.session.id, "disabled", expires_on="9999-12-31")
    assert far.status_code == 422 and "2100" in str(far.get_json())
    listed = client.get(f"/api/v1/admin/citizens/{card.session.id}/eligibilities", headers=admin.headers).get_json()
    assert listed["active_categories"] == ["disabled"] and listed["grants"][0]["expires_at"] is None


def test_an_expired_or_revoked_grant_gives_no_benefit(app, client, admin, gangnam_gate):
    card = issue_card(client, district="마포구")
    _grant(client, admin, card.session.id, "disabled", expires_on="2030-01-01")
    with app.app_context():
        db.session.execute(sa.text("UPDATE eligibilities SET expires_at = '2020-01-01T00:00:00+09:00'"))
        db.session.commit()
    assert verify(client, gangnam_gate, card.payload()).get_json()["benefits"] == []
    _grant(client, admin, card.session.id, "disabled")
    listed = client.get(f"/api/v1/admin/citizens/{card.session.id}/eligibilities", headers=admin.headers).get_json()
    assert listed["active_categories"] == ["disabled"]
    deleted = client.delete(f"/api/v1/admin/citizens/{card.session.id}/eligibilities/disabled", headers=admin.headers)
    assert deleted.status_code == 204
    assert (
        client.get(f"/api/v1/admin/citizens/{card.session.id}/eligibilities", headers=admin.headers).get_json()[
            "active_categories"
        ]
        == []
    )


def test_senior_cannot_be_granted_it_follows_from_the_birth_date(client, admin, card):
    assert _grant(client, admin, card.session.id, "senior").status_code == 422


@pytest.mark.parametrize(
    "name, masked",
    [("김민수", "김*수"), ("이수", "이*"), ("남궁민수", "남**수"), ("John Smith", "J**n S***h"), ("김", "*")],
)
def test_names_are_masked(name, masked):
    assert masked_name(name) == masked


@pytest.mark.parametrize(
    "birth, group", [(date(1990, 5, 17), "30s"), (date(1961, 1, 1), "65+"), (date(1962, 12, 31), "60s")]
)
def test_age_groups(birth, group):
    assert age_group(birth, date(2026, 11, 25)) == group


def test_a_masked_name_reaches_the_terminal(client, terminal):
    card = issue_card(client, name="박지성")
    assert verify(client, terminal, card.payload()).get_json()["holder"]["display_name"] == "박*성"


def test_the_import_is_idempotent_and_reports_rejected_rows(app, client, tmp_path):
    first, second = register(client), register(client)
    csv_file = tmp_path / "grants.csv"
    csv_file.write_text(
        "email,category,expires_on\n"
        f"{first['email']},disabled,2099-12-31\n"
        f"{first['email'].upper()},multi_child,\n"
        f"{second['email']},national_merit,\n"
        "nobody@example.kr,disabled,\n"
        f"{second['email']},vip,\n"
        f"{second['email']},low_income,31/12/2099\n"
        f"{second['email']},low_income,2001-01-01\n"
        f"{second['email']},national_merit,\n",
        encoding="utf-8",
    )
    runner = app.test_cli_runner()
    once = runner.invoke(args=["cardapi", "import-eligibility", str(csv_file)])
    assert once.exit_code == 0, once.output
    assert "created 3, updated 0, unchanged 0, rejected 5" in once.output
    for line, reason in [(5, "no account"), (6, "vip"), (7, "not a YYYY-MM-DD"), (8, "in the past"), (9, "duplicate")]:
        assert f"line {line}: " in once.output and reason in once.output
    twice = runner.invoke(args=["cardapi", "import-eligibility", str(csv_file)])
    assert "created 0, updated 0, unchanged 3, rejected 5" in twice.output


def _import(app, tmp_path, content: bytes):
    csv_file = tmp_path / "grants.csv"
    csv_file.write_bytes(content)
    return app.test_cli_runner().invoke(args=["cardapi", "import-eligibility", str(csv_file)])


def _grants(client, admin, user_id) -> dict:
    listed = client.get(f"/api/v1/admin/citizens/{user_id}/eligibilities", headers=admin.headers).get_json()
    return {grant["category"]: grant["expires_at"] for grant in listed["grants"]}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_the_import_reads_korean_excel_files_and_treats_9999_12_31_as_never_expiring(
    app, client, admin, tmp_path, encoding
):
    someone = register(client)
    content = (
        "email,category,expires_on\r\n"
        f"{someone['email']},disabled,9999-12-31\r\n"
        f"{someone['email']},low_income,2099-12-31\r\n"
        "없는사람@example.kr,multi_child,\r\n"
        f"{someone['email']},국가유공자,\r\n"
    )
    result = _import(app, tmp_path, content.encode(encoding))
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "created 2, updated 0, unchanged 0, rejected 2" in result.output
    assert "line 4: no account with the email address '없는사람@example.kr'" in result.output
    assert "line 5: category '국가유공자'" in result.output
    assert _grants(client, admin, someone["id"]) == {"disabled": None, "low_income": "2099-12-31T15:00:00+00:00"}


def test_a_wrong_header_is_named_and_nothing_is_imported(app, client, admin, tmp_path):
    someone = register(client)
    result = _import(app, tmp_path, f"이메일,category,expires_on\n{someone['email']},disabled,\n".encode())
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "'이메일,category,expires_on'" in result.output and "expected 'email,category,expires_on'" in result.output
    assert _grants(client, admin, someone["id"]) == {}
