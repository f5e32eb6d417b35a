"""Exposure counts only the time a station really had a bike (or room), up to now: a station empty or full
since its last change has that time booked only at its next change, yet the rates must not wait for it."""

import pytest

from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import place_network
from tests.helpers import staff


def _exposure(client, operator, station_id) -> tuple[float, float]:
    """Minutes with a bike and minutes with room, summed over every hour slot of the default window."""
    rates = client.get(f"/api/v1/ops/demand?station_id={station_id}", headers=operator.headers)
    assert rates.status_code == 200, rates.get_json()
    hours = rates.get_json()["hours"]
    return sum(h["minutes_with_bike"] for h in hours), sum(h["minutes_with_room"] for h in hours)


def test_a_station_empty_or_full_now_has_no_exposure_since_its_last_change(app, client):
    place_network(app, {101: (10, 0, 0), 102: (2, 0, 2), 103: (10, 0, 5)})  # empty, full, neither
    # Records at 103 in each of the last five clock hours (so all of them are observed), and 101 and 102
    # as they are now for the last 150 minutes, since their last change.
    sql(
        app,
        "INSERT INTO station_hour_stats (station_id, hour_start, rentals, returns, empty_minutes, full_minutes)"
        " SELECT 103, hour, 1, 1, 0, 0 FROM generate_series(date_trunc('hour', now()) - interval '4 hours',"
        " date_trunc('hour', now()), interval '1 hour') AS hour",
    )
    sql(app, "UPDATE stations SET counted_at = now() - interval '150 minutes' WHERE id IN (101, 102)")
    operator = staff(app, client, "operator")

    observed, _ = _exposure(client, operator, 103)  # four hours and the one under way, up to now
    assert 240 < observed <= 300
    assert _exposure(client, operator, 101) == pytest.approx((observed - 150, observed), abs=0.2)
    assert _exposure(client, operator, 102) == pytest.approx((observed, observed - 150), abs=0.2)


def test_a_stations_hourly_demand_shows_the_empty_stretch_under_way(app, client):
    place_network(app, {101: (10, 0, 0), 103: (10, 0, 5)})  # 101 empty, 103 neither
    sql(app, "UPDATE stations SET counted_at = now() - interval '150 minutes'")
    operator = staff(app, client, "operator")

    def hours(station_id):
        answer = client.get(f"/api/v1/ops/stations/{station_id}/demand", headers=operator.headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    empty = hours(101)
    assert sum(h["empty_minutes"] for h in empty) == pytest.approx(150, abs=0.2)  # booked only at its next change
    assert len(empty) in (3, 4) and all(h["full_minutes"] == h["rentals"] == 0 for h in empty)
    assert [h["hour_start"] for h in empty] == sorted(h["hour_start"] for h in empty)
    assert hours(103) == []
