"""Rent and return: row locks (station, then bike) for correctness under races, partial unique
indexes as the last line of defence, station counters and demand records in the same transaction.

The hot path runs prebuilt statements (statements.py) in the session's transaction and answers
plain dicts: no ORM objects to load, track and flush for one rental.
"""

from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError

from bikeshare.demand import services as demand
from bikeshare.incentives import ledger
from bikeshare.passes import services as passes
from bikeshare.passes.fares import Fare, fare
from bikeshare.passes.models import Charge, ChargeReason
from bikeshare.rentals import statements
from bikeshare.rentals.models import Rental
from bikeshare.stations.models import Bike, BikeStatus
from bikeshare.stations.services import nearest_stations
from core.db import db, utcnow
from core.errors import Conflict, NotFound
from core.problems import Message

# How far a rider facing a full station is pointed to stations with room.
NEARBY_RADIUS_M = 3000


def _refusal(station_id: int, *, returning: bool, bike_id: str | None = None) -> Exception:
    """Why the station's counters did not move: it is missing or closed (404), else empty or full (409)."""
    station = statements.STATION.first({"station": station_id})
    if station is None or not station.active:
        return NotFound(Message("stations.not_found", station=station_id), slug="station-not-found")
    if returning:
        return Conflict(
            Message("rentals.station_full", station=station_id),
            slug="station-full",
            nearest_stations_with_room=nearest_stations(
                lat=station.lat, lon=station.lon, radius_m=NEARBY_RADIUS_M, limit=5, with_room=True
            ),
        )
    return _no_bike(station_id, bike_id)


def _no_bike(station_id: int, bike_id: str | None) -> Conflict:
    if bike_id is not None:
        return Conflict(
            Message("rentals.bike_not_available", bike=bike_id, station=station_id), slug="bike-not-available"
        )
    return Conflict(Message("rentals.no_bike", station=station_id), slug="no-bike-available")


def rent(*, user, station_id: int, bike_id: str | None = None, buy_day_pass: str | None = None, now=None) -> dict:
    """Rent a bike at a station (the system picks one, or the scanned `bike_id`)."""
    now = now or utcnow()
    ride_pass = passes.add_pass(user=user, kind=buy_day_pass, now=now) if buy_day_pass else None
    ride_pass = ride_pass or passes.usable_pass(user_id=user.id, now=now)
    if ride_pass is None:
        raise Conflict(Message("rentals.pass_required"), slug="pass-required")
    station = statements.TAKE_FROM_STATION.first({"station": station_id, "now": now})
    if station is None:
        raise _refusal(station_id, returning=False, bike_id=bike_id)
    take = statements.TAKE_ANY_BIKE if bike_id is None else statements.TAKE_SCANNED_BIKE
    taken = take.scalar({"station": station_id, "bike": bike_id, "now": now})
    if taken is None:
        raise _no_bike(station_id, bike_id)
    rental = {
        "user_id": user.id,
        "bike_id": taken,
        "pass_id": ride_pass.id,
        "pass_kind": ride_pass.kind,
        "ride_minutes": ride_pass.ride_minutes,
        "start_station_id": station_id,
        "started_at": now,
        "overtime_won": 0,
    }
    try:
        rental["id"] = statements.OPEN_RENTAL.scalar(rental)
    except IntegrityError as error:  # the open-rental indexes decide; the rollback undoes the moves above
        db.session.rollback()
        message = str(error.orig)
        if "open_per_user" in message or "bike_rentals.user_id" in message:
            raise Conflict(Message("rentals.already_riding"), slug="already-riding") from None
        raise Conflict(Message("rentals.bike_taken"), slug="bike-not-available") from None
    passes.start_if_unstarted(ride_pass, now=now)
    demand.record_change(demand.StationState(*station), now=now, rentals=1)
    db.session.commit()
    return {**rental, "end_station_id": None, "returned_at": None, "duration_seconds": None, "missing_since": None}


