"""Journeys of the citizen's card and the facility desk, in a real browser against the real server."""

import re

import pytest
from playwright.sync_api import expect

from cardapi import scc2
from cardapi.codes import new_card_number
from config import DEVELOPMENT_SCC2_KEYS
from tests.cardapi.helpers import create_facility, create_terminal, verify
from tests.helpers import PASSWORD, staff
from tests.web.conftest import axe_violations, decode_qr, screenshot

pytestmark = pytest.mark.browser

RING = scc2.KeyRing.from_setting(DEVELOPMENT_SCC2_KEYS)  # the service's key in the tests


@pytest.fixture
def admin(app, client):
    return staff(app, client, "admin")


@pytest.fixture
def terminal(client, admin):
    facility = create_facility(client, admin, benefit_rules=[{"category": "resident", "discount_percent": 20}])
    return create_terminal(client, admin, facility["id"])


KEPT_FIELDS = """() => new Promise((resolve, reject) => {
    const opening = indexedDB.open("seoul-card", 1);
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
        const reading = opening.result.transaction("enrolment").objectStore("enrolment").get("card");
        reading.onsuccess = () => resolve(Object.keys(reading.result).sort());
        reading.onerror = () => reject(reading.error);
    };
})"""

# The desk's cue, as the device's vibration motor would receive it.
VIBRATIONS = "navigator.vibrate = (pattern) => (window.vibrations ??= []).push(pattern) > 0;"


def claim(payload: str) -> scc2.Claim:
    """What the service reads from a code the page shows (an SCC2 code: the browser keeps a device key)."""
    return scc2.open_payload(payload, ring=RING)


def sign_up(page, email: str) -> None:
    """Sign up on /card, up to the offer of a card."""
    page.get_by_role("group", name="가입하기").get_by_label("이메일").fill(email)
    page.get_by_role("group", name="가입하기").get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("이름").fill("김민수")
    page.get_by_label("생년월일").fill("1990-05-17")
    page.get_by_label("거주 자치구").select_option("중구")
    page.get_by_role("button", name="가입하기").click()


def sign_up_and_get_card(page, email: str) -> str:
    """Sign up on /card, get the card, and return the payload read off the QR canvas."""
    sign_up(page, email)
    page.get_by_role("button", name="카드 받기").click()
    page.get_by_role("img", name=re.compile("시민카드 QR 코드")).wait_for()
    return decode_qr(page)


def test_citizen_shows_card_and_desk_accepts_it(visit, client, admin, terminal):
    phone = visit(language="ko")
    card_page = phone.open("/card")
    assert axe_violations(card_page) == []
    screenshot(card_page, "card-signed-out-ko-phone")

    payload = sign_up_and_get_card(card_page, "desk-journey@example.kr")

    assert payload.startswith("SCC2:") and claim(payload).card_number not in payload
    # The device key signs; the TOTP secret (useless for a card with SCC1 off) is not kept on the device.
    assert card_page.evaluate(KEPT_FIELDS) == ["cardNumber", "digits", "period", "serviceKey"]
    assert card_page.get_by_text(payload).is_visible()  # the same code as text, for a keyboard-wedge scanner
    assert axe_violations(card_page) == []
    screenshot(card_page, "card-with-qr-ko-phone")

    tablet = visit(language="ko", size="tablet")
    tablet.context.add_init_script(VIBRATIONS)
    desk = tablet.open("/desk")
    assert axe_violations(desk) == []
    desk.get_by_label("단말기 키", exact=True).fill(terminal["api_key"])
    desk.get_by_role("button", name="키 저장").click()
    desk.get_by_label("카드 코드").fill(payload)
    desk.get_by_label("카드 코드").press("Enter")

    answer = desk.get_by_role("status").filter(has_text="확인됨")
    answer.wait_for()
    assert "김*수" in answer.inner_text() and "구민 20% 할인" in answer.inner_text()
    assert desk.get_by_role("listitem").filter(has_text="확인됨").count() == 1
    assert axe_violations(desk) == []
    screenshot(desk, "desk-accepted-ko-tablet")

    desk.get_by_label("카드 코드").fill(payload)  # the same code read again: the same visit, not a failure
    desk.get_by_label("카드 코드").press("Enter")
    # ... but not a second welcome either: a second person showing the same code must not be waved in.
    duplicate = desk.get_by_role("status").filter(has_text="이미 입장 처리된 코드")
    duplicate.wait_for()
    assert "다른 사람은 이 코드로 입장할 수 없습니다" in duplicate.inner_text()
    assert "확인됨" not in duplicate.inner_text()
    assert duplicate.get_attribute("class").split() == ["result", "duplicate"]  # not the accepted colour
    assert desk.evaluate("window.vibrations") == [120, 400]  # nor its cue
    assert desk.get_by_role("listitem").count() == 2
    assert desk.get_by_role("listitem").first.inner_text().endswith("이미 입장 처리된 코드 · 김*수")
    assert axe_violations(desk) == []
    screenshot(desk, "desk-duplicate-ko-tablet")

    elsewhere = create_terminal(client, admin, terminal["facility_id"], name="gate 2")
    replayed = verify(client, elsewhere, payload).get_json()
    assert replayed["accepted"] is False and replayed["reason"] == "invalid_code"  # as a wrong code: nothing linked


