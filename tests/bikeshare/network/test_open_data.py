"""Open aggregate data: public, anonymous counts per station, day type and hour, small counts suppressed."""

import csv
import io
from datetime import datetime, timedelta

from tests.helpers import staff

BUSY, QUIET = 101, 102


def _trips(app, tmp_path):
    """Monday 15 June 2026 at 08 h (Seoul): 6 rides BUSY -> BUSY and 2 rides QUIET -> BUSY."""
    path = tmp_path / "trips.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["bike_id", "rent_datetime", "rent_station_no", "return_datetime", "return_station_no"])
        for n, station in enumerate([BUSY] * 6 + [QUIET] * 2):
            rented = datetime(2026, 6, 15, 8) + timedelta(minutes=5 * n)
            writer.writerow([f"SPB-8{n:04d}", rented, station, rented + timedelta(minutes=4), BUSY])
    assert app.test_cli_runner().invoke(args=["bikeshare", "import-trips", str(path)]).exit_code == 0


def test_station_hours_are_public_with_counts_under_five_suppressed(app, client, network, tmp_path):
    network({BUSY: (10, 2, 5), QUIET: (10, 2, 5)})
    _trips(app, tmp_path)

    body = client.get("/api/v1/open-data/station-hours.json?day_type=weekday").get_json()

    assert body["suppress_below"] == 5
    rows = {(row["station_id"], row["hour"]): row for row in body["rows"]}
    assert set(rows) == {(BUSY, 8), (QUIET, 8)}
    busy, quiet = rows[BUSY, 8], rows[QUIET, 8]
    assert (busy["rentals"], busy["returns"], busy["days"], busy["suppressed"]) == (6, 8, 1, False)
    assert busy["rentals_per_day"] == 6.0 and busy["empty_share"] == 0
    assert (quiet["rentals"], quiet["returns"], quiet["rentals_per_day"], quiet["suppressed"]) == (None, 0, None, True)
    assert client.get("/api/v1/open-data/station-hours.json?day_type=weekend").get_json()["rows"] == []


def test_station_hours_as_csv_leave_suppressed_cells_empty(app, client, network, tmp_path):
    network({BUSY: (10, 2, 5), QUIET: (10, 2, 5)})
    _trips(app, tmp_path)

    response = client.get(f"/api/v1/open-data/station-hours.csv?station_id={QUIET}")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert (row["station_id"], row["hour"], row["rentals"], row["returns"], row["suppressed"]) == (
        str(QUIET),
        "8",
        "",
        "0",
        "True",
    )


def test_the_network_report_district_table_is_public_once_a_report_exists(app, client, network, tmp_path):
    network({BUSY: (10, 2, 5), QUIET: (10, 2, 5)})
    _trips(app, tmp_path)
    assert client.get("/api/v1/open-data/network-districts.json").status_code == 404
    operator = staff(app, client, "operator")
    assert client.post("/api/v1/ops/network/reports", json={"docks": 0}, headers=operator.headers).status_code == 201

    table = client.get("/api/v1/open-data/network-districts.json").get_json()
    text = client.get("/api/v1/open-data/network-districts.csv").get_data(as_text=True)

    assert [row["district"] for row in table["districts"]] == ["중구"]
    assert table["districts"][0]["docks"] == 20 and table["districts"][0]["weekday_rentals"] > 0
    assert text.splitlines()[0].startswith("district,stations,docks") and "중구" in text
