"""Problem details in Korean and English: chosen by Accept-Language (English unless Korean is preferred),
each message written once per language, marshmallow's field messages included."""

import re
import string
from pathlib import Path

import pytest
from marshmallow import ValidationError, fields, validate

from core.problems import catalogue, localise_errors
from tests.bikeshare.helpers import place_network, rent
from tests.cardapi.helpers import create_facility, create_terminal
from tests.helpers import PASSWORD, citizen, register, staff

ROOT = Path(__file__).resolve().parents[2]
KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_problem_message_has_both_languages_with_the_same_placeholders():
    english, korean = catalogue("en"), catalogue("ko")

    assert english.keys() == korean.keys()
    for key, text in english.items():
        assert _placeholders(korean[key]) == _placeholders(text), key
        assert korean[key] != text, f"{key} is not translated"


def test_every_message_key_the_code_names_is_in_the_catalogue():
    named = re.compile(r"""(?:Message|english)\(\s*["']([\w.]+)["']""")
    used = {
        key
        for folder in ("core", "cardapi", "bikeshare", "web")
        for source in (ROOT / folder).rglob("*.py")
        for key in named.findall(source.read_text(encoding="utf-8"))
    }

    assert len(used) > 50
    assert used - catalogue("en").keys() == set()


def _raised(validator, value) -> str:
    with pytest.raises(ValidationError) as raised:
        validator(value)
    return raised.value.messages[0]


def _field_messages() -> list[str]:
    """Every message marshmallow's fields and validators can give, formatted as they are given."""
    texts = [
        fields.AwareDateTime().error_messages["invalid"].format(obj_type="datetime"),
        fields.Date().error_messages["invalid"],
        fields.AwareDateTime().error_messages["invalid_awareness"].format(awareness="aware", obj_type="datetime"),
        '"2026-13-01" cannot be formatted as a date.',
        *[
            message
            for field in (fields.Raw(), fields.Boolean(), fields.Integer(), fields.Float(), fields.String())
            for message in field.error_messages.values()
            if "{" not in message
        ],
        fields.List(fields.Raw()).error_messages["invalid"],
        fields.Dict().error_messages["invalid"],
        fields.Email().error_messages["invalid"],
        fields.Nested(fields.Dict()).error_messages["type"],
        "Unknown field.",
        "Invalid input type.",
        _raised(validate.OneOf(["day_1h", "day_2h"]), "x"),
        _raised(validate.Regexp(r"^SPB-\d{5}$"), "x"),
        _raised(validate.Length(min=2), "x"),
        _raised(validate.Length(max=1), "xy"),
        _raised(validate.Length(min=2, max=3), "x"),
        _raised(validate.Length(equal=2), "x"),
        _raised(validate.Equal(2), 3),
        _raised(validate.NoneOf([1]), 1),
    ]
    for low, high in ((1, None), (None, 1), (1, 3)):
        for min_inclusive in (True, False):
            for max_inclusive in (True, False):
                in_range = validate.Range(low, high, min_inclusive=min_inclusive, max_inclusive=max_inclusive)
                texts.append(_raised(in_range, 0 if low else 5))
    return texts


@pytest.mark.parametrize("message", _field_messages())
def test_marshmallows_field_messages_are_rendered_in_korean(message):
    korean = localise_errors(message, "ko")

    assert korean != message and re.search("[가-힣]", korean)


def test_a_korean_request_gets_korean_details_and_field_messages(client):
    missing = client.post("/api/v1/auth/register", json={"email": "x@example.kr"}, headers=KOREAN).get_json()
    far = client.get("/api/v1/stations?lat=91&lon=0", headers=KOREAN).get_json()

    assert missing["detail"] == "요청에 잘못된 항목이 있습니다: birth_date, district, name, password"
    assert missing["errors"]["password"] == ["필수 항목이 없습니다."]
    assert far["errors"]["lat"] == ["위도는 -85.05112878부터 85.05112878 사이여야 합니다."]
    elsewhere = client.post("/api/v1/auth/register", json={"district": "Busan"}, headers=KOREAN).get_json()
    assert elsewhere["errors"]["district"][0].startswith("서울의 자치구가 아닙니다. 다음 중 하나여야 합니다: ")


def test_a_request_without_a_korean_preference_gets_english(client):
    body = {"email": "nobody@example.kr", "password": "wrong password!"}

    for headers in (
        {},
        {"Accept-Language": "en"},
        {"Accept-Language": "fr-FR"},
        {"Accept-Language": "en;q=1,ko;q=0.5"},
    ):
        answer = client.post("/api/v1/auth/login", json=body, headers=headers).get_json()
        assert answer["detail"] == "The email address or the password is wrong."


def _signup(email: str) -> dict:
    return {"email": email, "password": PASSWORD, "name": "김민수", "birth_date": "1990-05-17", "district": "강남구"}