def _owned_rental(user_id: int, rental_id: int) -> Rental:
    rental = db.session.scalar(select(Rental).where(Rental.id == rental_id, Rental.user_id == user_id))
    if rental is None:  # someone else's rental is as invisible as one that does not exist
        raise NotFound(Message("rentals.not_found", rental=rental_id), slug="rental-not-found")
    return rental


def return_bike(*, user, rental_id: int, station_id: int, now=None) -> tuple[dict, Fare]:
    """Return a rented bike at a station with room; returns the closed rental and its fare."""
    now = now or utcnow()
    rental = statements.LOCKED_RENTAL.first({"rental": rental_id, "user": user.id})
    if rental is None:  # someone else's rental is as invisible as one that does not exist
        raise NotFound(Message("rentals.not_found", rental=rental_id), slug="rental-not-found")
    if rental.returned_at is not None:
        raise Conflict(Message("rentals.already_returned", rental=rental_id), slug="already-returned")
    station = statements.PARK_AT_STATION.first({"station": station_id, "now": now})
    if station is None:
        raise _refusal(station_id, returning=True)
    parked = {"bike": rental.bike_id, "station": station_id, "now": now}
    if statements.PARK_BIKE.scalar(parked) != BikeStatus.AVAILABLE:
        statements.NOT_AVAILABLE_AFTER_ALL.rowcount({"station": station_id, "now": now})
    ride = fare(duration=now - rental.started_at, ride_minutes=rental.ride_minutes)
    closed = {"rental": rental.id, "station": station_id, "now": now}
    statements.CLOSE_RENTAL.rowcount({**closed, "duration": ride.duration_seconds, "overtime": ride.overtime_won})
    if ride.overtime_won:
        db.session.add(
            Charge(user_id=user.id, amount_won=ride.overtime_won, reason=ChargeReason.OVERTIME, rental_id=rental.id)
        )
    demand.record_change(demand.StationState(*station), now=now, returns=1)
    mileage = ledger.earn_at_return(user_id=user.id, rental=rental, end_station_id=station_id, now=now)
    db.session.commit()
    returned = {
        **rental._asdict(),
        "returned_at": now,
        "end_station_id": station_id,
        "duration_seconds": ride.duration_seconds,
        "overtime_won": ride.overtime_won,
        "mileage": mileage,
    }
    return returned, ride


def get_rental(*, user, rental_id: int, now=None) -> Rental:
    """One of the rider's rentals (404 for anyone else's)."""
    _flag_overdue(user_id=user.id, now=now or utcnow())
    return _owned_rental(user.id, rental_id)


def my_rentals(*, user, limit: int = 20, now=None) -> list[Rental]:
    """The rider's rentals, newest first; an overdue open one is flagged missing on the way."""
    _flag_overdue(user_id=user.id, now=now or utcnow())
    query = select(Rental).where(Rental.user_id == user.id).order_by(Rental.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def _overdue(now: datetime):
    """Overdue and not flagged yet."""
    return and_(Rental.is_overdue(now), Rental.missing_since.is_(None))


def _flag_overdue(*, user_id: int | None = None, now: datetime) -> int:
    condition = _overdue(now) if user_id is None else and_(_overdue(now), Rental.user_id == user_id)
    # Lock order is rental then bike, as in return_bike; rentals being returned right now are skipped.
    overdue = db.session.execute(
        select(Rental.id, Rental.bike_id).where(condition).with_for_update(skip_locked=True)
    ).all()
    if not overdue:
        db.session.rollback()
        return 0
    db.session.execute(update(Rental).where(Rental.id.in_([r.id for r in overdue])).values(missing_since=now))
    db.session.execute(
        update(Bike)
        .where(Bike.id.in_([r.bike_id for r in overdue]), Bike.status == BikeStatus.RENTED)
        .values(status=BikeStatus.MISSING, last_moved_at=now)
    )
    db.session.commit()
    return len(overdue)


def mark_missing(*, now: datetime | None = None) -> int:
    """Flag the bikes of rentals open past 4 h (6 h on 2-hour passes) as missing; returns how many."""
    return _flag_overdue(now=now or utcnow())
