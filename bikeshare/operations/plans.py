"""Rebalancing plans: load stations, stock, demand rates and trucks from the database, call the pure
planner, store the plan and turn every route stop into a task."""

import time
from datetime import UTC, datetime

import numpy as np
from flask import current_app
from sqlalchemy import func, select, update

from bikeshare.operations.models import Plan, Task, Truck
from bikeshare.operations.network import PlanningDemand, load_network, planning_demand, truck_settings
from bikeshare.operations.planning_lock import holding_the_planner, seconds_until_free
from bikeshare.operations.zones import zone_districts
from bikeshare.rebalancing.demand import WEEKDAY, WEEKEND, DemandRates
from bikeshare.rebalancing.model import Truck as PlanTruck
from bikeshare.rebalancing.planner import PlanSettings, build_plan
from bikeshare.rebalancing.routing import route_until_next_round
from bikeshare.rebalancing.zones import place_trucks
from bikeshare.stations.models import Bike
from core import audit
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.problems import Message
from core.timezones import SEOUL

# Fewer trucks than this plan one zone together; more split the area into the planner's k-means zones.
MIN_TRUCKS_FOR_ZONES = 6
# Time kept for storing the plan and its tasks and answering: a share of the limit, or more on a busy machine.
WRITING_SHARE = 0.2
WRITING_VS_LOADING = 4.0


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
            raise InvalidInput(Message("operations.too_many_trucks"), slug="too-many-trucks")
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
        raise InvalidInput(Message("operations.duplicate_truck"), slug="duplicate-truck")
    loads = truck_loads(t["truck_id"] for t in trucks)
    planned = []
    for given in trucks:
        if given["station_id"] not in position:
            raise InvalidInput(
                Message("operations.truck_outside_area", truck=given["truck_id"], station=given["station_id"]),
                slug="truck-outside-area",
            )
        truck = db.session.get(Truck, given["truck_id"]) or Truck(id=given["truck_id"])
        truck.capacity = given.get("capacity") or truck.capacity or truck_capacity
        truck.station_id = given["station_id"]
        db.session.add(truck)
        # `busy_min` and `committed_change` (the re-planning worker's): minutes until the stop a truck is
        # committed to is done, and the bikes that stop is still to take (+) or leave (-) there. The worker's
        # `load` is what that stop will leave aboard, from one reading of the truck and the stop (a crew working
        # the stop meanwhile changes the bikes aboard, not what the stop leaves).
        busy_min, committed = given.get("busy_min", 0.0), given.get("committed_change")
        if committed is not None:
            load = given["load"]
        else:
            # A person's figure is a check of what the service knows is aboard: a plan for another load would plan
            # drops of bikes the truck does not carry (each answered 409) or leave bikes aboard with no drop.
            committed, load = 0, loads.get(truck.id, 0)
            if given.get("load", load) != load:
                raise Conflict(
                    Message("operations.load_mismatch", truck=truck.id, load=given["load"], aboard=load),
                    slug="load-mismatch",
                    aboard=load,
                )
        if load > truck.capacity:
            raise InvalidInput(
                Message("operations.load_above_capacity", truck=truck.id, load=load), slug="load-above-capacity"
            )
        planned.append(PlanTruck(truck.id, position[given["station_id"]], load, truck.capacity, busy_min, committed))
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
    keep: dict[int, int] | None = None,
    next_round_min: float | None = None,
    started: float | None = None,
) -> Plan:
    """Plan routes for the trucks over the zone from the current stock; store the plan and its tasks.

    The time limit bounds the whole call, measured from `started` (`time.perf_counter()` when the request
    began; the call's start by default): demand, planning and writing.
    `keep` maps a truck to a task it is working on, which stays its first stop, and `next_round_min` is the
    time to the next round, which routes last (the re-planning worker).
    One plan is made at a time (`planning_lock`): while another is, this raises Conflict `planning-busy`.
    """
    started = time.perf_counter() if started is None else started
    time_limit_s = time_limit_s or current_app.config["BIKESHARE_PLAN_TIME_LIMIT_S"]
    start_at = (start_at or utcnow()).astimezone(UTC)
    with holding_the_planner(time_limit_s=time_limit_s) as held:
        if not held:
            wait_s = seconds_until_free()
            raise Conflict(
                Message("operations.planning_busy", seconds=wait_s),
                slug="planning-busy",
                headers={"Retry-After": str(wait_s)},
            )
        loading_began = time.perf_counter()
        network, stock = load_network(districts=zone_districts(zone))
        if network.size < 2:
            raise InvalidInput(Message("operations.area_too_small"), slug="area-too-small")
        fleet = _trucks(network=network, trucks=trucks, truck_count=truck_count, truck_capacity=truck_capacity)
        # Storing and answering take about WRITING_VS_LOADING times as long as loading did: the same database
        # on the same machine, however busy it is right now.
        loading_s = time.perf_counter() - loading_began
        writing_s = max(WRITING_SHARE * time_limit_s, WRITING_VS_LOADING * loading_s)
        result, demand = plan_network(
            network=network,
            stock=stock,
            fleet=fleet,
            start_at=start_at,
            horizon_h=horizon_h,
            deadline=started + time_limit_s - writing_s,
            next_round_min=next_round_min,
        )
        ids = network.station_ids
        plan = Plan(
            created_by=user_id,
            zone=zone,
            start_at=start_at,
            day_type="weekend" if _day_type(start_at) == WEEKEND else "weekday",
            horizon_h=horizon_h,
            time_limit_s=time_limit_s,
            elapsed_s=0.0,
            station_count=network.size,
            dissatisfaction_before=result.dissatisfaction_before,
            dissatisfaction_after=result.dissatisfaction_after,
            bikes_moved=result.bikes_moved,
            truck_km=result.truck_km,
            moves=moves_json(result=result, ids=ids),
            trucks={
                str(t.truck_id): {"station_id": int(ids[t.station]), "load": t.load, "capacity": t.capacity}
                for t in fleet
            },
            history=history_used(demand=demand, bikes_moved=result.bikes_moved),
            zones=zones_json(result),
        )
        db.session.add(plan)
        db.session.flush()
        superseded = _supersede_unfinished(
            truck_ids=[t.truck_id for t in fleet], plan_id=plan.id, keep_task_ids=list((keep or {}).values())
        )
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
        plan.elapsed_s = time.perf_counter() - started
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


