"""Failure drills on servers of their own: Redis down, PostgreSQL down under load, workers killed.

The drills stop and start their own PostgreSQL and Redis (never the session's), with one instance of
the deployed WSGI server (bench/servers.py: DEPLOYED) on top; each drill is bounded by WAIT_S-sized waits.
"""

import os
import signal
import time

import pytest
from flask_migrate import upgrade

from bench.servers import DEPLOYED, SERVERS
from core.app import create_app
from core.db import db
from tests.cardapi.helpers import create_facility, create_terminal, issue_card, settled_step
from tests.helpers import staff
from tests.system.stoppable import WAIT_S, Postgres, Redis, RentalLoad
from tests.system.support import (
    build_stations,
    call,
    invariant_violations,
    riders_with_passes,
    server_environment,
    until,
)


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    """(app for set-up and checks, the app server, postgres, redis) on servers this module owns."""
    postgres = Postgres(tmp_path_factory.mktemp("drill-pg"))
    redis_server = server = app = None
    try:
        redis_server = Redis(tmp_path_factory.mktemp("drill-redis"))
        app = create_app({"APP_ENV": "testing", "DATABASE_URL": postgres.url, "REDIS_URL": redis_server.url})
        with app.app_context():
            upgrade(revision="heads")
        # 4 gunicorn workers or 2 granian worker processes: a killed worker leaves another one serving.
        server = SERVERS[DEPLOYED](
            server_environment(postgres.url, redis_server.url),
            workers=4,
            log_path=tmp_path_factory.mktemp("drill-server") / "server.log",
        )
        server.wait_ready(timeout=60)
        yield app, server, postgres, redis_server
    finally:
        # A set-up that failed half-way still stops what it started.
        if server is not None:
            server.stop()
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        if redis_server is not None:
            redis_server.cleanup()
        postgres.cleanup()


def test_with_redis_down_verification_fails_closed_and_recovers_when_redis_returns(drill):
    app, server, _, redis_server = drill
    client = app.test_client()
    admin = staff(app, client, "admin")
    terminal = create_terminal(client, admin, create_facility(client, admin)["id"])
    seen, unseen = issue_card(client), issue_card(client)
    step = settled_step()
    key = {"X-Terminal-Key": terminal["api_key"]}
    status, body, _ = call(server.port, "POST", "/api/v1/verifications", {"payload": seen.payload(step)}, key)
    assert (status, body["accepted"]) == (200, True)

    redis_server.stop()
    try:
        status, body, content_type = call(
            server.port, "POST", "/api/v1/verifications", {"payload": unseen.payload(settled_step())}, key
        )
        assert status == 503
        assert content_type.startswith("application/problem+json")
    finally:
        redis_server.start()

    # Redis came back empty: the database still knows the accepted step, so the replay stays refused.
    def verified():
        status, body, _ = call(
            server.port, "POST", "/api/v1/verifications", {"payload": unseen.payload(settled_step())}, key
        )
        return body if status == 200 else None

    assert until(verified, timeout=WAIT_S)["accepted"] is True
    status, body, _ = call(server.port, "POST", "/api/v1/verifications", {"payload": seen.payload(step)}, key)
    assert (status, body["accepted"]) == (200, False)


def test_with_redis_down_rentals_go_on(drill):
    app, server, _, redis_server = drill
    client = app.test_client()
    build_stations(app, {401: (20, 10), 402: (20, 0)})
    rider = riders_with_passes(client, 1)[0]

    redis_server.stop()
    try:
        status, rental, _ = call(server.port, "POST", "/api/v1/rentals", {"station_id": 401}, rider.headers)
        assert status == 201
        returned, _, _ = call(
            server.port, "POST", f"/api/v1/rentals/{rental['id']}/return", {"station_id": 402}, rider.headers
        )
        assert returned == 200
    finally:
        redis_server.start()
    assert invariant_violations(app) == {}


def test_with_postgres_down_under_load_answers_503_writes_nothing_half_and_recovers(drill):
    app, server, postgres, _ = drill
    client = app.test_client()
    build_stations(app, {501: (40, 20), 502: (40, 20), 503: (40, 20)})
    riders = riders_with_passes(client, 12)

    with RentalLoad(server.port, riders, [501, 502, 503]) as load:
        time.sleep(1.5)
        postgres.stop()
        stopped = time.monotonic()
        time.sleep(2.0)
        outage = [s for s in load.statuses(after=stopped + 0.2) if s]
        postgres.start()
        restarted = time.monotonic()
        recovered = until(
            lambda: 201 in load.statuses(after=restarted + 0.5) and 200 in load.statuses(after=restarted),
            timeout=WAIT_S,
        )

    before = load.statuses(before=stopped)
    assert 201 in before and 200 in before
    assert outage and set(outage) == {503}
    down_answers = [ctype for at, _, status, ctype in load.answers if status == 503]
    assert all(ctype.startswith("application/problem+json") for ctype in down_answers)
    assert 500 not in load.statuses()
    assert recovered
    assert invariant_violations(app) == {}


def test_a_worker_killed_in_the_middle_of_rentals_leaves_every_invariant_intact(drill):
    app, server, _, _ = drill
    client = app.test_client()
    build_stations(app, {601: (40, 25), 602: (40, 25), 603: (40, 25)})
    riders = riders_with_passes(client, 12)

    with RentalLoad(server.port, riders, [601, 602, 603]) as load:
        for _ in range(3):
            time.sleep(1.0)
            os.kill(until(server.worker_pids, timeout=WAIT_S)[0], signal.SIGKILL)
        time.sleep(1.0)
        killed = time.monotonic()
        # The master replaces the killed workers; the service goes on without a restart.
        assert until(lambda: 201 in load.statuses(after=killed + 1.0), timeout=WAIT_S)

    assert 500 not in load.statuses()
    assert invariant_violations(app) == {}
