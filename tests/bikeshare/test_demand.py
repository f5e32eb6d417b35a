import pytest

from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, rent, rider
from tests.helpers import staff


def _stats(app, station_id):
    return sql(
        app,
        "SELECT sum(rentals), sum(returns), sum(empty_minutes), sum(full_minutes)"
        " FROM station_hour_stats WHERE station_id = :id",
        id=station_id,
    )[0]


def test_rentals_and_returns_are_counted_per_station_and_hour(app, client, network):
    network({101: (10, 2, 3), 102: (10, 2, 0)})
    for _ in range(2):
        me = rider(client)
        rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
        give_back(client, me, rental["id"], 102)
    assert _stats(app, 101)[:2] == (2, 0)
    assert _stats(app, 102)[:2] == (0, 2)


def test_minutes_a_station_spent_empty_are_booked_at_its_next_change(app, client, network):
    network({101: (10, 2, 1)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()  # 101 is empty from now on
    sql(app, "UPDATE stations SET counted_at = counted_at - interval '150 minutes' WHERE id = 101")
    give_back(client, me, rental["id"], 101)
    rentals, returns, empty, full = _stats(app, 101)
    assert (rentals, returns, full) == (1, 1, 0)
    assert empty == pytest.approx(150, abs=0.1)
    hours = sql(app, "SELECT count(*) FROM station_hour_stats WHERE station_id = 101 AND empty_minutes > 0")[0][0]
    assert hours in (3, 4)  # 150 minutes touch three or four clock hours


def test_minutes_a_station_spent_full_are_booked_too(app, client, network):
    network({101: (2, 3, 2), 102: (10, 0, 5)})
    me = rider(client)
    sql(app, "UPDATE stations SET counted_at = counted_at - interval '20 minutes' WHERE id = 101")
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    assert _stats(app, 101)[3] == pytest.approx(20, abs=0.1)
    give_back(client, me, rental["id"], 102)


def test_operators_read_a_stations_hourly_demand(app, client, network):
    network({101: (10, 2, 3)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    give_back(client, me, rental["id"], 101)
    operator = staff(app, client, "operator")
    hours = client.get("/api/v1/ops/stations/101/demand", headers=operator.headers).get_json()
    assert [(h["rentals"], h["returns"]) for h in hours] == [(1, 1)]
    bad = client.get(
        "/api/v1/ops/stations/101/demand?since=2026-06-12T00:00:00Z&until=2026-06-01T00:00:00Z",
        headers=operator.headers,
    )
    assert bad.status_code == 422
    unknown = client.get("/api/v1/ops/stations/999999/demand", headers=operator.headers)
    assert unknown.status_code == 404 and unknown.get_json()["type"] == "/problems/station-not-found"