def plan_network(
    *,
    network,
    stock,
    fleet: list[PlanTruck],
    start_at: datetime,
    horizon_h: float,
    deadline: float,
    next_round_min: float | None = None,
):
    """Plan over `network` with the stored demand model and the configured trucks, done by `deadline`
    (`time.perf_counter()`), routes lasting until the next round when one is due in `next_round_min`;
    the plan and the demand it used. Writes nothing."""
    # Rates come from the whole city, so stations near the zone's edge borrow from all their neighbours.
    city, _ = load_network()
    demand = planning_demand(network=city)
    rows = np.searchsorted(city.station_ids, network.station_ids)
    rates = DemandRates(demand.rates.rent_per_h[rows], demand.rates.return_per_h[rows])
    local = start_at.astimezone(SEOUL)
    zone_count = PlanSettings.zone_count if len(fleet) >= MIN_TRUCKS_FOR_ZONES else 1
    trucks = truck_settings()
    if next_round_min is not None:
        trucks = route_until_next_round(trucks, every_min=next_round_min)
    result = build_plan(
        stations=network,
        stock=stock,
        rates=rates,
        trucks=fleet,
        start_hour=local.hour + local.minute / 60,
        day_type=_day_type(start_at),
        horizon_h=horizon_h,
        deadline=deadline,
        settings=PlanSettings(trucks=trucks, zone_count=zone_count),
    )
    return result, demand


def _day_type(moment: datetime) -> int:
    return WEEKEND if moment.astimezone(SEOUL).weekday() >= 5 else WEEKDAY


def moves_json(*, result, ids) -> list[dict]:
    return [
        {
            "source_station_id": int(ids[m.source]),
            "target_station_id": int(ids[m.target]),
            "bikes": m.bikes,
            "value": m.value,
        }
        for m in result.moves
    ]


def zones_json(result) -> list[dict]:
    """What happened in each planning zone (see `bikeshare.rebalancing.zones.ZoneReport`)."""
    return [
        {
            "zone": z.zone,
            "stations": z.stations,
            "truck_ids": list(z.truck_ids),
            "outcome": str(z.outcome),
            "reason": z.reason,
            "targets": z.targets,
            "routes": z.routes,
            "bikes_moved": z.bikes_moved,
            "seconds": round(z.seconds, 3),
        }
        for z in result.zones
    ]


def history_used(*, demand: PlanningDemand, bikes_moved: int) -> dict:
    """What the plan's demand rested on, and, when nothing moved, the likeliest reason."""
    window, trips = demand.window, demand.trips
    used = {
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "days": window.days,
        "observed_hours": window.observed_hours,
        "trips": trips,
        "prior_share": round(demand.rates.prior_share, 3),
        "estimate_cached": demand.cached,
    }
    if bikes_moved == 0:
        used["nothing_moved_because"] = (
            "no demand history: import trips (flask bikeshare import-trips FILE)"
            if trips == 0
            else "no move lowered the expected dissatisfaction within the trucks' reach and time limit (see zones)"
        )
    return used


def _supersede_unfinished(*, truck_ids: list[int], plan_id: int, keep_task_ids: list[int]) -> int:
    """Mark the planned trucks' unfinished stops of earlier plans, except `keep_task_ids`, as replaced by this
    one; how many.

    An operator working such a stop right now holds its row lock: this waits for that pickup or drop,
    then sees what it left unfinished.
    """
    return db.session.execute(
        update(Task)
        .where(
            Task.truck_id.in_(truck_ids),
            Task.plan_id != plan_id,
            Task.is_open,
            Task.id.not_in(keep_task_ids),
        )
        .values(superseded_by=plan_id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def get_plan(*, plan_id: int) -> Plan:
    """A stored plan with its tasks."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(Message("operations.no_plan", plan=plan_id), slug="plan-not-found")
    return plan
