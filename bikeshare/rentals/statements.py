"""The SQL parts of rent and return, built once from the models' rules: both ways of running them
(`in_one` on PostgreSQL, `in_steps` on SQLite) assemble these, so a rule changes in one place.

Lock order stays (a return's rental), station, then bike. A return's station counters move in one
UPDATE that locks the row first (the FOR UPDATE subquery) and returns the row as it was before, which
the demand records need; a rent locks the station (`locked_station`), takes a bike, and only then
moves the counters. A bike is taken by an UPDATE whose subquery skips bikes another transaction holds.
"""

from sqlalchemy import Integer, bindparam, case, cast, func, select, update

from bikeshare.demand.services import StationState
from bikeshare.passes import fares
from bikeshare.rentals.models import Rental
from bikeshare.stations.models import Bike, BikeStatus, Station
from core.db import HotStatement, UTCDateTime

stations, bikes, rentals = Station.__table__, Bike.__table__, Rental.__table__
NOW = bindparam("now", type_=UTCDateTime())
STATION_ID = bindparam("station")


def move_stock(*, parked: int, available, condition):
    """Add to the station's counters if `condition` holds; RETURNING the station's state from before.

    The subquery locks the row before the counters are computed, so an expression in `available` that
    locks another row (a bike) locks it after the station.
    """
    before = select(*StationState.columns()).where(stations.c.id == STATION_ID).with_for_update().subquery("before")
    return (
        add_to_counters(parked=parked, available=available)
        .where(stations.c.id == before.c.id, stations.c.active.is_(True), condition)
        .returning(*(before.c[name] for name in StationState._fields))
    )


def locked_station(*, condition):
    """The station's state (StationState's columns), its row locked, if it is active and `condition` holds.

    A rent's first lock: the counters move later in the statement, and only once the bike is taken.
    Under READ COMMITTED a row that another transaction changed meanwhile is waited for, then read and
    checked again as it now is, so `condition` holds for the counters this statement moves.
    """
    return (
        select(*StationState.columns())
        .where(stations.c.id == STATION_ID, stations.c.active.is_(True), condition)
        .with_for_update(of=stations)
    )


def add_to_counters(*, parked: int, available):
    return update(stations).values(
        bikes_parked=stations.c.bikes_parked + parked,
        bikes_available=stations.c.bikes_available + available,
        updated_at=NOW,
        # Clocks of two instances may disagree slightly: demand time never runs backwards.
        counted_at=case((stations.c.counted_at > NOW, stations.c.counted_at), else_=NOW),
    )


def bike_to_take(*, station_id, scanned: bool):
    """The bike a rental at `station_id` takes: an available one there (the scanned `bike` if `scanned`)."""
    candidate = bikes.alias("candidate")
    pick = select(candidate.c.id).where(
        candidate.c.station_id == station_id, candidate.c.status == BikeStatus.AVAILABLE
    )
    if scanned:
        pick = pick.where(candidate.c.id == bindparam("bike"))
    # Skip bikes another transaction holds (an operator's maintenance call) instead of queueing behind it.
    return pick.limit(1).with_for_update(of=candidate, skip_locked=True).scalar_subquery()


def take_bike(*, station_id, scanned: bool):
    """Rent the bike `bike_to_take` picks; RETURNING its id."""
    return (
        update(bikes)
        .where(bikes.c.id == bike_to_take(station_id=station_id, scanned=scanned))
        .values(status=BikeStatus.RENTED, station_id=None, last_moved_at=NOW)
        .returning(bikes.c.id)
    )


def park_bike(*, bike_id):
    """Park the returned bike at the station: a bike enough riders reported as faulty stays parked, out
    of service, until an operator clears it (`Bike.status_when_parked`). RETURNING its status."""
    return (
        update(bikes)
        .where(bikes.c.id == bike_id)
        .values(status=Bike.status_when_parked, station_id=STATION_ID, last_moved_at=NOW)
        .returning(bikes.c.status)
    )


def close_rental(*, rental_id, duration_seconds, overtime_won):
    """Close the rental at the station with its duration and overtime (SQL expressions: `closing_fare`'s
    or parameters)."""
    return (
        update(rentals)
        .where(rentals.c.id == rental_id)
        .values(
            returned_at=NOW,
            end_station_id=STATION_ID,
            duration_seconds=duration_seconds,
            overtime_won=overtime_won,
        )
    )


def closing_fare(*, started_at, ride_minutes) -> tuple:
    """(duration_seconds, overtime_won) of a ride from `started_at` to `now`, as SQL expressions built by
    the fare rules themselves (`fares.ride_seconds`, `fares.overtime`): a return computes its fare in its
    own statement, with no read of the rental before it."""
    seconds = fares.ride_seconds(
        func.extract("epoch", NOW - started_at),
        greatest=func.greatest,
        floor=lambda elapsed: cast(func.floor(elapsed), Integer),
    )
    _over, _steps, won = fares.overtime(seconds, ride_minutes, greatest=func.greatest, least=func.least)
    return seconds, won


# The rider's rental (404 for anyone else's); locked, it is the first lock of a return in steps, as
# `_flag_overdue` locks it before the bike.
RENTAL = select(rentals).where(rentals.c.id == bindparam("rental"), rentals.c.user_id == bindparam("user"))
OWN_RENTAL, LOCKED_RENTAL = HotStatement(RENTAL), HotStatement(RENTAL.with_for_update())
# Why a station refused (the rare path): missing, closed, empty or full.
STATION = HotStatement(select(stations.c.active, stations.c.lat, stations.c.lon).where(stations.c.id == STATION_ID))
