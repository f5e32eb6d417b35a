"""Journeys of the admin console in a real browser against the real server: facilities and terminals,
helpdesk lookups, roles and eligibility, the audit log; axe in every state reached, Korean and English."""

import pytest

from tests.cardapi.helpers import issue_card, verify
from tests.helpers import PASSWORD, citizen, staff
from tests.web.conftest import SIZES, axe_violations, screenshot

pytestmark = pytest.mark.browser


LOGIN_LABELS = {"ko": ("로그인", "이메일", "비밀번호", "로그아웃"), "en": ("Log in", "Email", "Password", "Log out")}


def log_in(page, email: str, language: str, *, admin: bool = True) -> None:
    title, email_label, password_label, log_out = LOGIN_LABELS[language]
    form = page.get_by_role("group", name=title)
    form.get_by_label(email_label).fill(email)
    form.get_by_label(password_label).fill(PASSWORD)
    form.get_by_role("button", name=title).click()
    if admin:
        page.get_by_role("button", name=log_out).wait_for()
        page.wait_for_load_state("networkidle")  # the facilities and the audit log have loaded


def no_violations_at_each_size(page, name: str) -> None:
    assert axe_violations(page) == []
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        # Reflow (WCAG 1.4.10): the page never scrolls sideways; only the audit table scrolls within its region.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"admin-{name}-{size}")


def audit_rows(page, event: str):
    return page.locator("#audit-rows tr").filter(has=page.get_by_role("cell", name=event, exact=True))


def test_admin_creates_a_facility_and_a_terminal_whose_key_verifies_cards(app, client, visit):
    admin = staff(app, client, "admin")
    card = issue_card(client, district="마포구")
    tablet = visit(language="ko", size="tablet")
    page = tablet.open("/admin")
    page.get_by_role("button", name="로그인").wait_for()
    no_violations_at_each_size(page, "signed-out-ko")

    log_in(page, admin.email, "ko")
    page.get_by_role("heading", name="시설과 단말기").wait_for()
    assert axe_violations(page) == []

    page.get_by_label("시설 이름").fill("마포중앙도서관")
    page.get_by_label("종류").select_option("library")
    page.get_by_label("자치구").select_option("마포구")
    page.get_by_role("button", name="시설 만들기").click()
    facility = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="마포중앙도서관"))
    facility.get_by_text("도서관 · 마포구").wait_for()

    facility.get_by_label("자격").select_option("resident")
    facility.get_by_label("할인율(%)").fill("30")
    facility.get_by_role("button", name="마포중앙도서관에 규칙 추가").click()
    facility.get_by_text("구민 30% 할인").wait_for()

    facility.get_by_label("단말기 이름").fill("정문 게이트")
    facility.get_by_role("button", name="마포중앙도서관에 단말기 추가").click()
    key_box = page.get_by_role("region", name="마포중앙도서관 · 정문 게이트 단말기 키")
    key_box.wait_for()
    key = key_box.get_by_label("단말기 키").input_value()
    assert facility.get_by_text(f"정문 게이트 · 키 {key[:12]}… · 마지막 사용 없음").is_visible()
    no_violations_at_each_size(page, "terminal-key-ko")

    answer = verify(client, {"api_key": key}, card.payload()).get_json()
    assert answer["accepted"] is True
    assert answer["benefits"] == [{"category": "resident", "discount_percent": 30}]

    facility.get_by_role("button", name="마포중앙도서관 운영 중지(단말기 즉시 차단)").click()
    facility.get_by_role("button", name="마포중앙도서관 운영 재개").wait_for()
    assert facility.get_by_text("시설 번호").inner_text().endswith("· 운영 중지")
    assert verify(client, {"api_key": key}, card.payload()).status_code == 401  # a closed facility's terminal

    key_box.get_by_role("button", name="키 숨기기").click()
    assert key_box.is_hidden() and page.get_by_label("단말기 키", exact=True).input_value() == ""  # shown once
    assert audit_rows(page, "facility_created").count() == audit_rows(page, "terminal_created").count() == 1
    assert audit_rows(page, "facility_updated").count() == 2  # the rule, then the closing
    no_violations_at_each_size(page, "facilities-ko")


