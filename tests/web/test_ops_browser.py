"""An operator on a tablet: the station map by fill level, a plan worked stop by stop, bikes with fault reports."""

import re

import pytest
from playwright.sync_api import expect

from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import place_network, rider
from tests.bikeshare.operations.test_plans_and_tasks import CROWDED_AND_EMPTY, busy_mornings
from tests.helpers import PASSWORD, staff
from tests.web.conftest import SIZES, axe_violations, screenshot

pytestmark = pytest.mark.browser


def log_in(page, operator, *, email_label, password_label, button):
    page.get_by_label(email_label).fill(operator.email)
    page.get_by_label(password_label).fill(PASSWORD)
    page.get_by_role("button", name=button).click()


def marker(page, station_id):
    return page.locator(f'#map path[data-station="{station_id}"]')


def screenshots(page, name):
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"{name}-{size}")
    page.set_viewport_size(SIZES["tablet"])


def stops_of_the_plan(client, operator, page) -> list[dict]:
    plan_id = page.evaluate("sessionStorage.getItem('seoul.ops.plan')")
    plan = client.get(f"/api/v1/ops/rebalancing/plans/{plan_id}", headers=operator.headers).get_json()
    return plan["routes"][0]["stops"]


def plan_one_truck(client, operator, page) -> list[dict]:
    """Ask the console for a plan of one truck of 12 for the test mornings' 07:30; its stops."""
    page.get_by_label("Trucks").fill("1")
    page.get_by_label("Bikes per truck").fill("12")
    page.get_by_label("Start (Seoul time; empty: now)").fill("2025-09-08T07:30")
    page.get_by_role("button", name="Create plan").click()
    page.get_by_role("heading", name="Truck 1").wait_for()
    return stops_of_the_plan(client, operator, page)


