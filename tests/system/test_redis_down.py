"""Redis really stopped: the public read paths answer from the database; card verification fails closed."""

import contextlib

import pytest

from bikeshare.stations.models import Station
from core.db import db
from tests.bikeshare.stations.network import CITY_HALL, build_network, position
from tests.cardapi.helpers import create_facility, create_terminal, issue_card, settled_step, verify
from tests.helpers import staff
from tests.system.stoppable import Redis

LAT, LON = CITY_HALL


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("stoppable-redis"))
    yield server
    server.cleanup()


@pytest.fixture
def app(make_app, redis_server):
    """An app on the shared test database and a Redis of this module's own, which tests may stop."""
    app = make_app(REDIS_URL=redis_server.url)
    app.extensions["redis"].flushdb()
    return app


@contextlib.contextmanager
def redis_down(server):
    server.stop()
    try:
        yield
    finally:
        server.start()


def nearest(client, **params):
    response = client.get("/api/v1/stations", query_string={"lat": LAT, "lon": LON, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(
    "params",
    [{"radius_m": 20000, "limit": 100}, {"radius_m": 300}, {}, {"radius_m": 5000, "limit": 2}],
    ids=["whole city", "small radius", "defaults", "limit"],
)
def test_nearest_stations_answer_the_same_from_the_database_while_redis_is_down(app, redis_server, params):
    build_network(app)
    client = app.test_client()
    indexed = nearest(client, **params)

    with redis_down(redis_server):
        from_database = nearest(client, **params)

    assert [s["id"] for s in from_database] == [s["id"] for s in indexed]
    for down, up in zip(from_database, indexed, strict=True):
        # The index stores 52-bit geohashes, a fraction of a metre from the exact position.
        assert abs(down.pop("distance_m") - up.pop("distance_m")) <= 1
        assert down == up


def test_nearest_stations_from_the_database_leave_out_closed_and_far_stations(app, redis_server):
    network = build_network(app)
    lat, lon = position(network[106])  # 2.5 km north, 1.8 km west of City Hall

    with redis_down(redis_server):
        listed = app.test_client().get("/api/v1/stations", query_string={"lat": lat, "lon": lon, "radius_m": 1000})

    assert [s["id"] for s in listed.get_json()] == [106]


@pytest.mark.parametrize("version", ["2.3", "3.0"])
def test_gbfs_station_status_is_read_from_the_database_uncached_while_redis_is_down(app, redis_server, version):
    build_network(app)
    client = app.test_client()

    with redis_down(redis_server):
        before = client.get(f"/gbfs/{version}/station_status.json")
        with app.app_context():
            db.session.get(Station, 106).active = False
            db.session.commit()
        after = client.get(f"/gbfs/{version}/station_status.json")
        information = client.get(f"/gbfs/{version}/station_information.json")

    assert (before.status_code, after.status_code, information.status_code) == (200, 200, 200)
    assert (before.get_json()["ttl"], before.headers["Cache-Control"]) == (0, "no-cache")
    stations = {s["station_id"]: s for s in before.get_json()["data"]["stations"]}
    bikes = "bikes" if version == "2.3" else "vehicles"
    assert stations["101"][f"num_{bikes}_available"] == 4
    assert "106" in stations
    assert "106" not in {s["station_id"] for s in after.get_json()["data"]["stations"]}
    assert len(information.get_json()["data"]["stations"]) == 5


def test_card_verification_still_fails_closed_while_redis_is_down(app, redis_server):
    client = app.test_client()
    admin = staff(app, client, "admin")
    terminal = create_terminal(client, admin, create_facility(client, admin)["id"])
    card = issue_card(client)

    with redis_down(redis_server):
        refused = verify(client, terminal, card.payload(settled_step()))

    assert refused.status_code == 503
    assert refused.content_type == "application/problem+json"
