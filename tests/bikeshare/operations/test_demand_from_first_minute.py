"""A fresh install has demand history: the shipped samples, kept in the window when live rentals arrive."""

from pathlib import Path

import pytest
from sqlalchemy import select

from bikeshare.stations.models import Station
from core.db import db
from tests.bikeshare.helpers import rent, rider

DATA = Path(__file__).resolve().parents[3] / "data"


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


def busiest_station(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Station.id).where(Station.active).order_by(Station.bikes_parked.desc()))


def test_a_live_rental_keeps_the_imported_history_in_the_window(app, client, operator, city_with_samples):
    station = busiest_station(app)
    before = client.get(f"/api/v1/ops/demand?station_id={station}", headers=operator.headers).get_json()
    assert before["since"] <= "2017-09-01"

    assert rent(client, rider(client), station, buy_day_pass="day_1h").status_code == 201

    after = client.get(f"/api/v1/ops/demand?station_id={station}", headers=operator.headers).get_json()
    assert after["since"] == before["since"]
    assert after["observed_hours"] > before["observed_hours"]