def test_operator_plans_works_a_pickup_and_a_dropoff_and_sees_the_map_change(app, client, visit):
    placed = place_network(app, CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    reporter = rider(client)
    faulty = placed[5][0]
    report = client.post(f"/api/v1/bikes/{faulty}/reports", json={"kind": "light"}, headers=reporter.headers)
    assert report.status_code == 201, report.get_json()
    operator = staff(app, client, "operator")
    page = visit(language="en", size="tablet").open("/ops")

    log_in(page, operator, email_label="Email", password_label="Password", button="Log in")
    expect(marker(page, 3)).to_have_attribute("data-fill", "empty")
    expect(marker(page, 1)).to_have_attribute("data-fill", "over_docks")
    expect(marker(page, 5)).to_have_attribute("data-fill", "normal")
    assert page.get_by_role("row", name=re.compile("^Test station 3 ")).get_by_role("cell").last.inner_text() == "Empty"
    page.get_by_role("listitem").filter(has_text=faulty).filter(has_text="light").wait_for()
    assert axe_violations(page) == []
    screenshots(page, "ops-map-en")

    stops = plan_one_truck(client, operator, page)
    pickup = max((s for s in stops if s["kind"] == "pickup"), key=lambda stop: stop["planned"])
    dropoff = max((s for s in stops if s["station_id"] in (3, 4)), key=lambda stop: stop["planned"])
    assert pickup["planned"] >= 3 and dropoff["planned"] >= 2
    assert page.locator("#map path.route").count() == 1
    numbered = page.locator("#map .stop-number").all_inner_texts()  # each stop's number, as in the task list
    assert sorted(int(n) for label in numbered for n in label.split("·")) == list(range(1, len(stops) + 1))
    assert axe_violations(page) == []
    screenshots(page, "ops-plan-en")

    source, before = pickup["station_id"], int(marker(page, pickup["station_id"]).get_attribute("data-bikes"))
    task = page.locator(f'[data-task="{pickup["id"]}"]')
    task.get_by_label("Bikes").fill("2")  # a partial pickup: the truck takes two now
    task.get_by_role("button", name=f"Pick up at Test station {source}").click()
    expect(page.get_by_role("status")).to_have_text(f"Picked up 2 at Test station {source}.")
    expect(marker(page, source)).to_have_attribute("data-bikes", str(before - 2))
    expect(page.get_by_text("2 of 12 bikes aboard")).to_be_visible()
    expect(page.locator(f'[data-task="{pickup["id"]}"]')).to_contain_text(f"2 of {pickup['planned']} done")

    target = dropoff["station_id"]
    task = page.locator(f'[data-task="{dropoff["id"]}"]')
    task.get_by_label("Bikes").fill("2")
    task.get_by_role("button", name=f"Drop off at Test station {target}").click()
    expect(page.get_by_role("status")).to_have_text(f"Dropped off 2 at Test station {target}.")
    expect(marker(page, target)).to_have_attribute("data-bikes", "2")
    expect(marker(page, target)).to_have_attribute("data-fill", "low")  # 2 bikes on 10 docks: under 30 %
    row = page.get_by_role("row", name=re.compile(f"^Test station {target} "))
    expect(row.get_by_role("cell").last).to_have_text("Low (under 30% of docks)")
    expect(page.get_by_text("0 of 12 bikes aboard")).to_be_visible()
    assert axe_violations(page) == []
    screenshots(page, "ops-worked-en")

    # The rest of the pickup, then all of it docked from the station's detail, whatever the plan says.
    page.locator(f'[data-task="{pickup["id"]}"]').get_by_role("button", name=re.compile("^Pick up at ")).click()
    expect(page.get_by_role("status")).to_have_text(re.compile(f"^Picked up {pickup['planned'] - 2} at "))
    page.get_by_role("row", name=re.compile("^Test station 5 ")).get_by_role("button").click()
    expect(page.get_by_role("heading", name="Test station 5", level=2)).to_be_focused()
    expect(page.locator("#detail-facts")).to_contain_text("Jung-gu")
    page.get_by_role("button", name="Dock", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(re.compile("^Docked .* at Test station 5[.]$"))
    expect(page.get_by_role("table").last.get_by_role("row")).to_have_count(25)  # demand: a header and 24 hours

    page.get_by_role("button", name=f"Back to service: {faulty}").click()
    expect(page.get_by_role("status")).to_have_text(f"{faulty} is back in service.")
    expect(page.get_by_text("No open fault reports.")).to_be_visible()
    assert axe_violations(page) == []
    screenshots(page, "ops-docked-en")
    held = client.get(f"/api/v1/ops/bikes/{faulty}", headers=operator.headers).get_json()
    assert held["open_reports"] == [] and held["bike"]["status"] == "available"


def test_operator_sees_the_console_in_korean_with_a_stations_demand(app, client, visit):
    place_network(app, {101: (10, 0, 0), 102: (10, 0, 5), 103: (10, 0, 12)})
    operator = staff(app, client, "operator")
    page = visit(language="ko", size="tablet").open("/ops")

    log_in(page, operator, email_label="이메일", password_label="비밀번호", button="로그인")
    expect(marker(page, 103)).to_have_attribute("data-fill", "over_docks")
    assert page.get_by_role("list", name="채움 정도 범례").inner_text().split("\n")[0].startswith("빈 대여소")
    page.get_by_label("자치구").first.select_option("강남구")
    expect(page.locator("#map path.station")).to_have_count(0)
    page.get_by_label("자치구").first.select_option("중구")
    expect(page.locator("#map path.station")).to_have_count(3)
    sql(app, "UPDATE stations SET bikes_parked = 3, bikes_available = 3 WHERE id = 101")  # a rider's return, say
    page.get_by_role("button", name="대여소 새로 고침").click()
    expect(marker(page, 101)).to_have_attribute("data-fill", "normal")

    marker(page, 101).click()  # the mouse's way in; the list row is the keyboard's
    expect(page.get_by_role("heading", name="Test station 101", level=2)).to_be_focused()
    page.get_by_role("row", name=re.compile("^Test station 102 ")).get_by_role("button").focus()
    page.keyboard.press("Enter")  # the keyboard's way to the same detail
    expect(page.get_by_role("heading", name="Test station 102", level=2)).to_be_focused()
    expect(marker(page, 102)).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator("#detail-facts")).to_contain_text("중구")
    expect(page.get_by_role("table").last.get_by_role("row")).to_have_count(25)
    assert page.get_by_role("option", name="자전거를 실은 트럭이 없습니다").count() == 1
    expect(page.get_by_text("열린 고장 신고가 없습니다.")).to_be_visible()
    assert axe_violations(page) == []
    screenshots(page, "ops-detail-ko")


def test_a_pickup_retried_after_a_lost_answer_loads_the_bikes_once(app, client, visit):
    place_network(app, CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    operator = staff(app, client, "operator")
    page = visit(language="en", size="tablet").open("/ops")
    log_in(page, operator, email_label="Email", password_label="Password", button="Log in")
    stops = plan_one_truck(client, operator, page)
    pickup = max((stop for stop in stops if stop["kind"] == "pickup"), key=lambda stop: stop["planned"])
    assert pickup["planned"] >= 3
    keys = []  # each pickup request's Idempotency-Key
    page.on("request", lambda sent: sent.url.endswith("/pickup") and keys.append(sent.headers.get("idempotency-key")))

    def lose_the_answer(route):
        route.fetch()  # the server loads the bikes ...
        route.abort()  # ... and its answer never reaches the tablet

    page.route("**/api/v1/ops/tasks/*/pickup", lose_the_answer, times=1)
    source = pickup["station_id"]
    task = page.locator(f'[data-task="{pickup["id"]}"]')
    task.get_by_label("Bikes").fill("2")
    go = task.get_by_role("button", name=f"Pick up at Test station {source}")
    go.click()
    expect(page.get_by_role("status")).to_have_text("Cannot reach the server. Check the internet connection.")
    go.click()  # the operator tries again
    expect(page.get_by_role("status")).to_have_text(f"Picked up 2 at Test station {source}.")
    expect(page.get_by_text("2 of 12 bikes aboard")).to_be_visible()
    assert axe_violations(page) == []

    go.dblclick()  # the rest of the task, with one tap too many
    expect(page.get_by_role("status")).to_have_text(f"Picked up {pickup['planned'] - 2} at Test station {source}.")
    expect(page.get_by_text(f"{pickup['planned']} of 12 bikes aboard")).to_be_visible()

    assert len(keys) == 3 and keys[0] is not None and keys[0] == keys[1] != keys[2]
    [done] = [stop["done"] for stop in stops_of_the_plan(client, operator, page) if stop["id"] == pickup["id"]]
    assert done == pickup["planned"]
