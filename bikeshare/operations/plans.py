"""Rebalancing plans: load stations, stock, demand rates and trucks from the database, call the pure
planner, store the plan and turn every route stop into a task."""

from datetime import UTC, datetime

import numpy as np
from flask import current_app
from sqlalchemy import func, select, update

from bikeshare.operations.models import Plan, Task, Truck
from bikeshare.operations.network import load_network, load_rates
from bikeshare.operations.zones import zone_districts
from bikeshare.rebalancing.demand import WEEKDAY, WEEKEND, DemandRates
from bikeshare.rebalancing.evaluate import place_trucks
from bikeshare.rebalancing.model import Truck as PlanTruck
from bikeshare.rebalancing.planner import PlanSettings, build_plan
from bikeshare.stations.models import Bike
from core import audit
from core.db import db, utcnow
from core.errors import InvalidInput, NotFound
from core.timezones import SEOUL

# Fewer trucks than this plan one zone together; more split the area into the planner's k-means zones.
MIN_TRUCKS_FOR_ZONES = 6


def truck_loads(truck_ids) -> dict[int, int]:
    rows = db.session.execute(
        select(Bike.truck_id, func.count()).where(Bike.truck_id.in_(list(truck_ids))).group_by(Bike.truck_id)
    )
    return dict(rows.all())


def _trucks(*, network, trucks: list[dict] | None, truck_count: int | None, truck_capacity: int) -> list[PlanTruck]:
    """Planner trucks at network positions; trucks not yet known are registered."""
    position = {int(station_id): i for i, station_id in enumerate(network.station_ids)}
    if trucks is None:
        if truck_count > network.size:
            raise InvalidInput("More trucks than stations in the planned area.", slug="too-many-trucks")
        known = {t.id: t for t in db.session.scalars(select(Truck).where(Truck.id <= truck_count))}
        spread = place_trucks(network=network, count=truck_count, capacity=truck_capacity)
        trucks = [
            {
                "truck_id": number,
                # A known truck starts where it last worked if that is in the area; others spread out.
                "station_id": known[number].station_id
                if number in known and known[number].station_id in position
                else int(network.station_ids[spread[number - 1].station]),
                "capacity": known[number].capacity if number in known else truck_capacity,
            }
            for number in range(1, truck_count + 1)
        ]
    if len({t["truck_id"] for t in trucks}) != len(trucks):
        raise InvalidInput("Each truck may appear once.", slug="duplicate-truck")
    loads = truck_loads(t["truck_id"] for t in trucks)
    planned = []
    for given in trucks:
        if given["station_id"] not in position:
            raise InvalidInput(
                f"Truck {given['truck_id']} starts at station {given['station_id']}, not an active station "
                "of the planned area.",
                slug="truck-outside-area",
            )
        truck = db.session.get(Truck, given["truck_id"]) or Truck(id=given["truck_id"])
        truck.capacity = given.get("capacity") or truck.capacity or truck_capacity
        truck.station_id = given["station_id"]
        db.session.add(truck)
        load = given.get("load")
        load = loads.get(truck.id, 0) if load is None else load
        if load > truck.capacity:
            raise InvalidInput(f"Truck {truck.id} cannot carry {load} bikes.", slug="load-above-capacity")
        planned.append(PlanTruck(truck.id, position[given["station_id"]], load, truck.capacity))
    return planned


