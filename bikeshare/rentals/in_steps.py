"""Rent and return as a few statements each, for SQLite (`make run`): the same parts as `in_one`, run
one after another in the session's transaction (SQLite's UPDATE cannot RETURN the row as it was
before, nor chain data-modifying parts). The answers are `in_one`'s.
"""

from sqlalchemy import bindparam, select, update

from bikeshare.demand import services as demand
from bikeshare.incentives.ledger import loop_window_start, mileage_at_return
from bikeshare.passes import services as passes
from bikeshare.passes.fares import fare
from bikeshare.passes.models import Charge, ChargeReason
from bikeshare.rentals.statements import (
    LOCKED_RENTAL,
    NOW,
    STATION_ID,
    add_to_counters,
    close_rental,
    park_bike,
    rentals,
    stations,
    take_bike,
)
from bikeshare.stations.models import BikeStatus, Station
from core.db import HotStatement, UTCDateTime, db


def _move(*, parked: int, available: int, condition) -> HotStatement:
    return HotStatement(
        add_to_counters(parked=parked, available=available).where(
            stations.c.id == STATION_ID, stations.c.active.is_(True), condition
        )
    )


_BEFORE = HotStatement(select(*demand.StationState.columns()).where(stations.c.id == STATION_ID))
_TAKE_FROM_STATION = _move(parked=-1, available=-1, condition=Station.has_bike)
# A return counts the bike available; one that goes to maintenance is taken back off after parking it.
_PARK_AT_STATION = _move(parked=1, available=1, condition=Station.has_room)
_NOT_AVAILABLE_AFTER_ALL = HotStatement(
    update(stations)
    .where(stations.c.id == STATION_ID)
    .values(bikes_available=stations.c.bikes_available - 1, updated_at=NOW)
)
_TAKE_BIKE = {scanned: HotStatement(take_bike(station_id=STATION_ID, scanned=scanned)) for scanned in (False, True)}
_OPEN_RENTAL = HotStatement(rentals.insert().returning(*rentals.c))
_PARK_BIKE = HotStatement(park_bike(bike_id=bindparam("bike")))
_CLOSE_RENTAL = HotStatement(
    close_rental(
        rental_id=bindparam("rental"), duration_seconds=bindparam("duration"), overtime_won=bindparam("overtime")
    )
)
_MILEAGE_AT_RETURN = HotStatement(
    select(
        *mileage_at_return(
            user=bindparam("user"),
            start_station=bindparam("start_station"),
            started_at=bindparam("started_at", type_=UTCDateTime()),
            loop_since=bindparam("loop_since", type_=UTCDateTime()),
            end_station=STATION_ID,
            now=NOW,
        )
    )
)


def _station_before(move: HotStatement, params: dict):
    """The station's state before `move`, if it moved (else None)."""
    before = _BEFORE.first(params)
    return before if before is not None and move.rowcount(params) == 1 else None


def rent(*, user_id: int, station_id: int, bike_id: str | None, bought, now) -> dict | None:
    """`in_one.rent` in steps."""
    ride_pass = bought or passes.usable_pass(user_id=user_id, now=now)
    if ride_pass is None:
        return None
    station = _station_before(_TAKE_FROM_STATION, {"station": station_id, "now": now})
    if station is None:
        return None
    taken = _TAKE_BIKE[bike_id is not None].scalar({"station": station_id, "bike": bike_id, "now": now})
    if taken is None:
        return None
    rental = _OPEN_RENTAL.first(
        {
            "user_id": user_id,
            "bike_id": taken,
            "pass_id": ride_pass.id,
            "pass_kind": ride_pass.kind,
            "ride_minutes": ride_pass.ride_minutes,
            "start_station_id": station_id,
            "started_at": now,
            "overtime_won": 0,
        }
    )
    passes.start_if_unstarted(ride_pass, now=now)
    demand.record_change(demand.StationState(*station), now=now, rentals=1)
    return rental._asdict()


def park(*, user_id: int, rental_id: int, station_id: int, now):
    """`in_one.park` in steps: the rental is read (and locked) first for its fare."""
    rental = LOCKED_RENTAL.first({"rental": rental_id, "user": user_id})
    if rental is None or rental.returned_at is not None:
        return None
    ride = fare(duration=now - rental.started_at, ride_minutes=rental.ride_minutes)
    params = {"station": station_id, "now": now}
    station = _station_before(_PARK_AT_STATION, params)
    if station is None:
        return None
    if _PARK_BIKE.scalar({**params, "bike": rental.bike_id}) != BikeStatus.AVAILABLE:
        _NOT_AVAILABLE_AFTER_ALL.rowcount(params)
    _CLOSE_RENTAL.rowcount(
        {**params, "rental": rental.id, "duration": ride.duration_seconds, "overtime": ride.overtime_won}
    )
    if ride.overtime_won:
        db.session.add(
            Charge(user_id=user_id, amount_won=ride.overtime_won, reason=ChargeReason.OVERTIME, rental_id=rental.id)
        )
    demand.record_change(demand.StationState(*station), now=now, returns=1)
    mileage = _MILEAGE_AT_RETURN.first(
        {
            **params,
            "user": user_id,
            "start_station": rental.start_station_id,
            "started_at": rental.started_at,
            "loop_since": loop_window_start(rental.started_at),
        }
    )
    closed = {
        **rental._asdict(),
        "returned_at": now,
        "end_station_id": station_id,
        "duration_seconds": ride.duration_seconds,
        "overtime_won": ride.overtime_won,
    }
    return closed, tuple(mileage)
