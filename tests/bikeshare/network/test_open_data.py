"""Open aggregate data: public, anonymous counts per station, day type and hour, small counts suppressed."""

import csv
import io
import time
from datetime import UTC, datetime, timedelta

from bikeshare.demand.models import StationHourStat
from core.db import db
from tests.bikeshare.conftest import sql
from tests.helpers import staff

BUSY, QUIET = 101, 102
TABLE = "/api/v1/open-data/station-hours.json"
CITY = {station: (10, 2, 5) for station in range(101, 107)}  # 104-106 moved to 종로구 by `_history`


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


def _history(app):
    """Records for six stations in two districts over two weekdays and a Saturday (Seoul), 07-09 h: counts
    from 0 to 12 (some suppressed), some empty and full minutes."""
    sql(app, "UPDATE stations SET district = '종로구' WHERE id >= 104")
    with app.app_context():
        for day in (15, 16, 20):
            for station in CITY:
                for hour in (22, 23, 24):  # 07-09 h in Seoul
                    n = station * 7 + hour * 3 + day
                    db.session.add(
                        StationHourStat(
                            station_id=station,
                            hour_start=datetime(2026, 6, day, tzinfo=UTC) + timedelta(hours=hour - 24),
                            rentals=n % 13,
                            returns=(n * 5) % 11,
                            empty_minutes=float(n % 4 * 10),
                            full_minutes=float(n % 3 * 5),
                        )
                    )
        db.session.commit()


def _rows(client, query: str = "") -> list[dict]:
    response = client.get(f"{TABLE}?{query}")
    assert response.status_code == 200
    return response.get_json()["rows"]


def test_a_filtered_table_holds_the_city_tables_rows_for_that_filter(app, client, network):
    network(CITY)
    _history(app)
    city = _rows(client)

    assert {row["district"] for row in city} == {"중구", "종로구"}
    assert any(row["suppressed"] for row in city) and not all(row["suppressed"] for row in city)
    assert _rows(client, "station_id=104") == [row for row in city if row["station_id"] == 104]
    assert _rows(client, "district=종로구") == [row for row in city if row["district"] == "종로구"]
    assert _rows(client, "district=중구&day_type=weekend") == [
        row for row in city if row["district"] == "중구" and row["day_type"] == "weekend"
    ]
    assert _rows(client, "station_id=104&district=중구") == []


def test_a_table_is_served_from_the_cache_until_its_records_are_read_again(app, make_app, network):
    network(CITY)
    _history(app)
    cached = make_app(OPEN_DATA_TTL=600).test_client()
    uncached = make_app(OPEN_DATA_TTL=0).test_client()
    query = "station_id=101&day_type=weekday"
    first = cached.get(f"{TABLE}?{query}")
    sql(app, "UPDATE station_hour_stats SET rentals = rentals + 40 WHERE station_id = 101")

    again = cached.get(f"{TABLE}?{query}")
    fresh = uncached.get(f"{TABLE}?{query}")

    assert first.headers["Cache-Control"] == "public, max-age=600"
    assert 0 < int(again.headers["Cache-Control"].removeprefix("public, max-age=")) <= 600
    assert again.get_json() == first.get_json() and again.headers["ETag"] == first.headers["ETag"]
    assert fresh.headers["Cache-Control"] == "no-cache"
    rentals = [row["rentals"] for row in fresh.get_json()["rows"]]
    assert min(rentals) >= 40 > max(row["rentals"] or 0 for row in first.get_json()["rows"])

    # A record in a later hour moves the window; an instance that reads the records every second sees it,
    # and every instance then serves what it read.
    sql(
        app,
        "INSERT INTO station_hour_stats (station_id, hour_start, rentals, returns, empty_minutes, full_minutes) "
        "VALUES (102, '2026-06-22 00:00+00', 7, 7, 0, 0)",
    )
    checking = make_app(OPEN_DATA_TTL=1).test_client()
    time.sleep(1.1)
    moved = checking.get(f"{TABLE}?{query}")

    assert moved.get_json() == uncached.get(f"{TABLE}?{query}").get_json()
    assert moved.get_json()["until"] == "2026-06-22T01:00:00+00:00" != first.get_json()["until"]
    assert cached.get(f"{TABLE}?{query}").get_json() == moved.get_json()
    assert moved.headers["ETag"] != first.headers["ETag"]


def test_a_table_being_rebuilt_elsewhere_is_served_as_it_was_meanwhile(app, make_app, network):
    network(CITY)
    _history(app)
    client = make_app(OPEN_DATA_TTL=1).test_client()
    first = client.get(f"{TABLE}?station_id=101")
    sql(app, "UPDATE station_hour_stats SET rentals = rentals + 40 WHERE station_id = 101")
    time.sleep(1.1)
    app.extensions["redis"].set("bikeshare:open-data:window:rebuilding", "1")  # another instance is on it

    meanwhile = client.get(f"{TABLE}?station_id=101")
    app.extensions["redis"].delete("bikeshare:open-data:window:rebuilding")
    rebuilt = client.get(f"{TABLE}?station_id=101")

    assert meanwhile.get_json() == first.get_json() and meanwhile.headers["Cache-Control"] == "no-cache"
    assert rebuilt.get_json() != first.get_json() and rebuilt.headers["Cache-Control"] == "public, max-age=1"


def test_an_unchanged_table_is_revalidated_by_its_etag(app, client, network):
    network(CITY)
    _history(app)
    url = "/api/v1/open-data/station-hours.csv?district=중구"
    first = client.get(url)

    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200 and first.headers["Access-Control-Allow-Origin"] == "*"
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_each_client_address_may_ask_only_so_often(make_app, network):
    network(CITY)
    client = make_app(OPEN_DATA_REQUESTS_PER_ADDRESS=2).test_client()
    crawler, neighbour = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "203.0.113.8"}

    allowed = [client.get(f"{TABLE}?station_id={station}", environ_base=crawler).status_code for station in (101, 102)]
    refused = client.get("/api/v1/open-data/station-hours.csv?station_id=103", environ_base=crawler)

    assert allowed == [200, 200]
    assert refused.status_code == 429 and refused.content_type == "application/problem+json"
    assert refused.get_json()["type"] == "/problems/rate-limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert client.get(TABLE, environ_base=neighbour).status_code == 200


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


def test_without_redis_the_table_is_refused_as_unavailable_rather_than_computed_unlimited(make_app, network, tmp_path):
    network(CITY)
    client = make_app(REDIS_URL=f"unix://{tmp_path}/no-redis.sock").test_client()

    refused = client.get(TABLE)

    assert refused.status_code == 503 and refused.content_type == "application/problem+json"
    assert "Retry-After" in refused.headers