def create_plan(
    *,
    user_id: int | None,
    horizon_h: float,
    time_limit_s: float | None = None,
    trucks: list[dict] | None = None,
    truck_count: int | None = None,
    truck_capacity: int = 20,
    zone: str | None = None,
    start_at: datetime | None = None,
) -> Plan:
    """Plan routes for the trucks over the zone from the current stock; store the plan and its tasks."""
    time_limit_s = time_limit_s or current_app.config["BIKESHARE_PLAN_TIME_LIMIT_S"]
    start_at = (start_at or utcnow()).astimezone(UTC)
    network, stock = load_network(districts=zone_districts(zone))
    if network.size < 2:
        raise InvalidInput("The planned area has fewer than two active stations.", slug="area-too-small")
    # Rates come from the whole city, so stations near the zone's edge borrow from all their neighbours.
    city, _ = load_network()
    city_rates, city_history, window = load_rates(network=city)
    rows = np.searchsorted(city.station_ids, network.station_ids)
    rates = DemandRates(city_rates.rent_per_h[rows], city_rates.return_per_h[rows])
    fleet = _trucks(network=network, trucks=trucks, truck_count=truck_count, truck_capacity=truck_capacity)
    local = start_at.astimezone(SEOUL)
    day_type = WEEKEND if local.weekday() >= 5 else WEEKDAY
    zone_count = PlanSettings().zone_count if len(fleet) >= MIN_TRUCKS_FOR_ZONES else 1
    result = build_plan(
        stations=network,
        stock=stock,
        rates=rates,
        trucks=fleet,
        start_hour=local.hour + local.minute / 60,
        day_type=day_type,
        horizon_h=horizon_h,
        time_limit_s=time_limit_s,
        settings=PlanSettings(zone_count=zone_count),
    )
    ids = network.station_ids
    plan = Plan(
        created_by=user_id,
        zone=zone,
        start_at=start_at,
        day_type="weekend" if day_type == WEEKEND else "weekday",
        horizon_h=horizon_h,
        time_limit_s=time_limit_s,
        elapsed_s=result.elapsed_s,
        station_count=network.size,
        dissatisfaction_before=result.dissatisfaction_before,
        dissatisfaction_after=result.dissatisfaction_after,
        bikes_moved=result.bikes_moved,
        truck_km=result.truck_km,
        moves=[
            {
                "source_station_id": int(ids[m.source]),
                "target_station_id": int(ids[m.target]),
                "bikes": m.bikes,
                "value": m.value,
            }
            for m in result.moves
        ],
        trucks={
            str(t.truck_id): {"station_id": int(ids[t.station]), "load": t.load, "capacity": t.capacity} for t in fleet
        },
        history=_history_used(window=window, history=city_history, rates=city_rates, bikes_moved=result.bikes_moved),
    )
    db.session.add(plan)
    db.session.flush()
    superseded = _supersede_unfinished(truck_ids=[t.truck_id for t in fleet], plan_id=plan.id)
    for route in result.routes:
        for sequence, stop in enumerate(route.stops, start=1):
            plan.tasks.append(
                Task(
                    truck_id=route.truck_id,
                    sequence=sequence,
                    station_id=int(ids[stop.station]),
                    kind="pickup" if stop.load_change > 0 else "dropoff",
                    planned=abs(stop.load_change),
                    done=0,
                    load_after=stop.load_after,
                    distance_km=stop.distance_km,
                    arrival_min=stop.arrival_min,
                )
            )
    db.session.flush()
    audit.record(
        "rebalancing_plan_created",
        actor_id=user_id,
        subject=f"plan:{plan.id}",
        zone=zone,
        trucks=len(fleet),
        bikes_moved=plan.bikes_moved,
        superseded_tasks=superseded,
    )
    db.session.commit()
    return plan


def _history_used(*, window, history, rates, bikes_moved: int) -> dict:
    """What the plan's demand rested on, and, when nothing moved, the likeliest reason."""
    trips = int(history.rentals.sum())
    used = {
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "days": window.days,
        "observed_hours": window.observed_hours,
        "trips": trips,
        "prior_share": round(rates.prior_share, 3),
    }
    if bikes_moved == 0:
        used["nothing_moved_because"] = (
            "no demand history: import trips (flask bikeshare import-trips FILE)"
            if trips == 0
            else "no move lowered the expected dissatisfaction within the trucks' reach and time limit"
        )
    return used


def _supersede_unfinished(*, truck_ids: list[int], plan_id: int) -> int:
    """Mark the planned trucks' unfinished stops of earlier plans as replaced by this one; how many.

    An operator working such a stop right now holds its row lock: this waits for that pickup or drop,
    then sees what it left unfinished.
    """
    return db.session.execute(
        update(Task)
        .where(
            Task.truck_id.in_(truck_ids),
            Task.plan_id != plan_id,
            Task.superseded_by.is_(None),
            Task.done < Task.planned,
        )
        .values(superseded_by=plan_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def get_plan(*, plan_id: int) -> Plan:
    """A stored plan with its tasks."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"There is no plan {plan_id}.", slug="plan-not-found")
    return plan
