"""Profile one scenario's hot path in-process: `python -m bench.profile SCENARIO [REQUESTS]`.

The same data set and scenario code as `make bench`, but the requests go straight into the WSGI
app under cProfile (one process, no gunicorn), and the SQL statements of each request are
counted, so the cost of a request can be split into Python, SQL round trips and Redis.
"""

import contextlib
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg

from bench import cpu as bench_cpu
from bench import fixtures as bench_fixtures
from bench import servers
from bench.scenarios import Stop, build

# CPU time is read every CHUNK requests: on a shared machine the quieter chunks tell the cost best.
CHUNK = 200


class InProcessClient:
    """The load generator's client interface, calling the WSGI app directly (no HTTP, no test client).

    The environ is built by hand, as gunicorn would hand it over, so the profile holds the app's own
    cost and little of the client's.
    """

    def __init__(self, app, requests: int):
        self.app, self.left = app, requests
        self.errors, self.statuses, self.units = Counter(), Counter(), 0
        self.cpu_marks = [time.process_time()]  # every CHUNK requests

    def call(self, method, path, body=None, headers=None, expect=(200,), parse=False):
        if self.left <= 0:
            raise Stop
        self.left -= 1
        if self.left % CHUNK == 0:
            self.cpu_marks.append(time.process_time())
        path, _, query = path.partition("?")
        payload = b"" if body is None else json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(payload),
            "wsgi.errors": sys.stderr,
        }
        if payload:
            environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(payload)))
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        answer = {}
        data = b"".join(self.app(environ, lambda status, _headers, _exc=None: answer.update(status=status)))
        status = int(answer["status"][:3])
        self.statuses[status] += 1
        parsed = json.loads(data) if data[:1] in (b"{", b"[") else None
        if status not in expect:
            self.errors[f"HTTP {status}: {(parsed or {}).get('type')}"] += 1
        return status, parsed if parse else None

    def unit_done(self):
        self.units += 1


def main() -> int:
    with servers.scratch_folder("seoul-profile-") as workdir:
        return _main(workdir)


def _main(workdir: Path) -> int:
    name = sys.argv[1]
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    settings = {"citizens": int(os.environ.get("BENCH_CITIZENS", 20_000)), "only": [name]}
    notes: list[str] = []
    with servers.database_and_redis(workdir) as (database_url, redis_url, roots):
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
            scenario = build(name, fixtures, settings)
            if fixtures.get("terminal_keys"):
                bench_fixtures.warm_terminals(gunicorn, fixtures)
        finally:
            gunicorn.stop()
        statements, first = Counter(), []
        # Counted at the driver: the hot paths' prebuilt statements go to psycopg past SQLAlchemy's events.
        execute, commit = psycopg.Cursor.execute, psycopg.Connection.commit
        command = psycopg.Connection._exec_command

        def counted_execute(cursor, query, *args, **kwargs):
            statements["sql"] += 1
            if len(first) < 30:
                first.append(" ".join(str(query).split())[:150])
            return execute(cursor, query, *args, **kwargs)

        def counted_commit(connection):
            statements["commit"] += 1
            return commit(connection)

        def counted_command(connection, query, *args, **kwargs):  # BEGIN, COMMIT, ROLLBACK: a round trip each
            statements[bytes(query).split()[0].decode().lower() + " sent"] += 1
            return command(connection, query, *args, **kwargs)

        psycopg.Cursor.execute, psycopg.Connection.commit = counted_execute, counted_commit
        psycopg.Connection._exec_command = counted_command
        # First unprofiled: wall and CPU time of this process (the app's Python; not PostgreSQL's or Redis's).
        client = InProcessClient(app, requests)
        servers_before = bench_cpu.snapshot(roots)
        wall, cpu = time.perf_counter(), time.process_time()
        with contextlib.suppress(Stop):
            scenario.drive(client, 0, 2)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{name}: unprofiled, other processes' CPU per request: {_servers_cpu(servers_before, roots, requests)}")
        chunks = sorted(b - a for a, b in zip(client.cpu_marks, client.cpu_marks[1:], strict=False))
        quiet = chunks[len(chunks) // 4] / CHUNK * 1000 if chunks else float("nan")
        per_request = f"{wall / requests * 1000:.2f} ms wall, {cpu / requests * 1000:.2f} ms app CPU"
        print(f"{name}: unprofiled {per_request} per request ({quiet:.2f} ms in the quietest quarter of chunks)")
        print(f"{name}: unprofiled statuses {dict(client.statuses)}, errors {dict(client.errors.most_common(5))}")
        statements.clear()
        first[:] = []
        client = InProcessClient(app, requests)
        # CPU time, not wall time: waiting for PostgreSQL or Redis costs this process nothing.
        profiler = cProfile.Profile(time.process_time)
        started = time.perf_counter()
        profiler.enable()
        with contextlib.suppress(Stop):
            scenario.drive(client, 1, 2)
        profiler.disable()
        if os.environ.get("BENCH_PROFILE_DUMP"):
            profiler.dump_stats(os.environ["BENCH_PROFILE_DUMP"])
        elapsed = time.perf_counter() - started
        print(f"{name}: {requests} requests in {elapsed:.2f} s = {elapsed / requests * 1000:.2f} ms each (profiled)")
        per = {kind: round(count / requests, 2) for kind, count in statements.items()}
        print(f"SQL statements per request: {per.pop('sql', 0)}, commands {per}; statuses {dict(client.statuses)}")
        print(f"errors: {dict(client.errors.most_common(5))}")
        print("first statements:\n  " + "\n  ".join(first))
        for order, restriction in (("tottime", 30), ("cumulative", "/(core|cardapi|bikeshare)/")):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(restriction, 40)
            print(out.getvalue())
    return 0


def _servers_cpu(before: dict, roots: dict, requests: int) -> str:
    """The bench's own PostgreSQL and Redis CPU since `before`, in ms per request, PostgreSQL's split by process
    (its backends serve the requests; autovacuum and the WAL writer work for them later or for the bulk load)."""
    spent = Counter()
    for pid, (component, seconds) in bench_cpu.snapshot(roots).items():
        used = seconds - before.get(pid, (component, 0.0))[1]
        spent[component] += used
        if component == "PostgreSQL" and used:
            spent[f"  {_process_title(pid)}"] += used
    return ", ".join(f"{component} {seconds / requests * 1000:.2f} ms" for component, seconds in sorted(spent.items()))


def _process_title(pid: str) -> str:
    """PostgreSQL's name for one of its processes ("walwriter", "autovacuum", a backend's database name)."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().split()
    except OSError:
        return "ended"
    return words[1] if len(words) > 1 and words[0] == "postgres:" else "postmaster"


if __name__ == "__main__":
    sys.exit(main())
