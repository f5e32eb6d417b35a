"""GET /api/v1/stations: nearest first, live counts from the database, validated input."""

import pytest

from bikeshare.stations.models import Station
from core.db import db
from tests.bikeshare.stations.network import CITY_HALL, haversine_m, position

LAT, LON = CITY_HALL


def nearest(client, **params):
    return client.get("/api/v1/stations", query_string={"lat": LAT, "lon": LON, **params})


def test_stations_come_nearest_first_in_the_order_haversine_gives(client, network):
    response = nearest(client, radius_m=5000, limit=100)

    assert response.status_code == 200
    listed = response.get_json()
    expected = sorted(
        (spec for spec in network.values() if spec.active),
        key=lambda spec: haversine_m(LAT, LON, *position(spec)),
    )
    assert [s["id"] for s in listed] == [spec.id for spec in expected]
    for station, spec in zip(listed, expected, strict=True):
        assert station["distance_m"] == pytest.approx(haversine_m(LAT, LON, *position(spec)), rel=0.005, abs=2)


def test_nearest_first_holds_from_any_point(client, network):
    lat, lon = position(network[105])
    listed = client.get("/api/v1/stations", query_string={"lat": lat, "lon": lon, "radius_m": 20000}).get_json()

    distances = [haversine_m(lat, lon, s["lat"], s["lon"]) for s in listed]
    assert listed[0]["id"] == 105
    assert distances == sorted(distances)


def test_the_radius_leaves_out_farther_stations(client, network):
    listed = nearest(client, radius_m=300).get_json()

    assert [s["id"] for s in listed] == [101, 102, 103]
    assert all(s["distance_m"] <= 300 for s in listed)


def test_the_radius_defaults_to_500_metres(client, network):
    assert [s["id"] for s in nearest(client).get_json()] == [101, 102, 103, 104]


def test_limit_keeps_the_nearest_ones(client, network):
    assert [s["id"] for s in nearest(client, radius_m=5000, limit=2).get_json()] == [101, 102]


def test_closed_stations_are_never_listed(client, network):
    listed = nearest(client, radius_m=20000, limit=100).get_json()

    assert 107 not in {s["id"] for s in listed}


def test_each_station_carries_its_live_counts(client, network):
    by_id = {s["id"]: s for s in nearest(client, radius_m=5000).get_json()}

    overflowing = by_id[101]  # 5 bikes chained onto 4 docks, one in maintenance
    assert overflowing["bikes_available"] == 4
    assert overflowing["docks_available"] == 0
    assert overflowing["docks"] == 4
    assert overflowing["capacity"] == 7
    assert overflowing["has_room"] is True
    assert by_id[103]["has_room"] is False  # full, no overflow allowance
    empty = by_id[102]
    assert empty.pop("distance_m") == 120
    assert empty == {
        "id": 102,
        "code": "ST-1002",
        "name": "시청 102번 대여소",
        "district": "중구",
        "address": "서울특별시 중구 세종대로 102",
        "lat": pytest.approx(position(network[102])[0]),
        "lon": pytest.approx(position(network[102])[1]),
        "docks": 10,
        "capacity": 12,
        "bikes_available": 0,
        "docks_available": 10,
        "has_room": True,
        "active": True,
    }


def test_counts_follow_the_database_at_once(app, client, network):
    nearest(client)  # the index is built; counts must still not be cached anywhere
    with app.app_context():
        station = db.session.get(Station, 102)
        station.bikes_parked = station.bikes_available = 3
        db.session.commit()

    by_id = {s["id"]: s for s in nearest(client).get_json()}
    assert by_id[102]["bikes_available"] == 3
    assert by_id[102]["docks_available"] == 7


def test_no_station_nearby_is_an_empty_list(client, network):
    far_away = client.get("/api/v1/stations", query_string={"lat": 35.1796, "lon": 129.0756, "radius_m": 20000})

    assert far_away.status_code == 200
    assert far_away.get_json() == []


def test_a_city_without_stations_answers_an_empty_list(client):
    assert nearest(client).get_json() == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": None}, "lat"),
        ({"lon": None}, "lon"),
        ({"lat": 90.5}, "lat"),
        ({"lat": -91}, "lat"),
        ({"lat": 85.06}, "lat"),  # beyond what a GEO index can hold
        ({"lon": 180.1}, "lon"),
        ({"lon": "east"}, "lon"),
        ({"radius_m": 0}, "radius_m"),
        ({"radius_m": 20001}, "radius_m"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_out_of_range_or_missing_parameters_are_422_problems(client, params, field):
    query = {k: v for k, v in ({"lat": LAT, "lon": LON} | params).items() if v is not None}

    response = client.get("/api/v1/stations", query_string=query)

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422
    assert field in problem["errors"]


def test_the_widest_and_narrowest_accepted_values_pass(client, network):
    assert nearest(client, radius_m=20000, limit=100).status_code == 200
    assert nearest(client, radius_m=1, limit=1).status_code == 200
    edge = client.get("/api/v1/stations", query_string={"lat": -85.05112878, "lon": 180})
    assert edge.status_code == 200
