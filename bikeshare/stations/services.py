"""Nearest stations and station details: positions from the Redis GEO index, counts from the database.

While Redis is down the database answers alone: the same stations in the same order, a little slower.
"""

import functools

import redis
from sqlalchemy import bindparam, select

from bikeshare.stations import geo
from bikeshare.stations.models import Station
from core.db import HotStatement, db
from core.errors import NotFound
from core.problems import Message
from core.redis import get_redis

_stations = Station.__table__
# The columns a public view needs; closed stations are left out by the query.
_VIEW = ("id", "code", "name", "district", "address", "lat", "lon", "docks", "active", "bikes_available")
_RULES = ("capacity", "docks_available", "has_room")  # computed by the model's expressions


@functools.cache
def _counts(size: int) -> HotStatement:
    """The counts of up to `size` stations (a power of two), a prepared statement run on its own (HotStatement)."""
    return HotStatement(
        select(*(_stations.c[name] for name in _VIEW), *(getattr(Station, name).label(name) for name in _RULES)).where(
            _stations.c.id.in_([bindparam(f"id{number}") for number in range(size)]), _stations.c.active.is_(True)
        )
    )


def nearest_stations(
    *, lat: float, lon: float, radius_m: float = 500, limit: int = 10, with_room: bool = False
) -> list[dict]:
    """Active stations within `radius_m` of (lat, lon), nearest first, with live counts and `distance_m`.

    `with_room` keeps only stations that can take a returned bike (the answer to a full station).
    """
    # Room is known only to the database, so ask the index for spare candidates to filter.
    candidates = max(limit * 5, 25) if with_room else limit
    try:
        hits = _indexed_hits(lat=lat, lon=lon, radius_m=radius_m, count=candidates)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        hits = _database_hits(lat=lat, lon=lon, radius_m=radius_m, count=candidates)
    if not hits:
        return []
    # One query for the counts: the database is the source of truth, the index only knows positions.
    stations = {row.id: row for row in _counted_stations([sid for sid, _ in hits])}
    # A station closed or deleted since the last reindex is skipped rather than shown.
    found = []
    for sid, distance in hits:
        station = stations.get(sid)
        if station is not None and (not with_room or station.has_room):
            found.append({**public_view(station), "distance_m": round(distance)})
            if len(found) == limit:
                break
    return found


def _counted_stations(ids: list[int]) -> list:
    """The active ones of these stations with their live counts, in one statement that is its own unit of work.

    The ids are padded to a power of two with repeats, which IN ignores, so a few statements serve every count.
    """
    size = 1 << (len(ids) - 1).bit_length()
    padded = ids + ids[-1:] * (size - len(ids))
    return _counts(size).all({f"id{number}": sid for number, sid in enumerate(padded)}, own_transaction=True)


def _indexed_hits(*, lat: float, lon: float, radius_m: float, count: int) -> list[tuple[int, float]]:
    client = get_redis()
    hits = geo.search(client, lat=lat, lon=lon, radius_m=radius_m, count=count)
    if hits is None:  # no index (a flushed or restarted Redis): rebuild it from the database
        reindex()
        hits = geo.search(client, lat=lat, lon=lon, radius_m=radius_m, count=count) or []
    return hits


def _database_hits(*, lat: float, lon: float, radius_m: float, count: int) -> list[tuple[int, float]]:
    """What the index would answer, from the database: the stations in a bounding box, by exact distance."""
    south, north, west, east = geo.bounding_box(lat=lat, lon=lon, radius_m=radius_m)
    rows = db.session.execute(
        select(Station.id, Station.lat, Station.lon).where(
            Station.active.is_(True), Station.lat.between(south, north), Station.lon.between(west, east)
        )
    )
    distances = ((row.id, geo.distance_m(lat1=lat, lon1=lon, lat2=row.lat, lon2=row.lon)) for row in rows)
    return sorted((hit for hit in distances if hit[1] <= radius_m), key=lambda hit: hit[1])[:count]


def get_station(*, station_id: int) -> dict:
    """One station with its live counts."""
    return public_view(existing_station(station_id=station_id))


def existing_station(*, station_id: int) -> Station:
    """The station, or 404 station-not-found."""
    station = db.session.get(Station, station_id)
    if station is None:
        raise NotFound(Message("stations.no_such_number", station=station_id), slug="station-not-found")
    return station


def reindex() -> int:
    """Rebuild the GEO index from the active stations in the database; returns how many are indexed."""
    rows = db.session.execute(select(Station.id, Station.lat, Station.lon).where(Station.active.is_(True))).all()
    return geo.replace(get_redis(), [tuple(row) for row in rows])


def public_view(station) -> dict:
    """A Station, or a row of the same columns, as riders see it."""
    return {
        "id": station.id,
        "code": station.code,
        "name": station.name,
        "district": station.district,
        "address": station.address,
        "lat": station.lat,
        "lon": station.lon,
        "docks": station.docks,
        "capacity": station.capacity,
        "bikes_available": station.bikes_available,
        "docks_available": station.docks_available,
        "has_room": bool(station.has_room),  # SQLite answers 0 or 1
        "active": station.active,
    }
