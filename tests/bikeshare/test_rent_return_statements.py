"""Rent and return as one statement each (PostgreSQL) keep their locks and their demand booking.

The locks are held from a second connection, as another transaction (a fault report, an operator)
would hold them, so the test sees what the statement waits for and what it skips.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bikeshare.incentives.offers import current_offers
from bikeshare.rentals import statements
from core.db import db, utcnow
from tests.bikeshare.conftest import sql
from tests.bikeshare.helpers import give_back, place_network, rent, rider


def _other_transaction(app):
    with app.app_context():
        return db.engine.connect()


def _wait_until_someone_waits_for_a_lock(app):
    for _ in range(100):
        if sql(app, "SELECT count(*) FROM pg_locks WHERE NOT granted")[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError("nothing waited for a lock")


def test_a_bike_another_transaction_holds_is_skipped_not_waited_for(app, client, network):
    bikes = network({101: (10, 0, 2)})
    me = rider(client)
    holder = _other_transaction(app)
    try:
        holder.execute(text("SELECT 1 FROM bikes WHERE id = :id FOR UPDATE"), {"id": bikes[101][0]})
        with ThreadPoolExecutor(1) as pool:
            response = pool.submit(rent, client, me, 101, buy_day_pass="day_1h").result(timeout=20)
        assert response.status_code == 201 and response.get_json()["bike_id"] == bikes[101][1]
    finally:
        holder.close()


def _rider_with_an_unstarted_day_pass(client):
    """A rider whose next rental runs its statement alone: no pass to buy with it, and the token checks that
    read the database (the first ones after start-up) already done."""
    me = rider(client)
    assert client.post("/api/v1/passes", json={"kind": "day_1h"}, headers=me.headers).status_code == 201
    assert client.get("/api/v1/passes/me", headers=me.headers).status_code == 200
    return me


def _nothing_moved(app, station_id, counters):
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations WHERE id = :id", id=station_id) == [counters]
    assert sql(app, "SELECT count(*) FROM station_hour_stats") == [(0,)]
    assert sql(app, "SELECT count(*) FROM bike_rentals") == [(0,)]
    assert sql(app, "SELECT count(*) FROM bike_passes WHERE valid_from IS NOT NULL") == [(0,)]


def test_a_rental_refused_for_a_bike_parked_elsewhere_moves_no_counter_and_starts_no_pass(app, client, network):
    # With the pass bought earlier the statement is the request's whole unit of work (it commits alone):
    # nothing may move unless the rental is written.
    bikes = network({101: (10, 0, 2), 102: (10, 0, 1)})
    me = _rider_with_an_unstarted_day_pass(client)
    response = rent(client, me, 101, bike_id=bikes[102][0])
    assert response.status_code == 409 and response.get_json()["type"] == "/problems/bike-not-available"
    _nothing_moved(app, 101, (2, 2))
    assert sql(app, "SELECT status, station_id FROM bikes WHERE id = :id", id=bikes[102][0]) == [("available", 102)]


def test_a_station_whose_only_bike_another_transaction_holds_refuses_and_keeps_its_counters(app, client, network):
    bikes = network({101: (10, 0, 1)})
    me = _rider_with_an_unstarted_day_pass(client)
    holder = _other_transaction(app)
    try:
        holder.execute(text("SELECT 1 FROM bikes WHERE id = :id FOR UPDATE"), {"id": bikes[101][0]})
        with ThreadPoolExecutor(1) as pool:
            response = pool.submit(rent, client, me, 101).result(timeout=20)
    finally:
        holder.close()
    assert response.status_code == 409 and response.get_json()["type"] == "/problems/no-bike-available"
    _nothing_moved(app, 101, (1, 1))


@contextmanager
def _a_return_waiting_for(app, me, rental, *, lock: str, locked_id):
    """Return `rental` at station 102 from another thread while a second transaction holds `lock` (SQL with
    :id); yields (holder, prober) once the return waits. The holder must commit or roll back; the return
    then answers 200."""
    holder, prober = _other_transaction(app), _other_transaction(app)
    try:
        holder.execute(text(lock), {"id": locked_id})
        with ThreadPoolExecutor(1) as pool:
            returning = pool.submit(give_back, app.test_client(), me, rental["id"], 102)
            _wait_until_someone_waits_for_a_lock(app)
            yield holder, prober
            assert returning.result(timeout=20).status_code == 200
    finally:
        holder.close()
        prober.close()


def test_a_return_locks_the_station_before_the_bike_and_counts_a_fault_reported_while_it_waited(app, client, network):
    network({101: (10, 0, 1), 102: (10, 0, 0)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    bike_lock = "SELECT 1 FROM bikes WHERE id = :id FOR UPDATE"
    with _a_return_waiting_for(app, me, rental, lock=bike_lock, locked_id=rental["bike_id"]) as (reporter, prober):
        # The return waits for the bike while holding the station: station first, then bike.
        with pytest.raises(OperationalError, match="could not obtain lock"):
            prober.execute(text("SELECT 1 FROM stations WHERE id = 102 FOR UPDATE NOWAIT"))
        # The report lands while the return waits: the bike is parked held, and counted as held.
        reporter.execute(text("UPDATE bikes SET needs_repair = true WHERE id = :id"), {"id": rental["bike_id"]})
        reporter.commit()
    assert sql(app, "SELECT status, station_id FROM bikes WHERE id = :id", id=rental["bike_id"]) == [
        ("maintenance", 102)
    ]
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations WHERE id = 102") == [(1, 0)]


def test_a_return_waits_for_its_rental_before_locking_the_station(app, client, network):
    network({101: (10, 0, 1), 102: (10, 0, 0)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()
    # Overdue flagging locks the rental, then the bike: a return holding the station or the bike while it
    # waits for the rental would deadlock with it.
    rental_lock = "SELECT 1 FROM bike_rentals WHERE id = :id FOR UPDATE"
    with _a_return_waiting_for(app, me, rental, lock=rental_lock, locked_id=rental["id"]) as (flagger, prober):
        prober.execute(text("SELECT 1 FROM stations WHERE id = 102 FOR UPDATE NOWAIT"))
        prober.execute(text("SELECT 1 FROM bikes WHERE id = :id FOR UPDATE NOWAIT"), {"id": rental["bike_id"]})
        prober.rollback()
        flagger.rollback()


@pytest.fixture
def app_with_offers(make_app):
    """The pilot's offers all day: renting at a crowded station and returning to a sparse one earn points."""
    return make_app(
        BIKESHARE_INCENTIVE_POLICY="pilot",
        BIKESHARE_INCENTIVE_PILOT_WINDOWS={"weekday": [[0, 24]], "weekend": [[0, 24]]},
    )


