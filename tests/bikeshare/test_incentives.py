"""Rider incentives through the API: offers on the map, points at the return, anti-gaming flags.

The pilot policy is active here with its rush windows widened to the whole day, so the tests do
not depend on the hour they run at; the windows themselves are tested in test_incentives_rules.py.
"""

from datetime import timedelta

import pytest

from bikeshare.incentives.offers import current_offers
from core.db import utcnow
from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, place_network, rent, rider
from tests.helpers import staff

ALL_DAY = {"weekday": [[0, 24]], "weekend": [[0, 24]]}
# Stations ~1.2 km apart: 1 holds 140 % of its docks (rent there), 10 and 20 hold 20 % and 10 % (return there).
CROWDED, SPARSE, SPARSER, ORDINARY = 1, 10, 20, 30
NEAR_CROWDED, NEAR_SPARSE = 2, 11  # ~140 m from 1 and from 10, placed by the tests that need them
SPEC = {CROWDED: (10, 10, 14), SPARSE: (10, 5, 2), SPARSER: (10, 5, 1), ORDINARY: (10, 5, 5)}


@pytest.fixture
def app(make_app):
    return make_app(BIKESHARE_INCENTIVE_POLICY="pilot", BIKESHARE_INCENTIVE_PILOT_WINDOWS=ALL_DAY)


@pytest.fixture
def bikes(app):
    placed = place_network(app, SPEC)
    publish_before_the_rides(app)
    return placed


def publish_before_the_rides(app):
    """This slot's offers and the last one's (the tests move rentals' starts back into it), dated an hour
    back: an offer pays only rides begun after its publication, as when cron publishes ahead."""
    with app.app_context():
        current_offers(now=utcnow() - timedelta(minutes=5))
        current_offers()
    sql(app, "UPDATE incentive_slots SET published_at = published_at - interval '1 hour'")


def started_minutes_ago(app, rental_id, minutes: float):
    sql(
        app,
        "UPDATE bike_rentals SET started_at = now() - make_interval(secs => :s) WHERE id = :id",
        s=minutes * 60,
        id=rental_id,
    )


def ride(app, client, me, start, end, *, minutes=5.0, **body):
    rental = rent(client, me, start, buy_day_pass="day_1h", **body).get_json()
    started_minutes_ago(app, rental["id"], minutes)
    response = give_back(client, me, rental["id"], end)
    assert response.status_code == 200, response.get_json()
    return rental, response.get_json()["mileage"]


def move_back(app, rental_id, minutes: float):
    """Push a finished ride (and what it earned) earlier in time."""
    shift = {"s": minutes * 60, "id": rental_id}
    sql(
        app,
        "UPDATE bike_rentals SET started_at = started_at - make_interval(secs => :s), "
        "returned_at = returned_at - make_interval(secs => :s) WHERE id = :id",
        **shift,
    )
    sql(
        app,
        "UPDATE mileage_entries SET earned_at = earned_at - make_interval(secs => :s) WHERE rental_id = :id",
        **shift,
    )


def test_anyone_sees_the_stations_with_points_now(client, bikes):
    response = client.get("/api/v1/incentives")
    assert response.status_code == 200
    body = response.get_json()
    assert body["policy"] == "pilot"
    offered = {s["station_id"]: (s["rent_points"], s["return_points"]) for s in body["stations"]}
    assert offered == {CROWDED: (100, 0), SPARSE: (0, 100), SPARSER: (0, 100)}


def test_the_feed_beside_gbfs_lists_the_same_offers_with_its_ttl(client, bikes):
    response = client.get("/gbfs/incentives.json")
    assert response.status_code == 200
    body = response.get_json()
    assert 0 < body["ttl"] <= 1800 and body["data"]["policy"] == "pilot"
    stations = {s["station_id"]: s for s in body["data"]["stations"]}
    assert set(stations) == {str(CROWDED), str(SPARSE), str(SPARSER)}
    assert stations[str(CROWDED)]["rent_points"] == 100


def test_the_return_answer_says_what_the_return_earned_and_the_balance_keeps_it(app, client, bikes):
    me = rider(client)
    _, mileage = ride(app, client, me, CROWDED, SPARSE)
    assert mileage["points"] == 200
    assert {(r["reason"], r["station_id"], r["points"]) for r in mileage["reasons"]} == {
        ("rent-at-crowded-station", CROWDED, 100),
        ("return-at-sparse-station", SPARSE, 100),
    }
    account = client.get("/api/v1/me/mileage", headers=me.headers).get_json()
    assert (account["balance"], account["today"], account["daily_cap"]) == (200, 200, 400)
    assert len(account["entries"]) == 2


def test_a_return_without_offers_earns_nothing(app, client, bikes):
    me = rider(client)
    _, mileage = ride(app, client, me, ORDINARY, CROWDED)
    assert mileage == {"points": 0, "reasons": [], "withheld_because": []}


@pytest.mark.parametrize(("minutes", "earns"), [(2.9, False), (3.1, True)])
def test_a_ride_must_last_three_minutes(app, client, bikes, minutes, earns):
    me = rider(client)
    _, mileage = ride(app, client, me, CROWDED, SPARSE, minutes=minutes)
    assert mileage["points"] == (200 if earns else 0)
    assert mileage["withheld_because"] == ([] if earns else ["ride-too-short"])


