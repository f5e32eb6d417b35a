"""A rider's journey in a real browser, in Korean and in English: find stations, buy a pass, rent, meet a full
station and return at one of the nearest with room, see the fare, report a fault and read the history."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.problems import catalogue as problem_catalogue
from tests.bikeshare.helpers import place_network
from tests.helpers import PASSWORD, citizen, register
from tests.web.conftest import SIZES, axe_violations, screenshot

pytestmark = pytest.mark.browser

CATALOGUES = Path(__file__).resolve().parents[2] / "web" / "static" / "i18n"
# Three stations 140 m apart in a row: 102 has one dock and one bike, so it is full.
NETWORK = {101: (10, 0, 3), 102: (1, 0, 1), 103: (10, 0, 0)}
POINT = {"latitude": 37.661, "longitude": 127.071}  # station 101 (tests.bikeshare.helpers places them)


class Messages:
    """The page's own catalogue, so the journey reads the same in both languages."""

    def __init__(self, language: str):
        self.texts = json.loads((CATALOGUES / f"{language}.json").read_text(encoding="utf-8"))

    def __call__(self, key: str, **values) -> str:
        return self.texts[key].format(**values) if values else self.texts[key]


def shoot(page, name: str) -> None:
    """The page as it is now, at phone and tablet sizes (back at the phone size after)."""
    for size, viewport in reversed(SIZES.items()):
        page.set_viewport_size(viewport)
        screenshot(page, f"{name}-{size}")


def checked(page, name: str) -> None:
    assert axe_violations(page) == [], name
    shoot(page, name)


def log_in(page, m, email: str) -> None:
    page.get_by_label(m("field.email")).fill(email)
    page.get_by_label(m("field.password")).fill(PASSWORD)
    page.get_by_role("button", name=m("card.login")).click()


