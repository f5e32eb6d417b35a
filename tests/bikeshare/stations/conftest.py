import pytest

from tests.bikeshare.stations.network import build_network


@pytest.fixture
def network(app):
    return build_network(app)
