"""Truck tasks: pick bikes up from a station onto a truck (`in_transit`), drop them off at another.

A bike is always in exactly one place: parked at a station (counted in its counters), on one
truck (`truck_id`, status `in_transit`), or out with a rider. Each call moves bikes and the
station's counters in one transaction, locking in one order: task, station, truck, then bikes
(rentals lock station, then bike). Asking for more bikes than are there completes the task
partly; the task records how many were really moved.
"""

from sqlalchemy import func, select

from bikeshare.demand import services as demand
from bikeshare.operations.models import Task, TaskKind, Truck
from bikeshare.stations.models import Bike, BikeStatus, Station
from core import audit
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.problems import Message


def _locked_task(task_id: int, kind: str) -> Task:
    task = db.session.scalar(select(Task).where(Task.id == task_id).with_for_update())
    if task is None:
        raise NotFound(Message("operations.no_task", task=task_id), slug="task-not-found")
    if task.kind != kind:
        raise Conflict(
            Message("operations.wrong_task_kind", task=task_id, kind=task.kind, wanted=kind), slug="wrong-task-kind"
        )
    if task.done >= task.planned:
        raise Conflict(Message("operations.task_done", task=task_id), slug="task-done")
    if task.superseded_by is not None:
        raise Conflict(
            Message("operations.task_superseded", task=task_id, plan=task.superseded_by),
            slug="task-superseded",
            plan_id=task.superseded_by,
        )
    return task


def _wanted(task: Task, bike_ids: list[str] | None, count: int | None) -> int:
    remaining = task.planned - task.done
    wanted = len(bike_ids) if bike_ids else count or remaining
    if wanted > remaining:
        raise InvalidInput(
            Message("operations.more_than_planned", task=task.id, remaining=remaining), slug="more-than-planned"
        )
    return wanted


def _load(truck_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Bike.truck_id == truck_id))


def _locked(task: Task) -> tuple[Station, Truck]:
    station = db.session.scalar(select(Station).where(Station.id == task.station_id).with_for_update())
    truck = db.session.scalar(select(Truck).where(Truck.id == task.truck_id).with_for_update())
    return station, truck


def _bikes(query, bike_ids: list[str] | None, wanted: int) -> list[Bike]:
    if bike_ids:
        query = query.where(Bike.id.in_(bike_ids))
    # Skip bikes a rider is renting right now rather than waiting for them.
    return list(db.session.scalars(query.order_by(Bike.id).limit(wanted).with_for_update(skip_locked=True)))


def pickup(*, operator_id: int, task_id: int, bike_ids: list[str] | None = None, count: int | None = None) -> Task:
    """Load available bikes of the task's station onto its truck (all of them, or as many as are there)."""
    task = _locked_task(task_id, TaskKind.PICKUP)
    wanted = _wanted(task, bike_ids, count)
    station, truck = _locked(task)
    room = truck.capacity - _load(truck.id)
    if wanted > room:
        raise Conflict(Message("operations.truck_full", truck=truck.id, room=room), slug="truck-full", room=room)
    query = select(Bike).where(Bike.station_id == station.id, Bike.status == BikeStatus.AVAILABLE)
    bikes = _bikes(query, bike_ids, wanted)
    if bike_ids and len(bikes) < len(bike_ids):
        missing = sorted(set(bike_ids) - {b.id for b in bikes})
        raise Conflict(
            Message("operations.bikes_not_available", station=station.id, bikes=", ".join(missing)),
            slug="bike-not-available",
        )
    if not bikes:
        raise Conflict(Message("rentals.no_bike", station=station.id), slug="no-bike-available")
    now = utcnow()
    demand.record_station_change(station, now=now)  # book the stock's state up to this change
    for bike in bikes:
        bike.status, bike.station_id, bike.truck_id = BikeStatus.IN_TRANSIT, None, truck.id
    station.bikes_parked -= len(bikes)
    station.bikes_available -= len(bikes)
    return _finish(task, truck, station, len(bikes), operator_id)


