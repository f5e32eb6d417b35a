"""Open aggregate data for citizens: anonymous counts per station, day type and hour of day.

Only aggregates leave: rentals and returns per (station, weekday/weekend, hour of day in Seoul) over the
demand window, and how much of the recorded time the station was empty or full. A count from 1 to
`SUPPRESS_BELOW - 1` could single out a rider's habitual trip, so it is published as null with
`suppressed: true` (0 is kept: it reveals nobody). Figures derived from a suppressed count are
suppressed with it.

Anyone may ask without an account, so the station-hours table is served the way GBFS files are:
computed once per filter, format and state of the window's records, and kept in Redis. That state (the
window, its hours with records anywhere, and the records' fingerprint: what keys the planner's estimates
too) is read from the database at most every OPEN_DATA_TTL seconds, so an answer is at most that much
behind the records; an expired answer is served with ttl 0 while one request rebuilds it. A request
reads only its own stations' records. Each client address may ask OPEN_DATA_REQUESTS_PER_ADDRESS times
per OPEN_DATA_LIMIT_WINDOW_SECONDS (429 beyond); the counter is in Redis, so without Redis the table
is not served (503).
"""

import csv
import hashlib
import io
import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
from flask import current_app
from sqlalchemy import select

from bikeshare.demand.models import StationHourStat
from bikeshare.network import services
from bikeshare.network.schemas import OpenStationHoursSchema
from bikeshare.operations.network import DAY_TYPES, history_fingerprint, history_window, load_history, load_network
from core.db import db
from core.problems import Message
from core.ratelimits import Limit
from core.redis import get_redis
from core.timezones import SEOUL

SUPPRESS_BELOW = 5
STATION_HOUR_FIELDS = (
    "station_id",
    "district",
    "day_type",
    "hour",
    "days",
    "rentals",
    "returns",
    "rentals_per_day",
    "returns_per_day",
    "empty_share",
    "full_share",
    "suppressed",
)
_WINDOW_KEY = "bikeshare:open-data:window"
_TABLE_KEY = "bikeshare:open-data:station-hours:{form}:{station_id}:{day_type}:{district}"
_REBUILD_LOCK_MS = 60_000  # longer than the city's table takes; frees itself if the rebuilding request dies


class PublishedTable(NamedTuple):
    """An answer as sent: its text, a tag that changes whenever its content may, and how long it may be kept."""

    text: str
    tag: str
    ttl: int


