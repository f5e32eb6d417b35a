"""GBFS 2.3 and 3.0: every published file valid against the official schemas, and saying the truth."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from bikeshare.stations.models import Station
from core.db import db
from tests.bikeshare.gbfs.conftest import validator

VERSIONS = ("2.3", "3.0")
FEEDS = (
    "gbfs",
    "gbfs_versions",
    "system_information",
    "vehicle_types",
    "station_information",
    "station_status",
    "system_pricing_plans",
)
PUBLIC = "https://bikes.seoul.example"


def fetch(client, version, feed, host="localhost"):
    response = client.get(f"/gbfs/{version}/{feed}.json", headers={"Host": host})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture
def public_client(make_app):
    return make_app(PUBLIC_BASE_URL=PUBLIC).test_client()


def stations_by_id(document):
    return {s["station_id"]: s for s in document["data"]["stations"]}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("feed", FEEDS)
def test_every_file_is_valid_against_the_official_schema(client, network, version, feed):
    document = fetch(client, version, feed)

    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(version, feed).iter_errors(document)]
    assert errors == []
    assert document["version"] == version


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("feed", ["station_information", "station_status"])
def test_station_files_of_an_empty_city_are_valid_too(client, version, feed):
    document = fetch(client, version, feed)

    assert list(validator(version, feed).iter_errors(document)) == []
    assert document["data"]["stations"] == []


def discovered_feeds(document, version):
    return document["data"]["ko"]["feeds"] if version == "2.3" else document["data"]["feeds"]


@pytest.mark.parametrize("version", VERSIONS)
def test_discovery_lists_absolute_urls_at_the_public_base_url_that_resolve(public_client, network, version):
    feeds = discovered_feeds(fetch(public_client, version, "gbfs"), version)

    assert {feed["name"] for feed in feeds} == set(FEEDS)
    for feed in feeds:
        url = urlsplit(feed["url"])
        assert f"{url.scheme}://{url.netloc}" == PUBLIC
        assert url.path == f"/gbfs/{version}/{feed['name']}.json"
        assert fetch(public_client, version, feed["name"])["version"] == version


@pytest.mark.parametrize("version", VERSIONS)
def test_a_forged_host_header_does_not_reach_the_feed_urls(public_client, version):
    feeds = discovered_feeds(fetch(public_client, version, "gbfs", host="evil.example"), version)
    versions = fetch(public_client, version, "gbfs_versions", host="evil.example")["data"]["versions"]

    urls = [feed["url"] for feed in feeds] + [v["url"] for v in versions]
    assert all(url.startswith(f"{PUBLIC}/gbfs/") for url in urls)


def test_gbfs_versions_points_at_both_versions(public_client):
    versions = fetch(public_client, "3.0", "gbfs_versions")["data"]["versions"]

    assert versions == [
        {"version": "2.3", "url": f"{PUBLIC}/gbfs/2.3/gbfs.json"},
        {"version": "3.0", "url": f"{PUBLIC}/gbfs/3.0/gbfs.json"},
    ]


@pytest.mark.parametrize(("feed", "ttl"), [("station_status", 600), ("gbfs", 3600), ("system_pricing_plans", 3600)])
def test_a_file_may_be_cached_by_anyone_for_exactly_its_ttl(make_app, feed, ttl):
    client = make_app(GBFS_STATUS_TTL=600).test_client()
    response = client.get(f"/gbfs/3.0/{feed}.json")

    assert response.headers["Cache-Control"] == f"public, max-age={response.get_json()['ttl']}"
    assert response.get_json()["ttl"] == ttl
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_a_file_with_ttl_0_is_not_kept_by_caches(make_app):
    response = make_app(GBFS_STATUS_TTL=0).test_client().get("/gbfs/2.3/station_status.json")

    assert response.get_json()["ttl"] == 0
    assert response.headers["Cache-Control"] == "no-cache"


def test_last_updated_is_posix_seconds_in_2_3_and_rfc3339_in_3_0(client, network):
    before = datetime.now(UTC).replace(microsecond=0).timestamp()
    old = fetch(client, "2.3", "station_status")
    new = fetch(client, "3.0", "station_status")
    after = datetime.now(UTC).timestamp()

    assert isinstance(old["last_updated"], int)
    assert before <= old["last_updated"] <= after
    assert before <= datetime.fromisoformat(new["last_updated"]).timestamp() <= after
    reported = stations_by_id(new)["101"]["last_reported"]
    assert datetime.fromisoformat(reported).tzinfo is not None


@pytest.mark.parametrize(
    ("feed", "setting"),
    [("station_status", "GBFS_STATUS_TTL"), ("station_information", "GBFS_INFORMATION_TTL")],
)
def test_ttl_counts_down_to_the_next_rebuild_of_a_cached_file(make_app, network, feed, setting):
    client = make_app(**{setting: 600}).test_client()

    first = fetch(client, "3.0", feed)
    again = fetch(client, "3.0", feed)

    assert 0 < again["ttl"] <= first["ttl"] == 600
    assert again["last_updated"] == first["last_updated"]


def test_static_files_say_when_they_next_change(client):
    assert fetch(client, "2.3", "system_pricing_plans")["ttl"] == 3600


def test_station_status_is_cached_for_its_ttl_only(app, make_app, network):
    cached = make_app(GBFS_STATUS_TTL=600).test_client()
    live = make_app(GBFS_STATUS_TTL=0).test_client()
    fetch(cached, "2.3", "station_status")
    with app.app_context():
        db.session.get(Station, 106).active = False  # closed after the cached read
        db.session.commit()

    assert "106" in stations_by_id(fetch(cached, "2.3", "station_status"))
    assert "106" not in stations_by_id(fetch(live, "2.3", "station_status"))
    assert fetch(live, "2.3", "station_status")["ttl"] == 0


@pytest.mark.parametrize("version", VERSIONS)
def test_station_status_reports_the_database_counters_per_vehicle_type(client, network, version):
    status = stations_by_id(fetch(client, version, "station_status"))
    bikes = "bikes" if version == "2.3" else "vehicles"

    overflowing = status["101"]  # 3 standard + 1 sprout available, 1 in maintenance, on 4 docks
    assert overflowing[f"num_{bikes}_available"] == 4
    assert overflowing[f"num_{bikes}_disabled"] == 1
    assert overflowing["num_docks_available"] == 0
    assert overflowing["vehicle_types_available"] == [
        {"vehicle_type_id": "standard", "count": 3},
        {"vehicle_type_id": "sprout", "count": 1},
    ]
    assert (overflowing["is_installed"], overflowing["is_renting"], overflowing["is_returning"]) == (True,) * 3
    assert status["103"]["is_returning"] is True  # full, yet GBFS says "returning" for a full open station
    assert status["102"][f"num_{bikes}_available"] == 0
    assert status["102"]["num_docks_available"] == 10
    for station in status.values():
        assert sum(t["count"] for t in station["vehicle_types_available"]) == station[f"num_{bikes}_available"]
    assert "107" not in status  # closed


@pytest.mark.parametrize("version", VERSIONS)
def test_station_information_names_stations_in_korean_with_a_capacity_never_below_their_bikes(client, network, version):
    information = stations_by_id(fetch(client, version, "station_information"))
    name = information["101"]["name"]

    assert name == ("시청 101번 대여소" if version == "2.3" else [{"text": "시청 101번 대여소", "language": "ko"}])
    assert information["101"]["capacity"] == 5  # 4 docks, and a fifth bike chained beyond them
    assert information["102"]["capacity"] == 10  # empty: its docks
    assert set(information) == {"101", "102", "103", "104", "105", "106"}
    status = stations_by_id(fetch(client, version, "station_status"))
    assert set(status) == set(information)


def test_system_information_states_its_language(client):
    old = fetch(client, "2.3", "system_information")["data"]
    new = fetch(client, "3.0", "system_information")["data"]

    assert (old["language"], old["name"], old["timezone"]) == ("ko", "서울자전거 따릉이", "Asia/Seoul")
    assert new["languages"] == ["ko"]
    assert new["name"] == [{"text": "서울자전거 따릉이", "language": "ko"}]


@pytest.mark.parametrize("version", VERSIONS)
def test_pricing_plans_are_the_ttareungyi_passes_with_overtime_per_started_5_minutes(client, version):
    plans = {p["plan_id"]: p for p in fetch(client, version, "system_pricing_plans")["data"]["plans"]}

    assert {plan_id: p["price"] for plan_id, p in plans.items()} == {
        "day_1h": 1000,
        "day_2h": 2000,
        "7d_1h": 3000,
        "7d_2h": 4000,
        "30d_1h": 5000,
        "30d_2h": 7000,
        "180d_1h": 15000,
        "180d_2h": 20000,
        "365d_1h": 30000,
        "365d_2h": 40000,
    }
    assert all(p["currency"] == "KRW" for p in plans.values())
    assert plans["day_1h"]["per_min_pricing"][0] | {"end": None} == {
        "start": 60,
        "rate": 200,
        "interval": 5,
        "end": None,
    }
    assert plans["30d_2h"]["per_min_pricing"][0]["start"] == 120


@pytest.mark.parametrize("version", VERSIONS)
def test_every_referenced_vehicle_type_and_plan_is_published(client, network, version):
    types = fetch(client, version, "vehicle_types")["data"]["vehicle_types"]
    plan_ids = {p["plan_id"] for p in fetch(client, version, "system_pricing_plans")["data"]["plans"]}
    status = fetch(client, version, "station_status")["data"]["stations"]

    type_ids = {t["vehicle_type_id"] for t in types}
    assert type_ids == {"standard", "sprout"}
    assert {t["vehicle_type_id"] for s in status for t in s["vehicle_types_available"]} <= type_ids
    for vehicle_type in types:
        assert vehicle_type["default_pricing_plan_id"] in plan_ids
        assert set(vehicle_type["pricing_plan_ids"]) <= plan_ids


@pytest.mark.parametrize("path", ["/gbfs/2.3/free_bike_status.json", "/gbfs/1.1/gbfs.json", "/gbfs/3.0/nope.json"])
def test_unpublished_files_are_404_problems(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_an_expired_copy_is_served_with_ttl_0_while_another_request_rebuilds_it(app, make_app, network):
    client = make_app(GBFS_STATUS_TTL=600).test_client()
    fresh = fetch(client, "2.3", "station_status")
    redis = app.extensions["redis"]
    key = "bikeshare:gbfs:2.3:station_status"
    _, data_json = redis.get(key).split("\n", 1)
    redis.set(key, f"{fresh['last_updated'] - 601}\n{data_json}")  # expired a second ago
    redis.set(f"{key}:rebuilding", "1")  # another instance is on it

    stale = fetch(client, "2.3", "station_status")
    redis.delete(f"{key}:rebuilding")
    rebuilt = fetch(client, "2.3", "station_status")

    assert (stale["ttl"], stale["last_updated"]) == (0, fresh["last_updated"] - 601)
    assert rebuilt["ttl"] == 600
    assert rebuilt["last_updated"] >= fresh["last_updated"]
