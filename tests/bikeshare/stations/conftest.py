import pytest

from tests.bikeshare.stations.network import build_network


@pytest.fixture
def app(make_app):
    # TEMPORARY until bikeshare.init_app calls these (requested in /work/notes/REQUESTS.md).
    import bikeshare.gbfs
    import bikeshare.stations

    app = make_app()
    if "stations" not in app.blueprints:
        bikeshare.stations.init_app(app)
        bikeshare.gbfs.init_app(app)
    return app


@pytest.fixture
def network(app):
    return build_network(app)
