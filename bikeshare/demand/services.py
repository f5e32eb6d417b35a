"""Demand records for rebalancing: per station and hour, rentals, returns and empty/full minutes.

Rates need exposure, not only counts: rentals per minute the station *had a bike*, returns per
minute it *had room*. So every change of a station's stock first books the time since the previous
change to the state the station was in (empty: no available bike; full: bikes parked >= docks),
split over the hours it covered, in one upsert (built once; one parameter set per hour). Call
`record_station_change` (or `record_change` on the hot path) with the station locked and its
counters as they were before the change. Hours are UTC hour starts; the open interval
since `Station.counted_at` is booked at the station's next change.
"""

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Float, ForeignKey, Integer, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from bikeshare.stations.models import Station
from core.db import HotStatement, UTCDateTime, db

HOUR = timedelta(hours=1)
# A station idle for longer than this gets only its last week booked (bounds the upsert's size).
MAX_BOOKED = timedelta(days=7)


class StationHourStat(db.Model):
    __tablename__ = "station_hour_stats"

    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    hour_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    rentals: Mapped[int] = mapped_column(Integer, default=0)
    returns: Mapped[int] = mapped_column(Integer, default=0)
    empty_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    full_minutes: Mapped[float] = mapped_column(Float, default=0.0)


def _hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class StationState(NamedTuple):
    """What the demand records need of a station, as it was before this change."""

    id: int
    bikes_available: int
    bikes_parked: int
    docks: int
    counted_at: datetime


def _rows(station: StationState, now: datetime, rentals: int, returns: int) -> list[dict]:
    empty = station.bikes_available == 0
    full = station.bikes_parked >= station.docks
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


def _upsert(dialect):
    """One row's upsert, built once per dialect: a change books one or a few rows as its parameters."""
    table = StationHourStat.__table__
    statement = dialect.insert(table)
    return statement.on_conflict_do_update(
        index_elements=["station_id", "hour_start"],
        set_={
            name: table.c[name] + statement.excluded[name]
            for name in ("rentals", "returns", "empty_minutes", "full_minutes")
        },
    )


_UPSERTS = {"postgresql": HotStatement(_upsert(postgresql)), "sqlite": HotStatement(_upsert(sqlite))}


def record_change(station: StationState, *, now: datetime, rentals: int = 0, returns: int = 0) -> None:
    """Book `station`'s state since its last change and count this rental or return.

    The caller holds the station's lock and sets its `counted_at` to `max(counted_at, now)` (clocks
    of two instances may disagree slightly; time is never booked negative).
    """
    upsert = _UPSERTS[db.session.get_bind().dialect.name]
    for row in _rows(station, max(now, station.counted_at), rentals, returns):
        upsert.rowcount(row)


def record_station_change(station: Station, *, now: datetime, rentals: int = 0, returns: int = 0) -> None:
    """`record_change` for a locked Station object, whose `counted_at` it moves on."""
    state = StationState(station.id, station.bikes_available, station.bikes_parked, station.docks, station.counted_at)
    record_change(state, now=now, rentals=rentals, returns=returns)
    station.counted_at = max(now, station.counted_at)


def hourly(*, station_id: int, since: datetime, until: datetime) -> list[StationHourStat]:
    """A station's hourly records with `since <= hour_start < until`, oldest first."""
    return list(
        db.session.scalars(
            select(StationHourStat)
            .where(
                StationHourStat.station_id == station_id,
                StationHourStat.hour_start >= since,
                StationHourStat.hour_start < until,
            )
            .order_by(StationHourStat.hour_start)
        )
    )