def test_a_return_whose_points_cannot_be_credited_changes_nothing(app_with_offers):
    # A return earning points is not its statement's whole unit of work: the points are credited after it,
    # in the same transaction, so a failing ledger takes the return back with it.
    app, client = app_with_offers, app_with_offers.test_client()
    crowded, sparse = 1, 10  # 140 % and 20 % of their docks, ~1.2 km apart
    place_network(app, {crowded: (10, 10, 14), sparse: (10, 5, 2)})
    with app.app_context():  # the slot the ride is moved back into, and the one it is rented in
        current_offers(now=utcnow() - timedelta(minutes=5))
        current_offers()
    # Published before the ride began (an offer pays nothing begun before its publication).
    sql(app, "UPDATE incentive_slots SET published_at = published_at - interval '1 hour'")
    me = _rider_with_an_unstarted_day_pass(client)
    rental = rent(client, me, crowded).get_json()
    sql(app, "UPDATE bike_rentals SET started_at = now() - interval '5 minutes' WHERE id = :id", id=rental["id"])
    sql(app, _REFUSE_MILEAGE)
    try:
        assert give_back(client, me, rental["id"], sparse).status_code == 500
    finally:
        sql(app, "DROP TRIGGER refuse_mileage ON mileage_entries; DROP FUNCTION refuse_mileage()")
    assert sql(app, "SELECT returned_at FROM bike_rentals WHERE id = :id", id=rental["id"]) == [(None,)]
    assert sql(app, "SELECT bikes_parked, bikes_available FROM stations WHERE id = :id", id=sparse) == [(2, 2)]
    assert sql(app, "SELECT status FROM bikes WHERE id = :id", id=rental["bike_id"]) == [("rented",)]
    # Once the ledger is back, the same return closes the ride and credits its points.
    returned = give_back(client, me, rental["id"], sparse)
    assert returned.status_code == 200 and returned.get_json()["mileage"]["points"] == 200


