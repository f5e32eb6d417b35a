"""Continuous re-planning: every round plans the whole fleet again from the live stock, each truck's
position and load, keeping the stop each truck is working on.

A truck's current stop is the first unfinished, not superseded stop of its route (the crew may be
driving there): it stays, and the new route starts where it ends, with the load it leaves aboard, so
what is aboard is always planned to a drop. The new route's clock starts when that stop is done: the
drive to it from where the truck last handled bikes, plus handling what is left there (the crew may be
part way: the estimate errs late, which only shortens the new route). The other unfinished stops are
superseded by the new plan. A round runs only under the planning lock (`planning_lock`, held from reading
the fleet to storing the plan), so a second worker, a second replica, or a round that starts while staff
are making a plan, skips the round. Every round that ran is recorded (`replan_rounds`), with the plan it
made or why it failed.
"""

import logging

from flask import current_app
from sqlalchemy import select

from bikeshare.operations.models import ReplanRound, ReplanStatus, Task, TaskKind, Truck
from bikeshare.operations.network import truck_settings
from bikeshare.operations.planning_lock import holding_the_planner
from bikeshare.operations.plans import create_plan, truck_loads
from bikeshare.rebalancing.geo import haversine_km
from bikeshare.stations.models import Station
from core.db import db, utcnow
from core.errors import DomainError

log = logging.getLogger(__name__)


def replan_round(*, every_min: float | None = None) -> ReplanRound | None:
    """Run one round under the planning lock, its routes lasting until the next round in `every_min` minutes
    (BIKESHARE_REPLAN_EVERY_MIN by default); the recorded round, or None when another planner holds the lock."""
    with holding_the_planner(time_limit_s=current_app.config["BIKESHARE_REPLAN_TIME_LIMIT_S"]) as held:
        if not held:
            log.info("replan round skipped: another worker or a staff plan holds the planning lock")
            return None
        return _round(every_min=every_min or current_app.config["BIKESHARE_REPLAN_EVERY_MIN"])


def _round(*, every_min: float) -> ReplanRound:
    started = utcnow()
    trucks, kept, unplaced = _fleet()
    if not trucks:
        detail = "no truck with a known position: register trucks with a first plan (POST /ops/rebalancing/plans)"
        return _record(started=started, status=ReplanStatus.FAILED, trucks=0, kept=kept, detail=detail)
    try:
        plan = create_plan(
            user_id=None,
            horizon_h=current_app.config["BIKESHARE_REPLAN_HORIZON_H"],
            time_limit_s=current_app.config["BIKESHARE_REPLAN_TIME_LIMIT_S"],
            trucks=trucks,
            start_at=started,
            keep=kept,
            next_round_min=every_min,
        )
    except DomainError as error:
        db.session.rollback()
        return _record(started=started, status=ReplanStatus.FAILED, trucks=len(trucks), kept=kept, detail=error.detail)
    detail = f"trucks without a position, not planned: {', '.join(map(str, unplaced))}" if unplaced else None
    return _record(
        started=started, status=ReplanStatus.PLANNED, trucks=len(trucks), kept=kept, plan_id=plan.id, detail=detail
    )


def _fleet() -> tuple[list[dict], dict[int, int], list[int]]:
    """Every registered truck as the planner sees it after its current stop, the stops kept, and the trucks
    that have no position yet."""
    fleet = list(db.session.scalars(select(Truck).order_by(Truck.id)))
    loads = truck_loads(t.id for t in fleet)
    planned, kept, unplaced = [], {}, []
    for truck in fleet:
        load, station_id, busy_min, committed = loads.get(truck.id, 0), truck.station_id, 0.0, 0
        current = current_stop(truck_id=truck.id)
        if current is not None:
            left = current.planned - current.done
            after = min(load + left, truck.capacity) if current.kind == TaskKind.PICKUP else max(load - left, 0)
            committed, load = after - load, after
            busy_min = _minutes_to_finish(current, left=left, since_station_id=truck.station_id)
            station_id = current.station_id
            kept[truck.id] = current.id
        if station_id is None:
            unplaced.append(truck.id)
            continue
        planned.append(
            {
                "truck_id": truck.id,
                "station_id": station_id,
                "load": load,
                "capacity": truck.capacity,
                "busy_min": busy_min,
                "committed_change": committed,
            }
        )
    return planned, kept, unplaced


def _minutes_to_finish(stop: Task, *, left: int, since_station_id: int | None) -> float:
    """The configured trucks' time to drive from the truck's last station to `stop` (none once work there has
    begun) and handle the `left` bikes."""
    model = truck_settings().model
    minutes = left * model.handling_min_per_bike
    if stop.done or since_station_id is None or since_station_id == stop.station_id:
        return minutes
    origin, target = db.session.get(Station, since_station_id), db.session.get(Station, stop.station_id)
    straight_km = haversine_km(lat1=origin.lat, lon1=origin.lon, lat2=target.lat, lon2=target.lon)
    return minutes + float(model.driving_min(straight_km))


def current_stop(*, truck_id: int) -> Task | None:
    """The first unfinished stop of the truck's route (its newest plan's tasks come last)."""
    return db.session.scalar(_route_query(truck_id).limit(1))


def _route_query(truck_id: int):
    return select(Task).where(Task.truck_id == truck_id, Task.is_open).order_by(Task.plan_id, Task.sequence)


def _record(*, started, status, trucks, kept, plan_id=None, detail=None) -> ReplanRound:
    round_ = ReplanRound(
        started_at=started,
        finished_at=utcnow(),
        status=status,
        plan_id=plan_id,
        trucks=trucks,
        kept_tasks={str(truck): task for truck, task in kept.items()},
        detail=detail[:500] if detail else None,
    )
    db.session.add(round_)
    db.session.commit()
    log.info("replan round %s: %s, plan %s, %s trucks", round_.id, status, plan_id, trucks)
    return round_


def current_plan() -> dict:
    """What each truck is to do now (its unfinished stops in order, the kept one first) and the latest round."""
    latest = db.session.scalar(select(ReplanRound).order_by(ReplanRound.id.desc()).limit(1))
    loads = dict(truck_loads(t for t in db.session.scalars(select(Truck.id))))
    trucks = [
        {
            "truck_id": truck.id,
            "station_id": truck.station_id,
            "load": loads.get(truck.id, 0),
            "capacity": truck.capacity,
            "stops": list(db.session.scalars(_route_query(truck.id))),
        }
        for truck in db.session.scalars(select(Truck).order_by(Truck.id))
    ]
    return {"latest_round": latest, "trucks": trucks}