@dataclass(frozen=True)
class _WindowState:
    since: datetime
    until: datetime
    hours: list[datetime]  # with a record anywhere in the city: each counts as observed at every station
    tag: str  # the bounds and the records' fingerprint, hashed

    def dumps(self, read_at: float) -> str:
        hours = [int(hour.timestamp()) // 3600 for hour in self.hours]
        bounds = {"since": self.since.isoformat(), "until": self.until.isoformat()}
        return json.dumps({**bounds, "hours": hours, "tag": self.tag, "read_at": read_at})

    @classmethod
    def loads(cls, text: str) -> tuple["_WindowState", float]:
        stored = json.loads(text)
        hours = [datetime.fromtimestamp(hour * 3600, UTC) for hour in stored["hours"]]
        since, until = (datetime.fromisoformat(stored[name]) for name in ("since", "until"))
        return cls(since=since, until=until, hours=hours, tag=stored["tag"]), stored["read_at"]


def station_hours_file(
    *,
    form: str,
    client_address: str | None,
    station_id: int | None = None,
    district: str | None = None,
    day_type: str | None = None,
) -> PublishedTable:
    """The station-hours table as "json" or "csv" text, from Redis unless the window's records changed."""
    config = current_app.config
    Limit(
        "open-data-address",
        config["OPEN_DATA_REQUESTS_PER_ADDRESS"],
        config["OPEN_DATA_LIMIT_WINDOW_SECONDS"],
        Message("limits.open_data_address"),
    ).hit(client_address or "unknown")
    lifetime = int(config["OPEN_DATA_TTL"])
    query = {"station_id": station_id, "district": district, "day_type": day_type}
    if not lifetime:
        state = _window_state()
        return PublishedTable(_render(state, form, query), _table_tag(state, form, query), 0)
    state, ttl = _cached_window_state(lifetime)
    tag = _table_tag(state, form, query)
    key = _TABLE_KEY.format(form=form, **query)
    client = get_redis()
    cached = client.get(key)
    if cached:
        stored_tag, text = cached.split("\n", 1)
        if stored_tag == tag:
            return PublishedTable(text, tag, ttl)
        if not client.set(f"{key}:rebuilding", "1", nx=True, px=_REBUILD_LOCK_MS):
            return PublishedTable(text, stored_tag, 0)
    text = _render(state, form, query)
    with client.pipeline(transaction=False) as pipe:
        pipe.set(key, f"{tag}\n{text}", ex=2 * lifetime).delete(f"{key}:rebuilding").execute()
    return PublishedTable(text, tag, ttl)


def _cached_window_state(lifetime: int) -> tuple[_WindowState, int]:
    """The window's state as last read and the seconds until it is read again: read now once it is older than
    `lifetime`, unless another request is reading it (then the old one, with 0 seconds)."""
    client = get_redis()
    cached = client.get(_WINDOW_KEY)
    if cached:
        state, read_at = _WindowState.loads(cached)
        remaining = read_at + lifetime - time.time()
        if remaining > 0 or not client.set(f"{_WINDOW_KEY}:rebuilding", "1", nx=True, px=_REBUILD_LOCK_MS):
            return state, max(0, math.ceil(remaining))
    read_at = time.time()
    state = _window_state()
    with client.pipeline(transaction=False) as pipe:
        pipe.set(_WINDOW_KEY, state.dumps(read_at), ex=2 * lifetime).delete(f"{_WINDOW_KEY}:rebuilding").execute()
    return state, lifetime


def _window_state() -> _WindowState:
    since, until = history_window()
    hours = db.session.scalars(
        select(StationHourStat.hour_start)
        .where(StationHourStat.hour_start >= since, StationHourStat.hour_start < until)
        .distinct()
        .order_by(StationHourStat.hour_start)
    ).all()
    fingerprint = history_fingerprint(since=since, until=until)
    tag = hashlib.sha256(repr((since.isoformat(), until.isoformat(), fingerprint)).encode()).hexdigest()
    return _WindowState(since=since, until=until, hours=hours, tag=tag)


def _table_tag(state: _WindowState, form: str, query: dict) -> str:
    return hashlib.sha256(repr((state.tag, form, sorted(query.items()))).encode()).hexdigest()[:32]


def _render(state: _WindowState, form: str, query: dict) -> str:
    table = _station_hours(state=state, **query)
    if form == "csv":
        return as_csv(table["rows"], STATION_HOUR_FIELDS)
    # Compact, as Flask sends JSON it serialises itself.
    return current_app.json.dumps(OpenStationHoursSchema().dump(table), separators=(",", ":"))


def _station_hours(
    *, state: _WindowState, station_id: int | None = None, district: str | None = None, day_type: str | None = None
) -> dict:
    """Rentals and returns per station, day type and hour over the demand window, small counts suppressed.

    Only the asked-for stations' records are read. Slots without any rental or return are left out (they
    are zeros)."""
    network, _ = load_network(districts={district} if district else None, station_id=station_id)
    history, window = load_history(network=network, since=state.since, until=state.until, observed=state.hours)
    observed_hours, days = _observed_slots(state.hours)
    active = history.rentals + history.returns > 0
    if day_type is not None:
        active[:, 1 - DAY_TYPES[day_type]] = False
    names = {kind: name for name, kind in DAY_TYPES.items()}
    rows = []
    # Only the slots with a rental or a return: a city has ~130,000 slots, most of them empty.
    for at, kind, hour in np.argwhere(active).tolist():
        rentals, returns = history.rentals[at, kind, hour], history.returns[at, kind, hour]
        minutes = observed_hours[kind, hour] * 60
        shown_rentals, shown_returns = _published(rentals), _published(returns)
        per_day = max(days[kind], 1)
        rows.append(
            {
                "station_id": int(network.station_ids[at]),
                "district": str(network.district[at]),
                "day_type": names[kind],
                "hour": hour,
                "days": int(days[kind]),
                "rentals": shown_rentals,
                "returns": shown_returns,
                "rentals_per_day": None if shown_rentals is None else round(shown_rentals / per_day, 3),
                "returns_per_day": None if shown_returns is None else round(shown_returns / per_day, 3),
                "empty_share": round(1 - history.minutes_with_bike[at, kind, hour] / minutes, 4),
                "full_share": round(1 - history.minutes_with_room[at, kind, hour] / minutes, 4),
                "suppressed": shown_rentals is None or shown_returns is None,
            }
        )
    return {
        "since": window.since,
        "until": window.until,
        "suppress_below": SUPPRESS_BELOW,
        "licence": "KOGL Type 1 (attribution: Seoul Metropolitan Government)",
        "rows": rows,
    }


def _published(count: float) -> int | None:
    count = int(round(count))
    return None if 0 < count < SUPPRESS_BELOW else count


def _observed_slots(hours: list[datetime]) -> tuple[np.ndarray, np.ndarray]:
    """Hours with records per (day type, hour of day), and days with records per day type (Seoul)."""
    observed, days = np.zeros((2, 24)), (set(), set())
    for hour in hours:
        local = hour.astimezone(SEOUL)
        kind = DAY_TYPES["weekend" if local.weekday() >= 5 else "weekday"]
        observed[kind, local.hour] += 1
        days[kind].add(local.date())
    return np.maximum(observed, 1), np.array([len(found) for found in days])


def network_districts() -> dict:
    """The latest network report's district table: demand, riders turned away and docks, per district."""
    report = services.latest_report()
    return {"report_id": report.id, "created_at": report.created_at, "districts": report.districts}


def as_csv(rows: list[dict], fields) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
