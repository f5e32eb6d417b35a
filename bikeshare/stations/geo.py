"""The Redis GEO index of active stations: positions only; counts always come from the database.

The index is derived data. It is rebuilt from the database into a scratch key and swapped in with
RENAME, so a search never sees a half-built index, and it is rebuilt lazily when it is missing
(a flushed or restarted Redis).
"""

import uuid

import redis

GEO_KEY = "bikeshare:stations:geo"
_BATCH = 500


def replace(client: redis.Redis, positions: list[tuple[int, float, float]]) -> int:
    """Make the index hold exactly `positions` (station id, lat, lon); returns how many."""
    if not positions:
        client.delete(GEO_KEY)
        return 0
    scratch = f"{GEO_KEY}:building:{uuid.uuid4().hex}"
    pipe = client.pipeline(transaction=False)
    for start in range(0, len(positions), _BATCH):
        values = []
        for station_id, lat, lon in positions[start : start + _BATCH]:
            values.extend((lon, lat, str(station_id)))
        pipe.geoadd(scratch, values)
    pipe.rename(scratch, GEO_KEY)
    pipe.execute()
    return len(positions)


def search(client: redis.Redis, *, lat: float, lon: float, radius_m: float, count: int) -> list[tuple[int, float]]:
    """Station ids within `radius_m`, nearest first, with their distance in metres."""
    hits = client.geosearch(
        GEO_KEY, longitude=lon, latitude=lat, radius=radius_m, unit="m", sort="ASC", count=count, withdist=True
    )
    return [(int(member), float(distance)) for member, distance in hits]


def is_built(client: redis.Redis) -> bool:
    return bool(client.exists(GEO_KEY))
