"""One plan at a time, across every instance and the re-planning worker.

A plan takes up to its time limit of CPU (10 s for staff, 20 s for the worker by default) in a process
that also serves riders and verifies citizens' cards, and it supersedes the unfinished stops of the
trucks it plans: two at once double that load, and each supersedes only the stops committed before it
began writing, so both could leave their tasks open for one truck. A Redis lock (SET NX with an expiry
longer than a plan, released only by its holder) lets one plan run. It is re-entrant within an app
context, so the worker's round holds it from reading the fleet to storing the plan. Planning needs
Redis: without it a staff request is answered 503 (redis-unavailable) and a worker's round fails, as
every other Redis-backed rule does.
"""

import logging
import secrets
from contextlib import contextmanager

from flask import g
from redis import exceptions as redis_errors

from core.redis import get_redis

# Named when only the worker took it; kept, so old and new workers exclude each other during a rolling deploy.
LOCK_KEY = "bikeshare:replan:lock"
# Deletes the lock only if it still holds this holder's token (an expired lock may belong to another planner).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
MARGIN_S = 60  # the lock outlives its plan's time limit by this much (loading, storing, a slow database)
log = logging.getLogger(__name__)


@contextmanager
def holding_the_planner(*, time_limit_s: float):
    """Yields True while this app context holds the planning lock, False while another planner does."""
    if g.get("planning_lock_token"):
        yield True
        return
    redis = get_redis()
    token = secrets.token_hex(16)
    expiry_s = int(time_limit_s + MARGIN_S)
    if not redis.set(LOCK_KEY, token, nx=True, ex=expiry_s):
        yield False
        return
    g.planning_lock_token = token
    try:
        yield True
    finally:
        g.pop("planning_lock_token", None)
        try:
            redis.eval(_RELEASE, 1, LOCK_KEY, token)
        except redis_errors.RedisError:
            # The plan is stored (or its failure is the error that matters): the lock expires by itself.
            log.warning("planning lock not released (Redis unavailable); it expires in at most %d s", expiry_s)


def seconds_until_free() -> int:
    """About how long the plan being made may still take: its lock's time left less the margin (at least 1)."""
    return max(int(get_redis().ttl(LOCK_KEY)) - MARGIN_S, 1)
