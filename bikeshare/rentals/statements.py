"""The SQL of rent and return, built once: each call is one round trip that locks, checks and writes.

Lock order stays station, then bike. A station's counters move in one UPDATE that locks the row
first (the FOR UPDATE subquery) and returns the row as it was before, which the demand records
need; a bike is taken by an UPDATE whose subquery skips bikes another transaction holds.
"""

from sqlalchemy import bindparam, case, select, update

from bikeshare.demand.services import StationState
from bikeshare.rentals.models import Rental
from bikeshare.stations.models import Bike, BikeStatus, Station
from core.db import Database, HotStatement, UTCDateTime, database

_stations, _bikes, _rentals = Station.__table__, Bike.__table__, Rental.__table__
NOW = bindparam("now", type_=UTCDateTime())


def _move_stock(*, parked: int, available: int, condition):
    """Add to the station's counters if `condition` holds; RETURNING the station's state from before."""
    before = (
        select(*StationState.columns())
        .where(_stations.c.id == bindparam("station"))
        .with_for_update()
        .subquery("before")
    )
    return (
        _add_to_counters(parked=parked, available=available)
        .where(_stations.c.id == before.c.id, _stations.c.active.is_(True), condition)
        .returning(*(before.c[name] for name in StationState._fields))
    )


def _add_to_counters(*, parked: int, available: int):
    return update(_stations).values(
        bikes_parked=_stations.c.bikes_parked + parked,
        bikes_available=_stations.c.bikes_available + available,
        updated_at=NOW,
        # Clocks of two instances may disagree slightly: demand time never runs backwards.
        counted_at=case((_stations.c.counted_at > NOW, _stations.c.counted_at), else_=NOW),
    )


class StockMove:
    """Move a station's counters if `condition` holds: `first()` gives its state from before, or None.

    PostgreSQL does it in one statement. SQLite (development) cannot RETURN from the subquery that
    read the row before the change, so there the state is read first and the counters moved after.
    """

    def __init__(self, *, parked: int, available: int, condition):
        self._in_one = HotStatement(_move_stock(parked=parked, available=available, condition=condition))
        self._read = HotStatement(select(*StationState.columns()).where(_stations.c.id == bindparam("station")))
        self._move = HotStatement(
            _add_to_counters(parked=parked, available=available).where(
                _stations.c.id == bindparam("station"), _stations.c.active.is_(True), condition
            )
        )

    def first(self, params: dict):
        if database() == Database.POSTGRESQL:
            return self._in_one.first(params)
        before = self._read.first(params)
        return before if before is not None and self._move.rowcount(params) == 1 else None


# Rent: one bike fewer, if the station has one.
TAKE_FROM_STATION = StockMove(parked=-1, available=-1, condition=Station.has_bike)
# Return: one more bike, counted available; a bike that goes to maintenance is taken back off below.
PARK_AT_STATION = StockMove(parked=1, available=1, condition=Station.has_room)
NOT_AVAILABLE_AFTER_ALL = HotStatement(
    update(_stations)
    .where(_stations.c.id == bindparam("station"))
    .values(bikes_available=_stations.c.bikes_available - 1, updated_at=NOW)
)
# Why a station refused (the rare path): missing, closed, empty or full.
STATION = HotStatement(
    select(_stations.c.active, _stations.c.lat, _stations.c.lon).where(_stations.c.id == bindparam("station"))
)


def _take_bike(*, scanned: bool):
    candidate = _bikes.alias("candidate")
    pick = select(candidate.c.id).where(
        candidate.c.station_id == bindparam("station"), candidate.c.status == BikeStatus.AVAILABLE
    )
    if scanned:
        pick = pick.where(candidate.c.id == bindparam("bike"))
    # Skip bikes another transaction holds (an operator's maintenance call) instead of queueing behind it.
    pick = pick.limit(1).with_for_update(skip_locked=True).scalar_subquery()
    return HotStatement(
        update(_bikes)
        .where(_bikes.c.id == pick)
        .values(status=BikeStatus.RENTED, station_id=None, last_moved_at=NOW)
        .returning(_bikes.c.id)
    )


TAKE_ANY_BIKE = _take_bike(scanned=False)
TAKE_SCANNED_BIKE = _take_bike(scanned=True)
# A bike enough riders reported as faulty stays parked, out of service, until an operator clears it.
PARK_BIKE = HotStatement(
    update(_bikes)
    .where(_bikes.c.id == bindparam("bike"))
    .values(
        status=Bike.status_when_parked,
        station_id=bindparam("station"),
        last_moved_at=NOW,
    )
    .returning(_bikes.c.status)
)

OPEN_RENTAL = HotStatement(_rentals.insert().returning(_rentals.c.id))
LOCKED_RENTAL = HotStatement(
    select(_rentals)
    .where(_rentals.c.id == bindparam("rental"), _rentals.c.user_id == bindparam("user"))
    .with_for_update()
)
CLOSE_RENTAL = HotStatement(
    update(_rentals)
    .where(_rentals.c.id == bindparam("rental"))
    .values(
        returned_at=NOW,
        end_station_id=bindparam("station"),
        duration_seconds=bindparam("duration"),
        overtime_won=bindparam("overtime"),
    )
)
