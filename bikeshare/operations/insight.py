"""Read-only views for operators: a station's demand rates, underused bikes and stations."""

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select

from bikeshare.demand.models import StationHourStat
from bikeshare.operations.network import DAY_TYPES, history_window, load_network, load_rates, recorded_day_count
from bikeshare.stations.models import Bike, Station
from core.db import db, utcnow
from core.errors import NotFound


def station_rates(
    *, station_id: int, day_type: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> dict:
    """Per-hour rental and return rates of a station, corrected for time empty or full."""
    network, _ = load_network()
    positions = np.flatnonzero(network.station_ids == station_id)
    if positions.size == 0:
        raise NotFound(f"There is no active station {station_id}.", slug="station-not-found")
    rates, history, window = load_rates(network=network, since=since, until=until)
    at = int(positions[0])
    hours = [
        {
            "day_type": name,
            "hour": hour,
            "rentals": int(history.rentals[at, kind, hour]),
            "returns": int(history.returns[at, kind, hour]),
            "minutes_with_bike": float(history.minutes_with_bike[at, kind, hour]),
            "minutes_with_room": float(history.minutes_with_room[at, kind, hour]),
            "rent_per_h": float(rates.rent_per_h[at, kind, hour]),
            "return_per_h": float(rates.return_per_h[at, kind, hour]),
        }
        for name, kind in DAY_TYPES.items()
        if day_type in (None, name)
        for hour in range(24)
    ]
    return {
        "station_id": station_id,
        "since": window.since,
        "until": window.until,
        "observed_hours": window.observed_hours,
        "hours": hours,
    }


def underused_bikes(*, idle_days: int, limit: int, now: datetime | None = None) -> list[dict]:
    """Parked bikes that have not moved for `idle_days`, longest idle first."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Bike.id, Bike.station_id, Bike.status, Bike.last_moved_at, Station.district)
        .join(Station, Station.id == Bike.station_id)
        .where(Bike.is_parked, Bike.last_moved_at < now - timedelta(days=idle_days))
        .order_by(Bike.last_moved_at, Bike.id)
        .limit(limit)
    ).all()
    return [
        {
            "bike_id": bike_id,
            "station_id": station_id,
            "district": district,
            "status": status,
            "last_moved_at": moved,
            "idle_days": (now - moved).total_seconds() / 86400,
        }
        for bike_id, station_id, status, moved, district in rows
    ]


def underused_stations(
    *, limit: int, max_turnover: float | None = None, since: datetime | None = None, until: datetime | None = None
) -> dict:
    """Stations with the fewest rentals and returns per dock per recorded day over the demand window."""
    since, until = history_window(since=since, until=until)
    days = max(recorded_day_count(since=since, until=until), 1)
    activity = (
        select(
            StationHourStat.station_id,
            func.sum(StationHourStat.rentals).label("rentals"),
            func.sum(StationHourStat.returns).label("returns"),
        )
        .where(StationHourStat.hour_start >= since, StationHourStat.hour_start < until)
        .group_by(StationHourStat.station_id)
        .subquery()
    )
    rentals, returns = func.coalesce(activity.c.rentals, 0), func.coalesce(activity.c.returns, 0)
    turnover = (rentals + returns) * 1.0 / func.coalesce(func.nullif(Station.docks, 0), 1) / days
    query = (
        select(Station.id, Station.district, Station.docks, Station.bikes_parked, rentals, returns, turnover)
        .outerjoin(activity, activity.c.station_id == Station.id)
        .where(Station.active)
    )
    if max_turnover is not None:
        query = query.where(turnover <= max_turnover)
    rows = db.session.execute(query.order_by(turnover, Station.bikes_parked.desc(), Station.id).limit(limit)).all()
    stations = [
        {
            "station_id": station_id,
            "district": district,
            "docks": docks,
            "bikes_parked": parked,
            "rentals": int(rent),
            "returns": int(back),
            "turnover_per_dock_day": float(rate),
        }
        for station_id, district, docks, parked, rent, back, rate in rows
    ]
    return {"since": since, "until": until, "stations": stations}
