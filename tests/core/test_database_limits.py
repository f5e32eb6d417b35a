"""PostgreSQL time limits: a statement held up past its limit answers 503 with Retry-After (the request
thread and the connection are free again), while `flask` commands, batch jobs, run without them."""

import contextlib
import threading

import pytest
import sqlalchemy as sa

from tests.bikeshare.helpers import place_network


@contextlib.contextmanager
def stations_locked(database_url, *, release_after: float = 5.0):
    """Another session holds the stations table (as a migration or a stuck transaction would) for
    `release_after` seconds at most (so a missing limit fails a test instead of hanging it)."""
    engine = sa.create_engine(database_url)
    connection = engine.connect()
    connection.execute(sa.text("LOCK TABLE stations IN ACCESS EXCLUSIVE MODE"))
    timer = threading.Timer(release_after, connection.rollback)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        connection.rollback()
        connection.close()
        engine.dispose()


@pytest.mark.parametrize("limit", ["DATABASE_STATEMENT_TIMEOUT_MS", "DATABASE_LOCK_TIMEOUT_MS"])
def test_a_statement_held_up_past_its_limit_answers_503_with_retry_after(make_app, database_url, limit):
    app = make_app(**{limit: 300})
    place_network(app, {101: (10, 0, 3)})
    client = app.test_client()
    with stations_locked(database_url):
        held_up = client.get("/api/v1/stations/101")
    assert held_up.status_code == 503
    assert held_up.headers["Retry-After"] == "5"
    assert held_up.content_type == "application/problem+json"
    assert held_up.get_json()["type"] == "/problems/database-timeout"
    assert client.get("/api/v1/stations/101").status_code == 200  # the thread and the connection serve again


def test_without_limits_a_held_up_statement_waits(make_app, database_url):
    client = make_app().test_client()
    place_network(client.application, {101: (10, 0, 3)})
    with stations_locked(database_url, release_after=0.6):
        assert client.get("/api/v1/stations/101").status_code == 200


def test_flask_commands_run_without_the_serving_limits(make_app, database_url):
    app = make_app(DATABASE_STATEMENT_TIMEOUT_MS=300, DATABASE_LOCK_TIMEOUT_MS=300)
    place_network(app, {101: (10, 0, 3), 102: (10, 0, 0)})
    with stations_locked(database_url, release_after=1.0):
        result = app.test_cli_runner().invoke(args=["bikeshare", "reindex"])
    assert result.exit_code == 0, result.output
    assert "indexed 2 stations" in result.output
