"""The Redis GEO index of active stations: positions only; counts always come from the database.

The index is derived data. It is rebuilt from the database into a scratch key and swapped in with
RENAME, so a search never sees a half-built index, and it is rebuilt lazily when it is missing
(a flushed or restarted Redis). `distance_m` and `bounding_box` let the database answer the same
search while Redis is down.
"""

import math
import uuid
import weakref

import redis

GEO_KEY = "bikeshare:stations:geo"
_BATCH = 500
# The Earth radius Redis's GEO commands use, so distances computed here match the index's.
EARTH_RADIUS_M = 6372797.560856


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


# One round trip that tells "no station near" from "no index" (a flushed or restarted Redis): the
# caller rebuilds only in the second case, without asking Redis again after every empty answer.
_SEARCH = """
local hits = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2], 'BYRADIUS', ARGV[3], 'm',
                        'ASC', 'COUNT', ARGV[4], 'WITHDIST')
if #hits == 0 and redis.call('EXISTS', KEYS[1]) == 0 then
    return false
end
return hits
"""
_scripts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def search(
    client: redis.Redis, *, lat: float, lon: float, radius_m: float, count: int
) -> list[tuple[int, float]] | None:
    """Station ids within `radius_m`, nearest first, with their distance in metres; None if there is no index."""
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(_SEARCH)
    hits = script(keys=[GEO_KEY], args=[lon, lat, radius_m, count])
    if not isinstance(hits, list):  # Lua's false: nil in RESP2, false in RESP3
        return None
    return [(int(member), float(distance)) for member, distance in hits]


def distance_m(*, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres, as GEOSEARCH computes it."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def bounding_box(*, lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) in degrees of a box holding every point within `radius_m` of (lat, lon)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    # Meridians converge towards the poles: the same distance spans more degrees of longitude.
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * math.cos(math.radians(min(89.0, abs(lat) + dlat)))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
