"""Read-only views for operators: a station's demand rates, underused bikes and stations, and bikes that
go unused or vanish (idle, likely broken, missing, stranded at a closed station) with what to do."""

from datetime import date, datetime, timedelta
from enum import StrEnum

import numpy as np
from sqlalchemy import case, func, select, union_all

from bikeshare.demand.models import StationHourStat
from bikeshare.operations.models import Trip
from bikeshare.operations.network import DAY_TYPES, history_window, load_network, load_rates, recorded_day_count
from bikeshare.rentals.models import Rental
from bikeshare.stations.models import Bike, BikeStatus, Station
from core.db import db, utcnow
from core.errors import NotFound
from core.problems import Message
from core.timezones import SEOUL


def station_rates(
    *, station_id: int, day_type: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> dict:
    """Per-hour rental and return rates of a station, corrected for time empty or full."""
    network, _ = load_network()
    positions = np.flatnonzero(network.station_ids == station_id)
    if positions.size == 0:
        raise NotFound(Message("stations.not_active", station=station_id), slug="station-not-found")
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
    """Parked bikes that have not moved for `idle_days`, longest idle first (relocation candidates)."""
    now = now or utcnow()
    idle = Bike.is_parked & (Bike.last_moved_at < now - timedelta(days=idle_days))
    return _bikes(idle, action=Action.RELOCATE, limit=limit, now=now)


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


class Action(StrEnum):
    """What staff should do about a bike or station that goes unused or vanishes."""

    RELOCATE = "relocate"  # idle where it stands: move it (or the station's surplus) to where riders are
    INSPECT = "inspect"  # riders take it and give up at once: probably broken
    SEARCH = "search"  # out past the missing threshold, or flagged missing
    COLLECT = "collect"  # parked at a station that is no longer in service


def _recent_rides(*, rides: int):
    """The last `rides` completed rides of every fleet bike, live rentals and imported trips alike."""
    rentals = select(
        Rental.bike_id.label("bike_id"),
        Rental.started_at.label("started_at"),
        Rental.start_station_id.label("start_station_id"),
        Rental.end_station_id.label("end_station_id"),
        Rental.duration_seconds.label("seconds"),
    ).where(Rental.returned_at.is_not(None))
    # Imported records name bikes by number; only those of today's fleet matter here.
    trips = select(
        Trip.bike_code, Trip.rented_at, Trip.rent_station_id, Trip.return_station_id, Trip.duration_min * 60
    ).where(Trip.bike_code.in_(select(Bike.id)))
    ride = union_all(rentals, trips).subquery()
    newest_first = func.row_number().over(partition_by=ride.c.bike_id, order_by=ride.c.started_at.desc())
    ranked = select(ride, newest_first.label("rank")).subquery()
    return select(ranked).where(ranked.c.rank <= rides)


def bikes_needing_attention(
    *, idle_days: int, short_ride_s: int = 120, short_rides: int = 2, limit: int = 200, now: datetime | None = None
) -> dict:
    """Bikes that go unused or vanish, each with a suggested action, and their counts per district.

    Idle: parked, unmoved for `idle_days` (relocate). Likely broken: the last `short_rides` rides all came
    back to the station they left within `short_ride_s` seconds, a rider giving up on it (inspect). Missing:
    flagged missing, or out past the missing threshold and not yet flagged (search). Stranded: parked at a
    station no longer in service (collect).
    """
    now = now or utcnow()
    bikes: dict[str, list[dict]] = {}
    bikes["stranded"] = _bikes(Bike.is_parked & Station.active.is_(False), action=Action.COLLECT, limit=limit, now=now)
    bikes["idle"] = underused_bikes(idle_days=idle_days, limit=limit, now=now)
    overdue = select(Rental.bike_id).where(Rental.is_overdue(now))
    bikes["missing"] = _bikes(
        (Bike.status == BikeStatus.MISSING) | ((Bike.status == BikeStatus.RENTED) & Bike.id.in_(overdue)),
        action=Action.SEARCH,
        limit=limit,
        now=now,
    )
    bikes["likely_broken"] = _likely_broken(short_ride_s=short_ride_s, short_rides=short_rides, limit=limit, now=now)
    districts: dict[str, dict] = {}
    for kind, found in bikes.items():
        for bike in found:
            counts = districts.setdefault(bike["district"] or "", dict.fromkeys(bikes, 0))
            counts[kind] += 1
    return {
        **bikes,
        "districts": [{"district": name, **counts} for name, counts in sorted(districts.items())],
    }


def _bikes(condition, *, action: Action, limit: int, now: datetime) -> list[dict]:
    """Bikes matching `condition` with where they were last seen, longest unmoved first."""
    last_station = func.coalesce(Bike.station_id, _last_station())
    rows = db.session.execute(
        select(Bike.id, last_station, Station.district, Bike.status, Bike.last_moved_at)
        .outerjoin(Station, Station.id == last_station)
        .where(condition)
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
            "suggested_action": action,
        }
        for bike_id, station_id, district, status, moved in rows
    ]


