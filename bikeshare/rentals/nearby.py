"""Stations with room near a full one, for the 409 a rider gets when returning there."""

import numpy as np
from sqlalchemy import select

from bikeshare.models import Station
from bikeshare.rebalancing.geo import haversine_km
from core.db import db

# About 3 km around the station first; the whole city only when that box has too few.
_BOX_DEGREES = 0.03


def nearest_with_room(station: Station, *, limit: int = 5) -> list[dict]:
    """The `limit` nearest active stations that can take a bike, nearest first, with distances."""
    room = (Station.active, Station.id != station.id, Station.bikes_parked < Station.docks + Station.overflow_allowance)
    columns = (Station.id, Station.name, Station.lat, Station.lon, Station.docks, Station.bikes_parked)
    box = (
        Station.lat.between(station.lat - _BOX_DEGREES, station.lat + _BOX_DEGREES),
        Station.lon.between(station.lon - _BOX_DEGREES, station.lon + _BOX_DEGREES),
    )
    rows = db.session.execute(select(*columns).where(*room, *box)).all()
    if len(rows) < limit:
        rows = db.session.execute(select(*columns).where(*room)).all()
    if not rows:
        return []
    distances = haversine_km(
        lat1=station.lat, lon1=station.lon, lat2=np.array([r.lat for r in rows]), lon2=np.array([r.lon for r in rows])
    )
    order = np.argsort(distances, kind="stable")[:limit]
    return [
        {
            "id": rows[i].id,
            "name": rows[i].name,
            "lat": rows[i].lat,
            "lon": rows[i].lon,
            "distance_m": round(float(distances[i]) * 1000),
            "docks_available": max(0, rows[i].docks - rows[i].bikes_parked),
        }
        for i in order
    ]
