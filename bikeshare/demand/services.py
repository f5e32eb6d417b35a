"""Demand records for rebalancing: per station and hour, rentals, returns and empty/full minutes.

Rates need exposure, not only counts: rentals per minute the station *had a bike*, returns per
minute it *had room*. So every change of a station's stock first books the time since the previous
change to the state the station was in (empty: `Station.has_bike` false; full: no `docks_available`),
split over the hours it covered, in one upsert (built once; one parameter set per hour). Call
`record_station_change` (or `record_change` on the hot path) with the station locked and its
counters as they were before the change. Hours are UTC hour starts; the open interval
since `Station.counted_at` is booked at the station's next change.
"""

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Float, case, cast, func, not_, select, true

from bikeshare.demand.models import StationHourStat
from bikeshare.stations.models import Station
from bikeshare.stations.services import existing_station
from core.db import Database, HotStatement, database, db, insert_on_conflict, utcnow

HOUR = timedelta(hours=1)
# A station idle for longer than this gets only its last week booked (bounds the upsert's size).
MAX_BOOKED = timedelta(days=7)


def _hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class StationState(NamedTuple):
    """What the demand records need of a station, as it was before this change."""

    id: int
    has_bike: bool
    docks_available: int
    counted_at: datetime

    @classmethod
    def of(cls, station: Station) -> "StationState":
        return cls(*(getattr(station, name) for name in cls._fields))

    @classmethod
    def columns(cls) -> list:
        """The same as labelled SQL expressions over the stations table (a hot statement RETURNs them)."""
        return [getattr(Station, name).label(name) for name in cls._fields]


def _rows(station: StationState, now: datetime, rentals: int, returns: int) -> list[dict]:
    empty = not station.has_bike
    full = station.docks_available == 0
    rows = {}
    start = max(station.counted_at, now - MAX_BOOKED)
    if empty or full:
        cursor = start
        while cursor < now:
            hour = _hour_start(cursor)
            end = min(hour + HOUR, now)
            minutes = (end - cursor).total_seconds() / 60
            rows[hour] = {"empty_minutes": minutes if empty else 0.0, "full_minutes": minutes if full else 0.0}
            cursor = end
    current = rows.setdefault(_hour_start(now), {"empty_minutes": 0.0, "full_minutes": 0.0})
    current.update(rentals=rentals, returns=returns)
    return [
        {"station_id": station.id, "hour_start": hour, "rentals": 0, "returns": 0, **values}
        for hour, values in rows.items()
    ]


def _upsert(on: Database):
    """One row's upsert, built once per database: a change books one or a few rows as its parameters."""
    return _adding_up(insert_on_conflict(StationHourStat.__table__, on=on))


def _adding_up(statement):
    """An hour already booked adds the new counts and minutes to its own."""
    table = StationHourStat.__table__
    return statement.on_conflict_do_update(
        index_elements=["station_id", "hour_start"],
        set_={
            name: table.c[name] + statement.excluded[name]
            for name in ("rentals", "returns", "empty_minutes", "full_minutes")
        },
    )


_UPSERTS = {on: HotStatement(_upsert(on)) for on in Database}


def record_change(station: StationState, *, now: datetime, rentals: int = 0, returns: int = 0) -> None:
    """Book `station`'s state since its last change and count this rental or return.

    The caller holds the station's lock and sets its `counted_at` to `max(counted_at, now)` (clocks
    of two instances may disagree slightly; time is never booked negative).
    """
    upsert = _UPSERTS[database()]
    for row in _rows(station, max(now, station.counted_at), rentals, returns):
        upsert.rowcount(row)