def test_admin_finds_a_citizen_changes_roles_and_eligibility_and_the_log_shows_it(app, client, visit):
    admin = staff(app, client, "admin")
    somebody = citizen(client, email="jiyoung.lee@example.kr", name="이지영", birth_date="1950-03-01")
    phone = visit(language="en")
    page = phone.open("/admin")
    log_in(page, admin.email, "en")

    page.get_by_label("Citizen's email").fill("JiYoung.Lee@example.kr")
    page.get_by_label("Citizen's email").press("Enter")  # keyboard only: Enter submits the lookup
    record = page.get_by_role("article", name=f"이지영 (citizen {somebody.id})")
    record.wait_for()
    assert page.evaluate("document.activeElement.id") == "record-title"
    assert record.get_by_text("No card.").is_visible()
    assert record.get_by_text("Holds now: none").is_visible()  # the self-declared 1950 birth date earns nothing
    no_violations_at_each_size(page, "citizen-en")

    record.get_by_role("button", name="Mark the birth date as verified").click()
    record.get_by_text("Holds now: Senior").wait_for()
    record.get_by_label("Category").select_option("disabled")
    record.get_by_label("Last day (empty: no expiry)").fill("2030-12-31")
    record.get_by_role("button", name="Grant eligibility").click()
    record.get_by_role("button", name="Withdraw Disability").wait_for()
    assert record.get_by_text("Disability · until Dec 31, 2030").is_visible()  # the last day, in Seoul
    record.get_by_label("Role").select_option("operator")
    record.get_by_role("button", name="Grant role").click()
    record.get_by_role("button", name="Remove the Operator role").wait_for()
    assert record.get_by_text("Holds now: Disability, Senior").is_visible()
    assert axe_violations(page) == []

    record.get_by_role("button", name="Remove the Operator role").click()
    page.get_by_role("status").filter(has_text="Removed the Operator role.").wait_for()
    assert record.get_by_role("button", name="Remove the Operator role").count() == 0

    page.get_by_label("Event", exact=True).fill("citizen_lookup")
    page.get_by_role("button", name="Show events").click()
    page.get_by_role("status").filter(has_text="Showing 1 audit events.").wait_for()
    [row] = page.locator("#audit-rows tr").all()
    assert f"user:{somebody.id}" in row.inner_text() and "jiyoung" not in row.inner_text()
    page.get_by_label("Event", exact=True).fill("")
    page.get_by_label("Actor id").fill(str(admin.id))
    page.get_by_role("button", name="Show events").click()
    for event in ("birth_date_verification_set", "eligibility_granted", "role_granted", "role_revoked"):
        audit_rows(page, event).first.wait_for()
    no_violations_at_each_size(page, "audit-en")


def test_admin_finds_a_card_by_its_number_and_sees_its_holder(app, client, visit):
    admin = staff(app, client, "admin")
    card = issue_card(client, name="박서준")
    page = visit(language="ko").open("/admin")
    log_in(page, admin.email, "ko")

    spaced = " ".join(card.number[i : i + 4] for i in range(0, 16, 4))
    page.get_by_label("카드 번호").fill(spaced)
    page.get_by_role("button", name="카드 찾기").click()
    record = page.get_by_role("article", name=f"박서준 (시민 번호 {card.session.id})")
    record.wait_for()
    assert record.get_by_text(f"{card.number} · 사용 중").is_visible()
    assert axe_violations(page) == []

    page.once("dialog", lambda dialog: dialog.accept())
    record.get_by_role("button", name=f"{card.number} 카드 정지").click()
    record.get_by_text(f"{card.number} · 정지됨").wait_for()
    assert client.get("/api/v1/cards/me", headers=card.session.headers).get_json()["status"] == "suspended"
    page.once("dialog", lambda dialog: dialog.dismiss())  # changing one's mind keeps the card as it is
    record.get_by_role("button", name=f"{card.number} 카드 폐기").click()
    assert client.get("/api/v1/cards/me", headers=card.session.headers).get_json()["status"] == "suspended"

    page.get_by_label("카드 번호").fill("9410 0000 0000 0000")
    page.get_by_role("button", name="카드 찾기").click()
    page.get_by_role("status").filter(has_text="이 번호의 카드가 없습니다.").wait_for()
    assert record.is_hidden()
    no_violations_at_each_size(page, "card-lookup-ko")