def test_a_ride_back_to_its_own_station_is_flagged_for_staff(app, client, bikes):
    me = rider(client)
    rental, mileage = ride(app, client, me, CROWDED, CROWDED)
    assert mileage["withheld_because"] == ["ride-too-near"]
    operator = staff(app, client, "operator")
    flags = client.get("/api/v1/ops/incentives/flags", headers=operator.headers).get_json()
    assert [(f["rental_id"], f["rule"], f["points_withheld"]) for f in flags] == [(rental["id"], "ride-too-near", 100)]
    assert client.get("/api/v1/ops/incentives/flags", headers=me.headers).status_code == 403


def test_the_same_bike_earns_once_a_day(app, client, bikes):
    me = rider(client)
    first, earned = ride(app, client, me, CROWDED, SPARSE)
    assert earned["points"] == 200
    move_back(app, first["id"], 40)  # not a return-and-rent loop
    _, mileage = ride(app, client, me, SPARSE, SPARSER, bike_id=first["bike_id"])
    assert mileage["withheld_because"] == ["same-bike-repeated"]


def test_the_same_station_pair_earns_once_a_day(app, client, bikes):
    me = rider(client)
    first, _ = ride(app, client, me, CROWDED, SPARSE)
    move_back(app, first["id"], 40)
    _, mileage = ride(app, client, me, CROWDED, SPARSE)
    assert mileage["withheld_because"] == ["same-station-pair-repeated"]


def test_renting_again_right_where_one_returned_is_a_loop(app, client, bikes):
    me = rider(client)
    first, _ = ride(app, client, me, CROWDED, SPARSE)
    move_back(app, first["id"], 8)  # returned at SPARSE 8 minutes before the next ride starts there
    _, mileage = ride(app, client, me, SPARSE, SPARSER)
    assert mileage["withheld_because"] == ["return-and-rent-loop"]
    account = client.get("/api/v1/me/mileage", headers=me.headers).get_json()
    assert account["balance"] == 100  # the first ride's rent at CROWDED stands; its return at SPARSE was undone


def test_renting_a_walk_away_from_where_one_returned_is_a_loop(app, client, bikes):
    place_network(app, {NEAR_CROWDED: (10, 5, 5)})
    me = rider(client)
    first, _ = ride(app, client, me, ORDINARY, NEAR_CROWDED)
    move_back(app, first["id"], 8)
    _, mileage = ride(app, client, me, CROWDED, SPARSE)
    assert mileage == {"points": 0, "reasons": [], "withheld_because": ["return-and-rent-loop"]}
    assert client.get("/api/v1/me/mileage", headers=me.headers).get_json()["balance"] == 0


@pytest.mark.parametrize("second_start", [SPARSE, NEAR_SPARSE])
def test_touch_and_go_at_a_sparse_station_takes_its_return_points_back(app, client, bikes, second_start):
    # Returning at SPARSE and riding on at once (from there or a walk away) leaves SPARSE's stock as it was.
    place_network(app, {NEAR_SPARSE: (10, 5, 5)})
    me = rider(client)
    first, earned = ride(app, client, me, ORDINARY, SPARSE)
    assert earned["points"] == 100
    move_back(app, first["id"], 8)
    second, mileage = ride(app, client, me, second_start, ORDINARY)  # no offer at either end of this ride
    assert mileage["points"] == -100 and mileage["withheld_because"] == ["return-and-rent-loop"]
    assert [(r["reason"], r["station_id"], r["points"]) for r in mileage["reasons"]] == [
        ("return-taken-back", SPARSE, -100)
    ]
    account = client.get("/api/v1/me/mileage", headers=me.headers).get_json()
    assert (account["balance"], account["today"], account["this_month"]) == (0, 0, 0)
    operator = staff(app, client, "operator")
    flags = client.get("/api/v1/ops/incentives/flags", headers=operator.headers).get_json()
    assert [(f["rental_id"], f["rule"], f["points_withheld"]) for f in flags] == [
        (second["id"], "return-and-rent-loop", 100)
    ]


@pytest.mark.parametrize(("published_first", "earned"), [(True, 200), (False, 100)])
def test_a_rent_offer_pays_only_rentals_begun_after_it_was_published(app, client, published_first, earned):
    # A slot is published by its first reader: one who rented before can't publish it and be paid for it.
    place_network(app, SPEC)
    if published_first:
        publish_before_the_rides(app)
    me = rider(client)
    rental = rent(client, me, CROWDED, buy_day_pass="day_1h").get_json()
    if not published_first:
        assert client.get("/api/v1/incentives").status_code == 200  # publishes this slot now
        with app.app_context():
            current_offers(now=utcnow() - timedelta(minutes=5))
    started_minutes_ago(app, rental["id"], 5)
    mileage = give_back(client, me, rental["id"], SPARSE).get_json()["mileage"]
    assert mileage["points"] == earned
    assert ("return-at-sparse-station", 100) in [(r["reason"], r["points"]) for r in mileage["reasons"]]


def test_a_failed_return_leaves_no_points(app, client, make_app):
    place_network(app, {CROWDED: (10, 10, 14), SPARSE: (1, 0, 1)})  # SPARSE is full
    with app.app_context():
        current_offers(now=utcnow() - timedelta(minutes=5))
    me = rider(client)
    rental = rent(client, me, CROWDED, buy_day_pass="day_1h").get_json()
    started_minutes_ago(app, rental["id"], 5)
    assert give_back(client, me, rental["id"], SPARSE).status_code == 409
    assert client.get("/api/v1/me/mileage", headers=me.headers).get_json()["balance"] == 0


def test_cron_publishes_the_coming_half_hour_ahead_of_its_riders(app, client):
    place_network(app, SPEC)
    result = app.test_cli_runner().invoke(args=["bikeshare", "publish-incentives"])
    assert result.exit_code == 0, result.output
    assert "pilot offers from" in result.output and "1 stations for renting, 2 for returning" in result.output
