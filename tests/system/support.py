"""Helpers for system tests: HTTP over loopback to real app servers, the network, invariants."""

import http.client
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from core.db import db
from tests.bikeshare.helpers import place_network
from tests.helpers import citizen

TIMEOUT_S = 20


def call(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, dict | None, str]:
    """One request on a fresh loopback connection: (status, JSON body or None, content type)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        all_headers.update(headers or {})
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        content_type = response.getheader("Content-Type", "")
        parsed = json.loads(data) if data and "json" in content_type else None
        return response.status, parsed, content_type
    finally:
        conn.close()


def race(requests: list) -> list:
    """Fire `requests` (callables) at once from one thread each; their results in order."""
    barrier = threading.Barrier(len(requests), timeout=TIMEOUT_S)

    def run(request):
        barrier.wait()
        return request()

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(run, requests, timeout=3 * TIMEOUT_S))


def server_environment(database_url: str, redis_url: str) -> dict:
    """The test settings (cheap hashing, development keys) for app server subprocesses."""
    return {
        **os.environ,
        "APP_ENV": "testing",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }


def build_stations(app, spec: dict[int, tuple[int, int]]) -> None:
    """Stations `{id: (docks, bikes)}`, no overflow, with their bikes parked (data set-up only)."""
    place_network(app, {station_id: (docks, 0, bikes) for station_id, (docks, bikes) in spec.items()})


def riders_with_passes(client, count: int, kind: str = "30d_1h") -> list:
    """Registered, logged-in citizens who each bought a pass through the API."""
    riders = []
    for n in range(count):
        # Each rider logs in from their own phone, so the per-address login limit does not apply.
        client.environ_base["REMOTE_ADDR"] = f"10.77.{n // 250}.{n % 250 + 1}"
        session = citizen(client)
        response = client.post("/api/v1/passes", json={"kind": kind}, headers=session.headers)
        assert response.status_code == 201, response.get_json()
        riders.append(session)
    return riders


INVARIANTS = {
    "bike parked iff at a station": """
        SELECT id FROM bikes WHERE (status IN ('available', 'maintenance')) <> (station_id IS NOT NULL)""",
    "rented bike without exactly one open rental": """
        SELECT b.id FROM bikes b LEFT JOIN bike_rentals r ON r.bike_id = b.id AND r.returned_at IS NULL
        WHERE b.status = 'rented' GROUP BY b.id HAVING count(r.id) <> 1""",
    "open rental of a bike that is not out": """
        SELECT r.id FROM bike_rentals r JOIN bikes b ON b.id = r.bike_id
        WHERE r.returned_at IS NULL AND b.status NOT IN ('rented', 'missing')""",
    "bike with two open rentals": """
        SELECT bike_id FROM bike_rentals WHERE returned_at IS NULL GROUP BY bike_id HAVING count(*) > 1""",
    "rider with two open rentals": """
        SELECT user_id FROM bike_rentals WHERE returned_at IS NULL GROUP BY user_id HAVING count(*) > 1""",
    "returned rental without an end station or duration": """
        SELECT id FROM bike_rentals
        WHERE returned_at IS NOT NULL AND (end_station_id IS NULL OR duration_seconds IS NULL)""",
    "parked bike of a returned rental not where the rental ended": """
        SELECT r.id FROM bike_rentals r JOIN bikes b ON b.id = r.bike_id
        WHERE r.returned_at IS NOT NULL AND b.station_id IS NOT NULL AND b.status = 'available'
          AND r.id = (SELECT max(id) FROM bike_rentals WHERE bike_id = b.id) AND b.station_id <> r.end_station_id""",
    "station counters differ from its bikes": """
        SELECT s.id FROM stations s LEFT JOIN bikes b ON b.station_id = s.id
        GROUP BY s.id, s.bikes_parked, s.bikes_available
        HAVING s.bikes_parked <> count(b.id)
            OR s.bikes_available <> count(b.id) FILTER (WHERE b.status = 'available')""",
    "pass charges differ from pass prices": """
        SELECT p.id FROM bike_passes p LEFT JOIN bike_charges c ON c.pass_id = p.id AND c.reason = 'pass_purchase'
        GROUP BY p.id, p.price_won HAVING coalesce(sum(c.amount_won), 0) <> p.price_won""",
    "overtime charges differ from rental overtime": """
        SELECT r.id FROM bike_rentals r LEFT JOIN bike_charges c ON c.rental_id = r.id AND c.reason = 'overtime'
        GROUP BY r.id, r.overtime_won HAVING coalesce(sum(c.amount_won), 0) <> coalesce(r.overtime_won, 0)""",
    "charge of neither a pass nor a rental": """
        SELECT id FROM bike_charges WHERE pass_id IS NULL AND rental_id IS NULL""",
}


def invariant_violations(app) -> dict[str, list]:
    """Every broken invariant with (up to 5 of) the rows that break it; empty when all hold."""
    broken = {}
    with app.app_context():
        # A fresh connection: after a drill restarted PostgreSQL, pooled ones are dead.
        db.engine.dispose()
    with app.app_context(), db.engine.connect() as conn:
        for name, query in INVARIANTS.items():
            rows = conn.execute(text(query)).fetchmany(5)
            if rows:
                broken[name] = [tuple(row) for row in rows]
    return broken


def until(predicate, *, timeout: float):
    """Poll `predicate` until it returns something truthy; that value, or the last one on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
