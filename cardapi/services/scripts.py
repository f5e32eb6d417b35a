"""Redis Lua scripts, registered once per app (later calls send only the script's SHA)."""

from flask import current_app
from redis.commands.core import Script

from core.redis import get_redis


def script(source: str) -> Script:
    scripts = current_app.extensions.setdefault("cardapi_scripts", {})
    if source not in scripts:
        scripts[source] = get_redis().register_script(source)
    return scripts[source]
