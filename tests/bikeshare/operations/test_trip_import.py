"""`flask bikeshare import-trips`: both official formats, idempotent, skipped rows with reasons."""

import csv
import io
import re
from pathlib import Path

from sqlalchemy import func, select

from bikeshare.demand.models import StationHourStat
from bikeshare.operations.models import Trip
from core.db import db

DATA = Path(__file__).resolve().parents[3] / "data"
KOREAN = {
    "bike_id": "자전거번호",
    "rent_datetime": "대여일시",
    "rent_station_no": "대여 대여소번호",
    "rent_station_name": "대여 대여소명",
    "rent_dock": "대여거치대",
    "return_datetime": "반납일시",
    "return_station_no": "반납대여소번호",
    "return_station_name": "반납대여소명",
    "return_dock": "반납거치대",
    "duration_min": "이용시간(분)",
    "distance_m": "이용거리(M)",
    "birth_year": "생년",
    "gender": "성별",
    "user_type": "이용자종류",
    "rent_station_id": "대여대여소ID",
    "return_station_id": "반납대여소ID",
    "bike_type": "자전거구분",
}


def run(app, path):
    result = app.test_cli_runner().invoke(args=["bikeshare", "import-trips", str(path)])
    assert result.exit_code == 0, result.output
    numbers = dict(re.findall(r"(rows|imported|already imported|skipped): (\d+)", result.output))
    return {key: int(value) for key, value in numbers.items()}, result.output


def as_bulk_download(source: Path, target: Path, extra_rows=()) -> int:
    """The 2017 sample as the city publishes it: Korean headers, quoted numbers, cp949."""
    with open(source, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow([KOREAN[name] for name in rows[0]])
    for row in rows:
        writer.writerow([f"'{value}" if name.endswith("station_no") else value for name, value in row.items()])
    for row in extra_rows:
        writer.writerow(row)
    target.write_bytes(out.getvalue().encode("cp949"))
    return len(rows)


def counts(app):
    with app.app_context():
        trips = db.session.scalar(select(func.count()).select_from(Trip))
        rentals = db.session.scalar(select(func.sum(StationHourStat.rentals))) or 0
        returns = db.session.scalar(select(func.sum(StationHourStat.returns))) or 0
        rent_known = db.session.scalar(select(func.count()).where(Trip.rent_station_id.is_not(None)))
        return_known = db.session.scalar(select(func.count()).where(Trip.return_station_id.is_not(None)))
    return trips, rentals, returns, rent_known, return_known


def test_open_api_trips_are_imported_once_and_counted_into_demand(app, stations_loaded):
    first, output = run(app, DATA / "seoul_trips_sample.csv")
    assert first["rows"] == 12_000
    assert first["imported"] + first["skipped"] == 12_000
    assert first["imported"] > 11_900  # nearly every trip joins by number or ST- id
    trips, rentals, returns, rent_known, return_known = counts(app)
    assert trips == first["imported"]
    assert (rentals, returns) == (rent_known, return_known)

    again, _ = run(app, DATA / "seoul_trips_sample.csv")
    assert again["imported"] == 0 and again["already imported"] == first["imported"]
    assert counts(app) == (trips, rentals, returns, rent_known, return_known)


def test_korean_cp949_bulk_file_is_read_and_bad_rows_are_reported_with_reasons(app, stations_loaded, tmp_path):
    blanks = [""] * 8
    bad = [
        ["SPB-99999", "not a date", "'00210", "", "", "2017-09-01 00:10:00", "'00213", *blanks, "", ""],
        [
            "SPB-99998",
            "2017-09-01 00:05:00",
            "'99999",
            "",
            "",
            "2017-09-01 00:10:00",
            "'99998",
            *blanks,
            "ST-0",
            "ST-0",
        ],
    ]
    path = tmp_path / "대여이력_2017_09.csv"
    total = as_bulk_download(DATA / "seoul_trips_sample_2017.csv", path, extra_rows=bad)
    summary, output = run(app, path)
    assert summary["rows"] == total + 2
    assert "unreadable rental time" in output and "neither station is in the network" in output
    assert summary["imported"] + summary["skipped"] == total + 2
    assert summary["imported"] > 900

    # The same trips in the other spelling (English headers, UTF-8) are already there.
    english, _ = run(app, DATA / "seoul_trips_sample_2017.csv")
    assert english["imported"] == 0 and english["already imported"] == summary["imported"]


def test_a_file_without_trip_columns_is_refused(app, tmp_path):
    path = tmp_path / "stations.csv"
    path.write_text("station_no,name\n1,x\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["bikeshare", "import-trips", str(path)])
    assert result.exit_code != 0
    assert "not a trip file" in result.output
