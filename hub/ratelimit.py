"""Rate limits for Socket.IO events: shared ones on the same Redis storage as
Flask-Limiter's, and the chat message limit counted in the process that holds the chat."""

from __future__ import annotations

import logging
import threading
import time

import redis
from flask import current_app
from limits import RateLimitItem, parse
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


class LocalWindowCounter:
    """One rule counted in this process: per key, the hits of the current window and of
    the one before, weighted by how much of it the sliding window still covers (as limits'
    sliding-window counter). A new window replaces the counts whole, so no timer sweeps
    every key, as limits' MemoryStorage does every 10 ms (docs/performance.md, "Chat")."""

    def __init__(self, rule: RateLimitItem) -> None:
        self.amount = rule.amount
        self.seconds = rule.get_expiry()
        self._window = -1
        self._current: dict[str, int] = {}
        self._previous: dict[str, int] = {}
        self._lock = threading.Lock()  # the development server handles events in threads

    def hit(self, key: str, now: float | None = None) -> bool:
        """Count a hit for `key` and say whether it is within the rule."""
        window, elapsed = divmod(time.monotonic() if now is None else now, self.seconds)
        with self._lock:
            if window != self._window:
                self._previous = self._current if window == self._window + 1 else {}
                self._current = {}
                self._window = window
            count = self._current.get(key, 0)
            overlap = 1 - elapsed / self.seconds
            if self._previous.get(key, 0) * overlap + count + 1 > self.amount:
                return False
            self._current[key] = count + 1
            return True


def check_in_process(scope: str, key: str, rule_setting: str) -> None:
    """InvalidInput('rate_limited') once `key` has used up the rule in this process.

    For a limit on what one socket sends (a chat's messages): the load balancer keeps a
    resident on one process, so counting there is counting everywhere, for ~4 µs instead
    of a Redis round trip (~90 µs, on every chat message)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    counters = current_app.extensions.setdefault("okienko.local_limits", {})
    rule = current_app.config[rule_setting]
    counter = counters.get((scope, rule))
    if counter is None:
        counter = counters[(scope, rule)] = LocalWindowCounter(parse(rule))
    if not counter.hit(key):
        raise InvalidInput("rate_limited")
