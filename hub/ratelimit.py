"""Rate limits for Socket.IO events, on the same Redis storage as Flask-Limiter's."""

from __future__ import annotations

import logging

import redis
from flask import current_app
from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from hub.errors import InvalidInput

log = logging.getLogger(__name__)


def _limiter() -> MovingWindowRateLimiter:
    limiter = current_app.extensions.get("okienko.event_limiter")
    if limiter is None:
        storage = storage_from_string(current_app.config["RATELIMIT_STORAGE_URI"])
        limiter = current_app.extensions["okienko.event_limiter"] = MovingWindowRateLimiter(storage)
    return limiter


def _fallback() -> MovingWindowRateLimiter:
    """Counts in this process while Redis is unreachable, as Flask-Limiter's fallback does."""
    limiter = current_app.extensions.get("okienko.event_limiter_fallback")
    if limiter is None:
        limiter = MovingWindowRateLimiter(MemoryStorage())
        current_app.extensions["okienko.event_limiter_fallback"] = limiter
    return limiter


def check(scope: str, key: str, rule_setting: str) -> None:
    """InvalidInput('rate_limited') once `key` has used up the configured rule for `scope`."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    rule = parse(current_app.config[rule_setting])
    try:
        allowed = _limiter().hit(rule, "okienko-events", scope, key)
    except (redis.RedisError, StorageError) as error:
        log.warning("rate limits counted in this process: Redis unreachable (%s)", error)
        allowed = _fallback().hit(rule, "okienko-events", scope, key)
    if not allowed:
        raise InvalidInput("rate_limited")
