"""Two instances of the service, under the deployed WSGI server, on the test session's PostgreSQL and Redis."""

import pytest

from bench.servers import DEPLOYED, SERVERS
from tests.system.support import server_environment


@pytest.fixture(scope="module")
def instances(database_url, redis_url, migrated, tmp_path_factory):
    """Two app instances on different loopback ports; yields their ports."""
    env = server_environment(database_url, redis_url)
    logs = tmp_path_factory.mktemp("instances")
    servers = [SERVERS[DEPLOYED](env, workers=2, log_path=logs / f"instance{n}.log") for n in (1, 2)]
    try:
        for server in servers:
            server.wait_ready(timeout=60)
        yield [server.port for server in servers]
    finally:
        for server in servers:
            server.stop()