_REFUSE_MILEAGE = """
CREATE FUNCTION refuse_mileage() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'ledger down'; END $$;
CREATE TRIGGER refuse_mileage BEFORE INSERT ON mileage_entries FOR EACH ROW EXECUTE FUNCTION refuse_mileage();
"""


def _hours_booked(app, station_id):
    return sql(
        app,
        "SELECT count(*), sum(rentals), sum(returns), sum(empty_minutes), sum(full_minutes)"
        " FROM station_hour_stats WHERE station_id = :id",
        id=station_id,
    )[0]


def test_a_station_empty_for_ten_days_books_only_its_last_week(app, client, network):
    network({101: (10, 0, 1)})
    me = rider(client)
    rental = rent(client, me, 101, buy_day_pass="day_1h").get_json()  # 101 is empty from now on
    sql(app, "UPDATE stations SET counted_at = counted_at - interval '10 days' WHERE id = 101")
    assert give_back(client, me, rental["id"], 101).status_code == 200
    hours, rentals, returns, empty, full = _hours_booked(app, 101)
    assert (rentals, returns, full) == (1, 1, 0)
    assert empty == pytest.approx(7 * 24 * 60, abs=0.1)
    assert hours == 7 * 24 + 1  # the clock hours a week touches; the rental's is among them


def test_a_station_neither_empty_nor_full_books_only_the_hour_of_its_change(app, client, network):
    network({101: (10, 0, 3)})
    sql(app, "UPDATE stations SET counted_at = counted_at - interval '5 hours' WHERE id = 101")
    assert rent(client, rider(client), 101, buy_day_pass="day_1h").status_code == 201
    assert _hours_booked(app, 101) == (1, 1, 0, 0.0, 0.0)


def test_a_day_pass_bought_earlier_starts_its_24_hours_at_the_first_rental_only(client, network):
    network({101: (10, 0, 3)})
    me = rider(client)
    assert client.post("/api/v1/passes", json={"kind": "day_2h"}, headers=me.headers).status_code == 201
    first = rent(client, me, 101).get_json()
    assert give_back(client, me, first["id"], 101).status_code == 200
    second = rent(client, me, 101).get_json()
    [day_pass] = client.get("/api/v1/passes/me", headers=me.headers).get_json()
    start, end = (datetime.fromisoformat(day_pass[k]) for k in ("valid_from", "valid_until"))
    assert (day_pass["valid_from"], end - start) == (first["started_at"], timedelta(hours=24))
    assert (first["pass_id"], second["pass_id"], second["ride_minutes"]) == (day_pass["id"], day_pass["id"], 120)


def test_a_refused_request_keeps_the_hot_statements_prepared_on_its_connection(app):
    # psycopg on its own forgets (and drops) every prepared statement at a rollback, so each 409 cost the
    # next rent and return on that connection a new parse and custom plans.
    with app.app_context():
        statements.STATION.first({"station": 101})
        prepared = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%stations.lat%'"
        assert db.session.execute(text(prepared)).scalar() == 1
        db.session.rollback()
        assert db.session.execute(text(prepared)).scalar() == 1
        # psycopg and the server still agree on what is prepared: running it again clashes with nothing.
        assert statements.STATION.first({"station": 101}) is None
        assert db.session.execute(text(prepared)).scalar() == 1
