"""Rent and return in one PostgreSQL statement each: data-modifying CTEs chained by RETURNING.

Every part of a statement sees the same snapshot, so a part that needs an earlier part's result
reads that part's RETURNING; reading it also orders the parts, which keeps the lock order: a
return's rental first, then the station, then the bike. A part that finds nothing passes nothing on,
so a statement that refuses has changed nothing: it is a whole unit of work, committed alone
(`own_transaction`) unless more work joins it (a pass bought with the rental, points credited at the
return). The service then looks for the reason (the rare path); the open-rental unique indexes still
have the last word (an IntegrityError for the whole statement).
"""

from sqlalchemy import and_, bindparam, case, literal, select, true

from bikeshare.demand import services as demand
from bikeshare.incentives.ledger import MILEAGE_AT_RETURN, loop_window_start, mileage_at_return
from bikeshare.passes import services as passes
from bikeshare.passes.models import Charge, ChargeReason
from bikeshare.rentals.statements import (
    NOW,
    STATION_ID,
    add_to_counters,
    bikes,
    close_rental,
    closing_fare,
    locked_station,
    move_stock,
    park_bike,
    rentals,
    stations,
    take_bike,
)
from bikeshare.stations.models import Bike, BikeStatus, Station
from core.db import HotStatement

_passes, _charges = passes.Pass.__table__, Charge.__table__


def _exists(cte):
    return select(cte.c.id).exists()


def _rent(*, scanned: bool, bought: bool) -> HotStatement:
    """RETURNING the new rental's row; no row, and nothing changed, if there is no pass, station, or bike
    to take.

    Each part moves only once the part before it did: the station is locked (if open, with a bike, and
    the rider has a pass), then the bike taken from it, then its counters moved, then the rental opened
    from the bike, the pass and the moved counters. So the statement is its own unit of work: the
    counters never move without the rental row, and no rollback is needed to undo them.
    """
    if bought:  # the day pass bought with this rental, added to the transaction just before
        ride_pass = select(_passes.c.id, _passes.c.kind, _passes.c.ride_minutes).where(
            _passes.c.id == bindparam("pass")
        )
    else:
        ride_pass = passes.usable_pass_query(user_id=bindparam("user"), now=NOW)
    ride_pass = ride_pass.cte("ride_pass")
    station = locked_station(condition=Station.has_bike & _exists(ride_pass)).cte("station")
    bike = take_bike(station_id=select(station.c.id).scalar_subquery(), scanned=scanned).cte("bike")
    moved = (
        add_to_counters(parked=-1, available=-1)
        .where(stations.c.id == STATION_ID, _exists(bike))
        .returning(stations.c.id)
        .cte("moved")
    )
    opening = {
        "user_id": bindparam("user"),
        "bike_id": bike.c.id,
        "pass_id": ride_pass.c.id,
        "pass_kind": ride_pass.c.kind,
        "ride_minutes": ride_pass.c.ride_minutes,
        "start_station_id": moved.c.id,
        "started_at": NOW,
        "overtime_won": literal(0),
    }
    opened = (
        rentals.insert()
        .from_select(
            list(opening),
            select(*opening.values()).select_from(bike.join(ride_pass, true()).join(moved, true())),
        )
        .returning(*rentals.c)
        .cte("opened")
    )
    started = passes.start_unstarted(pass_id=select(opened.c.pass_id).scalar_subquery()).cte("started")
    before = select(station).where(_exists(opened)).subquery("counted")
    booked = demand.booking(before, now=NOW, rentals=1).cte("booked")
    return HotStatement(select(opened).add_cte(started, booked))


_RENT = {
    (scanned, bought): _rent(scanned=scanned, bought=bought) for scanned in (True, False) for bought in (True, False)
}


def rent(*, user_id: int, station_id: int, bike_id: str | None, bought, now) -> dict | None:
    """Open the rental: the rider's usable pass (or `bought`), one bike fewer at the station, the bike
    rented, the pass started, the demand booked. The rental's row, or None (nothing was changed then).

    Without a pass bought in this request the statement is the whole unit of work: it commits alone unless
    the request already began a transaction (a day pass asked for, every kept connection busy), which it joins.
    """
    params = {"user": user_id, "station": station_id, **passes.unstarted_window(now)}
    if bike_id is not None:
        params["bike"] = bike_id
    if bought is not None:
        params["pass"] = bought.id
    row = _RENT[bike_id is not None, bought is not None].first(params, own_transaction=True)
    return None if row is None else row._asdict()


