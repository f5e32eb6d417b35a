from sqlalchemy import func, select

from bikeshare.stations.models import Bike, Station
from core.db import db


def _counts(app):
    with app.app_context():
        stations = db.session.scalar(select(func.count()).select_from(Station))
        bikes = db.session.scalar(select(func.count()).select_from(Bike))
        parked = db.session.scalar(select(func.sum(Station.bikes_parked)))
        return stations, bikes, parked


def test_import_stations_loads_the_2762_official_stations_and_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["bikeshare", "import-stations"])
    assert first.exit_code == 0, first.output
    assert "2762 added" in first.output
    second = runner.invoke(args=["bikeshare", "import-stations"])
    assert "0 added, 2762 updated" in second.output
    assert _counts(app)[0] == 2762
    with app.app_context():
        gyeongbokgung = db.session.get(Station, 301)
        assert (gyeongbokgung.code, gyeongbokgung.name, gyeongbokgung.district) == (
            "ST-117",
            "경복궁역 7번출구 앞",
            "종로구",
        )
        assert gyeongbokgung.docks == 20


def test_setup_city_places_a_fleet_like_the_0529_snapshot_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bikeshare", "setup-city"])
    assert result.exit_code == 0, result.output
    stations, bikes, parked = _counts(app)
    assert stations == 2762
    assert 32_000 <= bikes <= 33_500
    assert parked == bikes
    again = runner.invoke(args=["bikeshare", "setup-city"])
    assert "fleet already in place" in again.output
    assert _counts(app)[1] == bikes
    with app.app_context():
        # 1530 held 18 bikes on 13 docks at 05:29: chained parking is allowed for, with headroom.
        station = db.session.get(Station, 1530)
        assert station.bikes_parked == 18
        assert station.overflow_allowance >= 5 + 2
        assert station.has_room
        over_docks = db.session.scalar(select(func.count()).where(Station.bikes_parked > Station.docks))
        assert over_docks > 800
