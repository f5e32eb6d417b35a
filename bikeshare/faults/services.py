"""Fault reports and maintenance. Locks follow the house order: the bike's station, then the bike."""

from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select, update

from bikeshare.faults.models import SAFETY_KINDS, FaultReport
from bikeshare.rentals.models import Rental
from bikeshare.stations.models import Bike, BikeStatus, Station
from core import audit
from core.db import db, utcnow
from core.errors import Conflict, NotFound
from core.problems import Message
from core.ratelimits import Limit

# Distinct riders of the bike whose open reports within the window take it out of service without an operator:
# one account alone (or a few throwaway ones spread over weeks) cannot ground a bike, and accounts that never
# rode it (one person's throwaway accounts naming bikes by their sequential numbers from anywhere) count for
# nothing: their reports wait for staff.
REPORTS_FOR_MAINTENANCE = 3
REPORT_WINDOW = timedelta(days=7)
RETURN_TO_SERVICE, SEND_TO_REPAIR = "return_to_service", "send_to_repair"  # an inspection's outcomes
REPORTS_PER_RIDER = Limit("fault-reports", 10, 3600, Message("limits.fault_reports"))


def _locked_bike(bike_id: str) -> tuple[Bike, Station | None]:
    """The bike and its station, both locked (station first), as they are once the locks are held."""
    for _ in range(3):
        station_id = db.session.scalar(select(Bike.station_id).where(Bike.id == bike_id))
        if station_id is None and db.session.get(Bike, bike_id) is None:
            raise NotFound(Message("bikes.not_found", bike=bike_id), slug="bike-not-found")
        station = None
        if station_id is not None:
            station = db.session.scalar(select(Station).where(Station.id == station_id).with_for_update())
        bike = db.session.scalar(select(Bike).where(Bike.id == bike_id).with_for_update())
        if bike.station_id == station_id:
            return bike, station
        db.session.rollback()  # it moved between the read and the locks; take them again
    raise Conflict(Message("bikes.moving", bike=bike_id), slug="bike-moving", headers={"Retry-After": "1"})


def _to_maintenance(bike: Bike, station: Station | None) -> None:
    if bike.status == BikeStatus.AVAILABLE and station is not None:
        bike.status = BikeStatus.MAINTENANCE
        station.bikes_available -= 1
    elif bike.status != BikeStatus.MAINTENANCE:
        bike.needs_repair = True  # out on a ride or a truck: it goes to maintenance where it is parked


def _last_rider(bike_id: str) -> int | None:
    return db.session.scalar(
        select(Rental.user_id).where(Rental.bike_id == bike_id).order_by(Rental.started_at.desc(), Rental.id.desc())
    )


def _recent_reporting_riders(bike_id: str, now: datetime) -> int:
    """Distinct riders who rode the bike within the window and have an open report on it from the window."""
    rode_it = (
        select(Rental.id)
        .where(
            Rental.bike_id == bike_id,
            Rental.user_id == FaultReport.user_id,
            Rental.started_at > now - REPORT_WINDOW,
        )
        .exists()
    )
    return db.session.scalar(
        select(func.count(distinct(FaultReport.user_id))).where(
            FaultReport.bike_id == bike_id,
            FaultReport.resolved_at.is_(None),
            FaultReport.created_at > now - REPORT_WINDOW,
            rode_it,
        )
    )


def report_fault(*, user, bike_id: str, kind: str, note: str | None = None, now: datetime | None = None) -> FaultReport:
    """Record a rider's fault report and hold the bike when it is unsafe.

    A safety fault from the bike's last rider holds it at once; otherwise REPORTS_FOR_MAINTENANCE distinct
    riders who rode it, all within REPORT_WINDOW, are needed. A rider's repeated reports return the first and
    count once.
    """
    now = now or utcnow()
    REPORTS_PER_RIDER.hit(str(user.id))
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
    if (kind in SAFETY_KINDS and _last_rider(bike.id) == user.id) or _recent_reporting_riders(
        bike.id, now
    ) >= REPORTS_FOR_MAINTENANCE:
        _to_maintenance(bike, station)
    db.session.commit()
    return report


