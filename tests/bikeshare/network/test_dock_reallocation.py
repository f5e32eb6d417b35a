"""Dock supply against demand on small built networks: docks move from a station that never fills to one
that turns riders away, through the pure core, the command and the operators' API."""

import csv
from datetime import datetime, timedelta

import numpy as np
import pytest

from bikeshare.network.docks import TypicalDay, reallocate_docks, station_outcomes
from bikeshare.rebalancing.model import HorizonRates
from tests.helpers import citizen, staff

# Riders take bikes at the source and all bring them to the sink; nobody comes to the big quiet station.
SOURCE, SINK, QUIET = 101, 102, 103


def typical_day(rent, ret, hours=12):
    rates = HorizonRates(
        np.tile(np.array(rent, float)[:, None], hours), np.tile(np.array(ret, float)[:, None], hours), np.ones(hours)
    )
    return TypicalDay(name="weekday", rates=rates, weight=1.0)


def test_docks_move_from_a_station_that_never_fills_to_one_that_turns_riders_away():
    docks, allowance = np.array([30, 4, 14]), np.array([2, 2, 2])
    # Station 0 is big and quiet (it never fills), station 1 is only returned to (it fills), 2 only rented
    # from (it needs its docks to hold the bikes its riders take).
    day = typical_day(rent=[0.1, 0.0, 1.0], ret=[0.1, 1.0, 0.0])
    base = [station_outcomes(docks=docks, capacity=docks + allowance, rates=day.rates)]

    plan = reallocate_docks(docks=docks, allowance=allowance, days=[day], base=base, max_moves=6)

    assert plan.docks.tolist() == [24, 10, 14] and plan.docks_moved == 6
    assert plan.turned_away_after[0].sum() < plan.turned_away_before[0].sum()
    # The sink starts the day empty, the source full, chained bikes beyond its docks included.
    assert plan.target_after[0][1] == 0 and plan.target_after[0][2] == 14 + 2


def test_no_dock_moves_when_moving_one_would_not_turn_fewer_riders_away():
    docks, allowance = np.array([10, 10]), np.array([2, 2])
    day = typical_day(rent=[0.5, 0.5], ret=[0.5, 0.5])
    base = [station_outcomes(docks=docks, capacity=docks + allowance, rates=day.rates)]

    plan = reallocate_docks(docks=docks, allowance=allowance, days=[day], base=base, max_moves=10)

    assert plan.docks_moved == 0 and (plan.docks == docks).all()


@pytest.fixture
def source_and_sink(app, network, tmp_path):
    """Two stations: 30 riders an hour, 07-10 on a Monday, ride from the big source to the small sink."""
    network({SOURCE: (30, 2, 20), SINK: (4, 2, 2), QUIET: (30, 2, 5)})
    path = tmp_path / "trips.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["bike_id", "rent_datetime", "rent_station_no", "return_datetime", "return_station_no"])
        start = datetime(2026, 6, 15, 7, 0)
        for n in range(90):
            rented = start + timedelta(minutes=2 * n)
            writer.writerow([f"SPB-{n:05d}", rented, SOURCE, rented + timedelta(minutes=9), SINK])
    result = app.test_cli_runner().invoke(args=["bikeshare", "import-trips", str(path)])
    assert result.exit_code == 0, result.output


def test_network_report_command_writes_markdown_plots_and_csv_that_move_docks_to_the_sink(
    app, source_and_sink, tmp_path
):
    out = tmp_path / "report"
    result = app.test_cli_runner().invoke(args=["bikeshare", "network-report", "--docks", "5", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert "5 of 5 docks moved" in result.output
    assert {"README.md", "stations.csv", "districts.csv", "districts.png", "dock_changes.png"} <= {
        path.name for path in out.iterdir()
    }
    rows = {int(row["station_id"]): row for row in csv.DictReader((out / "stations.csv").open(encoding="utf-8"))}
    assert int(rows[SINK]["dock_change"]) == 5 and int(rows[QUIET]["dock_change"]) < 0
    # The sink turns hundreds of returns away a weekday; the givers hardly one.
    assert float(rows[SINK]["weekday_returns_at_full_now"]) > 100
    givers = [row for row in rows.values() if int(row["dock_change"]) < 0]
    assert givers and all(float(row["weekday_returns_at_full_now"]) < 1 for row in givers)
    assert "# Dock supply against demand" in (out / "README.md").read_text(encoding="utf-8")


def test_operators_compute_and_read_the_network_report(app, client, source_and_sink):
    operator = staff(app, client, "operator")
    assert client.get("/api/v1/ops/network/report", headers=operator.headers).status_code == 404

    created = client.post("/api/v1/ops/network/reports", json={"docks": 3}, headers=operator.headers)

    assert created.status_code == 201, created.get_json()
    report = client.get("/api/v1/ops/network/report", headers=operator.headers).get_json()
    assert report["id"] == created.get_json()["id"] and report["summary"]["docks_moved"] == 3
    weekday = report["summary"]["days"]["weekday"]
    assert weekday["turned_away_after"] < weekday["turned_away_at_target"]
    assert [d["district"] for d in report["districts"]] == ["중구"]
    changed = client.get("/api/v1/ops/network/report/stations?changed_only=true", headers=operator.headers)
    changes = {row["station_id"]: row["dock_change"] for row in changed.get_json()["stations"]}
    assert changes[SINK] == 3 and changes[QUIET] < 0 and sum(changes.values()) == 0


def test_riders_cannot_read_the_network_report(client):
    rider = citizen(client)
    assert client.get("/api/v1/ops/network/report", headers=rider.headers).status_code == 403
    assert client.post("/api/v1/ops/network/reports", json={}, headers=rider.headers).status_code == 403
