"""GBFS files as JSON text: station files from one query each, cached in Redis for their `ttl`.

A cached file keeps the moment its data was read; every response states that moment as
`last_updated` and the seconds left until the cache is rebuilt as `ttl`, so neither lies about
freshness. Settings (config/): GBFS_STATUS_TTL, GBFS_INFORMATION_TTL, GBFS_STATIC_TTL and
GBFS_FEED_CONTACT_EMAIL. While Redis is down the station files are read from the database on every
request, with `ttl` 0.
"""

import json
import math
import time
import weakref
from datetime import UTC, datetime

import redis
from flask import current_app
from sqlalchemy import func, select

from bikeshare.gbfs import catalogue, feeds
from bikeshare.stations.models import Bike, BikeStatus, Station
from core.db import db
from core.errors import NotFound
from core.headers import public_url
from core.problems import Message
from core.redis import get_redis

_SETTINGS = {
    "station_status": "GBFS_STATUS_TTL",
    "station_information": "GBFS_INFORMATION_TTL",
}
_STATIC_TTL = "GBFS_STATIC_TTL"
_CACHE_KEY = "bikeshare:gbfs:{version}:{feed}"
_REBUILD_LOCK_MS = 5000  # longer than a rebuild takes; frees itself if the rebuilding request dies


def document(*, version: str, feed: str) -> tuple[bytes, int]:
    """The JSON of one GBFS file and its `ttl`; discovery URLs start with the configured PUBLIC_BASE_URL."""
    if version not in feeds.VERSIONS or feed not in feeds.FEEDS:
        raise NotFound(Message("gbfs.feed_not_found", version=version, feed=feed), slug="gbfs-feed-not-found")
    if feed in _SETTINGS:
        try:
            data_json, read_at, ttl = _cached_station_file(version, feed)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            # Redis is down: every request reads the database, and `ttl` 0 tells readers not to keep the file.
            read_at, ttl = time.time(), 0
            data_json = _station_file_json(version, feed, read_at).encode()
    else:
        read_at, ttl = time.time(), _setting(_STATIC_TTL)
        data_json = _dumps(_static_data(version, feed)).encode()
    last_updated = feeds.timestamp(version, datetime.fromtimestamp(read_at, UTC))
    envelope = f'{{"last_updated":{_dumps(last_updated)},"ttl":{ttl},"version":"{version}","data":'
    return b"".join((envelope.encode(), data_json, b"}")), ttl


def invalidate() -> None:
    """Drop the cached station files (after stations were imported or changed)."""
    get_redis().delete(*(_CACHE_KEY.format(version=v, feed=f) for v in feeds.VERSIONS for f in _SETTINGS))


def _static_data(version: str, feed: str) -> dict:
    if feed == "gbfs":
        return feeds.discovery(version, lambda name: public_url(f"/gbfs/{version}/{name}.json"))
    if feed == "gbfs_versions":
        return feeds.gbfs_versions(lambda v: public_url(f"/gbfs/{v}/gbfs.json"))
    if feed == "system_information":
        email = current_app.config["GBFS_FEED_CONTACT_EMAIL"]
        return feeds.system_information(version, contact_email=email)
    if feed == "vehicle_types":
        return feeds.vehicle_types(version)
    return feeds.system_pricing_plans(version)


def _cached_station_file(version: str, feed: str) -> tuple[bytes, float, int]:
    """(data JSON, when it was read from the database, seconds until it is read again).

    An expired copy stays in Redis for one more lifetime: while one request rebuilds it (under a
    short lock), the others serve the expired copy with `ttl` 0 instead of all querying at once.
    Each worker keeps the copy it last fetched (bytes) and fetches the whole file again only when
    the stamp at the head of Redis's copy differs: the check reads a few bytes, not the ~800 KB
    file, and a rebuild or an invalidation anywhere is seen at once.
    """
    lifetime = _setting(_SETTINGS[feed])
    key = _CACHE_KEY.format(version=version, feed=feed)
    client = get_redis()
    if lifetime:
        cached = _copy(client, key)
        if cached:
            read_at, data_json = cached
            remaining = read_at + lifetime - time.time()
            if remaining > 0 or not client.set(f"{key}:rebuilding", "1", nx=True, px=_REBUILD_LOCK_MS):
                return data_json, read_at, max(0, math.ceil(remaining))
    read_at = time.time()
    data_json = _station_file_json(version, feed, read_at)
    if lifetime:
        stamp = repr(read_at)
        pipe = client.pipeline(transaction=False)
        pipe.set(key, f"{stamp}\n{data_json}", px=2 * lifetime * 1000)
        pipe.delete(f"{key}:rebuilding")
        pipe.execute()
        _copies.setdefault(client, {})[key] = (stamp, read_at, data_json.encode())
    return data_json.encode(), read_at, lifetime


def _station_file_json(version: str, feed: str, read_at: float) -> str:
    if feed == "station_status":
        return _dumps(feeds.station_status(version, _status_rows(), now=datetime.fromtimestamp(read_at, UTC)))
    return _dumps(feeds.station_information(version, _information_rows()))


# Per worker and Redis server: cache key -> (stamp, read_at, data JSON bytes) of the last copy fetched.
_copies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_STAMP_BYTES = 40  # a float's repr and the newline after it


def _copy(client: redis.Redis, key: str) -> tuple[float, bytes] | None:
    """(read_at, data JSON) of Redis's copy of the file, or None when Redis has none."""
    head = client.getrange(key, 0, _STAMP_BYTES - 1)
    if "\n" not in head:
        return None
    stamp = head.split("\n", 1)[0]
    copies = _copies.setdefault(client, {})
    local = copies.get(key)
    if local is None or local[0] != stamp:
        cached = client.get(key)
        if not cached:
            return None
        stamp, data_json = cached.split("\n", 1)
        local = copies[key] = (stamp, float(stamp), data_json.encode())
    return local[1], local[2]


def _information_rows():
    return db.session.execute(
        select(Station.id, Station.name, Station.address, Station.lat, Station.lon, Station.published_capacity)
        .where(Station.active.is_(True))
        .order_by(Station.id)
    ).all()


def _status_rows():
    """One query: the stations' counters plus their available bikes per vehicle type."""
    type_ids = [type_id for type_id, _ in catalogue.VEHICLE_TYPES]
    per_type = (
        select(Bike.station_id, *(func.count().filter(Bike.kind == t).label(t) for t in type_ids))
        .where(Bike.status == BikeStatus.AVAILABLE)
        .group_by(Bike.station_id)
        .subquery()
    )
    return db.session.execute(
        select(
            Station.id,
            Station.bikes_available,
            Station.bikes_held,
            Station.docks_available,
            Station.updated_at,
            *(func.coalesce(per_type.c[t], 0) for t in type_ids),
        )
        .outerjoin(per_type, per_type.c.station_id == Station.id)
        .where(Station.active.is_(True))
        .order_by(Station.id)
    ).all()


def _setting(name: str) -> int:
    return int(current_app.config[name])


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
