"""The operations map's stock (fill level, district, zone) and docking bikes aboard a truck anywhere with room."""

import pytest

from bikeshare.stations.models import Station
from core.audit import AuditEvent
from core.db import db
from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import place_network
from tests.bikeshare.operations.test_plans_and_tasks import (
    CROWDED_AND_EMPTY,
    assert_one_place_each,
    busy_mornings,
    plan,
)
from tests.helpers import citizen

STOCK = "/api/v1/ops/stations"
# One station per fill level (ids -> docks, overflow, bikes): 0 bikes; 2 of 10; 5 of 10; 9 of 10; 13 on 10 docks.
EVERY_LEVEL = {11: (10, 0, 0), 12: (10, 0, 2), 13: (10, 0, 5), 14: (10, 0, 9), 15: (10, 5, 13)}


def test_each_station_has_one_fill_level_from_its_stock(client, network, operator):
    network(EVERY_LEVEL)

    body = client.get(STOCK, headers=operator.headers).get_json()

    assert {s["id"]: s["fill_level"] for s in body} == {
        11: "empty",
        12: "low",
        13: "normal",
        14: "high",
        15: "over_docks",
    }
    assert body[4] | {"lat": None, "lon": None} == {
        "id": 15,
        "name": "Test station 15",
        "district": "중구",
        "zone": "gangbuk",
        "lat": None,
        "lon": None,
        "docks": 10,
        "capacity": 15,
        "bikes_parked": 13,
        "bikes_available": 13,
        "bikes_held": 0,
        "docks_available": 0,
        "room": 2,
        "fill_level": "over_docks",
    }


def test_a_station_whose_bikes_are_all_held_is_empty(app, client, network, operator):
    network({21: (10, 0, 3)})
    sql(app, "UPDATE bikes SET status = 'maintenance' WHERE station_id = 21")
    sql(app, "UPDATE stations SET bikes_available = 0 WHERE id = 21")

    (station,) = client.get(STOCK, headers=operator.headers).get_json()

    assert (station["fill_level"], station["bikes_held"]) == ("empty", 3)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"fill_level": "low"}, [12]),
        ({"district": "Jung-gu"}, [12, 13]),
        ({"district": "중구", "fill_level": "normal"}, [13]),
        ({"zone": "gangnam"}, [14]),
        ({"zone": "gangbuk"}, [12, 13]),
        ({"zone": "gangnam", "district": "중구"}, []),
    ],
)
def test_stock_filters_by_district_zone_and_fill_level(app, client, network, operator, query, expected):
    network({12: (10, 0, 2), 13: (10, 0, 5), 14: (10, 0, 9), 16: (10, 0, 5)})
    sql(app, "UPDATE stations SET district = '강남구' WHERE id = 14")
    sql(app, "UPDATE stations SET active = false WHERE id = 16")

    body = client.get(STOCK, query_string=query, headers=operator.headers).get_json()

    assert [s["id"] for s in body] == expected


@pytest.mark.parametrize("query", [{"district": "Atlantis"}, {"zone": "north"}, {"fill_level": "brimming"}])
def test_stock_refuses_an_unknown_district_zone_or_level(client, operator, query):
    assert client.get(STOCK, query_string=query, headers=operator.headers).status_code == 422


def test_one_station_and_the_staff_only_rule(client, network, operator):
    network(EVERY_LEVEL)
    rider = citizen(client)

    assert client.get(f"{STOCK}/14", headers=operator.headers).get_json()["fill_level"] == "high"
    assert client.get(f"{STOCK}/99", headers=operator.headers).status_code == 404
    assert client.get(STOCK, headers=rider.headers).status_code == 403
    assert client.get(STOCK).status_code == 401


def test_fill_level_and_room_in_sql_agree_with_python(any_database_app):
    app = any_database_app
    place_network(app, {**EVERY_LEVEL, 31: (0, 3, 2), 32: (3, 0, 1)})
    with app.app_context():
        in_python = {s.id: s.fill_level for s in db.session.scalars(db.select(Station))}
        in_sql = dict(db.session.execute(db.select(Station.id, Station.fill_level)).all())
        room_in_python = {s.id: s.room for s in db.session.scalars(db.select(Station))}
        room_in_sql = dict(db.session.execute(db.select(Station.id, Station.room)).all())

    assert in_python == in_sql
    assert in_sql[31] == "over_docks" and in_sql[32] == "normal"
    assert room_in_python == room_in_sql and room_in_sql[15] == 2 and room_in_sql[11] == 10


