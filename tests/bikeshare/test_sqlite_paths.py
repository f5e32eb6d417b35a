"""Rent, return and trip import on SQLite (what `make run` uses), whose statements differ from PostgreSQL's."""

import pytest

from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, place_network, rent, rider
from tests.bikeshare.operations.test_trip_import import DATA, counts, run


@pytest.fixture
def sqlite_app(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/dev.db")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return app


def test_on_sqlite_a_return_books_the_minutes_the_station_stood_empty_before_it(sqlite_app):
    place_network(sqlite_app, {101: (2, 0, 1), 102: (1, 0, 1)})
    client = sqlite_app.test_client()
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h")
    assert rental.status_code == 201, rental.get_json()
    sql(sqlite_app, "UPDATE stations SET counted_at = datetime(counted_at, '-150 minutes') WHERE id = 101")

    assert give_back(client, me, rental.get_json()["id"], 102).status_code == 409  # 102 is full
    assert give_back(client, me, rental.get_json()["id"], 101).status_code == 200

    [(rentals, returns, empty, full)] = sql(
        sqlite_app,
        "SELECT sum(rentals), sum(returns), sum(empty_minutes), sum(full_minutes)"
        " FROM station_hour_stats WHERE station_id = 101",
    )
    assert (rentals, returns, full) == (1, 1, 0)
    assert empty == pytest.approx(150, abs=0.1)  # empty from the rental to the return, not after it
    [(parked, available)] = sql(sqlite_app, "SELECT bikes_parked, bikes_available FROM stations WHERE id = 101")
    assert (parked, available) == (1, 1)


def test_on_sqlite_trips_are_imported_once_and_counted_into_demand(sqlite_app):
    loaded = sqlite_app.test_cli_runner().invoke(args=["bikeshare", "import-stations"])
    assert loaded.exit_code == 0, loaded.output
    first, _ = run(sqlite_app, DATA / "seoul_trips_sample.csv")
    assert first["imported"] > 11_900
    trips, rentals, returns, rent_known, return_known = counts(sqlite_app)
    assert trips == first["imported"] and (rentals, returns) == (rent_known, return_known)

    again, _ = run(sqlite_app, DATA / "seoul_trips_sample.csv")
    assert again["imported"] == 0 and again["already imported"] == first["imported"]
    assert counts(sqlite_app) == (trips, rentals, returns, rent_known, return_known)