def set_status(*, operator, bike_id: str, status: str, now: datetime | None = None) -> Bike:
    """Operator: put a parked bike in maintenance, or back in service (closing its open reports)."""
    now = now or utcnow()
    bike, station = _locked_bike(bike_id)
    if status == BikeStatus.MAINTENANCE:
        if not bike.is_parked:
            raise Conflict(Message("bikes.not_parked", bike=bike_id, status=bike.status), slug="bike-not-parked")
        _to_maintenance(bike, station)
    else:
        if bike.status != BikeStatus.MAINTENANCE:
            raise Conflict(
                Message("bikes.not_in_maintenance", bike=bike_id, status=bike.status), slug="bike-not-in-maintenance"
            )
        _to_service(bike, station)
        _close_open_reports(bike.id, now)
    audit.record("bike_status_set", actor_id=operator.id, subject=f"bike:{bike.id}", status=status)
    db.session.commit()
    return bike


def _to_service(bike: Bike, station: Station | None) -> None:
    if bike.status == BikeStatus.MAINTENANCE:
        bike.status = BikeStatus.AVAILABLE
        station.bikes_available += 1
    bike.needs_repair = False


def _close_open_reports(bike_id: str, now: datetime) -> int:
    return db.session.execute(
        update(FaultReport)
        .where(FaultReport.bike_id == bike_id, FaultReport.resolved_at.is_(None))
        .values(resolved_at=now)
    ).rowcount


def inspect(*, operator, bike_id: str, outcome: str, now: datetime | None = None) -> Bike:
    """Operator: close a reported bike's open reports, returning it to service or holding it for repair."""
    now = now or utcnow()
    bike, station = _locked_bike(bike_id)
    closed = _close_open_reports(bike.id, now)
    if not closed:
        raise Conflict(Message("faults.none_open", bike=bike_id), slug="bike-not-reported")
    if outcome == RETURN_TO_SERVICE:
        _to_service(bike, station)
    else:
        _to_maintenance(bike, station)
    audit.record("bike_inspected", actor_id=operator.id, subject=f"bike:{bike.id}", outcome=outcome, reports=closed)
    db.session.commit()
    return bike


def reported_bikes(
    *, kind: str | None = None, station_id: int | None = None, min_age_minutes: int = 0, now: datetime | None = None
) -> list[dict]:
    """Operator: bikes with open reports, oldest report first, with the kinds reported and distinct reporters."""
    now = now or utcnow()
    open_reports = FaultReport.resolved_at.is_(None)
    query = (
        select(
            Bike,
            func.min(FaultReport.created_at).label("first_reported_at"),
            func.count(distinct(FaultReport.user_id)).label("reporters"),
        )
        .join(FaultReport, FaultReport.bike_id == Bike.id)
        .where(open_reports)
        .group_by(Bike.id)
        .having(func.min(FaultReport.created_at) <= now - timedelta(minutes=min_age_minutes))
        .order_by("first_reported_at", Bike.id)
    )
    if kind is not None:
        query = query.where(Bike.id.in_(select(FaultReport.bike_id).where(open_reports, FaultReport.kind == kind)))
    if station_id is not None:
        query = query.where(Bike.station_id == station_id)
    rows = db.session.execute(query).all()
    kinds: dict[str, set[str]] = {}
    for bike_id, report_kind in db.session.execute(
        select(FaultReport.bike_id, FaultReport.kind).where(
            open_reports, FaultReport.bike_id.in_([r[0].id for r in rows])
        )
    ):
        kinds.setdefault(bike_id, set()).add(report_kind)
    return [
        {"bike": bike, "first_reported_at": first, "reporters": reporters, "kinds": sorted(kinds[bike.id])}
        for bike, first, reporters in rows
    ]


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
        raise NotFound(Message("bikes.not_found", bike=bike_id), slug="bike-not-found")
    reports = db.session.scalars(
        select(FaultReport)
        .where(FaultReport.bike_id == bike_id, FaultReport.resolved_at.is_(None))
        .order_by(FaultReport.id)
    )
    return {"bike": bike, "open_reports": list(reports)}