def picked_up(client, operator):
    """A plan's largest pickup done: the truck carries several bikes."""
    network_plan = plan(client, operator, trucks=[{"truck_id": 7, "station_id": 5, "capacity": 12}]).get_json()
    stops = network_plan["routes"][0]["stops"]
    first = max((s for s in stops if s["kind"] == "pickup"), key=lambda stop: stop["planned"])
    response = client.post(f"/api/v1/ops/tasks/{first['id']}/pickup", json={}, headers=operator.headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["done"] >= 2
    return response.get_json()["done"]


def test_bikes_aboard_dock_anywhere_with_room_even_after_a_newer_plan(app, client, network, operator):
    network(CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    aboard = picked_up(client, operator)
    # A newer plan for the same truck supersedes its drops (and plans its own); the bikes can come off anywhere.
    newer = plan(client, operator, trucks=[{"truck_id": 7, "station_id": 5, "capacity": 12}]).get_json()
    truck = client.get("/api/v1/ops/trucks/7", headers=operator.headers).get_json()
    assert {(task["plan_id"], task["status"]) for task in truck["open_tasks"]} <= {(newer["id"], "open")}

    response = client.post("/api/v1/ops/trucks/7/dock", json={"station_id": 4, "count": 1}, headers=operator.headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["load"] == aboard - 1
    rest = client.post("/api/v1/ops/trucks/7/dock", json={"station_id": 3}, headers=operator.headers).get_json()

    assert rest["load"] == 0 and rest["bike_ids"] == [] and rest["station_id"] == 3
    stock = {s["id"]: s["bikes_parked"] for s in client.get(STOCK, headers=operator.headers).get_json()}
    assert (stock[4], stock[3]) == (1, aboard - 1)
    assert_one_place_each(app, sum(bikes for _, _, bikes in CROWDED_AND_EMPTY.values()))
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == "truck_docked")).all()
        assert [(e.actor_id, e.subject, e.details["bikes"]) for e in events] == [
            (operator.id, "truck:7", 1),
            (operator.id, "truck:7", aboard - 1),
        ]


def test_a_plan_for_a_load_other_than_aboard_is_refused_and_changes_nothing(app, client, network, operator):
    network(CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    aboard = picked_up(client, operator)
    before = client.get("/api/v1/ops/trucks/7", headers=operator.headers).get_json()
    # A crew that believes the truck empty would get drops for bikes it does not plan to carry, and the reverse.
    for believed in (0, aboard + 1):
        response = plan(client, operator, trucks=[{"truck_id": 7, "station_id": 5, "capacity": 12, "load": believed}])
        assert response.status_code == 409, response.get_json()
        problem = response.get_json()
        assert problem["type"].endswith("load-mismatch") and problem["aboard"] == aboard, problem
        assert f"carries {aboard} bikes, not {believed}" in problem["detail"]
    assert client.get("/api/v1/ops/trucks/7", headers=operator.headers).get_json() == before
    agreed = plan(client, operator, trucks=[{"truck_id": 7, "station_id": 5, "capacity": 12, "load": aboard}])
    assert agreed.status_code == 201, agreed.get_json()
    stops = [stop for route in agreed.get_json()["routes"] for stop in route["stops"]]
    assert sum(-stop["load_change"] for stop in stops if stop["kind"] == "dropoff") >= aboard


def test_docking_refuses_a_full_station_an_empty_truck_and_unknown_places(app, client, network, operator):
    network(CROWDED_AND_EMPTY)
    busy_mornings(app, rentals_at=[3, 4], returns_at=[1, 2])
    aboard = picked_up(client, operator)

    def dock(truck_id, **body):
        return client.post(f"/api/v1/ops/trucks/{truck_id}/dock", json=body, headers=operator.headers)

    sql(app, "UPDATE stations SET overflow_allowance = 0, docks = bikes_parked WHERE id = 5")
    full = dock(7, station_id=5)
    assert (full.status_code, full.get_json()["room"]) == (409, 0)
    too_many = dock(7, station_id=3, count=11)
    assert too_many.status_code == 409 and too_many.get_json()["room"] == 10
    assert dock(7, station_id=3, bike_ids=["SPB-99999"]).status_code == 409
    assert dock(7, station_id=999).status_code == 404
    assert dock(8, station_id=3).status_code == 404
    assert dock(7, station_id=3, count=1, bike_ids=["SPB-00001"]).status_code == 422
    assert client.get("/api/v1/ops/trucks/7", headers=operator.headers).get_json()["load"] == aboard
    assert dock(7, station_id=3).status_code == 200
    assert dock(7, station_id=4).get_json()["detail"].endswith("carries no bike.")
