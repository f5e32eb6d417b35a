"""Nearest stations and station details: positions from the Redis GEO index, counts from the database."""

from sqlalchemy import select

from bikeshare.models import Station
from bikeshare.stations import geo
from core.db import db
from core.errors import NotFound
from core.redis import get_redis


def nearest_stations(
    *, lat: float, lon: float, radius_m: float = 500, limit: int = 10, with_room: bool = False
) -> list[dict]:
    """Active stations within `radius_m` of (lat, lon), nearest first, with live counts and `distance_m`.

    `with_room` keeps only stations that can take a returned bike (the answer to a full station).
    """
    client = get_redis()
    # Room is known only to the database, so ask the index for spare candidates to filter.
    candidates = max(limit * 5, 25) if with_room else limit
    hits = geo.search(client, lat=lat, lon=lon, radius_m=radius_m, count=candidates)
    if not hits and not geo.is_built(client):
        reindex()
        hits = geo.search(client, lat=lat, lon=lon, radius_m=radius_m, count=candidates)
    if not hits:
        return []
    # One query for the counts: the database is the source of truth, the index only knows positions.
    stations = {s.id: s for s in db.session.scalars(select(Station).where(Station.id.in_([sid for sid, _ in hits])))}
    # A station closed or deleted since the last reindex is skipped rather than shown.
    found = [
        {**public_view(stations[sid]), "distance_m": round(distance)}
        for sid, distance in hits
        if sid in stations and stations[sid].active and (stations[sid].has_room or not with_room)
    ]
    return found[:limit]


def get_station(*, station_id: int) -> dict:
    """One station with its live counts."""
    station = db.session.get(Station, station_id)
    if station is None:
        raise NotFound(f"No station has the number {station_id}.", slug="station-not-found")
    return public_view(station)


def reindex() -> int:
    """Rebuild the GEO index from the active stations in the database; returns how many are indexed."""
    rows = db.session.execute(select(Station.id, Station.lat, Station.lon).where(Station.active.is_(True))).all()
    return geo.replace(get_redis(), [tuple(row) for row in rows])


def public_view(station: Station) -> dict:
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
        "has_room": station.has_room,
        "active": station.active,
    }