def dropoff(*, operator_id: int, task_id: int, bike_ids: list[str] | None = None, count: int | None = None) -> Task:
    """Dock bikes from the task's truck at its station, within the station's capacity."""
    task = _locked_task(task_id, TaskKind.DROPOFF)
    wanted = _wanted(task, bike_ids, count)
    station, truck = _locked(task)
    moved = _unload(truck, station, bike_ids, wanted)
    return _finish(task, truck, station, moved, operator_id)


def _unload(truck: Truck, station: Station, bike_ids: list[str] | None, wanted: int) -> int:
    """Park `wanted` bikes (or the named ones) off the locked truck at the locked station; how many moved."""
    room = station.room
    if wanted > room or room == 0:
        raise Conflict(
            Message("operations.station_room", station=station.id, room=room), slug="station-full", room=room
        )
    bikes = _bikes(select(Bike).where(Bike.truck_id == truck.id), bike_ids, wanted)
    if bike_ids and len(bikes) < len(bike_ids):
        missing = sorted(set(bike_ids) - {b.id for b in bikes})
        raise Conflict(
            Message("operations.not_on_truck", truck=truck.id, bikes=", ".join(missing)), slug="bike-not-on-truck"
        )
    if not bikes:
        raise Conflict(Message("operations.truck_empty", truck=truck.id), slug="truck-empty")
    _park(bikes, station)
    return len(bikes)


def _park(bikes: list[Bike], station: Station) -> None:
    """Park bikes off a truck at the (locked) station, its counters in step."""
    now = utcnow()
    demand.record_station_change(station, now=now)
    for bike in bikes:
        bike.status = bike.status_when_parked
        bike.station_id, bike.truck_id, bike.last_moved_at = station.id, None, now
    station.bikes_parked += len(bikes)
    station.bikes_available += sum(bike.status == BikeStatus.AVAILABLE for bike in bikes)


def _finish(task: Task, truck: Truck, station: Station, moved: int, operator_id: int) -> Task:
    task.done += moved
    truck.station_id = station.id
    audit.record(
        f"rebalancing_{task.kind}",
        actor_id=operator_id,
        subject=f"task:{task.id}",
        truck_id=truck.id,
        station_id=station.id,
        bikes=moved,
    )
    db.session.commit()
    return task


def dock_aboard(
    *, operator_id: int, truck_id: int, station_id: int, bike_ids: list[str] | None = None, count: int | None = None
) -> dict:
    """Dock bikes aboard a truck at any station with room, whatever its tasks say (default: all that fit).

    The way off a truck whose drops a later plan superseded; audited like every truck move.
    """
    station = db.session.scalar(select(Station).where(Station.id == station_id).with_for_update())
    if station is None:
        raise NotFound(Message("stations.no_such_number", station=station_id), slug="station-not-found")
    truck = db.session.scalar(select(Truck).where(Truck.id == truck_id).with_for_update())
    if truck is None:
        raise NotFound(Message("operations.no_truck", truck=truck_id), slug="truck-not-found")
    wanted = len(bike_ids) if bike_ids else count or min(_load(truck.id), station.room)
    moved = _unload(truck, station, bike_ids, wanted)
    truck.station_id = station.id
    audit.record("truck_docked", actor_id=operator_id, subject=f"truck:{truck.id}", station_id=station.id, bikes=moved)
    db.session.commit()
    return get_truck(truck_id=truck.id)


def get_truck(*, truck_id: int) -> dict:
    """A truck, the bikes it carries and its open tasks (superseded stops are no longer its work)."""
    truck = db.session.get(Truck, truck_id)
    if truck is None:
        raise NotFound(Message("operations.no_truck", truck=truck_id), slug="truck-not-found")
    bikes = list(db.session.scalars(select(Bike.id).where(Bike.truck_id == truck_id).order_by(Bike.id)))
    open_tasks = db.session.scalars(
        select(Task).where(Task.truck_id == truck_id, Task.is_open).order_by(Task.plan_id, Task.sequence)
    )
    return {
        "id": truck.id,
        "capacity": truck.capacity,
        "station_id": truck.station_id,
        "load": len(bikes),
        "bike_ids": bikes,
        "open_tasks": list(open_tasks),
    }
