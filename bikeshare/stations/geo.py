"""The Redis GEO index of active stations: positions only; counts always come from the database.

The index is derived data. It is rebuilt from the database into a scratch key and swapped in with
RENAME, so a search never sees a half-built index, and it is rebuilt lazily when it is missing
(a flushed or restarted Redis).
"""

import uuid
import weakref

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
