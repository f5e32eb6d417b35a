"""One plan at a time, across every instance and the re-planning worker.

A plan takes up to its time limit of CPU (20 s by default) in a process that also serves riders and
verifies citizens' cards, and it supersedes the unfinished stops of the trucks it plans: two at once
double that load, and each supersedes only the stops committed before it began writing, so both could
leave their tasks open for one truck. A Redis lock (SET NX with an expiry longer than a plan, released
only by its holder) lets one plan run. It is re-entrant within an app context, so the worker's round
holds it from reading the fleet to storing the plan.
"""

import secrets
from contextlib import contextmanager

from flask import g

from core.redis import get_redis

LOCK_KEY = "bikeshare:planning:lock"
# Deletes the lock only if it still holds this holder's token (an expired lock may belong to another planner).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
MARGIN_S = 60  # the lock outlives its plan's time limit by this much (loading, storing, a slow database)


@contextmanager
def holding_the_planner(*, time_limit_s: float):
    """Yields True while this app context holds the planning lock, False while another planner does."""
    if g.get("planning_lock_token"):
        yield True
        return
    redis = get_redis()
    token = secrets.token_hex(16)
    if not redis.set(LOCK_KEY, token, nx=True, ex=int(time_limit_s + MARGIN_S)):
        yield False
        return
    g.planning_lock_token = token
    try:
        yield True
    finally:
        g.pop("planning_lock_token", None)
        redis.eval(_RELEASE, 1, LOCK_KEY, token)


def seconds_until_free() -> int:
    """About how long the plan being made may still take: its lock's time left less the margin (at least 1)."""
    return max(int(get_redis().ttl(LOCK_KEY)) - MARGIN_S, 1)