def _last_station():
    """The station a bike out on a ride was last rented from."""
    return (
        select(Rental.start_station_id)
        .where(Rental.bike_id == Bike.id)
        .order_by(Rental.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def _likely_broken(*, short_ride_s: int, short_rides: int, limit: int, now: datetime) -> list[dict]:
    rides = _recent_rides(rides=short_rides).subquery()
    given_up = (rides.c.start_station_id == rides.c.end_station_id) & (rides.c.seconds <= short_ride_s)
    suspects = (
        select(rides.c.bike_id)
        .group_by(rides.c.bike_id)
        .having(func.count() == short_rides, func.sum(case((given_up, 1), else_=0)) == short_rides)
    )
    return _bikes(Bike.is_parked & Bike.id.in_(suspects), action=Action.INSPECT, limit=limit, now=now)


def idle_stations(
    *,
    max_use: float = 0.1,
    limit: int = 100,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict:
    """Stations whose bikes sit idle: rentals per bike-day over the demand window (today's parked bikes as
    the bike count), the same per Seoul week with records as a trend, and per week the stations at or
    under `max_use` in each district. A week's days are its days with records, as in the window."""
    since, until = history_window(since=since, until=until)
    rows = db.session.execute(
        select(StationHourStat.station_id, StationHourStat.hour_start, StationHourStat.rentals).where(
            StationHourStat.hour_start >= since, StationHourStat.hour_start < until
        )
    ).all()
    days_by_week: dict[date, set] = {}
    rentals: dict[tuple[int, date], int] = {}
    for station_id, hour_start, count in rows:
        day = hour_start.astimezone(SEOUL).date()
        week = day - timedelta(days=day.weekday())
        days_by_week.setdefault(week, set()).add(day)
        rentals[station_id, week] = rentals.get((station_id, week), 0) + count
    weeks = sorted(days_by_week)
    stations = db.session.execute(
        select(Station.id, Station.district, Station.bikes_parked).where(Station.active, Station.bikes_parked > 0)
    ).all()
    found, per_district = [], {week: {} for week in weeks}
    total_days = sum(len(days) for days in days_by_week.values())
    for station_id, district, bikes in stations:
        weekly = [rentals.get((station_id, week), 0) / bikes / len(days_by_week[week]) for week in weeks]
        use = sum(rentals.get((station_id, week), 0) for week in weeks) / bikes / max(total_days, 1)
        for week, value in zip(weeks, weekly, strict=True):
            if value <= max_use:
                per_district[week][district] = per_district[week].get(district, 0) + 1
        if use <= max_use:
            found.append(
                {
                    "station_id": station_id,
                    "district": district,
                    "bikes_parked": bikes,
                    "rentals_per_bike_day": round(use, 4),
                    "weekly": [
                        {"week": week, "rentals_per_bike_day": round(value, 4)}
                        for week, value in zip(weeks, weekly, strict=True)
                    ],
                    "trend_per_week": round(_slope(weekly), 4),
                    "suggested_action": Action.RELOCATE,
                }
            )
    found.sort(key=lambda station: (station["rentals_per_bike_day"], -station["bikes_parked"], station["station_id"]))
    return {
        "since": since,
        "until": until,
        "max_use": max_use,
        "stations": found[:limit],
        "districts_by_week": [
            {"week": week, "districts": [{"district": d, "idle_stations": n} for d, n in sorted(counts.items())]}
            for week, counts in per_district.items()
        ],
    }


def _slope(values: list[float]) -> float:
    """Least-squares change per week (0 with fewer than two weeks)."""
    if len(values) < 2:
        return 0.0
    return float(np.polyfit(np.arange(len(values)), values, 1)[0])