@pytest.mark.parametrize("language", ["ko", "en"])
def test_rider_buys_a_pass_rents_meets_a_full_station_returns_and_sees_history(app, client, visit, language):
    m = Messages(language)
    bikes = place_network(app, NETWORK)
    rider = register(client)
    device = visit(language=language)
    page = device.open("/ride")
    checked(page, f"ride-signed-out-{language}")

    log_in(page, m, rider["email"])
    if language == "ko":  # the device's position
        device.context.grant_permissions(["geolocation"])
        device.context.set_geolocation(POINT)
        page.get_by_role("button", name=m("ride.locate")).click()
    else:  # a typed point
        page.get_by_label(m("ride.lat")).fill(str(POINT["latitude"]))
        page.get_by_label(m("ride.lon")).fill(str(POINT["longitude"]))
        page.get_by_role("button", name=m("ride.find")).click()
    stations = page.get_by_role("list", name=m("ride.stations_list"))
    full_mark = m.texts["ride.station_full"].split(" · ")[-1]  # "full", "빈 거치대 없음"
    expect(stations.get_by_role("listitem").filter(has_text="Test station 102")).to_contain_text(full_mark)
    expect(stations.get_by_role("listitem").first).to_contain_text("Test station 101")
    expect(page.get_by_role("img", name=m("ride.plot_caption", count=3, radius=1000))).to_be_visible()
    checked(page, f"ride-stations-{language}")

    passes = page.get_by_role("region", name=m("ride.passes_title"))
    passes.get_by_label(m("ride.pass_kind")).select_option("day_1h")
    passes.get_by_role("button", name=m("ride.buy_pass")).click()
    pass_name = m("ride.pass_name_day", minutes=60)
    expect(page.get_by_role("status")).to_have_text(
        m("ride.pass_bought", name=pass_name, won=m("ride.won", won="1,000"))
    )

    if language == "ko":  # a given bike, by its number
        given_bike = page.get_by_role("region", name=m("ride.bike_title"))
        given_bike.get_by_label(m("ride.station_number")).fill("101")
        given_bike.get_by_label(m("ride.bike_number")).fill(bikes[101][1])
        given_bike.get_by_role("button", name=m("ride.rent_bike")).click()
    else:
        stations.get_by_role("button", name=m("ride.rent_here", name="Test station 101")).click()
    riding = page.get_by_role("region", name=m("ride.riding_title"))
    expect(riding).to_be_visible()
    bike = bikes[101][1] if language == "ko" else riding.get_by_role("definition").first.inner_text()
    assert bike in bikes[101]
    expect(riding).to_contain_text(m("ride.fact_fare_so_far"))
    expect(stations.get_by_role("button", name=m("ride.return_here", name="Test station 102"))).to_be_visible()
    checked(page, f"ride-riding-{language}")

    stations.get_by_role("button", name=m("ride.return_here", name="Test station 102")).click()
    full = page.get_by_role("region", name=m("ride.full_title"))
    expect(full).to_be_visible()
    # The API's own problem detail, in the page's language.
    station_full = problem_catalogue(language)["rentals.station_full"].format(station=102)
    expect(page.get_by_role("status")).to_have_text(station_full)
    expect(full.get_by_role("listitem").filter(has_text="Test station 102")).to_have_count(0)
    checked(page, f"ride-station-full-{language}")

    full.get_by_role("button", name=m("ride.return_here", name="Test station 103")).click()
    fare = page.get_by_role("region", name=m("ride.fare_title"))
    expect(fare).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(m("ride.returned", name="Test station 103"))
    expect(fare.get_by_role("definition").last).to_have_text(m("ride.won", won="0"))  # inside the pass's hour
    expect(full).to_be_hidden()
    checked(page, f"ride-returned-{language}")

    fault = page.get_by_role("region", name=m("ride.fault_title"))
    expect(fault.get_by_label(m("ride.bike_number"))).to_have_value(bike)  # the bike just ridden
    fault.get_by_label(m("ride.fault_kind")).select_option("chain")
    fault.get_by_role("button", name=m("ride.report")).click()
    expect(page.get_by_role("status")).to_have_text(m("ride.reported", bike=bike, kind=m("ride.fault.chain")))

    history = page.get_by_role("region", name=m("ride.history_title"))
    rides = history.get_by_role("list", name=m("ride.rides_title"))
    expect(rides).to_contain_text(m("ride.station_number_short", number=103))
    expect(rides.get_by_role("listitem")).to_have_count(1)
    expect(history.get_by_role("list", name=m("ride.my_passes_title"))).to_contain_text(pass_name)
    expect(history.get_by_role("list", name=m("ride.charges_title"))).to_contain_text(m("ride.charge.pass_purchase"))
    checked(page, f"ride-history-{language}")

    session = client.post("/api/v1/auth/login", json={"email": rider["email"], "password": PASSWORD}).get_json()
    mine = client.get("/api/v1/rentals/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert [(r["start_station_id"], r["end_station_id"], r["bike_id"]) for r in mine.get_json()] == [(101, 103, bike)]


def test_rider_page_works_from_the_keyboard_alone(app, client, visit):
    m = Messages("en")
    place_network(app, {101: (10, 0, 3)})
    rider = register(client)
    page = visit(language="en").open("/ride")

    page.get_by_label(m("field.email")).focus()
    page.keyboard.type(rider["email"])
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("button", name=m("ride.buy_pass")).wait_for()

    reached = set()
    for _ in range(60):  # Tab through the whole page, noting every control that takes focus
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.textContent.trim() || document.activeElement.name"))
    assert {m("ride.find"), m("ride.locate"), m("ride.buy_pass"), m("ride.report"), m("ride.rent_bike")} <= reached

    page.get_by_role("button", name=m("ride.buy_pass")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(m("ride.pass_name_day", minutes=60))


def test_a_retry_after_a_lost_answer_and_a_double_tap_each_buy_one_pass(client, visit):
    m = Messages("en")
    rider = citizen(client)
    page = visit(language="en").open("/ride")
    log_in(page, m, rider.email)
    keys = []  # each purchase request's Idempotency-Key
    page.on("request", lambda sent: sent.url.endswith("/passes") and keys.append(sent.headers["idempotency-key"]))

    def lose_the_answer(route):
        route.fetch()  # the server buys the pass ...
        route.abort()  # ... and its answer never reaches the phone

    page.route("**/api/v1/passes", lose_the_answer, times=1)
    buy = page.get_by_role("button", name=m("ride.buy_pass"))
    buy.click()
    expect(page.get_by_role("status")).to_have_text(m("error.offline"))
    buy.click()  # the rider tries again
    pass_name = m("ride.pass_name_day", minutes=60)
    bought = m("ride.pass_bought", name=pass_name, won=m("ride.won", won="1,000"))
    expect(page.get_by_role("status")).to_have_text(bought)
    history = page.get_by_role("list", name=m("ride.my_passes_title"))
    mine = history.get_by_role("listitem").filter(has_text=pass_name)
    expect(mine).to_have_count(1)

    buy.dblclick()  # the next pass, with one tap too many
    expect(mine).to_have_count(2)
    expect(buy).to_be_enabled()

    assert len(keys) == 3 and keys[0] == keys[1] != keys[2]  # the retry repeated its key; the next pass has its own
    passes = client.get("/api/v1/passes/me", headers=rider.headers).get_json()
    charges = client.get("/api/v1/charges/me", headers=rider.headers).get_json()
    assert len(passes) == len(charges) == 2


def test_a_rent_and_a_return_retried_after_a_lost_answer_each_happen_once(app, client, visit):
    m = Messages("en")
    place_network(app, NETWORK)
    rider = citizen(client)
    assert client.post("/api/v1/passes", json={"kind": "day_1h"}, headers=rider.headers).status_code == 201
    page = visit(language="en").open("/ride")
    log_in(page, m, rider.email)
    keys = []  # each rent's and return's Idempotency-Key

    def watch(sent):
        if sent.method == "POST" and "/api/v1/rentals" in sent.url:
            keys.append(sent.headers.get("idempotency-key"))

    page.on("request", watch)

    def lose_the_answer(route):
        route.fetch()  # the server does it ...
        route.abort()  # ... and its answer never reaches the phone

    page.get_by_label(m("ride.lat")).fill(str(POINT["latitude"]))
    page.get_by_label(m("ride.lon")).fill(str(POINT["longitude"]))
    page.get_by_role("button", name=m("ride.find")).click()
    stations = page.get_by_role("list", name=m("ride.stations_list"))
    page.route("**/api/v1/rentals", lose_the_answer, times=1)
    rent = stations.get_by_role("button", name=m("ride.rent_here", name="Test station 101"))
    rent.click()
    expect(page.get_by_role("status")).to_have_text(m("error.offline"))
    rent.click()  # the rider tries again
    riding = page.get_by_role("region", name=m("ride.riding_title"))
    expect(riding).to_be_visible()
    bike = riding.get_by_role("definition").first.inner_text()
    expect(page.get_by_role("status")).to_have_text(m("ride.rented", bike=bike, name="Test station 101"))

    page.route("**/api/v1/rentals/*/return", lose_the_answer, times=1)
    give_back = stations.get_by_role("button", name=m("ride.return_here", name="Test station 103"))
    give_back.click()
    expect(page.get_by_role("status")).to_have_text(m("error.offline"))
    give_back.click()  # tried again
    expect(page.get_by_role("region", name=m("ride.fare_title"))).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(m("ride.returned", name="Test station 103"))
    assert axe_violations(page) == []

    assert len(keys) == 4 and keys[0] is not None
    assert keys[0] == keys[1] != keys[2] == keys[3]  # each retry repeated its key; the return has its own
    mine = client.get("/api/v1/rentals/me", headers=rider.headers).get_json()
    assert [(r["start_station_id"], r["end_station_id"], r["bike_id"]) for r in mine] == [(101, 103, bike)]