def test_a_citizen_cannot_use_the_console(client, visit):
    somebody = citizen(client)
    page = visit(language="en").open("/admin")
    log_in(page, somebody.email, "en", admin=False)

    page.get_by_role("status").filter(has_text="This account has no admin role.").wait_for()
    assert page.get_by_role("heading", name="Facilities and terminals").is_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    assert axe_violations(page) == []


def test_keyboard_alone_creates_a_terminal_and_copies_its_key(app, client, visit):
    admin = staff(app, client, "admin")
    device = visit(language="en", size="tablet")
    device.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = device.open("/admin")
    keyboard = page.keyboard

    page.get_by_label("Email", exact=True).focus()
    keyboard.type(admin.email)
    keyboard.press("Tab")
    keyboard.type(PASSWORD)
    keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'lookup-title'")
    page.get_by_label("Facility name").focus()
    keyboard.type("Mapo library")
    keyboard.press("Enter")
    page.get_by_role("heading", name="Mapo library").wait_for()
    assert page.evaluate("document.activeElement.closest('form').dataset.slot") == "add-rule"  # next: its rules

    page.get_by_label("Terminal name").focus()
    keyboard.type("front desk")
    keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'new-key-title'")
    key = page.get_by_label("Terminal key", exact=True).input_value()
    keyboard.press("Tab")  # the key itself, read-only
    keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Copy key"
    keyboard.press("Enter")

    page.get_by_role("status").filter(has_text="The key is copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert verify(client, {"api_key": key}, issue_card(client).payload()).get_json()["accepted"] is True


def click_twice_losing_the_first_answer(page, urls: str, button) -> None:
    """Click `button`; the server does it, but its answer never reaches the console; click it again."""
    page.route(urls, lambda route: (route.fetch(), route.abort()), times=1)
    button.click()
    page.get_by_role("status").filter(has_text="Cannot reach the server").wait_for()
    button.click()


def test_retried_creations_make_one_facility_and_one_terminal_whose_key_no_one_else_gets(app, client, visit):
    admin = staff(app, client, "admin")
    page = visit(language="en").open("/admin")
    log_in(page, admin.email, "en")
    keys = {"facilities": [], "terminals": []}  # each creation request's Idempotency-Key, by what it creates

    def watch(sent):
        if sent.method == "POST" and sent.url.endswith(("/facilities", "/terminals")):
            keys[sent.url.rsplit("/", 1)[1]].append(sent.headers.get("idempotency-key"))

    page.on("request", watch)

    page.get_by_label("Facility name").fill("Mapo library")
    click_twice_losing_the_first_answer(
        page, "**/api/v1/admin/facilities", page.get_by_role("button", name="Create facility")
    )
    page.get_by_role("status").filter(has_text="Created the facility Mapo library.").wait_for()
    facility = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Mapo library"))
    assert facility.count() == 1

    facility.get_by_label("Terminal name").fill("front desk")
    add_terminal = facility.get_by_role("button", name="Add a terminal to Mapo library")
    click_twice_losing_the_first_answer(page, "**/api/v1/admin/facilities/*/terminals", add_terminal)
    page.get_by_role("status").filter(has_text="its key never reached this page").wait_for()
    assert facility.get_by_text("front desk · key").count() == 1
    assert page.get_by_role("region", name="Key of terminal front desk at Mapo library").count() == 0

    facility.get_by_label("Terminal name").fill("side door")
    facility.get_by_role("button", name="Add a terminal to Mapo library").dblclick()  # one tap too many
    page.get_by_role("region", name="Key of terminal side door at Mapo library").wait_for()

    facilities, terminals = keys["facilities"], keys["terminals"]
    assert len(facilities) == 2 and facilities[0] is not None and facilities[0] == facilities[1]
    assert len(terminals) == 3 and terminals[0] is not None and terminals[0] == terminals[1] != terminals[2]
    [made] = client.get("/api/v1/admin/facilities", headers=admin.headers).get_json()
    listed = client.get(f"/api/v1/admin/facilities/{made['id']}/terminals", headers=admin.headers).get_json()
    assert sorted(terminal["name"] for terminal in listed) == ["front desk", "side door"]
