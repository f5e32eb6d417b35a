"""Demand rates per hour (censoring-corrected) and underused bikes and stations, through HTTP."""

from datetime import UTC, datetime, timedelta

import pytest

from core.timezones import SEOUL
from tests.bikeshare.conftest import sql


def record(app, station, hour, rentals=0, returns=0, empty=0.0, full=0.0):
    sql(
        app,
        "INSERT INTO station_hour_stats (station_id, hour_start, rentals, returns, empty_minutes, full_minutes)"
        " VALUES (:s, :h, :r, :t, :e, :f)",
        s=station,
        h=hour,
        r=rentals,
        t=returns,
        e=empty,
        f=full,
    )


def test_rental_rate_counts_only_the_minutes_a_bike_was_there(app, client, network, operator):
    network({1: (10, 0, 5), 2: (10, 0, 5)})
    # Two Mondays at 08:00 KST: 6 rentals in each, but station 1 was empty for half of each hour.
    for day in ("2025-09-01", "2025-09-08"):
        record(app, 1, f"{day}T08:00:00+09:00", rentals=6, empty=30.0)
        record(app, 2, f"{day}T08:00:00+09:00", rentals=6)
    response = client.get("/api/v1/ops/demand?station_id=1&day_type=weekday", headers=operator.headers)
    assert response.status_code == 200
    body = response.get_json()
    eight = next(h for h in body["hours"] if h["hour"] == 8)
    assert (eight["rentals"], eight["minutes_with_bike"], eight["minutes_with_room"]) == (12, 60.0, 120.0)
    # Posterior mean (12 + 2 * prior) / (1 h + 2 h): above the naive 6/h because it was empty half the time.
    assert eight["rent_per_h"] > 6.0
    assert {h["day_type"] for h in body["hours"]} == {"weekday"} and len(body["hours"]) == 24
    assert body["observed_hours"] == 2

    assert client.get("/api/v1/ops/demand?station_id=99", headers=operator.headers).status_code == 404


def test_bikes_idle_longer_than_asked_are_listed_longest_idle_first(app, client, network, operator):
    placed = network({1: (10, 0, 3), 2: (10, 0, 1)})
    old, older = placed[1][0], placed[2][0]
    sql(app, "UPDATE bikes SET last_moved_at = now() - interval '10 days' WHERE id = :b", b=old)
    sql(app, "UPDATE bikes SET last_moved_at = now() - interval '30 days' WHERE id = :b", b=older)
    response = client.get("/api/v1/ops/underused/bikes?idle_days=7", headers=operator.headers)
    assert response.status_code == 200
    assert [(b["bike_id"], b["station_id"]) for b in response.get_json()] == [(older, 2), (old, 1)]
    assert response.get_json()[0]["idle_days"] > 29
    longer = client.get("/api/v1/ops/underused/bikes?idle_days=20", headers=operator.headers).get_json()
    assert [b["bike_id"] for b in longer] == [older]
    assert client.get("/api/v1/ops/underused/bikes?idle_days=0", headers=operator.headers).status_code == 422


def test_stations_with_low_turnover_for_their_size_come_first(app, client, network, operator):
    network({1: (20, 0, 15), 2: (5, 0, 2), 3: (10, 0, 4)})
    record(app, 1, "2025-09-01T08:00:00+09:00", rentals=20, returns=20)  # 2 per dock on the one recorded day
    record(app, 2, "2025-09-01T08:00:00+09:00", rentals=5, returns=5)  # 2 per dock on the one recorded day
    record(app, 3, "2025-09-01T08:00:00+09:00", rentals=1)  # 0.1 per dock
    response = client.get("/api/v1/ops/underused/stations?limit=2", headers=operator.headers)
    assert response.status_code == 200
    stations = response.get_json()["stations"]
    assert [s["station_id"] for s in stations] == [3, 1]  # then the bigger of the two busy ones (more bikes)
    assert stations[0]["turnover_per_dock_day"] < stations[1]["turnover_per_dock_day"]
    quiet = client.get("/api/v1/ops/underused/stations?max_turnover=0.15", headers=operator.headers).get_json()
    assert [s["station_id"] for s in quiet["stations"]] == [3]


def test_the_hour_under_way_counts_only_its_minutes_so_far(app, client, network, operator):
    network({1: (10, 0, 5), 2: (10, 0, 5)})
    hour_start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    record(app, 1, hour_start.isoformat(), rentals=3)
    response = client.get("/api/v1/ops/demand?station_id=1", headers=operator.headers)
    answered = datetime.now(UTC)
    if answered - hour_start >= timedelta(hours=1):
        pytest.skip("the hour ended while the test ran")

    local = hour_start.astimezone(SEOUL)
    day_type = "weekend" if local.weekday() >= 5 else "weekday"
    now_hour = next(h for h in response.get_json()["hours"] if (h["day_type"], h["hour"]) == (day_type, local.hour))
    assert now_hour["rentals"] == 3
    assert 0 < now_hour["minutes_with_bike"] <= (answered - hour_start).total_seconds() / 60
