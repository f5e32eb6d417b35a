"""Bike share's SQLite paths, as `make run` serves them: rent, return, demand booking and trip import.

On PostgreSQL rent and return run as prepared statements through psycopg; on SQLite SQLAlchemy runs
the same statements, and demand and trip import upsert in SQLite's dialect. Every fixture here builds
on SQLite.
"""

import pytest

from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, rent, rider
from tests.bikeshare.operations.test_trip_import import DATA, counts, run
from tests.helpers import staff


@pytest.fixture
def app(sqlite_app):
    return sqlite_app


def _bikes_available(client, station_id: int) -> int:
    return client.get(f"/api/v1/stations/{station_id}").get_json()["bikes_available"]


def test_rent_and_return_move_the_bike_and_the_counters_and_book_demand(app, client, network):
    bikes = network({101: (10, 2, 3), 102: (10, 2, 0)})
    me = rider(client)
    rented = rent(client, me, 101, bike_id=bikes[101][1], buy_day_pass="day_1h")
    assert rented.status_code == 201 and rented.get_json()["bike_id"] == bikes[101][1]
    assert rent(client, me, 101).get_json()["type"] == "/problems/already-riding"
    assert (_bikes_available(client, 101), _bikes_available(client, 102)) == (2, 0)

    returned = give_back(client, me, rented.get_json()["id"], 102)
    assert returned.status_code == 200 and returned.get_json()["rental"]["end_station_id"] == 102
    assert give_back(client, me, rented.get_json()["id"], 102).get_json()["type"] == "/problems/already-returned"
    assert (_bikes_available(client, 101), _bikes_available(client, 102)) == (2, 1)

    operator = staff(app, client, "operator")
    booked = {
        station: [(h["rentals"], h["returns"]) for h in client.get(url, headers=operator.headers).get_json()]
        for station, url in ((101, "/api/v1/ops/stations/101/demand"), (102, "/api/v1/ops/stations/102/demand"))
    }
    assert booked == {101: [(1, 0)], 102: [(0, 1)]}


def test_nearest_stations_come_with_their_live_counts_nearest_first(client, network):
    # Station n stands at (37.56 + n/1000, 126.97 + n/1000): 101 is ~140 m from 102, 103 twice as far.
    network({101: (10, 2, 3), 102: (10, 2, 0), 103: (10, 0, 10)})
    me = rider(client)
    assert rent(client, me, 101, buy_day_pass="day_1h").status_code == 201
    here = "lat=37.661&lon=127.071"
    nearby = client.get(f"/api/v1/stations?{here}&radius_m=500").get_json()
    assert [(s["id"], s["bikes_available"], s["docks_available"]) for s in nearby] == [
        (101, 2, 8),
        (102, 0, 10),
        (103, 10, 0),
    ]
    assert nearby[0]["distance_m"] == 0 and nearby[1]["distance_m"] < nearby[2]["distance_m"]
    assert [s["has_room"] for s in nearby] == [True, True, False]  # 103 is full: no chained parking allowed


def test_an_empty_station_refuses_a_rental_and_a_full_one_a_return(client, network):
    network({201: (10, 0, 0), 202: (2, 0, 2), 203: (5, 0, 1)})
    me = rider(client)
    assert rent(client, me, 201, buy_day_pass="day_1h").get_json()["type"] == "/problems/no-bike-available"
    rental = rent(client, me, 203, buy_day_pass="day_1h").get_json()
    full = give_back(client, me, rental["id"], 202)
    assert full.status_code == 409 and full.get_json()["type"] == "/problems/station-full"
    assert {s["id"] for s in full.get_json()["nearest_stations_with_room"]} == {201, 203}


def test_a_bike_reported_while_out_is_parked_out_of_service(app, client, network):
    bikes = network({101: (10, 2, 1)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    for reporter in (me, rider(client), rider(client)):
        assert client.post(f"/api/v1/bikes/{bikes[101][0]}/reports", json={"kind": "brakes"}, headers=reporter.headers)
    assert give_back(client, me, rental["id"], 101).status_code == 200
    assert _bikes_available(client, 101) == 0
    assert rent(client, rider(client), 101, buy_day_pass="day_1h").get_json()["type"] == "/problems/no-bike-available"


def test_a_return_books_the_minutes_the_station_stood_empty_before_it(app, client, network):
    network({101: (2, 0, 1), 102: (1, 0, 1)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h")
    assert rental.status_code == 201, rental.get_json()
    sql(app, "UPDATE stations SET counted_at = datetime(counted_at, '-150 minutes') WHERE id = 101")

    assert give_back(client, me, rental.get_json()["id"], 102).status_code == 409  # 102 is full
    assert give_back(client, me, rental.get_json()["id"], 101).status_code == 200

    [(rentals, returns, empty, full)] = sql(
        app,
        "SELECT sum(rentals), sum(returns), sum(empty_minutes), sum(full_minutes)"
        " FROM station_hour_stats WHERE station_id = 101",
    )
    assert (rentals, returns, full) == (1, 1, 0)
    assert empty == pytest.approx(150, abs=0.1)  # empty from the rental to the return, not after it
    [(parked, available)] = sql(app, "SELECT bikes_parked, bikes_available FROM stations WHERE id = 101")
    assert (parked, available) == (1, 1)


def test_imported_trips_are_counted_into_demand_once(app, tmp_path):
    assert app.test_cli_runner().invoke(args=["bikeshare", "import-stations"]).exit_code == 0
    sample = tmp_path / "trips.csv"
    sample.write_text(
        "".join((DATA / "seoul_trips_sample.csv").open(encoding="utf-8").readlines()[:301]), encoding="utf-8"
    )

    first, _ = run(app, sample)
    assert first["rows"] == 300 and first["imported"] > 290
    trips, rentals, returns, rent_known, return_known = counts(app)
    assert trips == first["imported"] and (rentals, returns) == (rent_known, return_known)

    again, _ = run(app, sample)
    assert again["imported"] == 0 and again["already imported"] == first["imported"]
    assert counts(app) == (trips, rentals, returns, rent_known, return_known)