def _return(*, alone: bool) -> HotStatement:
    """RETURNING the closed rental's row (NULLs if it was not closed) and what the ledger needs
    (`mileage_at_return`: the offers live at either end, return points just before the ride); no row if the
    rental is not the rider's.

    Nothing is changed unless the rental is closed: the rider's open one, at a station with room (and,
    `alone`, with none of what the ledger needs, whose points `ledger.earn_at_return` would credit or take
    back after the statement: only then is the statement the whole unit of work).

    The rental is locked first, as overdue flagging locks it before the bike: the station's update reads
    it in a one-time condition, evaluated before the station's row is fetched. The fare is computed from
    the locked row (`closing_fare`). The station's available count depends on the bike's parking status,
    read under the bike's lock taken after the station's (a fault report cannot slip between the count
    and the bike's new status).
    """
    # Found by its key alone (an "open" condition here made the planner scan the open-rentals index);
    # whether it is still open is read from the locked row, as a concurrent return may have closed it.
    ride = (
        select(rentals.c.id, rentals.c.bike_id, rentals.c.returned_at, rentals.c.start_station_id, rentals.c.started_at)
        .where(rentals.c.id == bindparam("rental"), rentals.c.user_id == bindparam("user"))
        .with_for_update()
        .cte("ride")
    )
    mileage = mileage_at_return(
        user=bindparam("user"),
        start_station=ride.c.start_station_id,
        started_at=ride.c.started_at,
        loop_since=loop_window_start(ride.c.started_at),
        end_station=STATION_ID,
        now=NOW,
    )
    offered = select(ride.c.id, ride.c.returned_at, *mileage).cte("offered")
    mileage = [offered.c[column.name] for column in mileage]
    closable = offered.c.returned_at.is_(None)
    if alone:
        closable &= and_(*(column.is_(None) for column in mileage))
    still_open = select(offered.c.id).where(closable).exists()
    bike_id = select(ride.c.bike_id).scalar_subquery()
    parked_as = select(Bike.status_when_parked).where(Bike.id == bike_id).with_for_update().scalar_subquery()
    available = case((parked_as == BikeStatus.AVAILABLE, 1), else_=0)
    station = move_stock(parked=1, available=available, condition=Station.has_room & still_open).cte("station")
    parked = park_bike(bike_id=bike_id).where(_exists(station)).returning(bikes.c.id).cte("parked")
    duration_seconds, overtime_won = closing_fare(started_at=rentals.c.started_at, ride_minutes=rentals.c.ride_minutes)
    closed = (
        close_rental(
            rental_id=select(ride.c.id).scalar_subquery(), duration_seconds=duration_seconds, overtime_won=overtime_won
        )
        .where(_exists(parked))
        .returning(*rentals.c)
        .cte("closed")
    )
    charging = {
        "user_id": bindparam("user"),
        "amount_won": closed.c.overtime_won,
        "reason": literal(ChargeReason.OVERTIME.value),
        "rental_id": closed.c.id,
        "created_at": NOW,
    }
    charged = (
        _charges.insert()
        .from_select(list(charging), select(*charging.values()).where(closed.c.overtime_won > 0))
        .cte("charged")
    )
    before = select(station).where(_exists(closed)).subquery("counted")
    booked = demand.booking(before, now=NOW, returns=1).cte("booked")
    answer = select(closed, *mileage).select_from(offered.outerjoin(closed, true()))
    return HotStatement(answer.add_cte(charged, booked))


_RETURN_ALONE, _RETURN = _return(alone=True), _return(alone=False)


def park(*, user_id: int, rental_id: int, station_id: int, now) -> tuple[dict, tuple] | None:
    """Close the rider's open rental at the station: one bike more there, the bike parked, the rental
    closed with its fare, its overtime charged, the demand booked. The closed rental's row and what the
    ledger needs (`MILEAGE_AT_RETURN`), or None if the rental is not the rider's open one or the station
    refused (nothing was changed then).

    A return the ledger has nothing to do for commits alone; any other is run again in the session's
    transaction, which the points credited (or taken back) after it join.
    """
    params = {"user": user_id, "rental": rental_id, "station": station_id, "now": now}
    row = _RETURN_ALONE.first(params, own_transaction=True)
    if row is not None and row.id is None and any(getattr(row, name) is not None for name in MILEAGE_AT_RETURN):
        row = _RETURN.first(params)
    if row is None or row.id is None:
        return None
    closed = row._asdict()
    return closed, tuple(closed.pop(name) for name in MILEAGE_AT_RETURN)