def test_desk_remembers_its_key_and_says_when_it_is_refused(visit):
    desk = visit(language="en").open("/desk")
    desk.get_by_label("Terminal key", exact=True).fill("not-a-real-key")
    desk.get_by_role("button", name="Save key").click()
    desk.reload()

    desk.get_by_label("Card code").fill("hello")
    desk.get_by_role("button", name="Check").click()
    desk.get_by_role("status").filter(has_text="Not a citizen card code").wait_for()
    desk.get_by_label("Card code").fill(f"SCC1:{new_card_number()}:1:12345678")
    desk.get_by_role("button", name="Check").click()

    desk.get_by_role("status").filter(has_text="The terminal key was not accepted").wait_for()
    assert desk.get_by_role("listitem").count() == 2
    assert axe_violations(desk) == []


def test_qr_keeps_rotating_with_the_network_cut(visit, client, terminal):
    phone = visit(language="ko")
    page = phone.page
    page.clock.install()
    phone.open("/card")
    first = sign_up_and_get_card(page, "offline@example.kr")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    phone.context.set_offline(True)
    page.reload()
    page.get_by_role("img", name=re.compile("시민카드 QR 코드")).wait_for()
    shown = decode_qr(page)
    page.clock.fast_forward("00:31")
    page.wait_for_function("(shown) => document.getElementById('code-text').textContent !== shown", arg=shown)
    later = decode_qr(page)
    phone.context.set_offline(False)

    assert claim(first).card_number == claim(later).card_number
    assert claim(later).step > claim(shown).step >= claim(first).step
    answer = client.post(
        "/api/v1/verifications", json={"payload": later}, headers={"X-Terminal-Key": terminal["api_key"]}
    )
    assert answer.get_json()["accepted"] is True


def test_taking_the_card_again_after_a_lost_answer_makes_one_card_that_works_here(visit, client, terminal):
    page = visit(language="ko").open("/card")
    keys = []  # each card request's Idempotency-Key
    page.on("request", lambda sent: sent.url.endswith("/cards") and keys.append(sent.headers.get("idempotency-key")))

    def lose_the_answer(route):
        route.fetch()  # the service issues the card ...
        route.abort()  # ... and its answer, with the secret, never reaches the phone

    page.route("**/api/v1/cards", lose_the_answer, times=1)
    sign_up(page, "lost-answer@example.kr")
    page.get_by_role("button", name="카드 받기").click()
    page.get_by_role("status").filter(has_text="서버에 연결할 수 없습니다").wait_for()
    page.get_by_role("button", name="카드 받기").click()  # the citizen tries again

    page.get_by_role("img", name=re.compile("시민카드 QR 코드")).wait_for()
    page.get_by_role("status").filter(has_text="카드가 준비되었습니다").wait_for()
    assert axe_violations(page) == []
    assert len(keys) == 2 and keys[0] is not None and keys[0] == keys[1]
    assert verify(client, terminal, decode_qr(page)).get_json()["accepted"] is True  # the card made by the first try


def test_without_a_device_key_a_lost_issue_answer_leads_to_a_reissue(visit, client, terminal):
    phone = visit(language="ko")
    phone.context.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false})")  # SCC1 only
    page = phone.open("/card")
    page.route("**/api/v1/cards", lambda route: (route.fetch(), route.abort()), times=1)  # done, answer lost
    sign_up(page, "lost-secret@example.kr")
    page.get_by_role("button", name="카드 받기").click()
    page.get_by_role("status").filter(has_text="서버에 연결할 수 없습니다").wait_for()
    page.get_by_role("button", name="카드 받기").click()  # tried again: the card exists, its secret is gone

    page.get_by_role("status").filter(has_text="재발급하세요").wait_for()
    reissue = page.get_by_role("button", name="카드 재발급")
    expect(reissue).to_be_focused()
    assert axe_violations(page) == []
    reissue.click()
    page.get_by_role("img", name=re.compile("시민카드 QR 코드")).wait_for()
    payload = decode_qr(page)
    assert payload.startswith("SCC1:") and verify(client, terminal, payload).get_json()["accepted"] is True
