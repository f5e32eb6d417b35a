"""Operations fixtures: an operator session and a small hand-made network."""

import pytest

from tests.helpers import staff


@pytest.fixture
def operator(app, client):
    return staff(app, client, "operator")


@pytest.fixture
def stations_loaded(app):
    """The official 2,762-station list, loaded through the CLI as an operator would."""
    result = app.test_cli_runner().invoke(args=["bikeshare", "import-stations"])
    assert result.exit_code == 0, result.output
