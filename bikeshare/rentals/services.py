"""Rent and return: row locks (a return's rental, station, then bike) for correctness under races,
partial unique indexes as the last line of defence, station counters and demand records in the same
transaction.

On PostgreSQL each is one prepared statement (`in_one`), usually committed on its own, the return's
fare computed in it by the fare rules themselves (`statements.closing_fare`); SQLite (`make run`)
runs the same parts in steps (`in_steps`). Either answers plain rows, no ORM objects to load, track and flush; when it
refuses, the reason is looked for afterwards, on the rare path only.
"""

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError

from bikeshare.incentives import ledger
from bikeshare.passes import services as passes
from bikeshare.passes.fares import Fare, fare
from bikeshare.rentals import in_one, in_steps, statements
from bikeshare.rentals.models import Rental
from bikeshare.stations.models import Bike, BikeStatus
from bikeshare.stations.services import nearest_stations
from core.db import Database, database, db, utcnow
from core.errors import Conflict, NotFound
from core.problems import Message

# How far a rider facing a full station is pointed to stations with room.
NEARBY_RADIUS_M = 3000


def _way():
    """How rent and return run on the app's database: one statement each, or steps."""
    return in_one if database(db.engine) == Database.POSTGRESQL else in_steps


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
    if bike_id is not None:
        return Conflict(
            Message("rentals.bike_not_available", bike=bike_id, station=station_id), slug="bike-not-available"
        )
    return Conflict(Message("rentals.no_bike", station=station_id), slug="no-bike-available")


def rent(*, user, station_id: int, bike_id: str | None = None, buy_day_pass: str | None = None, now=None) -> dict:
    """Rent a bike at a station (the system picks one, or the scanned `bike_id`).

    `buy_day_pass` buys that day pass with the ride only if the rider holds no usable pass: a page that keeps its
    choice asks again on every ride, and a second pass would be charged and ride on its shorter limit.
    """
    now = now or utcnow()
    bought = None
    if buy_day_pass and passes.usable_pass(user_id=user.id, now=now) is None:
        bought = passes.add_pass(user=user, kind=buy_day_pass, now=now)
    try:
        rental = _way().rent(user_id=user.id, station_id=station_id, bike_id=bike_id, bought=bought, now=now)
    except IntegrityError as error:  # the open-rental indexes decide; the failed statement changed nothing
        db.session.rollback()
        message = str(error.orig)
        if "open_per_user" in message or "bike_rentals.user_id" in message:
            raise Conflict(Message("rentals.already_riding"), slug="already-riding") from None
        raise Conflict(Message("rentals.bike_taken"), slug="bike-not-available") from None
    if rental is None:  # nothing moved; why is looked for on this rare path only
        if bought is None and passes.usable_pass(user_id=user.id, now=now) is None:
            raise Conflict(Message("rentals.pass_required"), slug="pass-required")
        raise _refusal(station_id, returning=False, bike_id=bike_id)
    db.session.commit()
    return rental


def _owned_rental(user_id: int, rental_id: int) -> Rental:
    rental = db.session.scalar(select(Rental).where(Rental.id == rental_id, Rental.user_id == user_id))
    if rental is None:  # someone else's rental is as invisible as one that does not exist
        raise NotFound(Message("rentals.not_found", rental=rental_id), slug="rental-not-found")
    return rental


def return_bike(*, user, rental_id: int, station_id: int, now=None) -> tuple[dict, Fare]:
    """Return a rented bike at a station with room; returns the closed rental and its fare."""
    now = now or utcnow()
    returned = _way().park(user_id=user.id, rental_id=rental_id, station_id=station_id, now=now)
    if returned is None:  # nothing moved; why is looked for on this rare path only
        rental = statements.OWN_RENTAL.first({"rental": rental_id, "user": user.id})
        if rental is None:  # someone else's rental is as invisible as one that does not exist
            raise NotFound(Message("rentals.not_found", rental=rental_id), slug="rental-not-found")
        if rental.returned_at is not None:
            raise Conflict(Message("rentals.already_returned", rental=rental_id), slug="already-returned")
        raise _refusal(station_id, returning=True)
    rental, offered = returned
    # The statement stored the fare by the same rule (`fares.overtime`), from the same start and `now`.
    ride = fare(duration=now - rental["started_at"], ride_minutes=rental["ride_minutes"])
    rental["mileage"] = ledger.earn_at_return(
        user_id=user.id, rental=SimpleNamespace(**rental), end_station_id=station_id, now=now, offered=offered
    )
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