def test_representative_problems_speak_korean(app, client):
    place_network(app, {101: (2, 0, 0)})
    user = register(client)
    rider = citizen(client)
    korean = catalogue("ko")

    def detail(response):
        assert response.content_type == "application/problem+json"
        return response.get_json()["detail"]

    assert (
        detail(
            client.post("/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD + "x"}, headers=KOREAN)
        )
        == korean["accounts.invalid_credentials"]
    )
    assert (
        detail(client.post("/api/v1/auth/register", json=_signup(user["email"]), headers=KOREAN))
        == korean["accounts.email_taken"]
    )
    assert detail(client.get("/api/v1/rentals/me", headers=KOREAN)) == korean["auth.token_missing"]
    assert detail(client.get("/api/v1/no-such-thing", headers=KOREAN)) == korean["http.404"]
    assert detail(client.get("/api/v1/stations/999", headers=KOREAN)) == "대여소 번호 999인 대여소가 없습니다."
    assert detail(rent(client, rider, 101)) != korean["rentals.pass_required"]  # English by default
    assert (
        detail(client.post("/api/v1/rentals", json={"station_id": 101}, headers={**rider.headers, **KOREAN}))
        == korean["rentals.pass_required"]
    )
    assert (
        detail(
            client.post(
                "/api/v1/rentals",
                json={"station_id": 101, "buy_day_pass": "day_1h"},
                headers={**rider.headers, **KOREAN},
            )
        )
        == "대여소 101에 대여할 수 있는 자전거가 없습니다."
    )
    assert detail(client.get("/api/v1/rentals/5", headers={**rider.headers, **KOREAN})) == "대여 5이(가) 없습니다."
    assert detail(client.get("/api/v1/admin/audit-events", headers={**rider.headers, **KOREAN})).startswith(
        "이 작업에는"
    )


def test_card_and_bike_share_problems_speak_korean(app, client):
    bikes = place_network(app, {101: (2, 1, 1)})
    rider, operator, admin = citizen(client), staff(app, client, "operator"), staff(app, client, "admin")
    terminal = create_terminal(client, admin, create_facility(client, admin)["id"])
    other = create_facility(client, admin, name="세종문화회관", kind="culture", district="종로구")
    in_korean = {"X-Terminal-Key": terminal["api_key"], **KOREAN}

    def detail(response, status):
        assert response.status_code == status and response.content_type == "application/problem+json"
        return response.get_json()["detail"]

    assert detail(client.get("/api/v1/cards/me", headers={**rider.headers, **KOREAN}), 404) == (
        "카드가 없습니다. POST /api/v1/cards로 발급을 요청하세요."
    )
    other_visits = f"/api/v1/facilities/{other['id']}/visits"
    assert (
        detail(client.get(other_visits, headers=in_korean), 403) == "단말기는 자기 시설의 방문 기록만 읽을 수 있습니다."
    )
    revoked = {"X-Terminal-Key": "sct_" + "x" * 40}
    assert detail(client.get(other_visits, headers={**revoked, **KOREAN}), 401) == (
        "알 수 없거나 폐기된 단말기 키입니다."
    )
    assert detail(client.get(other_visits, headers=revoked), 401) == ("The terminal key is unknown or revoked.")
    unreadable = client.post("/api/v1/verifications", json={"payload": "SCC9:1"}, headers=in_korean)
    assert detail(unreadable, 422).startswith("시민카드 코드가 아닙니다")
    assert unreadable.get_json()["errors"] == {"payload": ["시민카드 코드가 아님"]}

    report = client.post(
        "/api/v1/bikes/SPB-99999/reports", json={"kind": "brakes"}, headers={**rider.headers, **KOREAN}
    )
    assert detail(report, 404) == "자전거 SPB-99999이(가) 없습니다."
    bike = bikes[101][0]
    in_service = client.patch(
        f"/api/v1/ops/bikes/{bike}", json={"status": "available"}, headers={**operator.headers, **KOREAN}
    )
    assert detail(in_service, 409) == f"자전거 {bike}은(는) 정비 중이 아닙니다(현재 상태: available)."
    no_report = client.get("/api/v1/ops/network/report", headers={**operator.headers, **KOREAN})
    assert detail(no_report, 404) == catalogue("ko")["network.no_report"]
    backwards = client.get(
        "/api/v1/ops/stations/101/demand?since=2026-06-12T00:00:00Z&until=2026-06-01T00:00:00Z",
        headers={**operator.headers, **KOREAN},
    )
    assert backwards.get_json()["errors"]["until"] == [
        "since는 until보다 앞서야 하고, 둘의 차이는 31일 이하여야 합니다."
    ]
    no_plan = client.get("/api/v1/ops/rebalancing/plans/424242", headers={**operator.headers, **KOREAN})
    assert detail(no_plan, 404) == "계획 424242이(가) 없습니다."
    no_task = client.post("/api/v1/ops/tasks/424242/pickup", json={}, headers=operator.headers)
    assert detail(no_task, 404) == "There is no task 424242."
