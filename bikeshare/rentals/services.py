"""Rent and return: row locks (station, then bike) for correctness under races, partial unique
indexes as the last line of defence, station counters and demand records in the same transaction.
"""

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from bikeshare import demand
from bikeshare.fares import fare, missing_after
from bikeshare.models import Bike, Station
from bikeshare.passes import services as passes
from bikeshare.passes.models import Charge
from bikeshare.rentals.models import Rental
from bikeshare.stations.services import nearest_stations
from core.db import db, utcnow
from core.errors import Conflict, NotFound

# How far a rider facing a full station is pointed to stations with room.
NEARBY_RADIUS_M = 3000


def _locked_station(station_id: int) -> Station:
    station = db.session.scalar(select(Station).where(Station.id == station_id).with_for_update())
    if station is None or not station.active:
        raise NotFound(f"There is no station {station_id}.", slug="station-not-found")
    return station


def _pick_bike(station: Station, bike_id: str | None) -> Bike:
    query = select(Bike).where(Bike.station_id == station.id, Bike.status == "available")
    if bike_id is not None:
        query = query.where(Bike.id == bike_id)
    # Skip bikes another transaction holds (an operator's maintenance call) instead of queueing behind it.
    bike = db.session.scalar(query.limit(1).with_for_update(skip_locked=True))
    if bike is None and bike_id is not None:
        raise Conflict(f"Bike {bike_id} is not available at station {station.id}.", slug="bike-not-available")
    if bike is None:
        raise Conflict(f"No bike is available at station {station.id}.", slug="no-bike-available")
    return bike


def rent(*, user, station_id: int, bike_id: str | None = None, buy_day_pass: str | None = None, now=None) -> Rental:
    """Rent a bike at a station (the system picks one, or the scanned `bike_id`)."""
    now = now or utcnow()
    ride_pass = passes.add_pass(user=user, kind=buy_day_pass, now=now) if buy_day_pass else None
    ride_pass = ride_pass or passes.usable_pass(user_id=user.id, now=now)
    if ride_pass is None:
        raise Conflict("A valid pass is needed to rent; buy one first or with the rental.", slug="pass-required")
    station = _locked_station(station_id)
    if station.bikes_available == 0 and bike_id is None:
        raise Conflict(f"No bike is available at station {station.id}.", slug="no-bike-available")
    bike = _pick_bike(station, bike_id)
    passes.start_if_unstarted(ride_pass, now=now)
    rental = Rental(
        user_id=user.id,
        bike_id=bike.id,
        pass_id=ride_pass.id,
        pass_kind=ride_pass.kind,
        ride_minutes=ride_pass.ride_minutes,
        start_station_id=station.id,
        started_at=now,
    )
    db.session.add(rental)
    try:
        db.session.flush()  # the open-rental indexes decide here, before any other write
    except IntegrityError as error:
        db.session.rollback()
        message = str(error.orig)
        if "open_per_user" in message or "bike_rentals.user_id" in message:
            raise Conflict("You already have a bike out; return it first.", slug="already-riding") from None
        raise Conflict("That bike was just taken; try again.", slug="bike-not-available") from None
    demand.record_station_change(station, now=now, rentals=1)
    bike.status, bike.station_id, bike.last_moved_at = "rented", None, now
    station.bikes_parked -= 1
    station.bikes_available -= 1
    db.session.commit()
    return rental


def _owned_rental(user_id: int, rental_id: int, *, lock: bool = False) -> Rental:
    query = select(Rental).where(Rental.id == rental_id, Rental.user_id == user_id)
    rental = db.session.scalar(query.with_for_update() if lock else query)
    if rental is None:  # someone else's rental is as invisible as one that does not exist
        raise NotFound(f"You have no rental {rental_id}.", slug="rental-not-found")
    return rental


def return_bike(*, user, rental_id: int, station_id: int, now=None) -> tuple[Rental, object]:
    """Return a rented bike at a station with room; returns the closed rental and its fare."""
    now = now or utcnow()
    rental = _owned_rental(user.id, rental_id, lock=True)
    if rental.returned_at is not None:
        raise Conflict(f"Rental {rental_id} was already returned.", slug="already-returned")
    station = _locked_station(station_id)
    if not station.has_room:
        raise Conflict(
            f"Station {station.id} is full; return the bike at a station nearby.",
            slug="station-full",
            nearest_stations_with_room=nearest_stations(
                lat=station.lat, lon=station.lon, radius_m=NEARBY_RADIUS_M, limit=5, with_room=True
            ),
        )
    bike = db.session.scalar(select(Bike).where(Bike.id == rental.bike_id).with_for_update())
    ride = fare(duration=now - rental.started_at, ride_minutes=rental.ride_minutes)
    rental.returned_at, rental.end_station_id = now, station.id
    rental.duration_seconds, rental.overtime_won = ride.duration_seconds, ride.overtime_won
    if ride.overtime_won:
        db.session.add(Charge(user_id=user.id, amount_won=ride.overtime_won, reason="overtime", rental_id=rental.id))
    demand.record_station_change(station, now=now, returns=1)
    # A bike enough riders reported as faulty stays parked, out of service, until an operator clears it.
    bike.status = "maintenance" if bike.needs_repair else "available"
    bike.station_id, bike.last_moved_at = station.id, now
    station.bikes_parked += 1
    station.bikes_available += bike.status == "available"
    db.session.commit()
    return rental, ride


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
    return and_(
        Rental.returned_at.is_(None),
        Rental.missing_since.is_(None),
        or_(
            and_(Rental.ride_minutes < 120, Rental.started_at < now - missing_after(60)),
            Rental.started_at < now - missing_after(120),
        ),
    )


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
        .where(Bike.id.in_([r.bike_id for r in overdue]), Bike.status == "rented")
        .values(status="missing", last_moved_at=now)
    )
    db.session.commit()
    return len(overdue)


def mark_missing(*, now: datetime | None = None) -> int:
    """Flag the bikes of rentals open past 4 h (6 h on 2-hour passes) as missing; returns how many."""
    return _flag_overdue(now=now or utcnow())
