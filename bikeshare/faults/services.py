"""Fault reports and maintenance. Locks follow the house order: the bike's station, then the bike."""

from datetime import datetime

from sqlalchemy import distinct, func, select, update

from bikeshare.faults.models import FaultReport
from bikeshare.stations.models import Bike, BikeStatus, Station
from core import audit
from core.db import db, utcnow
from core.errors import Conflict, NotFound

# Distinct riders with open reports that take a bike out of service without waiting for an operator.
REPORTS_FOR_MAINTENANCE = 3


def _locked_bike(bike_id: str) -> tuple[Bike, Station | None]:
    """The bike and its station, both locked (station first), as they are once the locks are held."""
    for _ in range(3):
        station_id = db.session.scalar(select(Bike.station_id).where(Bike.id == bike_id))
        if station_id is None and db.session.get(Bike, bike_id) is None:
            raise NotFound(f"There is no bike {bike_id}.", slug="bike-not-found")
        station = None
        if station_id is not None:
            station = db.session.scalar(select(Station).where(Station.id == station_id).with_for_update())
        bike = db.session.scalar(select(Bike).where(Bike.id == bike_id).with_for_update())
        if bike.station_id == station_id:
            return bike, station
        db.session.rollback()  # it moved between the read and the locks; take them again
    raise Conflict(f"Bike {bike_id} is moving; retry.", slug="bike-moving", headers={"Retry-After": "1"})


def _to_maintenance(bike: Bike, station: Station | None) -> None:
    if bike.status == BikeStatus.AVAILABLE and station is not None:
        bike.status = BikeStatus.MAINTENANCE
        station.bikes_available -= 1
    elif bike.status != BikeStatus.MAINTENANCE:
        bike.needs_repair = True  # out on a ride or a truck: it goes to maintenance where it is parked


def report_fault(*, user, bike_id: str, kind: str, note: str | None = None, now: datetime | None = None) -> FaultReport:
    """Record a rider's fault report; enough distinct riders put the bike in maintenance."""
    now = now or utcnow()
    bike, station = _locked_bike(bike_id)
    existing = db.session.scalar(
        select(FaultReport).where(
            FaultReport.bike_id == bike.id,
            FaultReport.user_id == user.id,
            FaultReport.kind == kind,
            FaultReport.resolved_at.is_(None),
        )
    )
    if existing is not None:  # the bike row lock makes this check safe; the unique index backs it
        db.session.rollback()
        return existing
    report = FaultReport(bike_id=bike.id, user_id=user.id, kind=kind, note=note, created_at=now)
    db.session.add(report)
    db.session.flush()
    reporters = db.session.scalar(
        select(func.count(distinct(FaultReport.user_id))).where(
            FaultReport.bike_id == bike.id, FaultReport.resolved_at.is_(None)
        )
    )
    if reporters >= REPORTS_FOR_MAINTENANCE:
        _to_maintenance(bike, station)
    db.session.commit()
    return report


def set_status(*, operator, bike_id: str, status: str, now: datetime | None = None) -> Bike:
    """Operator: put a parked bike in maintenance, or back in service (closing its open reports)."""
    now = now or utcnow()
    bike, station = _locked_bike(bike_id)
    if status == BikeStatus.MAINTENANCE:
        if not bike.is_parked:
            raise Conflict(f"Bike {bike_id} is {bike.status}, not parked.", slug="bike-not-parked")
        _to_maintenance(bike, station)
    else:
        if bike.status != BikeStatus.MAINTENANCE:
            raise Conflict(f"Bike {bike_id} is {bike.status}, not in maintenance.", slug="bike-not-in-maintenance")
        bike.status, bike.needs_repair = BikeStatus.AVAILABLE, False
        station.bikes_available += 1
        db.session.execute(
            update(FaultReport)
            .where(FaultReport.bike_id == bike.id, FaultReport.resolved_at.is_(None))
            .values(resolved_at=now)
        )
    audit.record("bike_status_set", actor_id=operator.id, subject=f"bike:{bike.id}", status=status)
    db.session.commit()
    return bike


def list_bikes(*, status: str | None = None, station_id: int | None = None, limit: int = 100, after: str | None = None):
    """Operator: bikes by status and/or station, in id order, `limit` at a time after the id `after`."""
    query = select(Bike).order_by(Bike.id).limit(limit)
    if status is not None:
        query = query.where(Bike.status == status)
    if station_id is not None:
        query = query.where(Bike.station_id == station_id)
    if after is not None:
        query = query.where(Bike.id > after)
    return list(db.session.scalars(query))


def get_bike(*, bike_id: str) -> dict:
    """Operator: a bike with its open fault reports."""
    bike = db.session.get(Bike, bike_id)
    if bike is None:
        raise NotFound(f"There is no bike {bike_id}.", slug="bike-not-found")
    reports = db.session.scalars(
        select(FaultReport)
        .where(FaultReport.bike_id == bike_id, FaultReport.resolved_at.is_(None))
        .order_by(FaultReport.id)
    )
    return {"bike": bike, "open_reports": list(reports)}
