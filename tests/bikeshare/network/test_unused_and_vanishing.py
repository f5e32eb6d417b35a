"""Bikes and stations that go unused or vanish, each with a suggested action, through the operators' API."""

import csv
from datetime import datetime, timedelta

from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, rent, rider
from tests.helpers import citizen, staff

HOME, AWAY, CLOSED = 101, 102, 103


def _take_and_give_up(app, client, bike_id, *, station=HOME, to=HOME):
    me = rider(client)
    rental = rent(client, me, station, bike_id=bike_id, buy_day_pass="day_1h").get_json()
    assert give_back(client, me, rental["id"], to).status_code == 200
    return rental


def test_bikes_needing_attention_are_listed_with_what_to_do_and_counted_per_district(app, client, network):
    bikes = network({HOME: (10, 2, 4), AWAY: (10, 2, 1), CLOSED: (10, 2, 1)})
    broken, ridden, idle, taken = bikes[HOME]
    # Two riders in a row take `broken` and bring it straight back; `ridden` had a real ride since.
    _take_and_give_up(app, client, broken)
    _take_and_give_up(app, client, broken)
    _take_and_give_up(app, client, ridden)
    _take_and_give_up(app, client, ridden, to=AWAY)
    sql(app, "UPDATE bikes SET last_moved_at = now() - interval '10 days' WHERE id = :id", id=idle)
    overdue = rent(client, rider(client), HOME, bike_id=taken, buy_day_pass="day_1h").get_json()
    sql(app, "UPDATE bike_rentals SET started_at = now() - interval '5 hours' WHERE id = :id", id=overdue["id"])
    sql(app, "UPDATE stations SET active = false WHERE id = :id", id=CLOSED)
    operator = staff(app, client, "operator")

    body = client.get("/api/v1/ops/network/bikes/attention?idle_days=7", headers=operator.headers).get_json()

    def listed(kind):
        return {(bike["bike_id"], bike["suggested_action"]) for bike in body[kind]}

    assert listed("likely_broken") == {(broken, "inspect")}
    assert listed("idle") == {(idle, "relocate")}
    assert listed("missing") == {(taken, "search")}
    assert [bike["station_id"] for bike in body["missing"]] == [HOME]
    assert listed("stranded") == {(bikes[CLOSED][0], "collect")}
    assert body["districts"] == [{"district": "중구", "idle": 1, "likely_broken": 1, "missing": 1, "stranded": 1}]


def test_riders_cannot_list_bikes_needing_attention(client):
    assert client.get("/api/v1/ops/network/bikes/attention", headers=citizen(client).headers).status_code == 403


def test_idle_stations_show_use_per_bike_day_its_weekly_trend_and_counts_per_district(app, client, network, tmp_path):
    network({HOME: (10, 2, 10), AWAY: (10, 2, 10)})
    path = tmp_path / "trips.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["bike_id", "rent_datetime", "rent_station_no", "return_datetime", "return_station_no"])
        # 20 rentals at HOME on Monday 1 June, 2 on Monday 8 June; none at AWAY.
        for n, day in enumerate([datetime(2026, 6, 1, 8)] * 20 + [datetime(2026, 6, 8, 8)] * 2):
            rented = day + timedelta(minutes=n)
            writer.writerow([f"SPB-9{n:04d}", rented, HOME, rented + timedelta(minutes=10), HOME])
    assert app.test_cli_runner().invoke(args=["bikeshare", "import-trips", str(path)]).exit_code == 0
    operator = staff(app, client, "operator")

    body = client.get("/api/v1/ops/network/stations/idle?max_use=1", headers=operator.headers).get_json()

    assert [station["station_id"] for station in body["stations"]] == [AWAY]
    assert body["stations"][0]["rentals_per_bike_day"] == 0 and body["stations"][0]["suggested_action"] == "relocate"
    every = client.get("/api/v1/ops/network/stations/idle?max_use=5", headers=operator.headers).get_json()
    home = next(station for station in every["stations"] if station["station_id"] == HOME)
    assert home["rentals_per_bike_day"] == 1.1  # 22 rentals, 10 bikes, 2 days with records
    assert [week["rentals_per_bike_day"] for week in home["weekly"]] == [2.0, 0.2]
    assert home["trend_per_week"] < 0
    assert [(week["week"], week["districts"]) for week in body["districts_by_week"]] == [
        ("2026-06-01", [{"district": "중구", "idle_stations": 1}]),
        ("2026-06-08", [{"district": "중구", "idle_stations": 2}]),
    ]