def booking(before, *, now, rentals: int = 0, returns: int = 0):
    """`record_change` as one INSERT ... SELECT (PostgreSQL), for a hot statement that moves the station.

    `before` is a selectable with StationState's columns (a data-modifying CTE's RETURNING), `now` a SQL
    expression. The same rows as `_rows`: the interval since `counted_at` (at most MAX_BOOKED) split over
    the clock hours it touched when the station was empty or full, and this hour's count always.
    """
    at = func.greatest(now, before.c.counted_at)
    # Each moment is computed once and read by name below.
    span = select(
        before.c.id,
        not_(before.c.has_bike).label("empty"),
        (before.c.docks_available == 0).label("full"),
        at.label("at"),
        func.greatest(before.c.counted_at, at - MAX_BOOKED).label("start"),
    ).subquery("span")
    this_hour = func.date_trunc("hour", span.c.at)
    first_hour = case((span.c.empty | span.c.full, func.date_trunc("hour", span.c.start)), else_=this_hour)
    series = func.generate_series(first_hour, this_hour, HOUR)
    hours = series.table_valued("hour_start").render_derived(name="hours").lateral()
    hour = hours.c.hour_start
    minutes = cast(func.extract("epoch", func.least(hour + HOUR, span.c.at) - func.greatest(hour, span.c.start)), Float)
    booked = (
        select(
            span.c.id,
            span.c.empty,
            span.c.full,
            hour.label("hour_start"),
            (hour == this_hour).label("current"),
            (minutes / 60).label("minutes"),
        )
        .select_from(span.join(hours, true()))
        .subquery("booked")
    )
    rows = select(
        booked.c.id,
        booked.c.hour_start,
        case((booked.c.current, rentals), else_=0),
        case((booked.c.current, returns), else_=0),
        case((booked.c.empty, booked.c.minutes), else_=0.0),
        case((booked.c.full, booked.c.minutes), else_=0.0),
    )
    columns = ["station_id", "hour_start", "rentals", "returns", "empty_minutes", "full_minutes"]
    return _adding_up(insert_on_conflict(StationHourStat.__table__, on=Database.POSTGRESQL).from_select(columns, rows))


def record_station_change(station: Station, *, now: datetime, rentals: int = 0, returns: int = 0) -> None:
    """`record_change` for a locked Station object, whose `counted_at` it moves on."""
    record_change(StationState.of(station), now=now, rentals=rentals, returns=returns)
    station.counted_at = max(now, station.counted_at)


def _unbooked_rows(*, until: datetime, station_id: int | None = None) -> list[dict]:
    """The records each station empty or full now would book for its stretch since its last change, up to
    `until` (at most now). That time is booked only at the station's next change; until then exposure would
    count it as minutes with a bike and with room."""
    stuck = select(*StationState.columns()).where(
        not_(Station.has_bike) | (Station.docks_available == 0), Station.counted_at < until
    )
    if station_id is not None:
        stuck = stuck.where(Station.id == station_id)
    return [row for station in db.session.execute(stuck) for row in _rows(StationState(*station), until, 0, 0)]


def unbooked_minutes(*, since: datetime, until: datetime, hours: set[datetime]) -> list[tuple]:
    """`_unbooked_rows` as records `(station_id, hour_start, rentals, returns, empty_minutes, full_minutes)`
    in the given observed `hours` within [since, until)."""
    columns = ("station_id", "hour_start", "rentals", "returns", "empty_minutes", "full_minutes")
    return [
        tuple(row[name] for name in columns)
        for row in _unbooked_rows(until=until)
        if since <= row["hour_start"] < until and row["hour_start"] in hours
    ]


def hourly(*, station_id: int, since: datetime, until: datetime) -> list[dict]:
    """A station's hourly records with `since <= hour_start < until`, oldest first, with the empty or full
    stretch under way counted in (an operator looking at an empty station wants to see how long it has been);
    404 for a station that does not exist (an empty list would read as a quiet station)."""
    existing_station(station_id=station_id)
    counted = ("rentals", "returns", "empty_minutes", "full_minutes")
    hours = {
        record.hour_start: {"hour_start": record.hour_start, **{name: getattr(record, name) for name in counted}}
        for record in db.session.scalars(
            select(StationHourStat).where(
                StationHourStat.station_id == station_id,
                StationHourStat.hour_start >= since,
                StationHourStat.hour_start < until,
            )
        )
    }
    for row in _unbooked_rows(until=min(until, utcnow()), station_id=station_id):
        if since <= row["hour_start"] < until:
            hour = hours.setdefault(row["hour_start"], {"hour_start": row["hour_start"], **dict.fromkeys(counted, 0)})
            for name in ("empty_minutes", "full_minutes"):
                hour[name] += row[name]
    return [hours[hour] for hour in sorted(hours)]
