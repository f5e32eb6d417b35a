"""Plans through HTTP on a small network, and truck tasks that keep every bike in one place."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bikeshare.operations.models import Plan
from bikeshare.stations.models import Bike, Station
from core.db import db
from tests.bikeshare.conftest import sql

PLANS = "/api/v1/ops/rebalancing/plans"
# Two crowded stations next to two empty ones, a few hundred metres apart (ids -> docks, overflow, bikes).
CROWDED_AND_EMPTY = {1: (10, 5, 15), 2: (10, 5, 14), 3: (10, 0, 0), 4: (10, 0, 0), 5: (10, 2, 5)}


def busy_mornings(app, *, rentals_at, returns_at):
    """A week of 08:00 KST weekday records: riders leave the empty stations, arrive at the crowded ones."""
    for day in range(1, 8):
        for station in rentals_at:
            sql(
                app,
                "INSERT INTO station_hour_stats (station_id, hour_start, rentals, returns, empty_minutes, full_minutes)"
                " VALUES (:s, :h, 12, 0, 0, 0)",
                s=station,
                h=f"2025-09-{day:02d}T08:00:00+09:00",
            )
        for station in returns_at:
            sql(
                app,
                "INSERT INTO station_hour_stats (station_id, hour_start, rentals, returns, empty_minutes, full_minutes)"
                " VALUES (:s, :h, 0, 12, 0, 0)",
                s=station,
                h=f"2025-09-{day:02d}T08:00:00+09:00",
            )


def plan(client, operator, **body):
    request = {"horizon_h": 2, "time_limit_s": 1, "start_at": "2025-09-08T07:30:00+09:00", **body}
    return client.post(PLANS, json=request, headers=operator.headers)


def where_bikes_are(app):
    """Bikes per (status, station, truck), and each station's counters."""
    with app.app_context():
        rows = db.session.execute(
            select(Bike.status, Bike.station_id, Bike.truck_id, func.count()).group_by(
                Bike.status, Bike.station_id, Bike.truck_id
            )
        ).all()
        counters = {s.id: (s.bikes_parked, s.bikes_available) for s in db.session.scalars(select(Station))}
    return {(status, station, truck): n for status, station, truck, n in rows}, counters


def assert_one_place_each(app, total):
    places, counters = where_bikes_are(app)
    assert sum(places.values()) == total
    for station_id, (parked, available) in counters.items():
        assert parked == sum(n for (status, s, _), n in places.items() if s == station_id)
        assert available == places.get(("available", station_id, None), 0)
    for (status, station, truck), _ in places.items():
        assert (status == "in_transit") == (truck is not None) and (station is None) == (status == "in_transit")


