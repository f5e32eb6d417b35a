"""Our incentive policy in the service: points where the demand records say a bike moved helps,
none where a truck's open task is about to fix the station."""

from datetime import timedelta

import pytest
from sqlalchemy import insert

from bikeshare.demand.models import StationHourStat
from bikeshare.operations.models import Plan, Task, Truck
from core.db import db, utcnow
from tests.bikeshare.helpers import place_network

# 1 is emptied by riders all day, 10 filled by them, 20 sees both in balance.
DRAINED, FLOODED, BALANCED = 1, 10, 20


@pytest.fixture
def city(app):
    place_network(app, {DRAINED: (10, 5, 2), FLOODED: (10, 5, 13), BALANCED: (10, 5, 5)})
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    rates = {DRAINED: (20, 0), FLOODED: (0, 20), BALANCED: (5, 5)}
    with app.app_context():
        db.session.execute(
            insert(StationHourStat),
            [
                {"station_id": station, "hour_start": now - timedelta(hours=h), "rentals": rentals, "returns": returns}
                for h in range(1, 73)
                for station, (rentals, returns) in rates.items()
            ],
        )
        db.session.commit()


def offered(client) -> dict:
    body = client.get("/api/v1/incentives").get_json()
    assert body["policy"] == "planner"
    return {s["station_id"]: (s["rent_points"], s["return_points"]) for s in body["stations"]}


def test_ours_pays_returns_where_riders_empty_a_station_and_rentals_where_they_fill_one(client, city):
    offers = offered(client)
    assert offers[DRAINED][1] > 0 and offers[DRAINED][0] == 0
    assert offers[FLOODED][0] > 0 and offers[FLOODED][1] == 0
    assert BALANCED not in offers


def truck_task(app, *, station: int, kind: str, done: int):
    """A plan with one stop for truck 1 (data set-up: plans have their own tests)."""
    with app.app_context():
        db.session.add(Truck(id=1, capacity=20, station_id=BALANCED))
        plan = Plan(
            start_at=utcnow(),
            day_type="weekday",
            horizon_h=2.0,
            time_limit_s=1.0,
            elapsed_s=0.1,
            station_count=3,
            dissatisfaction_before=1.0,
            dissatisfaction_after=0.5,
            bikes_moved=5,
            truck_km=1.0,
            moves=[],
            trucks={},
        )
        plan.tasks.append(
            Task(
                truck_id=1,
                sequence=1,
                station_id=station,
                kind=kind,
                planned=5,
                done=done,
                load_after=0,
                distance_km=1.0,
                arrival_min=5.0,
            )
        )
        db.session.add(plan)
        db.session.commit()


def test_ours_pays_nothing_where_a_truck_is_about_to_drop_bikes(app, client, city):
    truck_task(app, station=DRAINED, kind="dropoff", done=0)
    offers = offered(client)
    assert DRAINED not in offers
    assert offers[FLOODED][0] > 0


def test_ours_pays_nothing_for_undoing_a_drop_a_truck_just_made(app, client, city):
    # Finished, so no longer open: only the hold on undoing it applies.
    truck_task(app, station=FLOODED, kind="dropoff", done=5)
    offers = offered(client)
    assert FLOODED not in offers  # renting there would take away the bikes the truck just brought
    assert offers[DRAINED][1] > 0
