"""A rider finds a station, rents, returns at another and sees the fare, in a real browser."""

import pytest
from playwright.sync_api import expect

from tests.bikeshare.helpers import place_network
from tests.helpers import PASSWORD, register
from tests.web.conftest import axe_violations, screenshot

pytestmark = pytest.mark.browser


def test_rider_finds_a_station_rents_returns_and_sees_the_fare(app, client, visit):
    place_network(app, {101: (10, 0, 3), 102: (10, 0, 0)})
    rider = register(client)
    page = visit(language="en").open("/ride")

    page.get_by_label("Email").fill(rider["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Latitude").fill("37.661")
    page.get_by_label("Longitude").fill("127.071")
    page.get_by_label("Day pass to buy with the ride").select_option("day_1h")
    page.get_by_role("button", name="Find stations").click()
    page.get_by_role("listitem").filter(has_text="Test station 101 · ").filter(has_text="3 bikes").wait_for()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Rent at Test station 101").click()
    page.get_by_role("heading", name="Your ride").wait_for()
    assert page.get_by_role("region", name="Your ride").inner_text().count("SPB-") == 1
    # The list redraws for the ride a moment after the heading shows: wait for it rather than race it.
    expect(page.get_by_role("button", name="Rent at Test station 102")).to_have_count(0)
    screenshot(page, "ride-riding-en-phone")
    page.get_by_role("button", name="Return at Test station 102").click()

    page.get_by_role("heading", name="Fare for this ride").wait_for()
    assert page.get_by_role("status").inner_text() == "Returned at Test station 102."
    assert page.get_by_text("₩0", exact=True).is_visible()  # charged now: inside the day pass's hour
    page.get_by_role("listitem").filter(has_text="Test station 102 · ").filter(has_text="1 bikes").wait_for()
    assert axe_violations(page) == []
    screenshot(page, "ride-returned-en-phone")
    rentals = client.post("/api/v1/auth/login", json={"email": rider["email"], "password": PASSWORD}).get_json()[
        "access_token"
    ]
    mine = client.get("/api/v1/rentals/me", headers={"Authorization": f"Bearer {rentals}"}).get_json()
    assert [(r["start_station_id"], r["end_station_id"]) for r in mine] == [(101, 102)]
