"""Load what the pure rebalancing core needs from the database: the network, its stock and the
demand history, as arrays indexed by station position.

History: the hourly records inside a window. An hour in which anything was recorded anywhere in
the city counts as observed for every station; a station without a record in an observed hour
had a bike and room for the whole hour and saw no rider. Exposure (minutes with a bike / with
room) is therefore observed minutes minus the station's empty / full minutes.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from bikeshare.demand.models import StationHourStat
from bikeshare.demand.services import unbooked_minutes
from bikeshare.rebalancing.data import read_hourly_profile
from bikeshare.rebalancing.demand import WEEKDAY, WEEKEND, DemandHistory, DemandRates, estimate_rates
from bikeshare.rebalancing.model import StationNetwork, TruckModel
from bikeshare.rebalancing.routing import TruckSettings
from bikeshare.stations.models import Station
from core.db import db, utcnow
from core.errors import InvalidInput
from core.problems import Message
from core.timezones import SEOUL

DAY_TYPES = {"weekday": WEEKDAY, "weekend": WEEKEND}
KST_OFFSET_H = 9  # Asia/Seoul has no daylight saving time
# The UCI city-wide hourly counts (data/SOURCE.md): the shape of a day that thin history is shrunk toward.
HOURLY_PROFILE_FILE = Path(__file__).resolve().parents[2] / "data" / "SeoulBikeData.csv"


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    observed_hours: int
    days: int  # Seoul days with at least one record


def load_network(
    *, districts: set[str] | None = None, station_id: int | None = None
) -> tuple[StationNetwork, np.ndarray]:
    """Active stations in id order (optionally only some districts, or one station), and the bikes parked at each."""
    query = select(
        Station.id,
        Station.lat,
        Station.lon,
        Station.docks,
        Station.overflow_allowance,
        Station.district,
        Station.bikes_parked,
    ).where(Station.active)
    if districts is not None:
        query = query.where(Station.district.in_(districts))
    if station_id is not None:
        query = query.where(Station.id == station_id)
    rows = db.session.execute(query.order_by(Station.id)).all()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(7)]
    network = StationNetwork(
        station_ids=np.array(columns[0], dtype=int),
        lat=np.array(columns[1], dtype=float),
        lon=np.array(columns[2], dtype=float),
        docks=np.array(columns[3], dtype=int),
        overflow_allowance=np.array(columns[4], dtype=int),
        district=np.array(columns[5], dtype=object),
    )
    return network, np.array(columns[6], dtype=int)


def history_window(*, since: datetime | None = None, until: datetime | None = None) -> tuple[datetime, datetime]:
    """Default: the configured number of most recent days that HAVE records, up to the latest record.

    Counting days with records rather than calendar days keeps imported history (often years old) in
    the window when live events arrive today: a day of live rentals replaces one imported day, not
    all of them.
    """
    if until is None:
        latest = db.session.scalar(select(func.max(StationHourStat.hour_start)))
        # Without records the window holds nothing wherever it ends: ending it on the hour (the records' grain)
        # keeps it, and so the cached estimate of `planning_demand`, for the hour instead of one request.
        until = latest + timedelta(hours=1) if latest else utcnow().replace(minute=0, second=0, microsecond=0)
    if since is None:
        since = _start_of_recorded_days(until=until, days=current_app.config["BIKESHARE_DEMAND_WINDOW_DAYS"])
    if since >= until:
        raise InvalidInput(
            Message("operations.empty_window", since=since.isoformat(), until=until.isoformat()), slug="empty-window"
        )
    return since, until


def _start_of_recorded_days(*, until: datetime, days: int) -> datetime:
    """The first hour of the oldest of the `days` most recent Seoul days with a record before `until`."""
    recorded = _recorded_days(until=until)[:days]
    return recorded[-1].astimezone(UTC) if recorded else until - timedelta(days=days)


def _recorded_days(*, until: datetime, since: datetime | None = None) -> list[datetime]:
    """Midnights (Seoul) of the days with a record in [since, until), newest first."""
    query = select(StationHourStat.hour_start).where(StationHourStat.hour_start < until).distinct()
    if since is not None:
        query = query.where(StationHourStat.hour_start >= since)
    hours = db.session.scalars(query).all()
    return sorted({hour.astimezone(SEOUL).replace(hour=0) for hour in hours}, reverse=True)


def recorded_day_count(*, since: datetime, until: datetime) -> int:
    """Days with records in the window: the divisor of per-day figures (calendar days would count the
    years between an old import and today's live records)."""
    return len(_recorded_days(since=since, until=until))


def _slot(hour_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Day type and hour of day in Seoul for UTC hour indexes (hours since the epoch)."""
    local = hour_starts + KST_OFFSET_H
    weekday = (local // 24 + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    return np.where(weekday >= 5, WEEKEND, WEEKDAY), local % 24


def load_history(
    *, network: StationNetwork, since: datetime, until: datetime, observed: list[datetime] | None = None
) -> tuple[DemandHistory, Window]:
    """Counts and exposure per (station, day type, hour of day) from the records in [since, until).

    `observed`, when the caller has them, are the window's hours with a record anywhere in the city (what
    makes an hour observed): then only the network's own records are read, a district's or a station's
    rather than the city's.
    """
    query = select(
        StationHourStat.station_id,
        StationHourStat.hour_start,
        StationHourStat.rentals,
        StationHourStat.returns,
        StationHourStat.empty_minutes,
        StationHourStat.full_minutes,
    ).where(StationHourStat.hour_start >= since, StationHourStat.hour_start < until)
    if observed is not None:
        query = query.where(StationHourStat.station_id.in_(network.station_ids.tolist()))
    rows = db.session.execute(query).all()
    recorded = set(observed) if observed is not None else {row[1] for row in rows}
    now = utcnow()
    # Stations empty or full now have been so since their last change, which is booked only at their next one.
    rows += unbooked_minutes(since=since, until=min(until, now), hours=recorded)
    shape = (network.size, 2, 24)
    rentals, returns, empty, full = (np.zeros(shape) for _ in range(4))
    observed_min = np.zeros((2, 24))
    hours = np.array([int(row[1].timestamp()) // 3600 for row in rows], dtype=np.int64)
    unique_hours = np.unique(np.array([int(hour.timestamp()) // 3600 for hour in recorded], dtype=np.int64))
    day_type, hour = _slot(unique_hours)
    # The hour under way has been observed only up to now: counting all of it would bias its rates low.
    elapsed_min = np.clip(now.timestamp() / 60 - unique_hours * 60, 0.0, 60.0)
    np.add.at(observed_min, (day_type, hour), elapsed_min)
    position = {int(station_id): i for i, station_id in enumerate(network.station_ids)}
    known = np.array([row[0] in position for row in rows], dtype=bool)
    if known.any():
        stations = np.array([position[row[0]] for row in rows if row[0] in position])
        day_type, hour = _slot(hours[known])
        values = np.array([row[2:] for row in rows], dtype=float)[known]
        for target, column in zip((rentals, returns, empty, full), values.T, strict=True):
            np.add.at(target, (stations, day_type, hour), column)
    minutes = observed_min[None, :, :]
    history = DemandHistory(
        rentals=rentals,
        returns=returns,
        minutes_with_bike=np.maximum(minutes - empty, 0.0),
        minutes_with_room=np.maximum(minutes - full, 0.0),
    )
    return history, Window(
        since=since, until=until, observed_hours=len(unique_hours), days=len(np.unique(unique_hours // 24))
    )


def load_rates(
    *, network: StationNetwork, since: datetime | None = None, until: datetime | None = None
) -> tuple[DemandRates, DemandHistory, Window]:
    """Censoring-corrected, neighbourhood-shrunken rates for every station of `network`."""
    since, until = history_window(since=since, until=until)
    history, window = load_history(network=network, since=since, until=until)
    if network.size == 0:
        return DemandRates(np.zeros((0, 2, 24)), np.zeros((0, 2, 24))), history, window
    return estimate_rates(network=network, history=history, hourly_profile=city_hourly_profile()), history, window


@dataclass(frozen=True)
class PlanningDemand:
    """What a plan needs from the demand history: the rates, the window, the rentals it held, and
    whether the estimate came from the cache."""

    rates: DemandRates
    window: Window
    trips: int
    cached: bool


# Estimates by (network, window, history fingerprint): the last few, in this process. See `planning_demand`.
_ESTIMATES: OrderedDict[tuple, PlanningDemand] = OrderedDict()
_ESTIMATES_KEPT = 4
_ESTIMATING = threading.Lock()


def planning_demand(*, network: StationNetwork) -> PlanningDemand:
    """The rates for a plan over the default window, estimated once per history: cached between plans.

    The key is the history the estimate used: the network (ids, positions, districts), the window,
    and a fingerprint of the window's records (their count and sums, one aggregate query), so any new
    record in the window, imported or live, makes the next plan estimate again. The cache lives in
    the process: the arrays are megabytes that NumPy uses as they are, the re-planning worker (the main
    user) keeps its process, and each web worker estimates once per history change.
    """
    since, until = history_window()
    key = (_network_key(network), since, until, history_fingerprint(since=since, until=until))
    # One estimate at a time: a request arriving while the worker's warm-up estimates waits for that
    # estimate instead of computing the same one beside it.
    with _ESTIMATING:
        if key in _ESTIMATES:
            _ESTIMATES.move_to_end(key)
            return replace(_ESTIMATES[key], cached=True)
        rates, history, window = load_rates(network=network, since=since, until=until)
        _ESTIMATES[key] = PlanningDemand(rates=rates, window=window, trips=int(history.rentals.sum()), cached=False)
        while len(_ESTIMATES) > _ESTIMATES_KEPT:
            _ESTIMATES.popitem(last=False)
        return _ESTIMATES[key]


def history_fingerprint(*, since: datetime, until: datetime) -> tuple:
    """The count and sums of the records in [since, until), one aggregate query: any new or changed record in
    the window, imported or live, changes it."""
    return tuple(
        db.session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(StationHourStat.rentals), 0),
                func.coalesce(func.sum(StationHourStat.returns), 0),
                func.coalesce(func.sum(StationHourStat.empty_minutes), 0.0),
                func.coalesce(func.sum(StationHourStat.full_minutes), 0.0),
            ).where(StationHourStat.hour_start >= since, StationHourStat.hour_start < until)
        ).one()
    )


def _network_key(network: StationNetwork) -> str:
    digest = hashlib.sha256()
    for column in (network.station_ids, network.lat, network.lon, network.docks, network.overflow_allowance):
        digest.update(np.ascontiguousarray(column).tobytes())
    digest.update("\x1f".join(map(str, network.district)).encode())
    return digest.hexdigest()


def truck_settings(config: Mapping | None = None) -> TruckSettings:
    """The configured trucks (one place for the planner, the re-planning worker, the evaluation and the
    bench); `config` is the app's unless given (the bench times the planner without an app)."""
    config = current_app.config if config is None else config
    return TruckSettings(
        model=TruckModel(
            speed_kmh=config["BIKESHARE_TRUCK_SPEED_KMH"],
            road_factor=config["BIKESHARE_TRUCK_ROAD_FACTOR"],
            handling_min_per_bike=config["BIKESHARE_TRUCK_HANDLING_MIN_PER_BIKE"],
        ),
        max_end_load=config["BIKESHARE_TRUCK_MAX_END_LOAD"],
    )


def weekday_mornings_in_window() -> int:
    """How many weekday mornings the demand window (`BIKESHARE_DEMAND_WINDOW_DAYS` days with records) holds in
    steady operation: what the evaluation's planners learn demand from, so they know what the product's does."""
    return round(current_app.config["BIKESHARE_DEMAND_WINDOW_DAYS"] * 5 / 7)


@cache
def city_hourly_profile() -> np.ndarray:
    """Mean city-wide rentals per (day type, hour of day), read once per process."""
    return read_hourly_profile(HOURLY_PROFILE_FILE)
