"""The live network: the snapshot's stations in service, the list's others kept but inactive, ids stable."""

from sqlalchemy import func, select

from bikeshare.stations import city
from bikeshare.stations.models import Bike, Station
from core.db import db

LISTED_STATIONS = 2762
LIVE_STATIONS = 2721
LISTED_NOT_LIVE = 188
LIVE_NOT_LISTED = 147
SNAPSHOT_BIKES = 32_858


def _counts(app):
    with app.app_context():
        stations = db.session.scalar(select(func.count()).select_from(Station))
        active = db.session.scalar(select(func.count()).where(Station.active))
        bikes = db.session.scalar(select(func.count()).select_from(Bike))
        parked = db.session.scalar(select(func.sum(Station.bikes_parked)))
        return stations, active, bikes, parked


def test_import_stations_loads_the_live_network_named_from_the_list_and_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["bikeshare", "import-stations"])
    assert first.exit_code == 0, first.output
    total = LISTED_STATIONS + LIVE_NOT_LISTED
    assert f"{total} added, 0 updated; {LIVE_STATIONS} in service ({LIVE_NOT_LISTED} not in the station list)" in (
        first.output
    )
    second = runner.invoke(args=["bikeshare", "import-stations"])
    assert f"0 added, {total} updated" in second.output
    assert _counts(app)[:2] == (total, LIVE_STATIONS)
    with app.app_context():
        gyeongbokgung = db.session.get(Station, 301)
        assert (gyeongbokgung.code, gyeongbokgung.name, gyeongbokgung.district, gyeongbokgung.active) == (
            "ST-117",
            "경복궁역 7번출구 앞",
            "종로구",
            True,
        )
        # Docks come from the live snapshot (13 racks at 1530), not from the 2023 list.
        assert db.session.get(Station, 1530).docks == 13


def test_live_stations_unknown_to_the_list_are_in_service_with_a_nearby_district(app):
    assert app.test_cli_runner().invoke(args=["bikeshare", "import-stations"]).exit_code == 0
    with app.app_context():
        # 3894 노룬산시장 앞 (Gwangjin-gu) is live on 2026-06-12 but not in the December 2023 list.
        station = db.session.get(Station, 3894)
        assert (station.name, station.code, station.docks, station.active) == ("노룬산시장 앞", "ST-3309", 8, True)
        assert station.district == "광진구"


def test_stations_absent_from_the_snapshot_are_inactive_and_get_no_bikes(app, client):
    result = app.test_cli_runner().invoke(args=["bikeshare", "setup-city"])
    assert result.exit_code == 0, result.output
    stations, active, bikes, parked = _counts(app)
    assert (stations - active, active) == (LISTED_NOT_LIVE, LIVE_STATIONS)
    assert bikes == parked == SNAPSHOT_BIKES
    with app.app_context():
        inactive = db.session.execute(select(Station.id, Station.bikes_parked).where(~Station.active)).all()
        assert len(inactive) == LISTED_NOT_LIVE and all(bikes == 0 for _, bikes in inactive)
        assert not db.session.scalar(select(func.count()).where(Bike.station_id.in_([sid for sid, _ in inactive])))
        closed = db.session.get(Station, inactive[0][0])
        closed_id, lat, lon = closed.id, closed.lat, closed.lon
    assert client.get(f"/api/v1/stations/{closed_id}").get_json()["active"] is False
    nearby = client.get(f"/api/v1/stations?lat={lat}&lon={lon}&radius_m=300&limit=50").get_json()
    assert closed_id not in {station["id"] for station in nearby}


def test_setup_city_places_a_fleet_like_the_0529_snapshot_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["bikeshare", "setup-city"]).exit_code == 0
    again = runner.invoke(args=["bikeshare", "setup-city"])
    assert "fleet already in place" in again.output
    assert _counts(app)[2] == SNAPSHOT_BIKES
    with app.app_context():
        # 1530 held 18 bikes on 13 docks at 05:29: chained parking is allowed for, with headroom.
        station = db.session.get(Station, 1530)
        assert station.bikes_parked == 18
        assert station.overflow_allowance >= 5 + 2
        assert station.has_room
        over_docks = db.session.scalar(select(func.count()).where(Station.bikes_parked > Station.docks))
        assert over_docks > 800


def test_reimporting_keeps_ids_and_the_bikes_and_history_that_refer_to_them(app, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["bikeshare", "setup-city"]).exit_code == 0
    with app.app_context():
        before = dict(db.session.execute(select(Station.code, Station.id).where(Station.code.is_not(None))).all())
        bikes_at_1530 = set(db.session.scalars(select(Bike.id).where(Bike.station_id == 1530)))
    # A newer snapshot in which 1530 closed and everything else is unchanged.
    snapshot = (tmp_path / "newer.csv").open("w", encoding="utf-8")
    with open(city.SNAPSHOT_FILE, encoding="utf-8") as shipped:
        snapshot.writelines(line for line in shipped if not line.startswith("ST-1104,1530,"))
    snapshot.close()
    result = runner.invoke(args=["bikeshare", "import-stations", "--snapshot", str(tmp_path / "newer.csv")])
    assert result.exit_code == 0, result.output
    assert "18 bikes parked at stations not in service (collect them)" in result.output
    again = runner.invoke(args=["bikeshare", "setup-city"])
    assert "0 added" in again.output
    with app.app_context():
        after = dict(db.session.execute(select(Station.code, Station.id).where(Station.code.is_not(None))).all())
        assert after == before
        assert set(db.session.scalars(select(Bike.id).where(Bike.station_id == 1530))) == bikes_at_1530
        assert db.session.get(Station, 1530).active is True  # the shipped snapshot has it again
