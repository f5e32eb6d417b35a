"""Rent and return on SQLite (what `make run` uses), whose statements differ from PostgreSQL's."""

import pytest

from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, place_network, rent, rider


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
