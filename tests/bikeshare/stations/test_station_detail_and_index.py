"""GET /api/v1/stations/{id}, and the GEO index: rebuilt lazily after a Redis flush, or by command."""

from bikeshare.stations.models import Station
from core.db import db
from tests.bikeshare.stations.network import CITY_HALL

LAT, LON = CITY_HALL


def nearest_ids(client, **params):
    query = {"lat": LAT, "lon": LON, "radius_m": 5000, **params}
    return [s["id"] for s in client.get("/api/v1/stations", query_string=query).get_json()]


def test_a_station_is_shown_with_its_live_counts(client, network):
    response = client.get("/api/v1/stations/101")

    assert response.status_code == 200
    station = response.get_json()
    assert station["id"] == 101
    assert station["code"] == "ST-1001"
    assert station["name"] == "시청 101번 대여소"
    assert (station["bikes_available"], station["docks_available"], station["capacity"]) == (4, 0, 7)
    assert "distance_m" not in station


def test_an_unknown_station_is_a_404_problem(client, network):
    response = client.get("/api/v1/stations/424242")

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "/problems/station-not-found"
    assert problem["instance"] == "/api/v1/stations/424242"


def test_the_index_rebuilds_itself_after_redis_lost_it(app, client, network):
    before = nearest_ids(client)
    app.extensions["redis"].flushdb()

    assert nearest_ids(client) == before


def test_reindex_command_rebuilds_the_index_from_the_database(app, client, network):
    nearest_ids(client)  # built lazily
    with app.app_context():
        moved = db.session.get(Station, 106)
        moved.lat, moved.lon = LAT, LON + 0.0001  # now ~9 m from City Hall
        db.session.get(Station, 102).active = False
        db.session.commit()
    assert 102 not in nearest_ids(client)  # closed: skipped even before the index knows

    result = app.test_cli_runner().invoke(args=["bikeshare", "reindex"])

    assert result.exit_code == 0, result.output
    assert "indexed 5 stations" in result.output
    ids = nearest_ids(client)
    assert ids[0] == 106
    assert 102 not in ids


def test_reindex_on_an_empty_network_leaves_no_index(app, client):
    result = app.test_cli_runner().invoke(args=["bikeshare", "reindex"])

    assert result.exit_code == 0, result.output
    assert "indexed 0 stations" in result.output
    assert nearest_ids(client) == []
