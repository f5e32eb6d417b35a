"""Redis Lua scripts, registered once per app (later calls send only the script's SHA)."""

from functools import partial

from flask import current_app

from core.redis import get_redis


def script(source: str) -> partial:
    """The script, to call with `keys` and `args`, run by this thread's client (core.redis.get_redis)."""
    scripts = current_app.extensions.setdefault("cardapi_scripts", {})
    if source not in scripts:
        scripts[source] = current_app.extensions["redis"].register_script(source)
    return partial(scripts[source], client=get_redis())