def test_a_plan_moves_bikes_from_crowded_to_empty_stations_within_truck_capacity(app, client, network, operator):
    network(CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    response = plan(client, operator, trucks=[{"truck_id": 7, "station_id": 5, "capacity": 12}])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["dissatisfaction_after"] < body["dissatisfaction_before"]
    assert body["moves"] and body["bikes_moved"] > 0
    for move in body["moves"]:  # every move goes from a station with bikes to one that needs them
        assert move["source_station_id"] in (1, 2, 5) and move["target_station_id"] in (3, 4)
    (route,) = body["routes"]
    load, picked, dropped = 0, 0, 0
    for stop in route["stops"]:
        assert stop["station_id"] in CROWDED_AND_EMPTY
        load += stop["load_change"]
        assert 0 <= load <= 12 and stop["load_after"] == load
        picked += max(stop["load_change"], 0)
        dropped += max(-stop["load_change"], 0)
    assert picked == dropped == body["bikes_moved"]  # balanced: what is picked up is dropped
    assert client.get(f"{PLANS}/{body['id']}", headers=operator.headers).get_json() == body


def test_plan_requests_are_checked(app, client, network, operator):
    network(CROWDED_AND_EMPTY)
    assert plan(client, operator).status_code == 422  # neither trucks nor a count
    assert plan(client, operator, truck_count=1, zone="Atlantis").status_code == 422
    outside = plan(client, operator, trucks=[{"truck_id": 1, "station_id": 999}])
    assert outside.status_code == 422
    assert plan(client, operator, truck_count=2, zone="jung-gu").status_code == 201
    assert client.get(f"{PLANS}/999", headers=operator.headers).status_code == 404


def test_pickup_and_partial_dropoff_keep_every_bike_in_exactly_one_place(app, client, network, operator):
    placed = network(CROWDED_AND_EMPTY)
    total = sum(len(bikes) for bikes in placed.values())
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    body = plan(client, operator, trucks=[{"truck_id": 3, "station_id": 1, "capacity": 20}]).get_json()
    stops = body["routes"][0]["stops"]
    pickup = next(s for s in stops if s["kind"] == "pickup")
    dropoff = next(s for s in stops if s["kind"] == "dropoff")

    first = client.post(f"/api/v1/ops/tasks/{pickup['id']}/pickup", json={"count": 1}, headers=operator.headers)
    assert first.status_code == 200 and first.get_json()["done"] == 1
    assert first.get_json()["status"] == ("done" if pickup["planned"] == 1 else "partial")
    if pickup["planned"] > 1:
        rest = client.post(f"/api/v1/ops/tasks/{pickup['id']}/pickup", json={}, headers=operator.headers)
        assert rest.get_json()["done"] == pickup["planned"] and rest.get_json()["status"] == "done"
    truck = client.get("/api/v1/ops/trucks/3", headers=operator.headers).get_json()
    assert truck["load"] == pickup["planned"] == len(truck["bike_ids"]) and truck["station_id"] == pickup["station_id"]
    assert_one_place_each(app, total)

    again = client.post(f"/api/v1/ops/tasks/{pickup['id']}/pickup", json={}, headers=operator.headers)
    assert again.status_code == 409
    wrong = client.post(f"/api/v1/ops/tasks/{pickup['id']}/dropoff", json={}, headers=operator.headers)
    assert wrong.status_code == 409

    bike = truck["bike_ids"][0]
    dropped = client.post(
        f"/api/v1/ops/tasks/{dropoff['id']}/dropoff", json={"bike_ids": [bike]}, headers=operator.headers
    )
    assert dropped.status_code == 200 and dropped.get_json()["done"] == 1
    assert_one_place_each(app, total)
    bikes = client.get(f"/api/v1/ops/bikes/{bike}", headers=operator.headers).get_json()["bike"]
    assert bikes["station_id"] == dropoff["station_id"] and bikes["status"] == "available"
    after = client.get("/api/v1/ops/trucks/3", headers=operator.headers).get_json()
    assert after["load"] == truck["load"] - 1 and bike not in after["bike_ids"]
    not_on_truck = client.post(
        f"/api/v1/ops/tasks/{dropoff['id']}/dropoff", json={"bike_ids": [bike]}, headers=operator.headers
    )
    assert not_on_truck.status_code == 409


def test_a_pickup_larger_than_the_truck_is_refused_and_changes_nothing(app, client, network, operator):
    placed = network(CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    body = plan(client, operator, trucks=[{"truck_id": 4, "station_id": 1, "capacity": 20}]).get_json()
    pickup = next(s for r in body["routes"] for s in r["stops"] if s["kind"] == "pickup")
    sql(app, "UPDATE trucks SET capacity = 1 WHERE id = 4")
    before = where_bikes_are(app)
    response = client.post(
        f"/api/v1/ops/tasks/{pickup['id']}/pickup", json={"count": min(2, pickup["planned"])}, headers=operator.headers
    )
    if pickup["planned"] >= 2:
        assert response.status_code == 409 and response.get_json()["room"] == 1
        assert where_bikes_are(app) == before
    assert_one_place_each(app, sum(len(b) for b in placed.values()))


def test_a_retried_plan_request_returns_the_first_plan_and_creates_no_second(app, client, network, operator):
    network(CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    request = {
        "horizon_h": 2,
        "time_limit_s": 1,
        "start_at": "2025-09-08T07:30:00+09:00",
        "trucks": [{"truck_id": 7, "station_id": 5, "capacity": 12}],
    }
    headers = {**operator.headers, "Idempotency-Key": "plan-0800-gangbuk"}
    first = client.post(PLANS, json=request, headers=headers)
    retry = client.post(PLANS, json=request, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Plan)) == 1


def test_operators_racing_on_one_pickup_load_each_bike_once(app, client, network, operator):
    placed = network(CROWDED_AND_EMPTY)
    total = sum(len(bikes) for bikes in placed.values())
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    body = plan(client, operator, trucks=[{"truck_id": 9, "station_id": 1, "capacity": 20}]).get_json()
    pickup = next(s for s in body["routes"][0]["stops"] if s["kind"] == "pickup")

    def one_at_a_time(_):
        racer = app.test_client()
        return [
            racer.post(
                f"/api/v1/ops/tasks/{pickup['id']}/pickup", json={"count": 1}, headers=operator.headers
            ).status_code
            for _ in range(pickup["planned"])
        ]

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = [status for batch in pool.map(one_at_a_time, range(4)) for status in batch]

    assert statuses.count(200) == pickup["planned"]  # every bike of the task loaded exactly once
    assert set(statuses) <= {200, 409}
    truck = client.get("/api/v1/ops/trucks/9", headers=operator.headers).get_json()
    assert truck["load"] == len(set(truck["bike_ids"])) == pickup["planned"]
    assert_one_place_each(app, total)


def test_a_new_plan_for_a_truck_supersedes_its_unfinished_stops(app, client, network, operator):
    placed = network(CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    truck = {"truck_id": 11, "station_id": 1, "capacity": 20}
    first = plan(client, operator, trucks=[truck]).get_json()
    pickup = next(s for s in first["routes"][0]["stops"] if s["kind"] == "pickup")
    assert client.post(f"/api/v1/ops/tasks/{pickup['id']}/pickup", json={}, headers=operator.headers).status_code == 200
    other_truck = plan(client, operator, trucks=[{"truck_id": 12, "station_id": 2, "capacity": 20}]).get_json()

    second = plan(client, operator, trucks=[{**truck, "station_id": pickup["station_id"]}]).get_json()
    old = client.get(f"{PLANS}/{first['id']}", headers=operator.headers).get_json()
    stops = {s["id"]: s for s in old["routes"][0]["stops"]}
    assert stops[pickup["id"]]["status"] == "done" and stops[pickup["id"]]["superseded_by"] is None
    unfinished = [s for s in stops.values() if s["id"] != pickup["id"]]
    assert unfinished and all(s["status"] == "superseded" and s["superseded_by"] == second["id"] for s in unfinished)
    refused = client.post(
        f"/api/v1/ops/tasks/{unfinished[0]['id']}/{unfinished[0]['kind']}", json={}, headers=operator.headers
    )
    assert refused.status_code == 409 and refused.get_json()["plan_id"] == second["id"]
    # Another truck's plan is untouched, and the new plan's stops are open.
    kept = client.get(f"{PLANS}/{other_truck['id']}", headers=operator.headers).get_json()
    assert all(s["status"] == "open" for r in kept["routes"] for s in r["stops"])
    assert all(s["status"] == "open" for r in second["routes"] for s in r["stops"])
    assert_one_place_each(app, sum(len(b) for b in placed.values()))
