"""Operations fixtures: an operator session and a small hand-made network."""

from pathlib import Path

import pytest

from tests.helpers import staff

DATA = Path(__file__).resolve().parents[3] / "data"


@pytest.fixture
def operator(app, client):
    return staff(app, client, "operator")


@pytest.fixture
def stations_loaded(app):
    """The official 2,762-station list, loaded through the CLI as an operator would."""
    result = app.test_cli_runner().invoke(args=["bikeshare", "import-stations"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def city_with_samples(app):
    """What `make run` does to a fresh database: the city, its fleet and the shipped trip samples."""
    runner = app.test_cli_runner()
    for args in (
        ["bikeshare", "setup-city"],
        ["bikeshare", "import-trips", str(DATA / "seoul_trips_sample.csv")],
        ["bikeshare", "import-trips", str(DATA / "seoul_trips_sample_2017.csv")],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
