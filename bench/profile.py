"""Profile one scenario's hot path in-process: `python -m bench.profile SCENARIO [REQUESTS]`.

The same data set and scenario code as `make bench`, but the requests go through the Flask test
client under cProfile (one process, no gunicorn), and the SQL statements of each request are
counted, so the cost of a request can be split into Python, SQL round trips and Redis.
"""

import contextlib
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event

from bench import fixtures as bench_fixtures
from bench import servers
from bench.loadgen import Stop


class InProcessClient:
    """The load generator's client interface over the Flask test client."""

    def __init__(self, client, requests: int):
        self.client, self.left = client, requests
        self.errors, self.statuses, self.units = Counter(), Counter(), 0

    def call(self, method, path, body=None, headers=None, expect=(200,), parse=False):
        if self.left <= 0:
            raise Stop
        self.left -= 1
        response = self.client.open(path, method=method, json=body, headers=headers or {})
        self.statuses[response.status_code] += 1
        if response.status_code not in expect:
            self.errors[f"HTTP {response.status_code}: {(response.get_json() or {}).get('type')}"] += 1
        return response.status_code, response.get_json(silent=True) if parse else None

    def unit_done(self):
        self.units += 1


def main() -> int:
    from bench.__main__ import build_scenarios

    name = sys.argv[1]
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    settings = {"citizens": int(os.environ.get("BENCH_CITIZENS", 20_000)), "only": [name]}
    workdir = Path(tempfile.mkdtemp(prefix="seoul-profile-"))
    notes: list[str] = []
    with servers.database_and_redis(workdir) as (database_url, redis_url):
        env = servers.production_environment(database_url, redis_url, PROXY_COUNT="1")
        os.environ.update(env)
        servers.migrate(env)
        from core.app import create_app

        app = create_app()
        with app.app_context():
            bench_fixtures.load(settings, notes)
        # Scenario set-up (passes bought over HTTP) needs a server; gunicorn serves only that part.
        gunicorn = servers.Gunicorn(env, workers=2, log_path=workdir / "gunicorn.log")
        try:
            gunicorn.wait_ready()
            with app.app_context():
                fixtures = bench_fixtures.prepare_clients(gunicorn, settings, notes)
            scenario = build_scenarios(app, gunicorn, settings, fixtures)[name]
            if hasattr(scenario, "warm"):
                scenario.warm(*gunicorn.base)
        finally:
            gunicorn.stop()
        statements, first = Counter(), []

        def count(conn, cursor, statement, *args):
            statements["sql"] += 1
            if len(first) < 30:
                first.append(" ".join(statement.split())[:150])

        with app.app_context():
            engine = bench_fixtures.db.engine
        event.listen(engine, "before_cursor_execute", count)
        # First unprofiled: wall and CPU time of this process (the app's Python; not PostgreSQL's or Redis's).
        client = InProcessClient(app.test_client(), requests)
        wall, cpu = time.perf_counter(), time.process_time()
        with contextlib.suppress(Stop):
            scenario.drive(client, 0, 2)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        per_request = f"{wall / requests * 1000:.2f} ms wall, {cpu / requests * 1000:.2f} ms app CPU"
        print(f"{name}: unprofiled {per_request} per request")
        statements["sql"], first[:] = 0, []
        client = InProcessClient(app.test_client(), requests)
        # CPU time, not wall time: waiting for PostgreSQL or Redis costs this process nothing.
        profiler = cProfile.Profile(time.process_time)
        started = time.perf_counter()
        profiler.enable()
        with contextlib.suppress(Stop):
            scenario.drive(client, 1, 2)
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(f"{name}: {requests} requests in {elapsed:.2f} s = {elapsed / requests * 1000:.2f} ms each (profiled)")
        print(f"SQL statements per request: {statements['sql'] / requests:.1f}; statuses {dict(client.statuses)}")
        print(f"errors: {dict(client.errors.most_common(5))}")
        print("first statements:\n  " + "\n  ".join(first))
        for order, restriction in (("tottime", 30), ("cumulative", "/(core|cardapi|bikeshare)/")):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(restriction, 40)
            print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
