"""Development's embedded Redis: started by the first command that uses it, stopped with its process."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from bench.servers import free_port
from core.app import create_app
from tests.system.support import call, until

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 60  # a cold `flask run` imports the whole app on a busy test machine


@pytest.fixture
def development(monkeypatch):
    """Development settings with nothing configured: SQLite and Redis under a fresh instance folder."""
    # A short path: a unix socket's path must stay under ~100 bytes.
    instance = Path(tempfile.mkdtemp(prefix="seoul-dev-"))
    monkeypatch.setenv("INSTANCE_PATH", str(instance))
    monkeypatch.setenv("APP_ENV", "development")
    for name in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    yield instance
    shutil.rmtree(instance, ignore_errors=True)


def test_no_redis_server_starts_until_something_uses_it_and_it_stops_with_its_owner(development):
    app = create_app()
    help_text = app.test_cli_runner().invoke(args=["--help"]).output
    assert "bikeshare" in help_text
    assert not (development / "redis.sock").exists()

    assert app.extensions["redis"].ping()
    server = app.extensions["embedded_redis"].process
    assert server.poll() is None and (development / "redis.sock").exists()

    app.extensions["embedded_redis"].stop()
    assert server.wait(timeout=10) is not None
    assert not (development / "redis.sock").exists()


def test_a_second_process_joins_the_running_server_and_leaves_it_running(development):
    owner, joiner = create_app(), create_app()
    owner.extensions["redis"].set("left by", "owner")

    assert joiner.extensions["redis"].get("left by") == "owner"
    assert joiner.extensions["embedded_redis"].process is None  # joined, not started
    joiner.extensions["embedded_redis"].stop()
    assert owner.extensions["redis"].get("left by") == "owner"
    owner.extensions["embedded_redis"].stop()


def _ctrl_c_as_in_a_terminal():
    # A suite started in the background (`nohup make test &`) hands its children SIGINT ignored, and
    # Python then keeps it ignored: the server would never see this test's Ctrl-C. A terminal's is not.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_embedded_redis_stops_when_the_development_server_stops(development, stop_signal):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "run", "--port", str(port), "--no-reload"],
        cwd=REPO,
        env={**os.environ, "FLASK_APP": "wsgi"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )
    redis_servers = []
    try:
        ready = until(lambda: _ready(port), timeout=WAIT_S)
        assert ready == 200  # /ready pings Redis: the embedded server starts now
        redis_servers = [p for p in psutil.Process(server.pid).children() if "redis-server" in p.name()]
        assert len(redis_servers) == 1

        server.send_signal(stop_signal)
        server.wait(timeout=WAIT_S)
        assert until(lambda: not _alive(redis_servers[0]), timeout=10)
    finally:
        for process in [server, *redis_servers]:
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                process.kill()


def _ready(port: int) -> int | None:
    try:
        return call(port, "GET", "/ready")[0]
    except OSError:
        return None


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
