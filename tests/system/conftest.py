"""Two gunicorn instances of the service on the test session's PostgreSQL and Redis."""

import pytest

from bench.servers import Gunicorn
from tests.system.support import server_environment


@pytest.fixture(scope="module")
def instances(database_url, redis_url, migrated, tmp_path_factory):
    """Two app instances (2 sync workers each) on different loopback ports; yields their ports."""
    env = server_environment(database_url, redis_url)
    logs = tmp_path_factory.mktemp("gunicorn")
    servers = [Gunicorn(env, workers=2, log_path=logs / f"instance{n}.log") for n in (1, 2)]
    try:
        for server in servers:
            server.wait_ready(timeout=60)
        yield [server.port for server in servers]
    finally:
        for server in servers:
            server.stop()
