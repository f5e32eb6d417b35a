"""Real races: threads, each with its own test client, real commits on PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import rider


@pytest.fixture
def race_app(make_app):
    # Many riders log in from one test address within a minute.
    return make_app(LOGIN_LIMIT_PER_ADDRESS=1000)


def _race(app, calls):
    """Run every call at once (one client per thread); returns the responses in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        client = app.test_client()
        barrier.wait()
        response = call(client)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


# A pass bought with the rental joins the rental's transaction; one bought before leaves the rental's statement
# to commit alone.
@pytest.mark.parametrize("pass_bought", ["with the rental", "before"])
def test_fifty_riders_racing_for_ten_bikes_get_exactly_ten_rentals_and_forty_clean_409s(race_app, network, pass_bought):
    bikes = network({101: (10, 5, 10)})
    client = race_app.test_client()
    riders = [rider(client) for _ in range(50)]
    body = {"station_id": 101}
    if pass_bought == "before":
        for r in riders:
            assert client.post("/api/v1/passes", json={"kind": "day_1h"}, headers=r.headers).status_code == 201
    else:
        body["buy_day_pass"] = "day_1h"
    results = _race(race_app, [lambda c, r=r: c.post("/api/v1/rentals", json=body, headers=r.headers) for r in riders])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 10 + [409] * 40
    assert {b["type"] for s, b in results if s == 409} == {"/problems/no-bike-available"}
    assert sorted(b["bike_id"] for s, b in results if s == 201) == sorted(bikes[101])
    # Every bike in exactly one place: out on one open rental, at no station; the counters agree.
    assert sql(race_app, "SELECT bikes_parked, bikes_available FROM stations WHERE id = 101") == [(0, 0)]
    assert sql(race_app, "SELECT count(*) FROM bikes WHERE status = 'rented' AND station_id IS NULL") == [(10,)]
    assert sql(race_app, "SELECT count(DISTINCT bike_id), count(*) FROM bike_rentals WHERE returned_at IS NULL") == [
        (10, 10)
    ]
    # Only the riders who got a bike started their day pass, and, buying it with the rental, paid for it.
    assert sql(race_app, "SELECT count(*) FROM bike_passes WHERE valid_from IS NOT NULL") == [(10,)]
    paid = 10 if pass_bought == "with the rental" else 50
    assert sql(race_app, "SELECT count(*), sum(amount_won) FROM bike_charges") == [(paid, paid * 1000)]
    assert sql(race_app, "SELECT sum(rentals) FROM station_hour_stats WHERE station_id = 101") == [(10,)]


def test_twenty_riders_returning_into_five_places_five_succeed(race_app, network):
    network({101: (30, 0, 20), 102: (5, 0, 0)})
    client = race_app.test_client()
    riders = [rider(client) for _ in range(20)]
    rentals = []
    for r in riders:
        response = client.post("/api/v1/rentals", json={"station_id": 101, "buy_day_pass": "day_1h"}, headers=r.headers)
        assert response.status_code == 201
        rentals.append(response.get_json()["id"])
    results = _race(
        race_app,
        [
            lambda c, r=r, rid=rid: c.post(f"/api/v1/rentals/{rid}/return", json={"station_id": 102}, headers=r.headers)
            for r, rid in zip(riders, rentals, strict=True)
        ],
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 5 + [409] * 15
    refused = [b for s, b in results if s == 409]
    assert {b["type"] for b in refused} == {"/problems/station-full"}
    assert all(b["nearest_stations_with_room"][0]["id"] == 101 for b in refused)
    assert sql(race_app, "SELECT bikes_parked, bikes_available FROM stations WHERE id = 102") == [(5, 5)]
    assert sql(race_app, "SELECT count(*) FROM bikes WHERE station_id = 102 AND status = 'available'") == [(5,)]
    assert sql(race_app, "SELECT count(*) FROM bike_rentals WHERE returned_at IS NULL") == [(15,)]


def test_one_rider_racing_themselves_from_two_phones_gets_one_bike(race_app, network):
    network({101: (10, 0, 10)})
    client = race_app.test_client()
    me = rider(client)
    assert client.post("/api/v1/passes", json={"kind": "30d_1h"}, headers=me.headers).status_code == 201
    results = _race(race_app, [lambda c: c.post("/api/v1/rentals", json={"station_id": 101}, headers=me.headers)] * 8)
    assert sorted(s for s, _ in results) == [201] + [409] * 7
    assert {b["type"] for s, b in results if s == 409} == {"/problems/already-riding"}
    assert sql(race_app, "SELECT bikes_parked, bikes_available FROM stations WHERE id = 101") == [(9, 9)]


def test_one_ride_returned_from_two_phones_at_once_is_returned_and_charged_once(race_app, network):
    network({101: (10, 0, 1), 102: (10, 0, 0), 103: (10, 0, 0)})
    client = race_app.test_client()
    me = rider(client)
    rental = client.post("/api/v1/rentals", json={"station_id": 101, "buy_day_pass": "day_1h"}, headers=me.headers)
    rental_id = rental.get_json()["id"]
    sql(race_app, "UPDATE bike_rentals SET started_at = now() - interval '2 hours' WHERE id = :id", id=rental_id)
    results = _race(
        race_app,
        [
            lambda c, station=station: c.post(
                f"/api/v1/rentals/{rental_id}/return", json={"station_id": station}, headers=me.headers
            )
            for station in (102, 103) * 3
        ],
    )
    assert sorted(s for s, _ in results) == [200] + [409] * 5
    assert {b["type"] for s, b in results if s == 409} == {"/problems/already-returned"}
    [(end_station,)] = sql(race_app, "SELECT end_station_id FROM bike_rentals WHERE id = :id", id=rental_id)
    assert sql(race_app, "SELECT id, bikes_parked FROM stations WHERE id IN (102, 103) ORDER BY id") == [
        (102, int(end_station == 102)),
        (103, int(end_station == 103)),
    ]
    assert sql(race_app, "SELECT count(*) FROM bike_charges WHERE reason = 'overtime'") == [(1,)]
