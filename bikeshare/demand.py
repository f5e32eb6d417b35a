"""Demand records for rebalancing: per station and hour, rentals, returns and empty/full minutes.

Rates need exposure, not only counts: rentals per minute the station *had a bike*, returns per
minute it *had room*. So every change of a station's stock first books the time since the previous
change to the state the station was in (empty: no available bike; full: bikes parked >= docks),
split over the hours it covered, in one multi-row upsert. Call `record_station_change` with the
station locked and its counters not yet changed. Hours are UTC hour starts; the open interval
since `Station.counted_at` is booked at the station's next change.
"""

from datetime import datetime, timedelta

from sqlalchemy import Float, ForeignKey, Integer, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from bikeshare.models import Station
from core.db import UTCDateTime, db

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


def _rows(station: Station, now: datetime, rentals: int, returns: int) -> list[dict]:
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


def record_station_change(station: Station, *, now: datetime, rentals: int = 0, returns: int = 0) -> None:
    """Book the station's state since its last change, and count this rental or return, in one statement."""
    if now < station.counted_at:  # clocks of two instances may disagree slightly; never book negative time
        now = station.counted_at
    rows = _rows(station, now, rentals, returns)
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(StationHourStat).values(rows)
    table = StationHourStat.__table__
    statement = statement.on_conflict_do_update(
        index_elements=["station_id", "hour_start"],
        set_={
            name: table.c[name] + statement.excluded[name]
            for name in ("rentals", "returns", "empty_minutes", "full_minutes")
        },
    )
    db.session.execute(statement)
    station.counted_at = now


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
